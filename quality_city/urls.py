from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from quality_city import views

admin.site.site_header = _("质量强市看板 · 管理后台")
admin.site.site_title = _("质量强市看板")
admin.site.index_title = _("系统管理")

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("awards/", include("awards.urls")),
    path("api/v1/awards/", include(("awards.api", "awards-api"))),
    path("dashboards/", include("dashboards.urls")),
    path("", include("indicators.urls")),
    path("scores/", include("indicators.urls_scores")),
    path("api/v1/", include("indicators.api_scores")),
    path("api/v1/", include("indicators.api.urls")),
    path("reports/", include("reports.urls")),
    path("api/v1/reports/", include("reports.api")),
    path("assessments/", include("assessments.urls")),
    path("api/v1/assessments/", include("assessments.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
