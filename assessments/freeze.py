"""The freeze guard: published assessment results and every input that fed them are read-only.

Publishing an assessment (services.assessment_publish) freezes, for the
assessment year, the figures, targets and qualitative item scores of

- the assessing region itself, and
- every covered region (AssessmentRegion) and everything below it,

until an admin reopens the assessment with a reason. Every write service
(figures, imports, targets, item scores, admin, findings) calls
:func:`ensure_not_frozen` (or :func:`ensure_none_frozen` for many rows) before
it writes. The published scores themselves are snapshots
(PublishedRegionScore / PublishedTargetScore) with no write path at all.

Live scoring (`compute_scores`) is deliberately NOT guarded: live RegionScore /
TargetScore rows are derived data that a run replaces wholesale (nightly runs
cover the whole country and must not fail because one city has published),
their inputs are frozen so a re-run reproduces them, and what was published is
read from the snapshot, never from the live rows.

Why `Frozen` subclasses PermissionDenied (not ValidationError): the refusal is
about the state of the data, not about the input, and every layer already turns
PermissionDenied into the right answer with the message intact — pages render
403.html with it, DRF answers 403 {"detail": message}, the admin shows the 403
page, and a command stops with it. A ValidationError would become a 500 in DRF.

Every refused attempt is logged (logger "assessments.freeze") and stored as a
FrozenAttempt row (who, through which channel, what, when). The refusal
usually happens inside the caller's `transaction.atomic` block, which rolls
back when Frozen propagates — taking an audit row written there with it. So
the row is written at once AND kept pending: as soon as the connection is
back outside the block that raised (the next SQL statement at a shallower
atomic depth, the end of the request, the end of a Celery task, or process
exit) the row is written again if the rollback removed it.
"""

from __future__ import annotations

import atexit
import logging
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.signals import request_finished
from django.db import DatabaseError, connection, transaction
from django.utils.translation import gettext, gettext_noop

logger = logging.getLogger("assessments.freeze")

# A catalogue entry (gettext_noop keeps the constant a plain str); Frozen translates it when raised.
FROZEN_MESSAGE = gettext_noop("该年度考核结果已发布，数据已冻结；如需更正，请由管理员重新开启考核并说明原因")

# SQL the atomic machinery itself runs: flushing before it would put the audit
# row inside the savepoint that is about to be rolled back.
_TRANSACTION_SQL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN")


class Frozen(PermissionDenied):
    """A write to data of a published assessment (see the module docstring for the base class)."""

    def __init__(
        self,
        message: str | None = None,
        *,
        assessment_id: int | None = None,
        region_id: int | None = None,
        year: int | None = None,
        what: str = "",
    ) -> None:
        message = gettext(FROZEN_MESSAGE) if message is None else message
        super().__init__(message)
        self.message = message
        self.assessment_id = assessment_id
        self.region_id = region_id
        self.year = year
        self.what = what


# --- Which (region, year) pairs are frozen --------------------------------------


def frozen_pairs(pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """{(region_id, year): assessment_id} for every pair that feeds a published assessment.

    One query when no assessment of those years is published (the usual case),
    three otherwise, whatever the number of pairs.
    """
    from assessments.models import Assessment, AssessmentRegion, Stage
    from indicators.models import Region

    wanted = {(int(r), int(y)) for r, y in pairs if r is not None and y is not None}
    if not wanted:
        return {}
    published = list(
        Assessment.objects.filter(stage=Stage.PUBLISHED, year__in={y for _, y in wanted}).values_list(
            "id", "year", "assessing_region_id"
        )
    )
    if not published:
        return {}
    covered: dict[int, list[str]] = {}
    for assessment_id, path in AssessmentRegion.objects.filter(
        assessment_id__in=[a for a, _, _ in published]
    ).values_list("assessment_id", "region__path"):
        covered.setdefault(assessment_id, []).append(path)
    paths = dict(Region.objects.filter(pk__in={r for r, _ in wanted}).values_list("id", "path"))
    found: dict[tuple[int, int], int] = {}
    for region_id, year in wanted:
        path = paths.get(region_id, "")
        for assessment_id, a_year, assessing_id in published:
            if a_year != year:
                continue
            if region_id == assessing_id or any(path.startswith(p) for p in covered.get(assessment_id, [])):
                found[(region_id, year)] = assessment_id
                break
    return found


def is_frozen(*, region_id: int, year: int) -> bool:
    return bool(frozen_pairs([(region_id, year)]))


def ensure_not_frozen(*, region_id: int, year: int, what: str, user: Any = None) -> None:
    """Raise Frozen (and log the attempt) when (region, year) feeds a published assessment.

    `what` describes the refused write in Chinese ("修改年度数据 …"). `user` is the
    actor when the caller knows it; otherwise the request's user is used, and a
    command or job is recorded as 系统.
    """
    ensure_none_frozen(pairs=[(region_id, year)], what=what, user=user)


def ensure_none_frozen(*, pairs: Iterable[tuple[int, int]], what: str, user: Any = None) -> None:
    """Like ensure_not_frozen for many (region_id, year) pairs (imports, bulk approvals).

    One audit row per frozen pair; the message names how many were refused.
    """
    found = frozen_pairs(pairs)
    if not found:
        return
    for (region_id, year), assessment_id in sorted(found.items()):
        _record(region_id=region_id, year=year, assessment_id=assessment_id, what=what, user=user)
    (region_id, year), assessment_id = sorted(found.items())[0]
    raise Frozen(assessment_id=assessment_id, region_id=region_id, year=year, what=what)


def ensure_figures_not_frozen(*, figure_ids: Iterable[int], what: str, user: Any = None) -> None:
    """Bulk figure workflows (approve / return / submit many by id): one query for the pairs."""
    from indicators.models import Figure

    ids = [int(i) for i in figure_ids if i is not None]
    if ids:
        pairs = set(Figure.objects.filter(pk__in=ids).values_list("region_id", "year"))
        ensure_none_frozen(pairs=pairs, what=what, user=user)


# --- The audit trail -------------------------------------------------------------

_local = threading.local()


def _pending() -> list[dict]:
    if not hasattr(_local, "pending"):
        _local.pending = []
    return _local.pending


def _depth() -> int:
    """How many atomic blocks the default connection is inside (0 = autocommit)."""
    return len(connection.savepoint_ids) + (1 if connection.in_atomic_block else 0)


def _current_request() -> Any:
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None)


def _actor(user: Any) -> tuple[int | None, str, str, str]:
    """(user id, user name, channel, request path) of the refused attempt."""
    from assessments.models import FrozenAttempt

    request = _current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    user_id = getattr(user, "pk", None) if getattr(user, "is_authenticated", False) else None
    if user_id is not None and hasattr(user, "get_username"):
        name = user.get_username()
    else:
        name = "系统" if request is None else "匿名"
    if request is None:
        return user_id, name, FrozenAttempt.Channel.COMMAND, ""
    path = getattr(request, "path", "") or ""
    if path.startswith("/api/"):
        channel = FrozenAttempt.Channel.API
    elif path.startswith("/admin/"):
        channel = FrozenAttempt.Channel.ADMIN
    else:
        channel = FrozenAttempt.Channel.PAGE
    return user_id, name, channel, path[:300]


def _record(*, region_id: int, year: int, assessment_id: int, what: str, user: Any) -> None:
    user_id, name, channel, path = _actor(user)
    attempt = {
        "uid": uuid.uuid4(),
        "user_id": user_id,
        "username": name[:150],
        "channel": channel,
        "path": path,
        "region_id": region_id,
        "year": year,
        "what": (what or "")[:300],
        "assessment_id": assessment_id,
    }
    from django.utils import timezone

    attempt["at"] = timezone.now()
    logger.warning(
        "refused write to frozen data: %s (region=%s year=%s assessment=%s user=%s channel=%s path=%s)",
        attempt["what"],
        region_id,
        year,
        assessment_id,
        name,
        channel,
        path,
    )
    depth = _depth()
    written = _try_insert(attempt)
    if depth == 0 and written:
        return  # autocommit: the row is durable already
    attempt["depth"] = depth
    _pending().append(attempt)
    _install_wrapper()


def _try_insert(attempt: dict) -> bool:
    from assessments.models import FrozenAttempt

    if connection.in_atomic_block and connection.needs_rollback:
        return False  # the transaction is broken; the flush writes the row later
    fields = {k: v for k, v in attempt.items() if k != "depth"}
    try:
        with transaction.atomic():
            FrozenAttempt.objects.create(**fields)
    except DatabaseError:
        logger.exception("could not store the frozen attempt %s", attempt["uid"])
        return False
    return True


def flush_pending(*, force: bool = False) -> int:
    """Make sure every pending attempt whose transaction has ended is stored; return rows written.

    An attempt is settled once the connection is shallower than where it was
    recorded (the block that raised is over) or when `force` is set (end of a
    request, task or process, where nothing of the caller's is still open).
    """
    from assessments.models import FrozenAttempt

    pending = _pending()
    if not pending or getattr(_local, "flushing", False):
        return 0
    if connection.in_atomic_block and connection.needs_rollback:
        return 0
    depth = _depth()
    ready = [a for a in pending if force or depth < a["depth"]]
    if not ready:
        return 0
    _local.flushing = True
    written = 0
    try:
        for attempt in ready:
            if not FrozenAttempt.objects.filter(uid=attempt["uid"]).exists() and _try_insert(attempt):
                written += 1
            pending.remove(attempt)
    finally:
        _local.flushing = False
    if not pending:
        _remove_wrapper()
    return written


def reset_pending() -> None:
    """Forget unsettled attempts (tests: a rolled-back test must not leak into the next)."""
    _pending().clear()
    _remove_wrapper()


def _flush_wrapper(execute, sql, params, many, context):
    if isinstance(sql, str) and not sql.lstrip().upper().startswith(_TRANSACTION_SQL):
        flush_pending()
    return execute(sql, params, many, context)


def _install_wrapper() -> None:
    if _flush_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_flush_wrapper)


def _remove_wrapper() -> None:
    while _flush_wrapper in connection.execute_wrappers:
        connection.execute_wrappers.remove(_flush_wrapper)


def _flush_on_signal(**_: Any) -> None:
    try:
        flush_pending(force=True)
    except DatabaseError:  # never break the response or the task over the audit trail
        logger.exception("could not flush frozen attempts")


def connect_signals() -> None:
    """Settle pending attempts at the end of each request, Celery task and process."""
    request_finished.connect(_flush_on_signal, dispatch_uid="assessments.freeze.request_finished")
    try:
        from celery.signals import task_postrun
    except ImportError:  # pragma: no cover - celery is a dependency
        pass
    else:
        task_postrun.connect(_flush_on_signal, dispatch_uid="assessments.freeze.task_postrun", weak=False)
    atexit.register(_flush_on_signal)
