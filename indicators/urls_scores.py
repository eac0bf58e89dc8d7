"""URLs of the plans, targets and scores pages (mounted at /scores/)."""

from django.urls import path

from indicators import views_scores as v

app_name = "scores"

urlpatterns = [
    path("", v.score_index, name="index"),
    path("run/", v.score_run, name="run"),
    path("plans/<int:plan_id>/milestones/", v.plan_milestones, name="milestones"),
    path("<str:code>/<int:year>/explain/", v.score_explain, name="explain"),
    path("<str:code>/<int:year>/export.<str:fmt>", v.score_export_view, name="export"),
    path("<str:code>/at-risk/", v.score_at_risk, name="at_risk"),
    path("<str:code>/targets/", v.target_grid, name="targets"),
    path("<str:code>/targets/import/", v.target_import_view, name="target_import"),
    path("<str:code>/targets/<str:indicator_code>/<int:year>/", v.target_edit, name="target_edit"),
]
