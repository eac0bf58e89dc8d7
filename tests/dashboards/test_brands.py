"""Brands and awards: counts by award type and year, stacked, for the region and its children."""

from __future__ import annotations

from collections import defaultdict

import pytest

from indicators.models import Figure
from tests.dashboards.conftest import figure_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db

AWARDS = ("BR_CHINA_TOP_BRAND", "BR_PROV_TOP_BRAND", "QM_MUNICIPAL_QUALITY_AWARD")


def _page(client, user, code, query="?year=2015"):
    client.force_login(user)
    response = client.get(f"/dashboards/{code}/brands/{query}")
    assert response.status_code == 200
    return response


def test_city_counts_by_year_are_the_sum_of_its_counties_stacked_by_type(client, city):
    c = city["city"]
    fig = figure_of(_page(client, make_user(c.code, "leader"), c.code), "by_year")
    assert fig["layout"]["barmode"] == "stack"
    expected = defaultdict(int)
    for f in Figure.objects.filter(region__parent=c, indicator__code__in=AWARDS).select_related("indicator"):
        expected[(f.indicator.name_zh, f.year)] += int(f.value)
    drawn = {(t["name"], x): y for t in fig["data"] for x, y in zip(t["x"], t["y"], strict=True)}
    assert drawn == expected


def test_children_chart_has_each_countys_counts_for_the_year(client, city):
    c = city["city"]
    response = _page(client, make_user(c.code, "leader"), c.code, "?year=2014")
    fig = figure_of(response, "by_child")
    drawn = {(t["name"], y): x for t in fig["data"] for x, y in zip(t["x"], t["y"], strict=True)}
    expected = {
        (f.indicator.name_zh, f.region.name): int(f.value)
        for f in Figure.objects.filter(
            region__parent=c, indicator__code__in=AWARDS, year=2014
        ).select_related("indicator", "region")
    }
    assert drawn == expected
    total = sum(expected.values())
    assert (
        f'<span class="dash-count-n">{total}</span><span class="dash-count-l">2014 年合计（项）</span>'
        in (response.content.decode())
    )


def test_counts_that_are_not_awards_stay_out(client, city, catalog):
    county = city["counties"][0]
    for code in ("BR_REGISTERED_TM", "BR_INVENTION_PATENTS"):
        Figure.objects.create(
            region=county, indicator=catalog[code], year=2015, value=5000, reported_value=5000,
            verified_value=5000, status=Figure.Status.APPROVED,
        )  # fmt: skip
    fig = figure_of(_page(client, make_user(county.code, "leader"), county.code), "by_year")
    names = {t["name"] for t in fig["data"]}
    assert catalog["BR_REGISTERED_TM"].name_zh not in names
    assert catalog["BR_CHINA_TOP_BRAND"].name_zh in names


def test_outside_the_subtree_is_forbidden(client, city):
    client.force_login(make_user(city["counties"][0].code, "leader"))
    assert client.get(f"/dashboards/{city['city'].code}/brands/").status_code == 403
