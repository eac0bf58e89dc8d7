"""URLs for the error-page test: a view that raises."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("secret internal detail: db password hunter2")


urlpatterns = [path("boom/", boom), path("", include("quality_city.urls"))]
