"""Every dashboard page in Debian's chromium, on the demo data: drawn, offline, without errors."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from indicators.models import Indicator, Region, RegionScore
from tests.dashboards import builders
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "overview-city": "/dashboards/130500/",
    "overview-county": "/dashboards/130528/",
    "overview-province": "/dashboards/130000/",
    "compare-counties": "/dashboards/130500/compare/",
    "compare-cities": "/dashboards/130000/compare/",
    "trend": "/dashboards/130500/trend/",
    "trend-county": "/dashboards/130528/trend/?indicator=PQ_SAMPLING_PASS",
    "brands": "/dashboards/130500/brands/",
    "verification": "/dashboards/130500/verification/",
}

CHART_STATE = """
Array.from(document.querySelectorAll('.js-chart')).map(el => ({
  id: el.id,
  plotly: el.classList.contains('js-plotly-plot'),
  svg: el.querySelectorAll('.main-svg').length,
  traces: (el.data || []).length,
  png: (el._context && el._context.toImageButtonOptions) || null,
}))
"""


def _demo_with_scores() -> None:
    """seed_demo, whose later-issue extras score 邢台市 and its counties; builders fill in otherwise."""
    call_command("seed_demo")
    counties = list(Region.objects.filter(parent__code="130500"))
    if not RegionScore.objects.filter(region__in=counties).exists():
        indicators = list(Indicator.objects.filter(code__in=builders.INDICATORS))
        builders.add_plan_targets(counties, indicators, tag="browser")
        builders.add_scores(counties)


def _draw_and_check(page, base: str, url: str) -> list[dict]:
    page.goto(base + url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => { const c = document.querySelectorAll('.js-chart');"
        " return c.length > 0 && Array.from(c).every(e => e.classList.contains('is-drawn')); }"
    )
    charts = page.evaluate(CHART_STATE)
    blocks = page.locator('script[type="application/json"][id^="fig-"]').count()
    assert len(charts) == blocks
    for chart in charts:
        assert chart["plotly"], chart
        assert chart["svg"] > 0, chart
        assert chart["traces"] > 0, chart
        assert chart["png"]["format"] == "png" and chart["png"]["filename"], chart
    # Fits the 1366 px laptop screen: no horizontal scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    return charts


def test_every_dashboard_page_draws_every_chart_offline(
    live_login, page, catalog, offsite_requests, console_errors, artifacts_dir
):
    _demo_with_scores()
    base = live_login(make_user("130000", "leader", username="hebei_dash_leader"))
    seen = {}
    for name, url in PAGES.items():
        seen[name] = _draw_and_check(page, base, url)
        page.screenshot(path=str(artifacts_dir / f"dashboard-{name}.png"), full_page=True)
    assert {c["id"] for c in seen["compare-counties"]} == {
        "chart-ranking",
        "chart-map",
        "chart-heatmap",
        "chart-distribution",
    }
    # The modebar speaks Chinese, offers the PNG download and no upload to Plotly Cloud.
    titles = set(
        page.evaluate("Array.from(document.querySelectorAll('.modebar-btn')).map(b => b.dataset.title)")
    )
    assert "下载图片（PNG）" in titles
    assert not any(t.isascii() for t in titles), titles

    # A tablet in portrait: one column, still no horizontal scrolling.
    page.set_viewport_size({"width": 768, "height": 1024})
    for name in ("overview-city", "compare-counties"):
        _draw_and_check(page, base, PAGES[name])
        page.screenshot(path=str(artifacts_dir / f"dashboard-{name}-tablet.png"), full_page=True)

    assert offsite_requests == []
    assert console_errors == []


def test_clicking_a_county_drills_into_its_overview_and_png_downloads_offline(
    live_login, page, catalog, offsite_requests, console_errors
):
    _demo_with_scores()
    base = live_login(make_user("130500", "leader", username="xingtai_dash_leader"))
    _draw_and_check(page, base, "/dashboards/130500/compare/")
    with page.expect_download() as download:
        page.locator('#chart-ranking .modebar-btn[data-title="下载图片（PNG）"]').click()
    assert download.value.suggested_filename.endswith(".png")
    assert "邢台市" in download.value.suggested_filename

    bar = page.locator("#chart-ranking .bars .point path").first
    box = bar.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_url("**/dashboards/1305*/?*")
    county_code = page.url.split("/dashboards/")[1].split("/")[0]
    assert Region.objects.get(code=county_code).parent.code == "130500"
    assert page.locator(".dash-head h1").inner_text().startswith(Region.objects.get(code=county_code).name)
    assert offsite_requests == []
    assert console_errors == []
