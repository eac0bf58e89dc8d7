"""Pages of data entry and review (namespace `entry`)."""

from django.urls import path

from indicators import views

app_name = "entry"

urlpatterns = [
    path("entry/", views.entry_home, name="home"),
    path("entry/template/", views.entry_template_pick, name="template-pick"),
    path("entry/<str:code>/<int:year>/", views.entry_grid, name="grid"),
    path("entry/<str:code>/<int:year>/template.xlsx", views.entry_template, name="template"),
    path("figures/<int:pk>/", views.figure_detail, name="figure"),
    path("figures/<int:pk>/evidence/", views.evidence_upload, name="evidence-upload"),
    path("figures/<int:pk>/<str:action>/", views.figure_action, name="figure-action"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("review/", views.review_queue, name="review"),
    path("completeness/", views.completeness, name="completeness-home"),
    path("completeness/<str:code>/<int:year>/", views.completeness, name="completeness"),
    path("import/", views.import_upload, name="import"),
    path("import/commit/", views.import_commit, name="import-commit"),
]
