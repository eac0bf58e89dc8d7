"""Indicator trend: actuals by year against milestone and plan targets, projected to the horizon."""

from __future__ import annotations

import numpy as np
import pytest

from indicators.models import Figure, Target
from tests.dashboards.conftest import figure_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _page(client, user, code, query):
    client.force_login(user)
    response = client.get(f"/dashboards/{code}/trend/{query}")
    assert response.status_code == 200
    return response


def _trace(fig, name):
    return next(t for t in fig["data"] if t.get("name") == name)


def test_actuals_milestones_plan_target_and_projection(client, city):
    county = city["counties"][0]
    response = _page(
        client,
        make_user(county.code, "leader"),
        county.code,
        "?indicator=PQ_SAMPLING_PASS&basis=verified&year=2013",
    )
    fig = figure_of(response, "trend")
    figures = Figure.objects.filter(region=county, indicator__code="PQ_SAMPLING_PASS").order_by("year")
    actual = _trace(fig, "实际值")
    assert actual["x"] == [f.year for f in figures]
    assert actual["y"] == pytest.approx([float(f.verified_value) for f in figures])

    targets = Target.objects.filter(region=county, indicator__code="PQ_SAMPLING_PASS").order_by("year")
    milestones = _trace(fig, "年度分解目标")
    assert milestones["x"] == [t.year for t in targets if t.is_milestone]
    assert milestones["y"] == pytest.approx([float(t.value) for t in targets if t.is_milestone])
    horizon = targets.get(is_milestone=False)
    assert _trace(fig, "规划目标")["y"] == pytest.approx([float(horizon.value)])

    # As of 2013: the least-squares line through the 2010–2013 actuals, out to 2015.
    fit = [f for f in figures if f.year <= 2013]
    line = np.polyfit([f.year for f in fit], [float(f.verified_value) for f in fit], 1)
    proj = _trace(fig, "趋势预测（最小二乘）")
    assert proj["x"] == [2010, 2011, 2012, 2013, 2014, 2015]
    assert proj["y"] == pytest.approx([np.polyval(line, y) for y in proj["x"]], abs=1e-3)
    body = response.content.decode()
    assert f"{np.polyval(line, 2015):.2f}%" in body
    assert f"≥ {float(horizon.value):.2f}%" in body


def test_a_city_sum_indicator_rolls_up_from_its_counties(client, city):
    c = city["city"]
    response = _page(client, make_user(c.code, "leader"), c.code, "?indicator=BR_CHINA_TOP_BRAND&basis=self")
    actual = _trace(figure_of(response, "trend"), "实际值")
    for year, value in zip(actual["x"], actual["y"], strict=True):
        expected = sum(
            f.reported_value
            for f in Figure.objects.filter(region__parent=c, indicator__code="BR_CHINA_TOP_BRAND", year=year)
        )
        assert value == pytest.approx(float(expected))
    assert "下级汇总" in response.content.decode()


def test_children_chart_compares_each_county_with_its_target(client, city):
    c = city["city"]
    response = _page(
        client, make_user(c.code, "leader"), c.code, "?indicator=PQ_GRADE_RATE&basis=verified&year=2014"
    )
    fig = figure_of(response, "children")
    bars = {}
    for t in fig["data"]:
        if t.get("name") in ("达到目标", "未达到目标"):
            for name, x in zip(t["y"], t["x"], strict=True):
                bars[name] = (x, t["name"])
    for county in city["counties"]:
        f = Figure.objects.get(region=county, indicator__code="PQ_GRADE_RATE", year=2014)
        t = Target.objects.get(region=county, indicator__code="PQ_GRADE_RATE", year=2014)
        x, status = bars[county.name]
        assert x == pytest.approx(float(f.verified_value))
        assert status == ("达到目标" if f.verified_value >= t.value else "未达到目标")
    marks = _trace(fig, "目标值")
    assert len(marks["x"]) == len(city["counties"])


def test_the_default_indicator_is_one_with_a_target(client, city):
    county = city["counties"][0]
    response = _page(client, make_user(county.code, "leader"), county.code, "")
    chosen = response.context["indicator"]
    assert Target.objects.filter(region=county, indicator=chosen).exists()
    assert f'<option value="{chosen.code}" selected>' in response.content.decode()


def test_outside_the_subtree_is_forbidden(client, city):
    client.force_login(make_user(city["counties"][0].code, "leader"))
    assert client.get(f"/dashboards/{city['counties'][1].code}/trend/").status_code == 403
    assert client.get(f"/dashboards/{city['city'].code}/trend/").status_code == 403
