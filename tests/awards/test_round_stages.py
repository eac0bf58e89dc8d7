"""Stages of a quality award application: every legal move works, every other one is refused."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from awards import rounds
from awards.models import ApplicationEvent, Objection, Stage
from awards.rounds import TRANSITIONS
from tests.awards.conftest import CITY, COUNTY_A, NOTICE_END, NOTICE_START
from tests.factories import make_user

pytestmark = pytest.mark.django_db

AFTER_NOTICE = NOTICE_END + dt.timedelta(days=1)
LEGAL = [(src, dst) for src, targets in TRANSITIONS.items() for dst in targets]
ILLEGAL = [(src, dst) for src in Stage.values for dst in Stage.values if dst not in TRANSITIONS[src]]


def test_the_transition_table_is_the_documented_one():
    assert TRANSITIONS == {
        "submitted": ("qualification",),
        "qualification": ("document_review", "rejected"),
        "document_review": ("onsite_review", "rejected"),
        "onsite_review": ("public_notice", "rejected"),
        "public_notice": ("awarded", "rejected"),
        "awarded": (),
        "rejected": (),
    }
    assert len(LEGAL) == 9 and len(ILLEGAL) == 49 - 9


@pytest.mark.parametrize(("src", "dst"), LEGAL)
def test_every_legal_transition_works(src, dst, apply, advance, score_all, bureau):
    application = advance(apply(), src)
    assert application.stage == src
    if dst == Stage.ONSITE_REVIEW:
        score_all(application, Stage.DOCUMENT_REVIEW, [0.8, 0.7, 0.75])
    if dst == Stage.PUBLIC_NOTICE:
        score_all(application, Stage.ONSITE_REVIEW, [0.8, 0.7])
    moved = rounds.application_transition(
        user=bureau,
        application=application,
        to_stage=dst,
        note="理由" if dst == Stage.REJECTED else "",
        notice_start=NOTICE_START,
        notice_end=NOTICE_END,
        today=AFTER_NOTICE,
    )
    assert moved.stage == dst
    event = ApplicationEvent.objects.filter(application=application).last()
    assert (event.from_stage, event.to_stage, event.by) == (src, dst, bureau)


@pytest.mark.parametrize(("src", "dst"), ILLEGAL)
def test_every_illegal_transition_is_refused_with_a_message(src, dst, apply, advance, bureau):
    application = advance(apply(), src)
    with pytest.raises(ValidationError) as info:
        rounds.application_transition(
            user=bureau,
            application=application,
            to_stage=dst,
            note="理由",
            notice_start=NOTICE_START,
            notice_end=NOTICE_END,
            today=AFTER_NOTICE,
        )
    message = info.value.messages[0]
    if TRANSITIONS[src]:
        assert message.startswith(f"不能从“{Stage(src).label}”转到“{Stage(dst).label}”：下一步只能是")
    else:
        assert "评审已结束" in message
    application.refresh_from_db()
    assert application.stage == src


def test_an_unknown_stage_is_refused(apply, bureau):
    with pytest.raises(ValidationError, match="未知阶段“won”"):
        rounds.application_transition(user=bureau, application=apply(), to_stage="won")


def test_qualification_needs_the_self_assessment_report(apply, advance, bureau):
    application = advance(apply(report=False), Stage.QUALIFICATION)
    with pytest.raises(ValidationError, match="尚未上传自评报告"):
        rounds.application_transition(user=bureau, application=application, to_stage=Stage.DOCUMENT_REVIEW)


def test_onsite_review_needs_every_document_reviewer_and_the_pass_mark(
    apply, advance, score_all, bureau, experts
):
    application = advance(apply(), Stage.DOCUMENT_REVIEW)
    go = {"user": bureau, "application": application, "to_stage": Stage.ONSITE_REVIEW}
    with pytest.raises(ValidationError, match="材料评审尚未指派评审员"):
        rounds.application_transition(**go)
    score_all(application, Stage.DOCUMENT_REVIEW, [0.8, 0.7])
    rounds.review_assign(
        user=bureau, application=application, reviewer=experts[2], stage=Stage.DOCUMENT_REVIEW
    )
    with pytest.raises(ValidationError, match="还有 1 名评审员未提交评分"):
        rounds.application_transition(**go)
    score_all(application, Stage.DOCUMENT_REVIEW, [0.8, 0.7, 0.0])  # mean (800 + 700 + 0) / 3 = 500
    assert rounds.application_transition(**go).stage == Stage.ONSITE_REVIEW  # the pass mark itself passes


def test_below_the_pass_mark_only_rejection_is_possible(apply, advance, score_all, bureau):
    application = advance(apply(), Stage.DOCUMENT_REVIEW)
    score_all(application, Stage.DOCUMENT_REVIEW, [0.5, 0.49, 0.5])  # 500, 490, 500 -> 496.67 < 500
    with pytest.raises(ValidationError, match=re.escape("材料评审平均分 496.67 低于合格分 500.00")):
        rounds.application_transition(user=bureau, application=application, to_stage=Stage.ONSITE_REVIEW)
    rejected = rounds.application_transition(
        user=bureau, application=application, to_stage=Stage.REJECTED, note="材料评审未达合格分"
    )
    assert rejected.stage == Stage.REJECTED and rejected.decision_note == "材料评审未达合格分"


def test_the_public_notice_needs_ordered_dates(apply, advance, score_all, bureau):
    application = advance(apply(), Stage.ONSITE_REVIEW)
    score_all(application, Stage.ONSITE_REVIEW, [0.8, 0.7])
    go = {"user": bureau, "application": application, "to_stage": Stage.PUBLIC_NOTICE}
    with pytest.raises(ValidationError, match="须填写公示开始和结束日期"):
        rounds.application_transition(**go)
    with pytest.raises(ValidationError, match="结束日期 2025-09-30 早于开始日期 2025-10-01"):
        rounds.application_transition(**go, notice_start=NOTICE_START, notice_end=dt.date(2025, 9, 30))
    moved = rounds.application_transition(**go, notice_start=NOTICE_START, notice_end=NOTICE_END)
    assert (moved.notice_start, moved.notice_end) == (NOTICE_START, NOTICE_END)


def test_award_only_after_the_notice_ends(apply, advance, bureau):
    application = advance(apply(), Stage.PUBLIC_NOTICE)
    go = {"user": bureau, "application": application, "to_stage": Stage.AWARDED}
    with pytest.raises(ValidationError, match="公示期至 2025-10-07 结束，公示期满后才能授奖"):
        rounds.application_transition(**go, today=NOTICE_END)
    assert rounds.application_transition(**go, today=AFTER_NOTICE).stage == Stage.AWARDED


def test_award_refused_while_an_objection_is_pending_or_upheld(apply, advance, bureau):
    application = advance(apply(), Stage.PUBLIC_NOTICE)
    objection = rounds.objection_record(
        user=bureau,
        application=application,
        received_on=dt.date(2025, 10, 3),
        content="反映该企业曾发生质量事故",
    )
    go = {"user": bureau, "application": application, "to_stage": Stage.AWARDED, "today": AFTER_NOTICE}
    with pytest.raises(ValidationError, match="还有 1 项公示异议未处理"):
        rounds.application_transition(**go)
    rounds.objection_decide(
        user=bureau, objection=objection, outcome=Objection.Outcome.UPHELD, note="经核实属实"
    )
    with pytest.raises(ValidationError, match="公示期间有异议成立，不能授奖"):
        rounds.application_transition(**go)
    assert (
        rounds.application_transition(
            user=bureau, application=application, to_stage=Stage.REJECTED, note="异议成立"
        ).stage
        == Stage.REJECTED
    )


def test_a_dismissed_objection_does_not_block_the_award(apply, advance, bureau):
    application = advance(apply(), Stage.PUBLIC_NOTICE)
    objection = rounds.objection_record(
        user=bureau, application=application, received_on=NOTICE_END, objector="匿名", content="质疑数据"
    )
    rounds.objection_decide(
        user=bureau, objection=objection, outcome=Objection.Outcome.DISMISSED, note="经核实不属实"
    )
    objection.refresh_from_db()
    assert objection.decided_by == bureau and objection.decided_on is not None
    awarded = rounds.application_transition(
        user=bureau, application=application, to_stage=Stage.AWARDED, today=AFTER_NOTICE
    )
    assert awarded.stage == Stage.AWARDED


def test_objections_only_during_the_notice_and_within_its_dates(apply, advance, bureau):
    application = advance(apply(), Stage.ONSITE_REVIEW)
    with pytest.raises(ValidationError, match="只有处于公示阶段的申报才能登记异议"):
        rounds.objection_record(user=bureau, application=application, received_on=NOTICE_START, content="x")
    application = advance(apply(), Stage.PUBLIC_NOTICE)
    with pytest.raises(ValidationError, match="不在公示期 2025-10-01 至 2025-10-07 内"):
        rounds.objection_record(
            user=bureau, application=application, received_on=dt.date(2025, 10, 8), content="x"
        )
    objection = rounds.objection_record(
        user=bureau, application=application, received_on=NOTICE_START, content="x"
    )
    with pytest.raises(ValidationError, match="请填写处理说明"):
        rounds.objection_decide(user=bureau, objection=objection, outcome=Objection.Outcome.UPHELD, note=" ")
    with pytest.raises(ValidationError, match="处理结果须为"):
        rounds.objection_decide(user=bureau, objection=objection, outcome=Objection.Outcome.PENDING, note="x")


def test_rejection_needs_a_reason(apply, advance, bureau):
    application = advance(apply(), Stage.QUALIFICATION)
    with pytest.raises(ValidationError, match="作未获奖处理须填写理由"):
        rounds.application_transition(
            user=bureau, application=application, to_stage=Stage.REJECTED, note="  "
        )


@pytest.mark.parametrize(
    ("region_code", "roles"),
    [(CITY, ("leader",)), (CITY, ("staff",)), (COUNTY_A, ("reviewer",)), (CITY, ())],
)
def test_only_the_bureau_running_the_round_moves_applications(region_code, roles, apply):
    application = apply()
    outsider = make_user(region_code, *roles)
    with pytest.raises(PermissionDenied):
        rounds.application_transition(user=outsider, application=application, to_stage=Stage.QUALIFICATION)
    application.refresh_from_db()
    assert application.stage == Stage.SUBMITTED


def test_applications_only_from_the_rounds_region_and_while_it_accepts(rnd, bureau, make_enterprise):
    from awards.models import Application

    with pytest.raises(ValidationError, match="不在 邢台市 辖区内"):
        rounds.application_create(
            user=bureau,
            rnd=rnd,
            enterprise=make_enterprise("130302"),
            category=Application.Category.ORGANISATION,
        )
    with pytest.raises(ValidationError, match="个人奖须填写申报人姓名"):
        rounds.application_create(
            user=bureau,
            rnd=rnd,
            enterprise=make_enterprise(COUNTY_A),
            category=Application.Category.INDIVIDUAL,
        )
    rounds.round_update(user=bureau, rnd=rnd, accepting_applications=False)
    with pytest.raises(ValidationError, match="已停止受理申报"):
        rounds.application_create(
            user=bureau,
            rnd=rnd,
            enterprise=make_enterprise(COUNTY_A),
            category=Application.Category.ORGANISATION,
        )
