"""Writes of the reports app: request, generate and archive report artefacts.

The flow (pretix's export service, plus reuse by inputs hash):

1. `report_request()` (a page or the API) checks the permission policy, lets the
   exporter collect the rows it would print and hashes them. A live artefact with
   the same (kind, format, region, year, basis, inputs hash) is returned as is —
   no second render. Otherwise a pending artefact is created and the Celery task
   is enqueued after the transaction commits.
2. The task calls `report_generate()`, which claims the pending artefact
   (select_for_update skip_locked, so a re-delivered task is harmless), renders
   it with progress written to the artefact, and stores the file with its sha256.
3. `report_build()` is the synchronous path of the `export_report` command.

Invariants: a done artefact always has a file and a checksum; a failed one keeps
the error shown to the user and never blocks a retry with the same inputs.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts import policy
from accounts.policy import Action
from indicators.models import Basis, Region
from quality_city.resilience import enqueue_or_run_inline
from reports.errors import ReportError
from reports.exporters import BaseExporter, exporter_for
from reports.exporters.base import ProgressCallback
from reports.models import ReportArtifact, ReportFormat, ReportKind

log = logging.getLogger(__name__)

# A pending or running artefact older than this is taken for lost (worker killed,
# broker flushed) and marked failed when someone asks again, so it cannot block
# the inputs forever.
STALE_AFTER = timedelta(seconds=getattr(settings, "REPORT_STALE_SECONDS", 15 * 60))
LIVE_STATUSES = (ReportArtifact.Status.PENDING, ReportArtifact.Status.RUNNING, ReportArtifact.Status.DONE)


@dataclass(frozen=True)
class ReportSpec:
    kind: str
    fmt: str
    region: Region
    year: int
    basis: str

    def exporter(self) -> BaseExporter:
        return exporter_for(self.kind)(region=self.region, year=self.year, basis=self.basis)


def _validated(*, kind: str, fmt: str, region: Region, year: int, basis: str) -> ReportSpec:
    if kind not in ReportKind.values:
        raise ReportError(_("未知的报告类型：%(kind)s") % {"kind": kind})
    if fmt not in ReportFormat.values:
        raise ReportError(_("不支持的格式：%(fmt)s（应为 pdf 或 xlsx）") % {"fmt": fmt})
    if basis not in Basis.values:
        raise ReportError(_("未知的评分口径：%(basis)s（应为 self 或 verified）") % {"basis": basis})
    if not (settings.QC_YEAR_MIN <= int(year) <= settings.QC_YEAR_MAX):
        raise ReportError(
            _("年度须在 %(min)s–%(max)s 之间") % {"min": settings.QC_YEAR_MIN, "max": settings.QC_YEAR_MAX}
        )
    return ReportSpec(kind=kind, fmt=fmt, region=region, year=int(year), basis=basis)


def _live_artifact(spec: ReportSpec, digest: str) -> ReportArtifact | None:
    found = (
        ReportArtifact.objects.filter(
            kind=spec.kind,
            fmt=spec.fmt,
            region=spec.region,
            year=spec.year,
            basis=spec.basis,
            inputs_hash=digest,
            status__in=LIVE_STATUSES,
        )
        .select_related("region")
        .first()
    )
    if found and not found.is_finished and found.requested_at < timezone.now() - STALE_AFTER:
        ReportArtifact.objects.filter(pk=found.pk, status=found.status).update(
            status=ReportArtifact.Status.FAILED,
            error="生成超时（任务可能已丢失），请重新生成。",
            finished_at=timezone.now(),
        )
        return None
    return found


def _find_or_create(
    spec: ReportSpec, requested_by: AbstractBaseUser | None
) -> tuple[ReportArtifact, bool, BaseExporter]:
    """The live artefact for the spec's current inputs, or a new pending one."""
    with translation.override("zh-hans"):
        exporter = spec.exporter()
        digest = exporter.inputs_hash(spec.fmt)  # collects the rows (ReportError when there are none)
    existing = _live_artifact(spec, digest)
    if existing is not None:
        return existing, False, exporter
    try:
        with transaction.atomic():
            artifact = ReportArtifact.objects.create(
                kind=spec.kind,
                fmt=spec.fmt,
                region=spec.region,
                year=spec.year,
                basis=spec.basis,
                inputs_hash=digest,
                requested_by=requested_by,
                task_id=str(uuid.uuid4()),
                published=bool(getattr(exporter.collect(), "published", False)),
            )
    except IntegrityError:
        # Someone asked for the same inputs at the same moment; theirs is ours.
        existing = _live_artifact(spec, digest)
        if existing is None:
            raise
        return existing, False, exporter
    return artifact, True, exporter


def _enqueue(artifact: ReportArtifact) -> None:
    from reports.tasks import generate_report

    pk, task_id = artifact.pk, artifact.task_id
    # Redis down: rendered inline in this request rather than left pending (quality_city/resilience.py).
    transaction.on_commit(
        lambda: enqueue_or_run_inline(generate_report, args=[pk], task_id=task_id, swallow=True)
    )


def report_request(
    *,
    user: AbstractBaseUser | AnonymousUser,
    kind: str,
    fmt: str,
    region: Region,
    year: int,
    basis: str = Basis.VERIFIED,
) -> ReportArtifact:
    """Ask for a report; return the stored artefact when the inputs are unchanged.

    Raises PermissionDenied when `user` may not export `region` (the one policy),
    ReportError when the request is invalid or there is nothing to report.
    A new artefact is generated by the Celery task enqueued on commit. The
    returned artefact's `reused` attribute says whether it existed already.
    """
    policy.check(user, Action.EXPORT, region)
    spec = _validated(kind=kind, fmt=fmt, region=region, year=year, basis=basis)
    artifact, created, _ = _find_or_create(spec, user if getattr(user, "is_authenticated", False) else None)
    if created:
        _enqueue(artifact)
    artifact.reused = not created  # for the caller: 200 "stored file" vs 201 "queued"
    return artifact


def _claim(artifact_id: int, *, redelivered_task_id: str | None = None) -> ReportArtifact | None:
    """Move a pending artefact to running; None when another worker has it or it is finished.

    A task redelivered after its worker died (acks_late) finds its artefact still
    `running` under its own task id: it may take it over instead of leaving it stuck.
    """
    claimable = Q(status=ReportArtifact.Status.PENDING)
    if redelivered_task_id:
        claimable |= Q(status=ReportArtifact.Status.RUNNING, task_id=redelivered_task_id)
    with transaction.atomic():
        artifact = (
            # of=self: lock the artefact only, not its region (claims of two reports
            # of one region must not skip each other).
            ReportArtifact.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("region")
            .filter(claimable, pk=artifact_id)
            .first()
        )
        if artifact is None:
            return None
        artifact.status = ReportArtifact.Status.RUNNING
        artifact.started_at = timezone.now()
        artifact.progress = 1
        artifact.progress_note = "开始生成"
        artifact.save(update_fields=["status", "started_at", "progress", "progress_note"])
        return artifact


def _progress_writer(artifact_id: int, also: ProgressCallback | None) -> ProgressCallback:
    last = {"pct": -1}

    def write(pct: int, note: str) -> None:
        pct = max(1, min(99, int(pct)))  # 100 only once the file is stored
        if pct == last["pct"]:
            return
        last["pct"] = pct
        ReportArtifact.objects.filter(pk=artifact_id, status=ReportArtifact.Status.RUNNING).update(
            progress=pct, progress_note=note[:100]
        )
        if also is not None:
            also(pct, note)

    return write


def report_generate(
    *, artifact_id: int, progress: ProgressCallback | None = None, redelivered_task_id: str | None = None
) -> ReportArtifact | None:
    """Render a pending artefact and store its file (the body of the Celery task).

    Never raises for a report that cannot be produced: the artefact is marked
    failed with the message the page shows. Returns None when the artefact was
    not pending (finished already, or claimed by another worker).
    """
    artifact = _claim(artifact_id, redelivered_task_id=redelivered_task_id)
    if artifact is None:
        return None
    started = time.perf_counter()
    try:
        with translation.override("zh-hans"):
            spec = ReportSpec(artifact.kind, artifact.fmt, artifact.region, artifact.year, artifact.basis)
            exporter = spec.exporter()
            digest = exporter.inputs_hash(spec.fmt)
            if digest != artifact.inputs_hash:
                # Figures changed between the request and the render: record what is printed.
                clash = _live_artifact(spec, digest)
                if clash is not None and clash.pk != artifact.pk:
                    raise ReportError(f"生成期间数据已更新，最新数据的报告见 #{clash.pk}。")
                artifact.inputs_hash = digest
            export = exporter.render(spec.fmt, _progress_writer(artifact.pk, progress))
        sha = hashlib.sha256(export.data).hexdigest()
        artifact.sha256 = sha
        artifact.size = len(export.data)
        artifact.filename = export.filename
        artifact.content_type = export.content_type
        artifact.published = bool(getattr(exporter.collect(), "published", False))
        artifact.file.save(f"{sha}.{spec.fmt}", ContentFile(export.data), save=False)
        artifact.status = ReportArtifact.Status.DONE
        artifact.progress = 100
        artifact.progress_note = "文件已存档，可以下载"
        artifact.finished_at = timezone.now()
        artifact.render_seconds = round(time.perf_counter() - started, 3)
        artifact.save()
        log.info("report %s done in %.2fs (%s bytes)", artifact.pk, artifact.render_seconds, artifact.size)
    except Exception as exc:
        message = str(exc) if isinstance(exc, ReportError) else f"生成失败（{type(exc).__name__}: {exc}）"
        if not isinstance(exc, ReportError):
            log.exception("report %s failed", artifact_id)
        ReportArtifact.objects.filter(pk=artifact_id).update(
            status=ReportArtifact.Status.FAILED,
            error=message[:2000],
            finished_at=timezone.now(),
            render_seconds=round(time.perf_counter() - started, 3),
        )
    artifact.refresh_from_db()
    return artifact


def report_build(
    *, kind: str, fmt: str, region: Region, year: int, basis: str = Basis.VERIFIED, wait_seconds: float = 600
) -> tuple[ReportArtifact, bool]:
    """Produce a report synchronously (the `export_report` command): (artefact, rendered now).

    Reuses the stored artefact for unchanged inputs like a request does. An
    artefact queued for a worker is rendered here if no worker has claimed it;
    one a worker is rendering is waited for.
    """
    spec = _validated(kind=kind, fmt=fmt, region=region, year=year, basis=basis)
    artifact, _, _ = _find_or_create(spec, None)
    rendered = False
    if artifact.status == ReportArtifact.Status.PENDING:
        rendered = report_generate(artifact_id=artifact.pk) is not None
    deadline = time.monotonic() + wait_seconds
    artifact.refresh_from_db()
    while not artifact.is_finished and time.monotonic() < deadline:
        time.sleep(0.5)
        artifact.refresh_from_db()
    if artifact.status != ReportArtifact.Status.DONE:
        raise ReportError(artifact.error or "报告未能在规定时间内生成")
    return artifact, rendered
