from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from accounts import policy
from indicators.models import Figure, Indicator, Region


def home(request: HttpRequest) -> HttpResponse:
    context: dict = {}
    if request.user.is_authenticated:
        context["region"] = policy.user_region(request.user)
        context["roles"] = sorted(policy.roles_of(request.user))
        if context["region"] is not None:
            # Leaders start from their region's dashboard (the button leads the page for them).
            context["dashboard_url"] = reverse("dashboards:overview", args=[context["region"].code])
            context["is_leader"] = "leader" in context["roles"]
    context["counts"] = {
        "regions": Region.objects.count(),
        "indicators": Indicator.objects.count(),
        "figures": Figure.objects.count() if request.user.is_authenticated else None,
    }
    return render(request, "home.html", context)


def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness for docker-compose and load balancers: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
