"""assessments.freeze: which (region, year) is frozen, the refusal, its log line and audit row."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from accounts import policy
from assessments import freeze, services
from assessments.models import Assessment, AssessmentRegion, FrozenAttempt, Stage
from indicators.models import Region, ScoringScheme
from tests.assessments.conftest import JULU, NINGJIN, YEAR
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _province_assessment(stage: str, covered: list[str]) -> Assessment:
    """河北省 assessing some of its cities (built directly: only the stage matters here)."""
    assessment = Assessment.objects.create(
        name="河北省2015年度质量工作考核",
        assessing_region=Region.objects.get(code="130000"),
        scheme=ScoringScheme.objects.get(is_default=True),
        year=YEAR,
        window_start=dt.date(2015, 7, 1),
        window_end=dt.date(2016, 6, 30),
        stage=stage,
        version=1 if stage == Stage.PUBLISHED else 0,
    )
    for code in covered:
        AssessmentRegion.objects.create(
            assessment=assessment, region=Region.objects.get(code=code), stage=stage
        )
    return assessment


def _frozen(code: str, year: int = YEAR) -> bool:
    return freeze.is_frozen(region_id=Region.objects.get(code=code).pk, year=year)


def test_publishing_freezes_the_assessing_region_covered_regions_and_their_descendants(catalog):
    _province_assessment(Stage.PUBLISHED, ["130500"])  # 邢台市 only
    assert _frozen("130000")  # the assessing region
    assert _frozen("130500")  # a covered region
    assert _frozen("130528")  # below a covered region
    assert not _frozen("130700")  # 张家口市: not covered
    assert not _frozen("130528", YEAR + 1)  # another year
    assert not _frozen("210700")  # another province


def test_nothing_is_frozen_before_publication_or_after_reopening(catalog):
    assessment = _province_assessment(Stage.FINAL, ["130500"])
    assert not _frozen("130528")
    assessment.stage = Stage.PUBLISHED
    assessment.save()
    assert _frozen("130528")
    assessment.stage = Stage.FINAL  # what assessment_reopen does
    assessment.save()
    assert not _frozen("130528")


def test_the_check_costs_one_query_when_nothing_of_that_year_is_published(catalog, django_assert_num_queries):
    _province_assessment(Stage.PUBLISHED, ["130500"])
    pairs = [(r.pk, YEAR + 1) for r in Region.objects.filter(parent__code="130500")]
    with django_assert_num_queries(1):
        assert freeze.frozen_pairs(pairs) == {}


def test_a_refused_write_raises_the_message_logs_and_stores_who_what_when(catalog, caplog):
    assessment = _province_assessment(Stage.PUBLISHED, ["130500"])
    user = make_user("130500", "staff", username="xt_clerk")
    ningjin = Region.objects.get(code=NINGJIN)
    with caplog.at_level(logging.WARNING, logger="assessments.freeze"), pytest.raises(freeze.Frozen) as exc:
        freeze.ensure_not_frozen(region_id=ningjin.pk, year=YEAR, what="修改年度数据 宁晋县", user=user)
    assert str(exc.value) == freeze.FROZEN_MESSAGE
    assert (
        freeze.FROZEN_MESSAGE
        == "该年度考核结果已发布，数据已冻结；如需更正，请由管理员重新开启考核并说明原因"
    )
    assert isinstance(exc.value, PermissionDenied)
    assert any(
        "修改年度数据 宁晋县" in r.getMessage() and "xt_clerk" in r.getMessage() for r in caplog.records
    )
    attempt = FrozenAttempt.objects.get()
    assert (
        attempt.user,
        attempt.username,
        attempt.what,
        attempt.region,
        attempt.year,
        attempt.assessment,
    ) == (
        user,
        "xt_clerk",
        "修改年度数据 宁晋县",
        ningjin,
        YEAR,
        assessment,
    )
    assert attempt.channel == FrozenAttempt.Channel.COMMAND and attempt.at is not None


def test_the_audit_row_survives_the_rollback_of_the_refused_transaction(catalog):
    _province_assessment(Stage.PUBLISHED, ["130500"])
    ningjin = Region.objects.get(code=NINGJIN)

    @transaction.atomic
    def a_write_service():
        freeze.ensure_not_frozen(region_id=ningjin.pk, year=YEAR, what="导入年度数据", user=policy.SYSTEM)
        raise AssertionError("never reached")

    with pytest.raises(freeze.Frozen):
        a_write_service()
    # The service's transaction rolled back; the attempt is written again on the next statement.
    attempt = FrozenAttempt.objects.get()
    assert (attempt.username, attempt.what, attempt.user) == ("系统", "导入年度数据", None)


def test_many_pairs_store_one_row_per_frozen_pair(catalog):
    _province_assessment(Stage.PUBLISHED, ["130500"])
    pairs = [(Region.objects.get(code=c).pk, YEAR) for c in (NINGJIN, JULU, "130700")]
    with pytest.raises(freeze.Frozen):
        freeze.ensure_none_frozen(pairs=pairs, what="批量审核")
    assert sorted(FrozenAttempt.objects.values_list("region__code", flat=True)) == [NINGJIN, JULU]


def test_the_cycles_own_writes_are_refused_after_publication(cycle):
    cycle.publish()
    with pytest.raises(freeze.Frozen):
        services.item_self_score(
            actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN), item=cycle.item, points="1", reason="改分"
        )
    with pytest.raises(freeze.Frozen):
        services.county_review_return(actor=cycle.users["reviewer"], row=cycle.row(JULU), reason="再查")
    assert cycle.row(JULU).stage == Stage.PUBLISHED
    assert FrozenAttempt.objects.filter(assessment=cycle.assessment).count() == 2
