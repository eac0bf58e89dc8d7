"""Celery adapter: take an artefact id, call the service, report progress."""

from __future__ import annotations

from celery import shared_task
from celery.signals import worker_init, worker_process_shutdown

from reports import services


@worker_init.connect
def _preload_renderers(**_kwargs) -> None:
    """Import WeasyPrint once when the worker starts (about 1 s), not in the first report."""
    import weasyprint  # noqa: F401


@worker_process_shutdown.connect
def _stop_chart_browser(**_kwargs) -> None:
    """Close this pool process's chromium (reports.images keeps one per process).

    A prefork child leaves through os._exit, which skips atexit: chromium would still
    exit with its pipe, but its temporary profile directory would stay behind.
    """
    from reports.images import chart_server

    chart_server().stop()


@shared_task(bind=True, name="reports.generate_report", acks_late=True, max_retries=0)
def generate_report(self, artifact_id: int) -> dict:
    """Render one pending ReportArtifact; progress goes to the artefact row and the result backend."""

    def progress(pct: int, note: str) -> None:
        # The artefact row carries the progress the page shows; the result backend gets it
        # too unless the sender asked for no result (resilience.enqueue_or_run_inline does).
        if self.request.id and not self.request.is_eager and not self.request.ignore_result:
            self.update_state(state="PROGRESS", meta={"artifact": artifact_id, "progress": pct, "note": note})

    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    artifact = services.report_generate(
        artifact_id=artifact_id,
        progress=progress,
        redelivered_task_id=self.request.id if redelivered else None,
    )
    if artifact is None:
        return {"artifact": artifact_id, "status": "skipped"}
    return {
        "artifact": artifact.pk,
        "status": artifact.status,
        "sha256": artifact.sha256,
        "seconds": artifact.render_seconds,
    }
