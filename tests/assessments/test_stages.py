"""Stage rules: order, who may move, deadlines and lateness, the log of every move."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts import policy
from assessments import services
from assessments.models import Assessment, AssessmentRegion, Stage, StageTransition
from indicators.models import Region
from tests.assessments.conftest import JULU, NINGJIN, YEAR
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _stages(cycle) -> tuple[str, set[str]]:
    return cycle.refresh().stage, {cycle.row(c).stage for c in cycle.counties}


def test_it_defaults_the_window_to_1_july_until_30_june_and_covers_the_direct_children(catalog):
    city = Region.objects.get(code="130500")
    reviewer = make_user("130500", "reviewer")
    assessment = services.assessment_create(actor=reviewer, assessing_region=city, year=2016)
    assert (assessment.window_start, assessment.window_end) == (dt.date(2016, 7, 1), dt.date(2017, 6, 30))
    covered = set(
        AssessmentRegion.objects.filter(assessment=assessment).values_list("region__code", flat=True)
    )
    assert covered == set(Region.objects.filter(parent=city).values_list("code", flat=True))
    assert "130528" in covered and assessment.stage == Stage.FILING and assessment.version == 0


def test_it_refuses_deadlines_outside_the_window_or_out_of_order(catalog):
    city = Region.objects.get(code="130500")
    reviewer = make_user("130500", "reviewer")
    with pytest.raises(services.AssessmentError, match="不在考核周期"):
        services.assessment_create(
            actor=reviewer, assessing_region=city, year=2016, deadlines={Stage.SELF: dt.date(2018, 1, 1)}
        )
    with pytest.raises(services.AssessmentError, match="不能早于"):
        services.assessment_create(
            actor=reviewer,
            assessing_region=city,
            year=2016,
            deadlines={Stage.FILING: dt.date(2016, 9, 1), Stage.SELF: dt.date(2016, 8, 1)},
        )
    assert not Assessment.objects.filter(assessing_region=city, year=2016).exists()


def test_only_the_assessing_regions_reviewers_create_an_assessment(catalog):
    city = Region.objects.get(code="130500")
    with pytest.raises(PermissionDenied):
        services.assessment_create(actor=make_user("130528", "reviewer"), assessing_region=city, year=2016)
    with pytest.raises(PermissionDenied):
        services.assessment_create(actor=make_user("130500", "staff"), assessing_region=city, year=2016)
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("to_stage", "message"),
    [
        (Stage.VERIFICATION, "直接进入"),  # skipping 材料审核
        (Stage.PUBLISHED, "发布通报"),  # publication only through publishing
        (Stage.FILING, "退回"),  # going back
        ("bogus", "未知的考核阶段"),
    ],
)
def test_illegal_assessment_moves_are_refused_with_a_message(cycle, to_stage, message):
    cycle.file_and_accept()  # now in 自评
    count = StageTransition.objects.count()
    with pytest.raises(services.StageError, match=message):
        services.assessment_advance(
            actor=cycle.users["reviewer"], assessment=cycle.assessment, to_stage=to_stage
        )
    assert cycle.refresh().stage == Stage.SELF
    assert StageTransition.objects.count() == count


def test_the_city_cannot_move_on_while_a_county_has_not_finished_the_stage(cycle):
    services.county_file_targets(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))
    services.county_accept_targets(actor=cycle.users["reviewer"], row=cycle.row(NINGJIN))
    with pytest.raises(services.StageError, match="以下地区尚未完成“目标备案”：巨鹿县"):
        services.assessment_advance(
            actor=cycle.users["reviewer"], assessment=cycle.assessment, to_stage=Stage.SELF
        )
    assert _stages(cycle) == (Stage.FILING, {Stage.FILING, Stage.SELF})


def test_a_county_cannot_act_on_a_stage_the_city_has_not_opened(cycle):
    services.county_file_targets(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))
    services.county_accept_targets(actor=cycle.users["reviewer"], row=cycle.row(NINGJIN))
    cycle.enter_figures(NINGJIN)
    with pytest.raises(services.StageError, match="尚未进入“自评”阶段"):
        services.item_self_score(
            actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN), item=cycle.item, points="8", reason="已开展"
        )
    with pytest.raises(services.StageError, match="尚未进入“自评”阶段"):
        services.county_submit_self(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))
    assert cycle.row(NINGJIN).stage == Stage.SELF


def test_a_county_cannot_accept_its_own_filing_or_file_twice(cycle):
    row = services.county_file_targets(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))
    with pytest.raises(PermissionDenied):
        services.county_accept_targets(actor=cycle.staff(NINGJIN), row=row)
    with pytest.raises(services.StageError, match="已提交目标备案"):
        services.county_file_targets(actor=cycle.staff(NINGJIN), row=row)
    with pytest.raises(PermissionDenied):  # another county's staff
        services.county_file_targets(actor=cycle.staff(JULU), row=cycle.row(NINGJIN))


def test_accepting_targets_needs_a_filing_and_filing_needs_targets(cycle):
    with pytest.raises(services.StageError, match="尚未提交目标备案"):
        services.county_accept_targets(actor=cycle.users["reviewer"], row=cycle.row(NINGJIN))
    cycle.counties[NINGJIN].target_set.all().delete()
    with pytest.raises(services.AssessmentError, match="尚无考核目标"):
        services.county_file_targets(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))


def test_the_self_assessment_is_refused_until_figures_and_items_are_complete(cycle):
    cycle.file_and_accept()
    cycle.enter_figures(NINGJIN, submit=False)
    with pytest.raises(services.AssessmentError) as exc:
        services.county_submit_self(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))
    assert "尚未提交" in exc.value.message and "未自评" in exc.value.message
    assert cycle.row(NINGJIN).stage == Stage.SELF


def test_review_returns_the_county_to_self_assessment_with_the_reason(cycle):
    cycle.to_review()
    with pytest.raises(services.AssessmentError, match="须填写原因"):
        services.county_review_return(actor=cycle.users["reviewer"], row=cycle.row(JULU), reason=" ")
    row = services.county_review_return(
        actor=cycle.users["reviewer"], row=cycle.row(JULU), reason="缺少抽检报告原件"
    )
    assert (row.stage, row.returns_count, row.return_reason) == (Stage.SELF, 1, "缺少抽检报告原件")
    log = StageTransition.objects.filter(assessment=cycle.assessment, region=row.region).last()
    assert (log.kind, log.from_stage, log.to_stage, log.reason, log.by) == (
        "review_return",
        Stage.REVIEW,
        Stage.SELF,
        "缺少抽检报告原件",
        cycle.users["reviewer"],
    )
    # The city cannot open 现场核查 while 巨鹿县 is back in 自评.
    services.county_review_pass(actor=cycle.users["reviewer"], row=cycle.row(NINGJIN))
    cycle.assign_groups()
    with pytest.raises(services.StageError, match="巨鹿县"):
        services.assessment_advance(
            actor=cycle.users["reviewer"], assessment=cycle.assessment, to_stage=Stage.VERIFICATION
        )


def test_verification_cannot_open_before_every_county_has_a_group(cycle):
    cycle.to_review()
    for code in cycle.counties:
        services.county_review_pass(actor=cycle.users["reviewer"], row=cycle.row(code))
    with pytest.raises(services.StageError, match="尚未分配现场核查组"):
        services.assessment_advance(
            actor=cycle.users["reviewer"], assessment=cycle.assessment, to_stage=Stage.VERIFICATION
        )


def test_publishing_is_refused_before_sign_off_and_outside_the_final_stage(cycle):
    cycle.to_verification()
    with pytest.raises(services.StageError, match="须完成“综合评定”签批"):
        services.assessment_publish(actor=cycle.users["reviewer"], assessment=cycle.assessment)
    with pytest.raises(services.StageError, match="只有“综合评定”阶段可以签批"):
        services.assessment_sign_off(actor=cycle.users["reviewer"], assessment=cycle.assessment)
    cycle.verify(NINGJIN)
    cycle.verify(JULU)
    services.assessment_advance(
        actor=cycle.users["reviewer"], assessment=cycle.assessment, to_stage=Stage.FINAL
    )
    with pytest.raises(services.StageError, match="尚未签批"):
        services.assessment_publish(actor=cycle.users["reviewer"], assessment=cycle.assessment)
    assert cycle.refresh().stage == Stage.FINAL and cycle.assessment.version == 0


def test_publishing_is_refused_when_the_data_changed_after_sign_off(cycle):
    cycle.to_final()
    services.assessment_sign_off(actor=cycle.users["reviewer"], assessment=cycle.assessment)
    from indicators.models import ItemScore

    ItemScore.objects.filter(region__code=JULU, item=cycle.item).update(verified_points=Decimal("1"))
    with pytest.raises(services.AssessmentError, match="签批后考核数据发生了变化"):
        services.assessment_publish(actor=cycle.users["reviewer"], assessment=cycle.assessment)
    assert cycle.refresh().stage == Stage.FINAL


def test_a_published_assessment_cannot_be_moved_or_published_again(cycle):
    cycle.publish()
    with pytest.raises(services.StageError, match="重新开启"):
        services.assessment_advance(
            actor=cycle.users["reviewer"], assessment=cycle.assessment, to_stage=Stage.FINAL
        )
    with pytest.raises(services.StageError, match="已发布"):
        services.assessment_publish(actor=cycle.users["reviewer"], assessment=cycle.assessment)


def test_a_submission_after_the_stage_deadline_is_marked_late(cycle):
    today = timezone.localdate()
    services.assessment_set_deadlines(
        actor=cycle.users["reviewer"],
        assessment=cycle.assessment,
        deadlines={Stage.FILING: today - dt.timedelta(days=3), Stage.SELF: today + dt.timedelta(days=5)},
    )
    late = services.county_file_targets(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))
    assert late.filing_late is True
    log = StageTransition.objects.get(assessment=cycle.assessment, region__code=NINGJIN, kind="file")
    assert (log.late, log.days_late, log.by) == (True, 3, cycle.staff(NINGJIN))

    services.assessment_set_deadlines(
        actor=cycle.users["reviewer"],
        assessment=cycle.assessment,
        deadlines={Stage.FILING: today, Stage.SELF: today + dt.timedelta(days=5)},
    )
    on_time = services.county_file_targets(actor=cycle.staff(JULU), row=cycle.row(JULU))
    assert on_time.filing_late is False
    assert (
        StageTransition.objects.get(assessment=cycle.assessment, region__code=JULU, kind="file").late is False
    )


def test_every_move_records_who_and_when(cycle):
    before = timezone.now()
    cycle.file_and_accept()
    moves = list(StageTransition.objects.filter(assessment=cycle.assessment).order_by("at", "id"))
    assert [(m.kind, m.region.code if m.region else None, m.by.username) for m in moves] == [
        ("file", NINGJIN, "nj_staff"),
        ("accept", NINGJIN, "xt_quality"),
        ("file", JULU, "jl_staff"),
        ("accept", JULU, "xt_quality"),
        ("advance", None, "xt_quality"),
    ]
    assert all(before <= m.at <= timezone.now() for m in moves)
    assert moves[-1].from_stage == Stage.FILING and moves[-1].to_stage == Stage.SELF


def test_the_system_actor_is_recorded_as_system(cycle):
    services.county_file_targets(actor=policy.SYSTEM, row=cycle.row(NINGJIN))
    log = StageTransition.objects.get(assessment=cycle.assessment, region__code=NINGJIN)
    assert (log.by, log.by_name) == (None, "系统")
    assert cycle.assessment.year == YEAR
