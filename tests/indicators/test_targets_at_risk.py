"""At risk: least-squares projection of each horizon target; targets projected to be missed."""

from __future__ import annotations

import pytest

from indicators.models import Plan, Region
from indicators.targets import at_risk_targets, plan_generate_milestones
from tests.factories import make_user
from tests.indicators.scoring_helpers import D, fig, tgt

pytestmark = pytest.mark.django_db

XT = "130500"


@pytest.fixture
def plan(catalog):
    plan = Plan.objects.create(
        name="邢台市质量兴市2011-2015",
        region=Region.objects.get(code=XT),
        base_year=2010,
        start_year=2011,
        end_year=2015,
    )
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    for year, value in [(2010, 90), (2011, 91), (2012, 92), (2013, 93)]:
        fig(XT, "PQ_SAMPLING_PASS", year, value)
    tgt(XT, "PQ_GRADE_RATE", 2015, 85, plan=plan)
    for year, value in [(2010, 80), (2011, 82), (2012, 84)]:
        fig(XT, "PQ_GRADE_RATE", year, value)
    tgt(XT, "EN_LUBAN_AWARDS", 2015, 7, plan=plan)
    for year, value in [(2010, 1), (2011, 3), (2012, 2), (2013, 5)]:
        fig(XT, "EN_LUBAN_AWARDS", year, value)
    tgt(XT, "EN_MAJOR_ACCIDENTS", 2015, 1, plan=plan)  # <= 1; a sum indicator, from the counties
    for year in (2010, 2011, 2012):
        fig("130521", "EN_MAJOR_ACCIDENTS", year, 2)
        fig("130522", "EN_MAJOR_ACCIDENTS", year, 1)
    tgt(XT, "BR_CHINA_TOP_BRAND", 2015, 10, plan=plan)
    fig(XT, "BR_CHINA_TOP_BRAND", 2012, 6)
    plan_generate_milestones(plan=plan)  # milestones are not horizon targets
    return plan


def by_indicator(rows):
    return {r.target.indicator.code: r for r in rows}


def test_each_horizon_target_is_projected_by_least_squares(plan, region):
    rows = by_indicator(at_risk_targets(region=region(XT)))
    assert set(rows) == {
        "PQ_SAMPLING_PASS",
        "PQ_GRADE_RATE",
        "EN_LUBAN_AWARDS",
        "EN_MAJOR_ACCIDENTS",
        "BR_CHINA_TOP_BRAND",
    }

    # 90, 91, 92, 93 lie on y = 90 + (x - 2010): 2015 -> 95 < 98, at risk by 3.
    sampling = rows["PQ_SAMPLING_PASS"]
    assert (sampling.projected, sampling.at_risk, sampling.gap) == (D(95), True, D(3))
    assert sampling.years == [2010, 2011, 2012, 2013]
    # 80, 82, 84: slope 2 -> 2015: 90 >= 85, on track (gap -5).
    grade = rows["PQ_GRADE_RATE"]
    assert (grade.projected, grade.status, grade.gap) == (D(90), "on_track", D(-5))
    # 1, 3, 2, 5: x̄ = 2011.5, ȳ = 2.75, Sxx = 5, Sxy = 5.5, slope 1.1 -> 2.75 + 1.1 * 3.5 = 6.6 < 7.
    luban = rows["EN_LUBAN_AWARDS"]
    assert (luban.projected, luban.at_risk, luban.gap) == (D("6.6"), True, D("0.4"))
    # Lower is better: the counties' 2 + 1 = 3 every year -> 3 > 1, at risk by 2.
    accidents = rows["EN_MAJOR_ACCIDENTS"]
    assert (accidents.projected, accidents.at_risk, accidents.gap) == (D(3), True, D(2))
    # One year of actuals determines no line.
    assert rows["BR_CHINA_TOP_BRAND"].status == "insufficient"


def test_at_risk_rows_come_first_largest_relative_gap_first(plan, region):
    rows = at_risk_targets(region=region(XT))
    assert [r.target.indicator.code for r in rows if r.at_risk] == [
        "EN_MAJOR_ACCIDENTS",  # 2 / 1 = 200 %
        "EN_LUBAN_AWARDS",  # 0.4 / 7 = 5.7 %
        "PQ_SAMPLING_PASS",  # 3 / 98 = 3.1 %
    ]
    assert rows[-1].status == "insufficient"


def test_as_of_uses_only_the_actuals_known_by_then(plan, region):
    rows = by_indicator(at_risk_targets(region=region(XT), as_of=2012))
    # 1, 3, 2 for 2010-2012: slope 0.5 -> 2 + 0.5 * 4 = 4, gap 3.
    assert (rows["EN_LUBAN_AWARDS"].projected, rows["EN_LUBAN_AWARDS"].gap) == (D(4), D(3))
    assert rows["EN_LUBAN_AWARDS"].years == [2010, 2011, 2012]


def test_the_page_lists_targets_projected_to_be_missed(plan, client):
    client.force_login(make_user(XT, "leader"))
    response = client.get(f"/scores/{XT}/at-risk/")
    assert response.status_code == 200
    body = response.content.decode()
    risky, on_track = body.split("预计可以完成", 1)
    assert "预计无法完成（3）" in risky
    assert 'data-indicator="PQ_SAMPLING_PASS"' in risky and 'class="num projected">95<' in risky
    assert 'data-indicator="PQ_GRADE_RATE"' in on_track
    assert 'data-indicator="PQ_GRADE_RATE"' not in risky


def test_the_page_is_refused_outside_the_users_subtree(plan, client):
    client.force_login(make_user("130300", "leader"))  # 秦皇岛市
    assert client.get(f"/scores/{XT}/at-risk/").status_code == 403
    assert client.get("/scores/999999/at-risk/").status_code == 404
