"""Leader dashboards: each view parses the URL, checks the policy, calls one page builder, renders."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header

from accounts import policy
from dashboards import pages, selectors
from dashboards.i18n import texts
from dashboards.pages import BUILDERS, SCORE_PAGES, Filters, basis_labels, page_titles, page_url
from indicators.models import Indicator, Region

# Which filters each page offers besides the year (the trend page adds its indicator list).
FILTERS_SHOWN = {
    "overview": {"basis", "category"},
    "compare": {"basis", "category"},
    "trend": {"basis", "category"},
    "brands": set(),
    "verification": {"category"},
}

# The pages whose builder starts with selectors.family_scores of the page's region.
FAMILY_PAGES = {"overview", "compare"}


def _without_cycle_collection(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run the view with Python's cyclic garbage collector paused.

    A comparison page holds a few thousand young containers while it builds (heat-map
    cells, chart lists, the template context); each automatic collection during the
    request traverses all of them again although none is garbage yet (about 2 ms of a
    30 ms comparison, 0.5 ms of an overview). Reference counting frees them when the
    view returns (``Page.release`` drops what the template context's own reference
    cycle would keep); the few cycles a request leaves behind are collected at the next
    automatic collection after it. Only the call that paused the collector turns it back
    on, so a collector that was off stays off and nested or concurrent requests end with
    it on.
    """

    @functools.wraps(view)
    def wrapper(*args, **kwargs) -> HttpResponse:
        paused = gc.isenabled()
        gc.disable()
        try:
            return view(*args, **kwargs)
        finally:
            if paused:
                gc.enable()

    return wrapper


def _get_region_for_user(request: HttpRequest, code: str, page: str) -> Region:
    """The region of the URL, or 404; PermissionDenied (403) outside what the user may read."""
    # A score page reads the family's scores next: they come with the region.
    region = selectors.region_by_code(code, user=request.user, family_scores=page in FAMILY_PAGES)
    if region is None:
        raise Http404("地区不存在")
    if page in SCORE_PAGES:
        year = Filters.parse(request.GET).year
        policy.check_read_scores(request.user, region, year)
    else:
        policy.check(request.user, policy.Action.READ, region)
    return region


def _crumbs(user, region: Region, page: str, filters: Filters) -> list[dict]:
    out = []
    for a in selectors.ancestors(region):
        readable = (
            policy.can_read_scores(user, a, filters.year)
            if page in SCORE_PAGES
            else policy.can(user, policy.Action.READ, a)
        )
        out.append({"name": a.name, "url": page_url(page, a.code, filters) if readable else ""})
    return out


def _tabs(user, region: Region, current: str, filters: Filters, titles: dict[str, str]) -> list[dict]:
    # Someone reading a published ranking from outside the subtree sees the score pages only.
    may_read = policy.can(user, policy.Action.READ, region)
    tabs = []
    for name, title in titles.items():
        if name not in SCORE_PAGES and not may_read:
            continue
        if name == "compare":
            if region.level == Region.Level.COUNTY:
                continue
            tr = texts()
            title = (
                tr.gettext("城市对比") if region.level == Region.Level.PROVINCE else tr.gettext("县区对比")
            )
        if name == "verification" and region.level == Region.Level.COUNTY:
            continue
        tabs.append(
            {
                "name": name,
                "title": title,
                "url": page_url(name, region.code, filters),
                "active": name == current,
            }
        )
    return tabs


@login_required
def index(request: HttpRequest) -> HttpResponse:
    """Leaders land on the overview of their own region; a superuser picks a province."""
    home = policy.user_region(request.user)
    if home is not None:
        return redirect("dashboards:overview", code=home.code)
    if not request.user.is_superuser:
        raise PermissionDenied(texts().gettext("账号未设置所属地区"))
    provinces = Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")
    return render(request, "dashboards/index.html", {"provinces": provinces})


@_without_cycle_collection
@login_required
def dashboard(request: HttpRequest, code: str, page: str) -> HttpResponse:
    region = _get_region_for_user(request, code, page)
    if page == "compare" and region.level == Region.Level.COUNTY:
        raise Http404("县级地区没有下级地区")
    built = BUILDERS[page](request.user, region, request.GET)
    f = built.filters
    titles = page_titles()
    bases = basis_labels()
    tabs = _tabs(request.user, region, page, f, titles)
    context = {
        "page": built,
        "region": region,
        "filters": f,
        "charts": list(built.charts.values()),
        "page_name": page,
        "page_title": next((t["title"] for t in tabs if t["name"] == page), titles[page]),
        "crumbs": _crumbs(request.user, region, page, f),
        "tabs": tabs,
        "show_basis": "basis" in FILTERS_SHOWN[page],
        "show_category": "category" in FILTERS_SHOWN[page],
        "basis_label": bases.get(f.basis, ""),
        "basis_choices": list(bases.items()),
        "category_choices": Indicator.Category.choices,
        "category_label": dict(Indicator.Category.choices).get(f.category, "") if f.category else "",
        **built.context,
    }
    response = render(request, f"dashboards/{page}.html", context)
    built.release()
    return response


@login_required
def chart_csv(request: HttpRequest, code: str, page: str, chart: str) -> HttpResponse:
    """The data of one chart as CSV (UTF-8 with BOM so Excel opens the Chinese headers)."""
    if page not in BUILDERS:
        raise Http404("页面不存在")
    region = _get_region_for_user(request, code, page)
    built = BUILDERS[page](request.user, region, request.GET, figures=False)
    found = built.charts.get(chart)
    if found is None:
        raise Http404("图表不存在")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{found.filename}.csv")
    response.write("\ufeff")
    found.csv_frame().to_csv(response, index=False, lineterminator="\r\n")
    return response


__all__ = ["chart_csv", "dashboard", "index", "pages"]
