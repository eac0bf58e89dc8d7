"""A report generated through the real Celery worker, PostgreSQL and Redis."""

from __future__ import annotations

import time

import pytest

from indicators.models import RegionScore
from reports import services
from reports.models import ReportArtifact
from tests.factories import make_user
from tests.reports.builders import build_scored_city
from tests.reports.conftest import pdf_text


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_generates_the_report_and_the_page_shows_its_progress(
    celery_worker_process, catalog, client, render_counts
):
    scored = build_scored_city(with_evidence=False)
    user = make_user("130500", "leader")
    client.force_login(user)
    renders_here = render_counts()

    # Autocommit (transaction=True): the on_commit hook sends the task to Redis at once.
    artifact = services.report_request(
        user=user, kind="annual_report", fmt="pdf", region=scored.city, year=2015, basis="verified"
    )
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = client.get(f"/reports/{artifact.pk}/status.json").json()
        seen.append((status["status"], status["progress"]))
        if status["finished"]:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the worker did not finish the report within 180 s: {seen[-5:]}")

    artifact.refresh_from_db()
    try:
        assert artifact.status == ReportArtifact.Status.DONE, artifact.error
        assert status["progress"] == 100 and status["download_url"] == f"/reports/{artifact.pk}/download/"
        progress = [p for _, p in seen]
        assert progress == sorted(progress)  # never goes backwards
        # Rendered by the worker, not by this process.
        assert render_counts() == renders_here
        assert artifact.started_at is not None and artifact.render_seconds > 0

        score = RegionScore.objects.get(region=scored.city, year=2015, basis="verified")
        download = client.get(status["download_url"])
        text = pdf_text(b"".join(download.streaming_content))
        assert (
            "邢台市" in text and f"{score.total:.2f}" in text and f"{score.grade}级" in "".join(text.split())
        )

        # Unchanged inputs: the stored artefact, no second task.
        again = services.report_request(
            user=user, kind="annual_report", fmt="pdf", region=scored.city, year=2015, basis="verified"
        )
        assert again.pk == artifact.pk and again.reused
        assert ReportArtifact.objects.count() == 1
        print(f"\nworker render of the 19-county 邢台市 annual PDF: {artifact.render_seconds:.2f} s")
    finally:
        if artifact.file:
            artifact.file.delete(save=False)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_claiming_a_report_does_not_skip_because_its_region_row_is_locked(catalog):
    """Two workers claiming two reports of one region: the row locks must not collide."""
    import threading

    from django.db import connection, transaction

    from indicators.models import Region

    city = Region.objects.get(code="130500")
    other = ReportArtifact.objects.create(
        kind="annual_report", fmt="xlsx", region=city, year=2015, basis="verified", inputs_hash="e" * 64
    )
    # Created first: inserting a row that references a locked region would wait for the lock.
    mine = ReportArtifact.objects.create(
        kind="annual_report", fmt="pdf", region=city, year=2015, basis="verified", inputs_hash="f" * 64
    )
    locked, release = threading.Event(), threading.Event()

    def hold_locks():
        # What a concurrent claim of `other` holds: its row (and, before the fix, the region's).
        with transaction.atomic():
            list(ReportArtifact.objects.select_for_update().filter(pk=other.pk))
            list(Region.objects.select_for_update().filter(pk=city.pk))
            locked.set()
            release.wait(30)
        connection.close()

    worker = threading.Thread(target=hold_locks)
    worker.start()
    try:
        assert locked.wait(30)
        claimed = services._claim(mine.pk)
        assert claimed is not None and claimed.status == ReportArtifact.Status.RUNNING
        assert services._claim(other.pk) is None  # the locked one is skipped, not waited for
    finally:
        release.set()
        worker.join(30)
