"""A dashboard request leaves the garbage collector as it found it and frees its charts."""

from __future__ import annotations

import gc

import pytest
from django.http import HttpResponse

from dashboards import views
from dashboards.pages import Chart, Page
from indicators.models import Region

pytestmark = pytest.mark.django_db


def test_the_collector_is_paused_during_the_view_and_on_again_after_it():
    seen = []

    @views._without_cycle_collection
    def view():
        seen.append(gc.isenabled())
        return HttpResponse("ok")

    assert gc.isenabled()
    assert view().content == b"ok"
    assert seen == [False] and gc.isenabled()


def test_the_collector_is_on_again_after_a_view_that_raised():
    @views._without_cycle_collection
    def view():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        view()
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off_and_an_inner_view_does_not_turn_it_on():
    @views._without_cycle_collection
    def inner():
        return gc.isenabled()

    @views._without_cycle_collection
    def outer():
        return inner(), gc.isenabled()

    assert outer() == (False, False) and gc.isenabled()
    gc.disable()
    try:
        assert inner() is False
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_release_drops_the_figures_and_data_of_a_rendered_page():
    page = Page("overview", Region(code="130500", name="邢台市", path="/130000/130500/"), filters=None)
    page.charts["history"] = Chart("history", "历年总分", lambda: None, figure={"data": [1, 2, 3]})
    page.release()
    chart = page.charts["history"]
    assert chart.figure is None
    with pytest.raises(RuntimeError, match="released"):
        chart.frame  # noqa: B018


def test_a_comparison_page_holds_no_chart_data_after_the_response(client, catalog):
    from tests.dashboards import builders
    from tests.factories import make_user

    city = builders.build_city(3)["city"]
    client.force_login(make_user(city.code, "leader"))
    built = []
    original = views.BUILDERS["compare"]

    def spy(*args, **kwargs):
        built.append(original(*args, **kwargs))
        return built[-1]

    views.BUILDERS["compare"] = spy
    try:
        response = client.get(f"/dashboards/{city.code}/compare/?year=2015&basis=verified")
    finally:
        views.BUILDERS["compare"] = original
    assert response.status_code == 200
    assert response.content.count(b'<section class="dash-panel wide" id="panel-heatmap">') == 1  # rendered
    assert built and all(chart.figure is None for chart in built[0].charts.values())
