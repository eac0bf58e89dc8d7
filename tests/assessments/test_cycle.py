"""A full cycle for two counties: 目标备案 -> 自评 -> 材料审核 -> 现场核查 -> 综合评定 -> 通报."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from assessments.models import (
    Finding,
    Publication,
    PublishedRegionScore,
    PublishedTargetScore,
    Stage,
    StageTransition,
)
from indicators import scoring
from indicators.models import Figure, Indicator, ItemScore, Region, RegionScore, ScoringScheme, Target
from tests.assessments.conftest import CITY, JULU, NINGJIN, YEAR

pytestmark = pytest.mark.django_db


def _engine_verified(counties: list[Region]) -> scoring.ScoreResult:
    """DESIGN §3 on the verified basis, computed here from the database without the scoring service."""
    region_ids = [r.pk for r in counties]
    figures = pd.DataFrame(
        [
            (f.region.code, f.indicator.code, f.year, f.verified_value)
            for f in Figure.objects.filter(year=YEAR, region_id__in=region_ids, status=Figure.Status.APPROVED)
        ],
        columns=["region_code", "indicator_code", "year", "value"],
    )
    targets = pd.DataFrame(
        [
            (
                t.region.code,
                t.indicator.code,
                t.year,
                t.comparator,
                t.value,
                t.weight,
                t.rule,
                t.rule_param,
                t.veto,
            )
            for t in Target.objects.filter(year=YEAR, region_id__in=region_ids)
        ],
        columns=[
            "region_code",
            "indicator_code",
            "year",
            "comparator",
            "target",
            "weight",
            "rule",
            "rule_param",
            "veto",
        ],
    )
    scheme = ScoringScheme.objects.get(is_default=True)
    items = pd.DataFrame(
        [
            (s.region.code, s.year, s.item.code, s.item.max_points, s.verified_points)
            for s in ItemScore.objects.filter(year=YEAR, region_id__in=region_ids, item__scheme=scheme)
        ],
        columns=["region_code", "year", "item_code", "max_points", "points"],
    )
    regions = pd.DataFrame(
        [(r.code, CITY) for r in counties] + [(CITY, "130000")], columns=["region_code", "parent_code"]
    )
    indicators = pd.DataFrame(
        list(Indicator.objects.values_list("code", "aggregation")), columns=["indicator_code", "aggregation"]
    )
    return scoring.score(
        figures,
        targets,
        items,
        regions,
        indicators=indicators,
        cap=scheme.cap,
        grade_cuts=(scheme.grade_a_min, scheme.grade_b_min, scheme.grade_c_min),
        basis="verified",
    )


def test_it_runs_a_full_cycle_for_two_counties_and_publishes_the_engine_verified_scores(cycle):
    cycle.file_and_accept()
    assert cycle.refresh().stage == Stage.SELF
    assert {cycle.row(c).stage for c in cycle.counties} == {Stage.SELF}

    for code in cycle.counties:
        cycle.self_assess(code)
    assert {cycle.row(c).stage for c in cycle.counties} == {Stage.REVIEW}
    from assessments import services

    reviewer = cycle.users["reviewer"]
    services.assessment_advance(actor=reviewer, assessment=cycle.assessment, to_stage=Stage.REVIEW)
    for code in cycle.counties:
        services.county_review_pass(actor=reviewer, row=cycle.row(code))
    cycle.assign_groups()
    services.assessment_advance(actor=reviewer, assessment=cycle.assessment, to_stage=Stage.VERIFICATION)

    # 宁晋县: 2 of its 18 certificates had expired (16 verified), and the item loses 2 points.
    cycle.verify(NINGJIN, adjust={"QM_QMS_CERTIFICATES": ("16", "2 张证书已过期")}, item_points="7")
    cycle.verify(JULU)
    services.assessment_advance(actor=reviewer, assessment=cycle.assessment, to_stage=Stage.FINAL)
    services.assessment_sign_off(actor=reviewer, assessment=cycle.assessment)
    publication = services.assessment_publish(
        actor=reviewer, assessment=cycle.assessment, title="关于2015年度县级政府质量工作考核结果的通报"
    )

    assessment = cycle.refresh()
    assert assessment.stage == Stage.PUBLISHED and assessment.version == 1
    assert publication.version == 1 and publication.title.startswith("关于2015年度")
    assert {cycle.row(c).stage for c in cycle.counties} == {Stage.PUBLISHED}

    # The county's reported value is kept next to the verified one, in the figure and the finding.
    certs = Figure.objects.get(region__code=NINGJIN, indicator__code="QM_QMS_CERTIFICATES", year=YEAR)
    assert (certs.reported_value, certs.verified_value, certs.status) == (
        Decimal("18"),
        Decimal("16"),
        "approved",
    )
    finding = Finding.objects.get(
        assessment_region__region__code=NINGJIN, indicator__code="QM_QMS_CERTIFICATES"
    )
    assert (finding.reported_value, finding.adjusted_value, finding.adjusted, finding.reason) == (
        Decimal("18"),
        Decimal("16"),
        True,
        "2 张证书已过期",
    )
    item = ItemScore.objects.get(region__code=NINGJIN, item=cycle.item, year=YEAR)
    assert (item.self_points, item.verified_points, item.verified_by) == (
        Decimal("9"),
        Decimal("7"),
        cycle.users["verifier_a"],
    )

    # The published snapshot equals the engine's verified result, row for row.
    expected = _engine_verified(list(cycle.counties.values()))
    published = {
        r.region.code: r
        for r in PublishedRegionScore.objects.filter(publication=publication, basis="verified")
    }
    assert set(published) == {NINGJIN, JULU}
    for row in expected.regions.itertuples(index=False):
        if row.region_code == CITY:
            continue
        got = published[row.region_code]
        assert got.total == Decimal(str(row.total)).quantize(Decimal("0.01"))
        assert (got.grade, got.rank, got.rank_of) == (row.grade, row.rank, row.rank_of)
        assert got.points == Decimal(str(row.points)).quantize(Decimal("0.0001"))
    target_points = {
        (t.region.code, t.indicator.code): t.points
        for t in PublishedTargetScore.objects.filter(publication=publication, basis="verified")
    }
    assert target_points == {
        (r.region_code, r.indicator_code): Decimal(str(r.points)).quantize(Decimal("0.0001"))
        for r in expected.targets.itertuples(index=False)
    }
    # Hand check (weights 40 + 30 + 20 and the item's 10 points: 100 in all).
    # 宁晋县 verified: 40 (96.5 >= 95, capped) + 30 * 16/20 = 24 + 20 (no accident) + 7 = 91.00, A, 2nd.
    # 巨鹿县 verified: 40 * 93/95 = 39.1579 + 30 (capped) + 20 + 9 = 98.1579 -> 98.16, A, 1st.
    assert (published[NINGJIN].total, published[NINGJIN].grade, published[NINGJIN].rank) == (
        Decimal("91.00"),
        "A",
        2,
    )
    assert (published[JULU].total, published[JULU].rank) == (Decimal("98.16"), 1)
    # Both bases are kept: 宁晋县 self-assessed 40 + 30 * 18/20 = 27 + 20 + 9 = 96.00.
    self_ningjin = PublishedRegionScore.objects.get(
        publication=publication, basis="self", region__code=NINGJIN
    )
    assert self_ningjin.total == Decimal("96.00")

    # Every move was recorded with who and when, in order.
    kinds = list(
        StageTransition.objects.filter(assessment=assessment, region__isnull=True).values_list(
            "kind", "to_stage"
        )
    )
    assert kinds == [
        ("advance", Stage.SELF),
        ("advance", Stage.REVIEW),
        ("advance", Stage.VERIFICATION),
        ("advance", Stage.FINAL),
        ("sign_off", Stage.FINAL),
        ("publish", Stage.PUBLISHED),
    ]
    county_moves = list(
        StageTransition.objects.filter(assessment=assessment, region__code=NINGJIN).values_list(
            "kind", "by__username"
        )
    )
    assert county_moves == [
        ("file", "nj_staff"),
        ("accept", "xt_quality"),
        ("submit_self", "nj_staff"),
        ("review_pass", "xt_quality"),
        ("verify_done", "xt_verifier_a"),
    ]
    assert all(t.at is not None and t.by_name for t in StageTransition.objects.filter(assessment=assessment))


def test_publishing_snapshots_so_later_live_rescoring_does_not_change_the_published_rows(cycle):
    from indicators.scoring_service import compute_scores

    publication = cycle.publish()
    before = sorted(
        PublishedRegionScore.objects.filter(publication=publication).values_list(
            "region__code", "basis", "total"
        )
    )
    # Someone changes the live rows (a scheme edit, a national re-run): the snapshot stays.
    RegionScore.objects.filter(year=YEAR, region__code=NINGJIN).update(total=Decimal("1.00"))
    compute_scores(year=YEAR, region=cycle.city)
    after = sorted(
        PublishedRegionScore.objects.filter(publication=publication).values_list(
            "region__code", "basis", "total"
        )
    )
    assert after == before
    assert Publication.objects.filter(assessment=cycle.assessment).count() == 1
