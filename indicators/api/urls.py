"""/api/v1/: regions, indicators, figures, the review queue and token login (namespace `api_v1`)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from indicators.api import views

app_name = "api_v1"

router = DefaultRouter()
router.register("regions", views.RegionViewSet, basename="region")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("figures", views.FigureViewSet, basename="figure")
router.register("review-queue", views.ReviewQueueViewSet, basename="review-queue")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("", include(router.urls)),
]
