"""Self vs verified: where counties' reported values differ from the verified ones, and by how much."""

from __future__ import annotations

import pytest
from django.db.models import F

from indicators.models import Figure, RegionScore
from tests.dashboards.conftest import figure_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _page(client, user, code, query="?year=2015"):
    client.force_login(user)
    response = client.get(f"/dashboards/{code}/verification/{query}")
    assert response.status_code == 200
    return response


def test_every_adjusted_figure_is_listed_with_its_difference(client, city):
    c = city["city"]
    response = _page(client, make_user(c.code, "leader"), c.code)
    adjusted = list(
        Figure.objects.filter(region__parent=c, year=2015)
        .exclude(verified_value=F("reported_value"))
        .select_related("region", "indicator")
    )
    assert adjusted, "the builder cuts some county figures on verification"
    fig = figure_of(response, "differences")
    dots = {
        (cd[0], cd[1]): x
        for trace in fig["data"]
        for x, cd in zip(trace["x"], trace["customdata"], strict=True)
    }
    assert len(dots) == len(adjusted)
    for f in adjusted:
        rel = float((f.verified_value - f.reported_value) / f.reported_value * 100)
        assert dots[(f.region.name, f.indicator.name_zh)] == pytest.approx(rel, abs=0.01)
    cut = next(t for t in fig["data"] if t["name"].startswith("核减"))
    assert all(x < 0 for x in cut["x"])
    body = response.content.decode()
    assert (
        f'<span class="dash-count-n">{len(adjusted)}</span><span class="dash-count-l">核定值与填报值不一致'
        in body
    )


def test_counts_per_county(client, city):
    c = city["city"]
    fig = figure_of(_page(client, make_user(c.code, "leader"), c.code), "counts")
    down = next(t for t in fig["data"] if t["name"].startswith("核减"))
    drawn = dict(zip(down["y"], down["x"], strict=True))
    for county in city["counties"]:
        n = Figure.objects.filter(region=county, year=2015, verified_value__lt=F("reported_value")).count()
        assert drawn.get(county.name, 0) == n


def test_self_and_verified_totals_side_by_side(client, city):
    c = city["city"]
    fig = figure_of(_page(client, make_user(c.code, "leader"), c.code), "totals")
    own = next(t for t in fig["data"] if t.get("name") == "自评")
    ver = next(t for t in fig["data"] if t.get("name") == "核定")
    for county in city["counties"]:
        s = RegionScore.objects.get(region=county, year=2015, basis="self")
        v = RegionScore.objects.get(region=county, year=2015, basis="verified")
        i = own["y"].index(county.name)
        assert own["x"][i] == pytest.approx(float(s.total))
        assert ver["x"][ver["y"].index(county.name)] == pytest.approx(float(v.total))


def test_outside_the_subtree_is_forbidden(client, city):
    client.force_login(make_user(city["counties"][0].code, "leader"))
    assert client.get(f"/dashboards/{city['city'].code}/verification/").status_code == 403
