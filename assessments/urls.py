"""Pages of the assessment cycle under /assessments/ (namespace `assessments`)."""

from django.urls import path

from assessments import views

app_name = "assessments"

urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.create, name="create"),
    path("<int:pk>/", views.board, name="board"),
    path("<int:pk>/advance/", views.advance, name="advance"),
    path("<int:pk>/deadlines/", views.deadlines, name="deadlines"),
    path("<int:pk>/sign-off/", views.sign_off, name="sign-off"),
    path("<int:pk>/publish/", views.publish, name="publish"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
    path("<int:pk>/groups/", views.groups, name="groups"),
    path("<int:pk>/results/", views.results, name="results"),
    path("<int:pk>/regions/<str:code>/", views.county, name="county"),
    path("<int:pk>/regions/<str:code>/items/<int:item_id>/", views.item_self, name="item-self"),
    path(
        "<int:pk>/regions/<str:code>/items/<int:item_id>/evidence/", views.item_evidence, name="item-evidence"
    ),
    path("<int:pk>/regions/<str:code>/report/", views.self_report, name="self-report"),
    path(
        "<int:pk>/regions/<str:code>/report/download/",
        views.self_report_download,
        name="self-report-download",
    ),
    path("<int:pk>/regions/<str:code>/verification/", views.verification, name="verification"),
    path("<int:pk>/regions/<str:code>/verification/done/", views.verification_done, name="verification-done"),
    path("<int:pk>/regions/<str:code>/<slug:action>/", views.county_action, name="county-action"),
]
