"""Region overview: total, grade, rank and change; KPI tiles; counts; at risk; categories."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest

from indicators.models import Indicator, Plan, RegionScore, Target, TargetScore
from tests.dashboards import builders
from tests.dashboards.conftest import figure_of
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


def test_it_shows_total_grade_rank_and_change_from_last_year(client, city):
    county = city["counties"][2]
    now = RegionScore.objects.get(region=county, year=2015, basis="verified")
    before = RegionScore.objects.get(region=county, year=2014, basis="verified")
    response = _get(
        client, make_user(county.code, "leader"), f"/dashboards/{county.code}/?year=2015&basis=verified"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<span class="dash-total">{now.total}</span>' in body
    assert f"{now.grade} 级" in body
    assert f"第 <b>{now.rank}</b> / {now.rank_of} 名" in body
    delta = now.total - before.total
    sign = "+" if delta > 0 else "−" if delta < 0 else ""
    assert "较上年 <b" in body and f"{sign}{abs(delta):.2f} 分" in body
    moved = before.rank - now.rank
    if moved > 0:
        assert f"上升 {moved} 位" in body
    elif moved < 0:
        assert f"下降 {-moved} 位" in body
    else:
        assert "排名持平" in body


def test_basis_filter_switches_to_the_self_assessed_score(client, city):
    county = city["counties"][0]
    own = RegionScore.objects.get(region=county, year=2015, basis="self")
    body = _get(
        client, make_user(county.code, "leader"), f"/dashboards/{county.code}/?year=2015&basis=self"
    ).content.decode()
    assert f'<span class="dash-total">{own.total}</span>' in body
    assert "2015 年总分（自评）" in body


def test_counts_and_tiles_come_from_the_target_scores(client, city):
    county = city["counties"][1]
    response = _get(
        client, make_user(county.code, "leader"), f"/dashboards/{county.code}/?year=2015&basis=verified"
    )
    body = response.content.decode()
    rows = TargetScore.objects.filter(region=county, year=2015, basis="verified").select_related("indicator")
    for status, label in (("met", "达标"), ("not_met", "未达标"), ("missing", "缺报")):
        n = sum(1 for r in rows if r.status == status)
        assert f'<span class="dash-count-n">{n}</span><span class="dash-count-l">{label}</span>' in body
    # The veto target is always a tile; its actual and target are shown with their units.
    veto = next(r for r in rows if r.veto)
    assert veto.indicator.name_zh in body
    tiles = body.split('class="dash-tiles"')[1].split("</section>")[0]
    assert tiles.count('class="dash-tile ') == min(8, len(rows))
    rate = next(r for r in rows if r.indicator.unit == "%")
    assert f"{float(rate.actual):.2f}%" in tiles
    assert f"目标 ≥ {float(rate.target):.2f}%" in tiles
    count = next(r for r in rows if r.indicator.unit == "count" and not r.veto)
    assert count.indicator.name_zh in body


def test_category_chart_is_points_over_weights_per_category(client, city):
    county = city["counties"][3]
    fig = figure_of(
        _get(
            client, make_user(county.code, "leader"), f"/dashboards/{county.code}/?year=2015&basis=verified"
        ),
        "categories",
    )
    rows = TargetScore.objects.filter(region=county, year=2015, basis="verified").select_related("indicator")
    labels = dict(Indicator.Category.choices)
    expected = {}
    for r in rows:
        p, w = expected.get(labels[r.indicator.category], (Decimal(0), Decimal(0)))
        expected[labels[r.indicator.category]] = (p + r.points, w + r.weight)
    bar = fig["data"][0]
    got = dict(zip(bar["y"], bar["x"], strict=True))
    assert set(got) == {str(k) for k in expected}
    for label, (p, w) in expected.items():
        assert got[str(label)] == pytest.approx(float(100 * p / w), abs=0.01)


def test_points_lost_chart_lists_the_biggest_losses(client, city):
    county = city["counties"][4]
    fig = figure_of(
        _get(
            client, make_user(county.code, "leader"), f"/dashboards/{county.code}/?year=2015&basis=verified"
        ),
        "lost",
    )
    rows = TargetScore.objects.filter(region=county, year=2015, basis="verified")
    lost = sorted((float(r.weight - r.points) for r in rows if r.weight > r.points), reverse=True)
    drawn = sorted((x for t in fig["data"] for x in t.get("x", [])), reverse=True)
    assert drawn == pytest.approx(lost[:10])


def test_at_risk_lists_horizon_targets_projected_to_be_missed(client, catalog, region):
    """Least squares through 2010–2014 actuals, projected to the 2015 horizon."""
    xingtai = region("130500")
    sampling, grade = catalog["PQ_SAMPLING_PASS"], catalog["PQ_GRADE_RATE"]
    plan = Plan.objects.create(
        name="风险测试规划", region=xingtai, base_year=2010, start_year=2011, end_year=2015
    )
    slow = {2010: "90.0", 2011: "91.2", 2012: "91.6", 2013: "93.1", 2014: "93.5"}  # ~ +0.9/yr: misses 98
    fast = {2010: "80.0", 2011: "81.0", 2012: "82.5", 2013: "83.9", 2014: "85.0"}  # reaches 85 in 2014
    for ind, series in ((sampling, slow), (grade, fast)):
        builders.approved_figures(xingtai, ind, series)
    Target.objects.create(
        plan=plan, region=xingtai, indicator=sampling, year=2015, comparator=">=", value=Decimal(98)
    )
    Target.objects.create(
        plan=plan, region=xingtai, indicator=grade, year=2015, comparator=">=", value=Decimal(85)
    )
    for ind, milestone in ((sampling, "96.4"), (grade, "84")):
        Target.objects.create(
            plan=plan, region=xingtai, indicator=ind, year=2014, comparator=">=", value=Decimal(milestone),
            is_milestone=True,
        )  # fmt: skip
    builders.add_scores([xingtai], years=(2014,))

    body = _get(
        client, make_user("130500", "leader"), "/dashboards/130500/?year=2014&basis=verified"
    ).content.decode()
    risk = body.split('id="at-risk"')[1].split("</section>")[0]
    years = sorted(slow)
    expected = np.polyval(np.polyfit(years, [float(slow[y]) for y in years], 1), 2015)
    assert sampling.name_zh in risk
    assert f"{expected:.2f}%" in risk
    assert f"{98 - expected:.2f}%" in risk  # the gap
    assert grade.name_zh not in risk  # on track: projected above 85
    assert "共 2 项规划目标，1 项预计完成" in risk


def test_without_scores_the_page_says_so(client, catalog):
    body = _get(client, make_user("130500", "leader"), "/dashboards/130500/").content.decode()
    assert "尚无考核得分" in body


@pytest.mark.parametrize("role", ["leader", "staff", "reviewer"])
def test_a_county_user_cannot_open_the_city_or_a_sibling(client, city, role):
    county, sibling = city["counties"][0], city["counties"][1]
    client.force_login(make_user(county.code, role))
    assert client.get(f"/dashboards/{city['city'].code}/").status_code == 403
    assert client.get(f"/dashboards/{sibling.code}/").status_code == 403
    assert client.get(f"/dashboards/{county.code}/").status_code == 200


def test_a_user_of_another_city_is_forbidden_and_unknown_codes_are_404(client, city):
    client.force_login(make_user("130500", "leader"))
    assert client.get(f"/dashboards/{city['counties'][0].code}/").status_code == 403
    assert client.get("/dashboards/000001/").status_code == 404


def test_anonymous_users_are_sent_to_login(client, city):
    response = client.get(f"/dashboards/{city['city'].code}/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_city_leader_drills_into_a_county(client, city):
    county = city["counties"][0]
    response = _get(client, make_user(city["city"].code, "leader"), f"/dashboards/{county.code}/?year=2015")
    assert response.status_code == 200
    # The breadcrumb links back up to the city (readable), the province is plain text.
    body = response.content.decode()
    assert f'href="/dashboards/{city["city"].code}/?year=2015&amp;basis=verified"' in body
    assert f"<span>{city['province'].name}</span>" in body


def test_dashboards_index_sends_a_leader_to_their_region(client, city):
    response = _get(client, make_user(city["city"].code, "leader"), "/dashboards/")
    assert response.status_code == 302
    assert response["Location"] == f"/dashboards/{city['city'].code}/"
