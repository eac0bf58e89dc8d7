"""Scoring through a real Celery worker, Redis and PostgreSQL (run with DATABASE_URL and REDIS_URL).

The worker is a separate process bound to the test database; the data is committed
(transaction=True) so it can see it.
"""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from indicators.models import (
    ItemScore,
    QualitativeItem,
    Region,
    RegionScore,
    ScoreRun,
    ScoringScheme,
    TargetScore,
)
from indicators.scoring_service import compute_scores, score_rows_snapshot
from indicators.tasks import compute_scores_task, rescore_key, schedule_rescore
from tests.indicators.scoring_helpers import D, fig, tgt

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _build_scenario() -> Region:
    """Counties of 邢台市 with ratio, threshold, deduct, veto, roll-up, items and an adjusted figure."""
    counties = ["130521", "130522", "130523", "130524", "130525"]
    for i, county in enumerate(counties):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98, weight=7)
        tgt(county, "PQ_GRADE_RATE", 2015, 85, weight=5, rule="threshold")
        tgt(county, "SF_EQUIPMENT_DEATH_RATE", 2015, "0.2", weight=6, rule="deduct", rule_param="10")
        tgt(county, "EN_MAJOR_ACCIDENTS", 2015, 0, weight=4, veto=True)
        fig(county, "PQ_SAMPLING_PASS", 2015, 95 + i, verified=94 + i)
        fig(county, "PQ_GRADE_RATE", 2015, 83 + i)
        fig(county, "SF_EQUIPMENT_DEATH_RATE", 2015, f"0.{i + 1}5")
        fig(county, "EN_MAJOR_ACCIDENTS", 2015, 1 if i == 3 else 0)
    tgt("130500", "EN_LUBAN_AWARDS", 2015, 3)  # rolls up
    for county in counties[:3]:
        fig(county, "EN_LUBAN_AWARDS", 2015, 1)
    scheme = ScoringScheme.objects.get(is_default=True)
    item, _ = QualitativeItem.objects.get_or_create(
        scheme=scheme, code="IT_Q1", defaults={"name": "组织领导", "max_points": D(5)}
    )
    for county in counties:
        ItemScore.objects.create(
            item=item,
            region=Region.objects.get(code=county),
            year=2015,
            self_points=D(5),
            verified_points=D("3.5"),
        )
    return Region.objects.get(code="130000")


def test_a_real_worker_stores_exactly_the_rows_of_eager_mode(catalog, celery_worker_process):
    hebei = _build_scenario()
    compute_scores(year=2015, region=hebei, trigger="eager")  # in this process, as eager mode does
    eager = score_rows_snapshot(year=2015)
    assert len(eager[0]) == 12 and len(eager[1]) == 42
    TargetScore.objects.all().delete()
    RegionScore.objects.all().delete()

    summaries = compute_scores_task.delay(year=2015, region_id=hebei.pk, trigger="worker").get(timeout=120)

    assert [s["basis"] for s in summaries] == ["self", "verified"]
    assert score_rows_snapshot(year=2015) == eager
    runs = {r.trigger: r for r in ScoreRun.objects.filter(basis="verified")}
    assert runs["worker"].inputs_hash == runs["eager"].inputs_hash
    assert runs["worker"].status == ScoreRun.Status.DONE


@override_settings(QC_RESCORE_DELAY=20)
def test_five_hundred_approvals_cause_one_run_on_the_worker(catalog, celery_worker_process):
    hebei = _build_scenario()
    counties = list(Region.objects.filter(parent__code="130500"))
    key = rescore_key(2015, hebei.pk)
    cache.delete(key)
    started = time.monotonic()
    for i in range(500):
        schedule_rescore(year=2015, region_id=counties[i % len(counties)].pk, trigger="burst-test")
    # The window (20 s here, 60 s in production) must outlast the burst, even on a loaded machine.
    assert time.monotonic() - started < 20, "the burst must be collected within the window"

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ScoreRun.objects.filter(trigger="burst-test", status=ScoreRun.Status.DONE).count() >= 2:
            break
        time.sleep(0.5)
    time.sleep(5)  # anything else queued by the burst would have run by now
    # Counted by trigger: a delayed task left by another test's approvals must not blur the count.
    runs = list(ScoreRun.objects.filter(trigger="burst-test").order_by("pk"))
    assert [(r.basis, r.region_id, r.status) for r in runs] == [
        ("self", hebei.pk, "done"),
        ("verified", hebei.pk, "done"),
    ]
    assert cache.get(key) is None  # released by the task when it started
    assert RegionScore.objects.filter(year=2015).count() == 12
