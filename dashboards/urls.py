from django.urls import path

from dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("<str:code>/", views.dashboard, {"page": "overview"}, name="overview"),
    path("<str:code>/compare/", views.dashboard, {"page": "compare"}, name="compare"),
    path("<str:code>/trend/", views.dashboard, {"page": "trend"}, name="trend"),
    path("<str:code>/brands/", views.dashboard, {"page": "brands"}, name="brands"),
    path("<str:code>/verification/", views.dashboard, {"page": "verification"}, name="verification"),
    path("<str:code>/<str:page>/<slug:chart>.csv", views.chart_csv, name="chart_csv"),
]
