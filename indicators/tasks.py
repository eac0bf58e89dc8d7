"""Celery tasks of the indicators app: thin adapters that take ids and call one service.

- `compute_scores_task` runs `scoring_service.compute_scores` for a year and scope.
- `schedule_rescore(year=..., region_id=...)` is what approvals call: it coalesces
  a burst of changes into one run per (year, province).
- `nightly_scores_task` (celery beat, see CELERY_BEAT_SCHEDULE in settings) marks runs
  a killed worker left "running" as failed, then fans out one national run per year
  that has targets.

Coalescing. A cache key per (year, province) marks "a run is pending". The first
change of a burst adds the key and enqueues the task with a countdown of
QC_RESCORE_DELAY seconds; later changes find the key and do nothing. With a real
worker the task deletes the key when it *starts*, before it reads any input, so a
change that lands during the run schedules the next run and is never lost
(trailing edge). In eager mode (no worker, `make run`) there is nothing to defer
to: the first change scores at once and the key simply expires after the delay,
so a burst still costs one run; the nightly run and the "重新计算" button catch
up whatever came later in the window (leading edge).
"""

from __future__ import annotations

from functools import partial

from celery import current_app, shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import OperationalError, transaction

from indicators.imports import purge_abandoned_previews
from indicators.models import Region
from indicators.scoring_service import (
    abandon_stale_runs,
    compute_scores,
    rescore_scope_for,
    years_with_targets,
)
from quality_city.resilience import cache_call, enqueue_or_run_inline

# How long a pending key outlives its countdown when no worker picks the task up.
_PENDING_GRACE = 600


def rescore_key(year: int, scope_id: int) -> str:
    return f"scores:rescore-pending:{year}:{scope_id}"


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


@shared_task(
    name="indicators.compute_scores",
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def compute_scores_task(
    year: int,
    region_id: int | None = None,
    bases: list[str] | None = None,
    trigger: str = "task",
    user_id: int | None = None,
    pending_key: str | None = None,
) -> list[dict]:
    """Score one year for a region's subtree (or every region); one summary per basis."""
    if pending_key:
        # Before reading inputs: changes from now on schedule another run.
        cache_call(cache.delete, pending_key)
    region = Region.objects.get(pk=region_id) if region_id else None
    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    summaries = compute_scores(year=int(year), region=region, bases=bases, trigger=trigger, user=user)
    return [s.as_dict() for s in summaries]


def _enqueue_rescore(year: int, region_id: int, trigger: str) -> bool:
    region = Region.objects.only("id", "code", "path").get(pk=region_id)
    scope = rescore_scope_for(region)
    key = rescore_key(year, scope.pk)
    delay = settings.QC_RESCORE_DELAY
    eager = _eager()
    # None: Redis is down; then nothing coalesces and the run happens inline (resilience.py).
    added = cache_call(cache.add, key, region.code, timeout=delay if eager else delay + _PENDING_GRACE)
    if added is False:
        return False  # a run for this year and province is already pending
    enqueue_or_run_inline(
        compute_scores_task,
        kwargs={
            "year": year,
            "region_id": scope.pk,
            "trigger": trigger,
            "pending_key": None if eager or added is None else key,
        },
        inline_kwargs={"trigger": f"{trigger}-inline"},
        swallow=True,
        countdown=delay,
    )
    return True


def schedule_rescore(*, year: int, region_id: int, trigger: str = "approval") -> None:
    """Rescore `year` after a figure or item of region `region_id` changed (coalesced).

    Safe to call once per approved figure: a burst of calls for the same year and
    province produces one run. Enqueues after the current transaction commits, so
    the run sees the change.
    """
    transaction.on_commit(partial(_enqueue_rescore, int(year), int(region_id), trigger))


@shared_task(name="indicators.nightly_scores")
def nightly_scores_task() -> list[int]:
    """Nightly: close runs a killed worker left open, delete abandoned import previews,
    then rescore every year that has targets."""
    abandon_stale_runs()
    purge_abandoned_previews()
    years = years_with_targets()
    for year in years:
        compute_scores_task.delay(year=year, trigger="nightly")
    return years
