"""Milestone targets: interpolated from the base-year actual, stored, editable, never clobbered."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators.models import Figure, Plan, Region, Target, TargetScore
from indicators.scoring_service import compute_scores
from indicators.targets import MILESTONE_NOTE, MILESTONE_NOTE_NO_BASE, plan_generate_milestones
from tests.indicators.scoring_helpers import D, fig, tgt

pytestmark = pytest.mark.django_db

XT = "130500"


@pytest.fixture
def plan(catalog):
    return Plan.objects.create(
        name="邢台市质量兴市2011-2015",
        region=Region.objects.get(code=XT),
        base_year=2010,
        start_year=2011,
        end_year=2015,
    )


def values(indicator: str, region: str = XT) -> dict[int, object]:
    return dict(
        Target.objects.filter(region__code=region, indicator__code=indicator)
        .order_by("year")
        .values_list("year", "value")
    )


def test_milestones_are_interpolated_linearly_from_the_base_year_actual(plan):
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 93)
    tgt(XT, "PQ_GRADE_RATE", 2015, 85, plan=plan)
    fig(XT, "PQ_GRADE_RATE", 2010, "83.49")

    result = plan_generate_milestones(plan=plan)

    assert result.created == 8
    # 93 + (98 - 93) * (y - 2010) / 5: 94, 95, 96, 97; the horizon keeps 98.
    assert values("PQ_SAMPLING_PASS") == {2011: D(94), 2012: D(95), 2013: D(96), 2014: D(97), 2015: D(98)}
    # 83.49 + 1.51 * k / 5 = 83.792, 84.094, 84.396, 84.698
    assert values("PQ_GRADE_RATE") == {
        2011: D("83.792"),
        2012: D("84.094"),
        2013: D("84.396"),
        2014: D("84.698"),
        2015: D(85),
    }
    milestone = Target.objects.get(region__code=XT, indicator__code="PQ_SAMPLING_PASS", year=2012)
    assert milestone.is_milestone and milestone.plan == plan and milestone.note == MILESTONE_NOTE
    assert milestone.history.count() == 1  # created with a history row, like every target change


def test_without_a_base_actual_the_horizon_value_applies_to_every_year(plan):
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 90, status=Figure.Status.DRAFT)  # a draft is no actual

    result = plan_generate_milestones(plan=plan)

    assert values("PQ_SAMPLING_PASS") == {y: D(98) for y in range(2011, 2016)}
    assert result.without_base == ["邢台市 产品质量监督抽查合格率"]
    assert Target.objects.get(region__code=XT, year=2013, indicator__code="PQ_SAMPLING_PASS").note == (
        MILESTONE_NOTE_NO_BASE
    )


def test_a_sum_indicator_base_is_the_counties_total_and_rules_are_copied(plan):
    tgt(XT, "EN_MAJOR_ACCIDENTS", 2015, 0, plan=plan, weight=8, rule="threshold", veto=True)
    fig("130521", "EN_MAJOR_ACCIDENTS", 2010, 1)
    fig("130522", "EN_MAJOR_ACCIDENTS", 2010, 2)

    plan_generate_milestones(plan=plan)

    # base 1 + 2 = 3 -> 3 + (0 - 3) * k / 5 = 2.4, 1.8, 1.2, 0.6
    assert values("EN_MAJOR_ACCIDENTS") == {
        2011: D("2.4"),
        2012: D("1.8"),
        2013: D("1.2"),
        2014: D("0.6"),
        2015: D(0),
    }
    m = Target.objects.get(region__code=XT, indicator__code="EN_MAJOR_ACCIDENTS", year=2013)
    assert (m.comparator, m.weight, m.rule, m.veto) == ("<=", D(8), "threshold", True)


def test_an_edited_milestone_is_kept_unless_replace_is_asked_for(plan):
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 93)
    plan_generate_milestones(plan=plan)
    edited = Target.objects.get(region__code=XT, indicator__code="PQ_SAMPLING_PASS", year=2012)
    edited.value = D("95.5")
    edited.save()

    again = plan_generate_milestones(plan=plan)
    assert (again.created, again.updated, again.kept) == (0, 0, 4)
    assert values("PQ_SAMPLING_PASS")[2012] == D("95.5")

    replaced = plan_generate_milestones(plan=plan, replace=True)
    assert replaced.updated == 1
    assert values("PQ_SAMPLING_PASS")[2012] == D(95)


def test_hand_entered_and_other_plans_targets_are_never_overwritten(plan):
    other = Plan.objects.create(
        name="另一规划", region=plan.region, base_year=2010, start_year=2011, end_year=2013
    )
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 93)
    tgt(XT, "PQ_SAMPLING_PASS", 2012, 99, plan=other)
    tgt(XT, "PQ_SAMPLING_PASS", 2013, 97.5)  # entered by hand, no plan

    result = plan_generate_milestones(plan=plan, replace=True)

    assert values("PQ_SAMPLING_PASS") == {2011: D(94), 2012: D(99), 2013: D("97.5"), 2014: D(97), 2015: D(98)}
    assert len(result.conflicts) == 2
    assert "另一规划" in result.conflicts[0]


def test_milestones_are_the_targets_scored_in_their_year(plan, region):
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 93)
    fig(XT, "PQ_SAMPLING_PASS", 2012, 95)
    plan_generate_milestones(plan=plan)
    compute_scores(year=2012, region=region(XT))
    row = TargetScore.objects.get(region__code=XT, year=2012, basis="verified")
    assert (row.target, row.status, row.points) == (D(95), "met", D(4))


def test_the_command_generates_and_reports(plan, capsys):
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    tgt(XT, "BR_CHINA_TOP_BRAND", 2015, 10, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 93)
    call_command("generate_milestones", "--plan", plan.name)
    out = capsys.readouterr().out
    assert "新增 8" in out
    assert "无基期实际值：邢台市 中国名牌产品" in out
    with pytest.raises(CommandError, match="规划不存在"):
        call_command("generate_milestones", "--plan", "没有这个规划")


def test_the_admin_action_generates_milestones(plan, client):
    from django.contrib.auth.models import User

    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 93)
    client.force_login(User.objects.create_superuser("root", "r@example.invalid", "x-Very-long-pass-1"))
    response = client.post(
        "/admin/indicators/plan/",
        {"action": "generate_milestones", "_selected_action": [plan.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "新增 4" in response.content.decode()
    assert values("PQ_SAMPLING_PASS")[2013] == D(96)
