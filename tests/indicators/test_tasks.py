"""Celery tasks: compute_scores_task, coalesced rescoring after approvals, the nightly beat entry."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from indicators import tasks
from indicators.models import Region, RegionScore, ScoreRun
from indicators.tasks import compute_scores_task, nightly_scores_task, rescore_key, schedule_rescore
from quality_city.celery import app
from tests.indicators.scoring_helpers import (
    eager_celery,  # noqa: F401 (a fixture)
    fig,
    tgt,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def hebei_targets(catalog):
    for county in ("130521", "130522"):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98)
        fig(county, "PQ_SAMPLING_PASS", 2015, 97)
    tgt("210781", "PQ_SAMPLING_PASS", 2015, 98)  # 凌海市, 锦州市, 辽宁省


def test_the_task_takes_ids_and_returns_one_summary_per_basis(hebei_targets, region):
    result = compute_scores_task.delay(year=2015, region_id=region("130500").pk)
    summaries = result.get()
    assert [s["basis"] for s in summaries] == ["self", "verified"]
    assert summaries[0]["region"] == "130500" and summaries[0]["region_rows"] == 2
    assert RegionScore.objects.filter(region__code__in=["130521", "130522"]).count() == 4
    assert set(ScoreRun.objects.values_list("trigger", flat=True)) == {"task"}


def test_five_hundred_approvals_in_a_burst_cause_one_run(hebei_targets, django_capture_on_commit_callbacks):
    counties = list(Region.objects.filter(parent__code="130500"))
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(500):
            schedule_rescore(year=2015, region_id=counties[i % len(counties)].pk)

    # One execution of the task = one ScoreRun per basis, over the province 河北省.
    runs = list(ScoreRun.objects.order_by("pk"))
    assert [(r.basis, r.trigger, r.region.code) for r in runs] == [
        ("self", "approval", "130000"),
        ("verified", "approval", "130000"),
    ]
    assert RegionScore.objects.filter(region__code__in=["130521", "130522"]).count() == 4


def test_another_province_or_year_is_its_own_run(hebei_targets, region, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(50):
            schedule_rescore(year=2015, region_id=region("130521").pk)
            schedule_rescore(year=2015, region_id=region("210781").pk)
            schedule_rescore(year=2014, region_id=region("130521").pk)
    scopes = sorted(ScoreRun.objects.filter(basis="self").values_list("year", "region__code"))
    assert scopes == [(2014, "130000"), (2015, "130000"), (2015, "210000")]


def test_after_the_window_the_next_approval_runs_again(
    hebei_targets, region, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        schedule_rescore(year=2015, region_id=region("130521").pk)
        schedule_rescore(year=2015, region_id=region("130522").pk)
    assert ScoreRun.objects.count() == 2
    cache.delete(rescore_key(2015, region("130000").pk))  # the window of QC_RESCORE_DELAY s has passed
    with django_capture_on_commit_callbacks(execute=True):
        schedule_rescore(year=2015, region_id=region("130522").pk)
    assert ScoreRun.objects.count() == 4


def test_a_rolled_back_approval_schedules_nothing(hebei_targets, region, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        schedule_rescore(year=2015, region_id=region("130521").pk)
        raise RuntimeError("approval failed")
    assert callbacks == []
    assert not ScoreRun.objects.exists()


def test_with_a_worker_the_burst_is_enqueued_once_with_a_countdown_and_released_at_start(
    hebei_targets, region, monkeypatch
):
    """The trailing-edge path used when Celery is not eager (unit-level; see the integration test)."""
    sent = []
    monkeypatch.setattr(tasks, "_eager", lambda: False)
    monkeypatch.setattr(compute_scores_task, "apply_async", lambda **kw: sent.append(kw))
    for _ in range(500):
        tasks._enqueue_rescore(2015, region("130521").pk, "approval")
    assert len(sent) == 1
    key = rescore_key(2015, region("130000").pk)
    assert sent[0]["countdown"] == settings.QC_RESCORE_DELAY
    assert sent[0]["kwargs"] == {
        "year": 2015,
        "region_id": region("130000").pk,
        "trigger": "approval",
        "pending_key": key,
    }
    assert cache.get(key) == "130521"

    # The task releases the key before reading inputs: a change during the run is not lost.
    compute_scores_task.apply(kwargs=sent[0]["kwargs"]).get()
    assert cache.get(key) is None
    tasks._enqueue_rescore(2015, region("130522").pk, "approval")
    assert len(sent) == 2


def test_the_nightly_run_is_in_the_beat_schedule_and_reaches_the_database_scheduler(db):
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-scores"]
    assert entry["task"] == "indicators.nightly_scores" == nightly_scores_task.name
    assert (entry["schedule"].hour, entry["schedule"].minute) == ({2}, {30})
    assert "indicators.nightly_scores" in app.tasks

    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    # What `celery beat` does at start-up (DatabaseScheduler.setup_schedule -> update_from_dict);
    # the scheduler object itself manages connections in ways a test transaction cannot host.
    for name, fields in app.conf.beat_schedule.items():
        DatabaseScheduler.Entry.from_entry(name, app=app, **fields)
    task = PeriodicTask.objects.get(name="nightly-scores")
    assert task.task == "indicators.nightly_scores" and task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("2", "30")


def test_the_nightly_task_rescores_every_year_with_targets(hebei_targets):
    tgt("130521", "PQ_SAMPLING_PASS", 2013, 95)
    assert nightly_scores_task.delay().get() == [2013, 2015]
    assert sorted(set(ScoreRun.objects.values_list("year", "trigger"))) == [
        (2013, "nightly"),
        (2015, "nightly"),
    ]
    assert ScoreRun.objects.filter(region__isnull=True).count() == 4


def test_the_nightly_task_fails_runs_a_killed_worker_left_running(hebei_targets, region):
    from datetime import timedelta

    from django.utils import timezone

    stale = ScoreRun.objects.create(year=2015, basis="self", trigger="task")
    recent = ScoreRun.objects.create(year=2015, basis="verified", trigger="task")
    ScoreRun.objects.filter(pk=stale.pk).update(started_at=timezone.now() - timedelta(hours=7))
    ScoreRun.objects.filter(pk=recent.pk).update(started_at=timezone.now() - timedelta(hours=1))

    nightly_scores_task.delay()

    stale.refresh_from_db()
    recent.refresh_from_db()
    assert stale.status == ScoreRun.Status.FAILED
    assert "运行中断" in stale.error and stale.finished_at is not None
    # A run that may still be working is left alone.
    assert recent.status == ScoreRun.Status.RUNNING
    # The nightly runs themselves finished.
    assert ScoreRun.objects.filter(trigger="nightly", status=ScoreRun.Status.DONE).count() == 2


def test_the_nightly_task_deletes_import_previews_older_than_a_session(db, settings, tmp_path):
    import os
    import time

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from indicators.imports import PENDING_IMPORT_DIR

    settings.MEDIA_ROOT = tmp_path
    old = default_storage.save(f"{PENDING_IMPORT_DIR}/old.bin", ContentFile(b"abandoned"))
    fresh = default_storage.save(f"{PENDING_IMPORT_DIR}/fresh.bin", ContentFile(b"being previewed"))
    long_ago = time.time() - settings.SESSION_COOKIE_AGE - 60
    os.utime(default_storage.path(old), (long_ago, long_ago))

    nightly_scores_task.delay()

    assert not default_storage.exists(old)
    assert default_storage.exists(fresh)
