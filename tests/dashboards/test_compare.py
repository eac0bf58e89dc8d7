"""County comparison for a city and city comparison across a province."""

from __future__ import annotations

import pytest

from accounts import policy
from indicators.models import RegionScore, TargetScore
from tests.dashboards import builders
from tests.dashboards.conftest import figure_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GRADE_COLORS = {"A": "#0072B2", "B": "#009E73", "C": "#E69F00", "D": "#D55E00"}


def _page(client, user, code, query="?year=2015&basis=verified"):
    client.force_login(user)
    response = client.get(f"/dashboards/{code}/compare/{query}")
    assert response.status_code == 200
    return response


def test_ranking_bar_shows_every_county_total_in_rank_order_coloured_by_grade(client, city):
    response = _page(client, make_user(city["city"].code, "leader"), city["city"].code)
    fig = figure_of(response, "ranking")
    scores = RegionScore.objects.filter(
        region__in=city["counties"], year=2015, basis="verified"
    ).select_related("region")
    drawn = {}
    for trace in fig["data"]:
        for name, total in zip(trace["y"], trace["x"], strict=True):
            drawn[name] = (total, trace["marker"]["color"])
    assert len(drawn) == len(city["counties"])
    for s in scores:
        total, colour = drawn[s.region.name]
        assert total == pytest.approx(float(s.total))
        assert colour == GRADE_COLORS[s.grade]
    order = [s.region.name for s in sorted(scores, key=lambda s: (s.rank, s.region.code))]
    assert fig["layout"]["yaxis"]["categoryarray"] == order
    body = response.content.decode()
    assert "第 <b>" in body or "本级无得分" in body
    for s in scores:
        assert f"{s.rank} / {s.rank_of}" in body


def test_clicking_a_county_drills_into_its_overview(client, city):
    response = _page(client, make_user(city["city"].code, "leader"), city["city"].code)
    for key in ("ranking", "map", "distribution", "heatmap"):
        fig = figure_of(response, key)
        urls = set()
        for trace in fig["data"]:
            for item in trace.get("customdata", []):
                cells = item if key == "heatmap" else [item]
                for cell in cells:
                    if cell and cell[0]:
                        urls.add(cell[0])
        expected = {f"/dashboards/{c.code}/?year=2015&basis=verified" for c in city["counties"]}
        assert urls == expected, key


def test_heatmap_cells_are_the_completion_of_every_target(client, city):
    response = _page(client, make_user(city["city"].code, "leader"), city["city"].code)
    fig = figure_of(response, "heatmap")
    heat = fig["data"][0]
    rows = TargetScore.objects.filter(
        region__in=city["counties"], year=2015, basis="verified"
    ).select_related("indicator", "region")
    col = {name: i for i, name in enumerate(heat["x"])}
    row = {name: i for i, name in enumerate(heat["customdata"][r][0][2] for r in range(len(heat["y"])))}
    assert len(heat["x"]) == len(city["counties"])
    for t in rows:
        z = heat["z"][row[t.indicator.name_zh]][col[t.region.name]]
        if t.status == "missing":
            assert heat["text"][row[t.indicator.name_zh]][col[t.region.name]] == "缺"
        else:
            assert z == pytest.approx(min(100.0, float(t.completion) * 100), abs=0.01)


def test_category_filter_narrows_the_heatmap(client, city):
    response = _page(
        client, make_user(city["city"].code, "leader"), city["city"].code, "?year=2015&category=brand"
    )
    heat = figure_of(response, "heatmap")["data"][0]
    names = {heat["customdata"][r][0][2] for r in range(len(heat["y"]))}
    assert names == {i.name_zh for i in city["indicators"] if i.category == "brand"}


def test_map_places_counties_by_longitude_and_latitude_without_tiles(client, city):
    response = _page(client, make_user(city["city"].code, "leader"), city["city"].code)
    fig = figure_of(response, "map")
    trace = fig["data"][0]
    assert trace["type"] == "scatter"
    assert "geo" not in fig["layout"] and "mapbox" not in fig["layout"] and "map" not in fig["layout"]
    by_name = dict(
        zip(trace["text"], zip(trace["x"], trace["y"], trace["marker"]["color"], strict=True), strict=True)
    )
    for c in city["counties"]:
        s = RegionScore.objects.get(region=c, year=2015, basis="verified")
        assert by_name[c.name] == pytest.approx((float(c.longitude), float(c.latitude), float(s.total)))
    assert fig["layout"]["yaxis"]["scaleanchor"] == "x"


def test_distribution_shows_this_year_and_last_year(client, city):
    response = _page(client, make_user(city["city"].code, "leader"), city["city"].code)
    fig = figure_of(response, "distribution")
    boxes = [t for t in fig["data"] if t["type"] == "box"]
    assert [b["name"] for b in boxes] == ["2014 年（上年）", "2015 年（本年）"]
    for box, year in zip(boxes, (2014, 2015), strict=True):
        expected = sorted(
            float(s.total)
            for s in RegionScore.objects.filter(region__in=city["counties"], year=year, basis="verified")
        )
        assert sorted(box["y"]) == pytest.approx(expected)


def test_the_viewers_own_county_is_highlighted_once_results_are_published(client, city, monkeypatch):
    """A county leader sees the city's county ranking only through a published assessment."""
    county = city["counties"][2]
    leader = make_user(county.code, "leader")
    client.force_login(leader)
    assert client.get(f"/dashboards/{city['city'].code}/compare/").status_code == 403

    monkeypatch.setattr(policy, "published_to", lambda user, region, year: True)
    response = _page(client, leader, city["city"].code)
    fig = figure_of(response, "ranking")
    labels = [y for t in fig["data"] for y in t["y"]]
    assert f"<b>{county.name} ◀ 本地区</b>" in labels
    widths = [w for t in fig["data"] for w in t["marker"]["line"]["width"]]
    assert sorted(widths, reverse=True)[:2] == [3, 0]
    body = response.content.decode()
    assert 'class="dash-own"' in body
    # Published scores only: the figure pages of the city stay closed, and so do their tabs.
    assert f"/dashboards/{city['city'].code}/trend/" not in body
    assert client.get(f"/dashboards/{city['city'].code}/trend/").status_code == 403
    assert client.get(f"/dashboards/{city['city'].code}/verification/").status_code == 403


def test_city_comparison_across_a_province(client, catalog):
    prov, cities = builders.build_province(4, prefix="95")
    response = _page(client, make_user(prov.code, "leader"), prov.code)
    body = response.content.decode()
    assert "城市对比" in body
    fig = figure_of(response, "ranking")
    drawn = {y: x for t in fig["data"] for y, x in zip(t["y"], t["x"], strict=True)}
    for c in cities:
        s = RegionScore.objects.get(region=c, year=2015, basis="verified")
        assert drawn[c.name] == pytest.approx(float(s.total))
        assert s.rank_of == 4
    assert len(figure_of(response, "map")["data"][0]["x"]) == 4


def test_a_county_has_no_comparison_page(client, city):
    county = city["counties"][0]
    client.force_login(make_user(county.code, "leader"))
    assert client.get(f"/dashboards/{county.code}/compare/").status_code == 404


def test_another_city_cannot_see_this_citys_counties(client, city):
    client.force_login(make_user("130500", "leader"))
    assert client.get(f"/dashboards/{city['city'].code}/compare/").status_code == 403
    assert client.get(f"/dashboards/{city['city'].code}/compare/ranking.csv").status_code == 403
