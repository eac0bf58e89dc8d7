from django.urls import path

from awards import views

app_name = "awards"

urlpatterns = [
    path("", views.index, name="index"),
    path("grants/", views.grant_list, name="grant_list"),
    path("grants/new/", views.grant_create, name="grant_create"),
    path("grants/<int:pk>/edit/", views.grant_edit, name="grant_edit"),
    path("grants/<int:pk>/revoke/", views.grant_revoke, name="grant_revoke"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("import/<slug:kind>/", views.import_page, name="import"),
    path("types/", views.award_type_list, name="award_type_list"),
    path("rounds/", views.round_list, name="round_list"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("rounds/<int:pk>/apply/", views.application_create, name="application_create"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/transition/", views.application_transition, name="application_transition"),
    path("applications/<int:pk>/assign/", views.application_assign, name="application_assign"),
    path("applications/<int:pk>/files/", views.application_file_upload, name="application_file_upload"),
    path("applications/<int:pk>/objections/", views.objection_create, name="objection_create"),
    path("applications/<int:pk>/score/<slug:stage>/", views.score_sheet, name="score_sheet"),
    path("assignments/<int:pk>/remove/", views.assignment_remove, name="assignment_remove"),
    path("objections/<int:pk>/decide/", views.objection_decide, name="objection_decide"),
    path("files/<int:pk>/", views.application_file_download, name="file_download"),
    path("reviews/", views.my_reviews, name="my_reviews"),
]
