"""report_request / report_generate: archive, reuse by inputs hash, claim, failure."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from indicators.models import Figure
from indicators.scoring_service import compute_scores
from reports import fonts, services
from reports.errors import ReportError
from reports.exporters import AnnualReportExporter, RankingNoticeExporter
from reports.models import ReportArtifact
from tests.factories import make_user
from tests.reports.builders import build_scored_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city(catalog, media_root):
    """邢台市 with 4 counties and 4 indicators, scored for 2014 and 2015."""
    return build_scored_city(n_counties=4, n_indicators=4, with_awards=False)


@pytest.fixture
def leader(small_city):
    return make_user("130500", "leader")


def request(user, city, *, fmt="xlsx", kind="annual_report", basis="verified", year=2015):
    return services.report_request(user=user, kind=kind, fmt=fmt, region=city, year=year, basis=basis)


def test_generating_twice_with_unchanged_inputs_gives_the_same_artifact_without_a_second_render(
    small_city, leader, eager_celery, render_counts, django_capture_on_commit_callbacks
):
    before = render_counts()
    with django_capture_on_commit_callbacks(execute=True):
        first = request(leader, small_city.city, fmt="pdf")
    first.refresh_from_db()
    assert first.status == ReportArtifact.Status.DONE
    assert render_counts()["annual_report"] == before["annual_report"] + 1
    with first.file.open("rb") as fh:
        stored = fh.read()
    assert hashlib.sha256(stored).hexdigest() == first.sha256
    assert first.size == len(stored)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = request(make_user("130500", "reviewer"), small_city.city, fmt="pdf")

    assert second.pk == first.pk
    assert second.reused is True
    assert second.sha256 == first.sha256
    assert callbacks == []  # nothing enqueued
    assert render_counts()["annual_report"] == before["annual_report"] + 1
    assert ReportArtifact.objects.count() == 1


def test_a_changed_figure_gives_a_new_artifact(
    small_city, leader, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = request(leader, small_city.city)
    figure = Figure.objects.filter(region=small_city.counties[2], year=2015).first()
    Figure.objects.filter(pk=figure.pk).update(verified_value=figure.verified_value - Decimal(3))
    compute_scores(year=2015, region=small_city.city, trigger="test")

    with django_capture_on_commit_callbacks(execute=True):
        second = request(leader, small_city.city)

    assert second.pk != first.pk
    assert second.inputs_hash != first.inputs_hash
    second.refresh_from_db()
    assert second.status == ReportArtifact.Status.DONE
    assert ReportArtifact.objects.count() == 2


def test_the_inputs_hash_depends_on_format_basis_and_kind(small_city):
    city = small_city.city
    pdf = AnnualReportExporter(region=city, year=2015, basis="verified").inputs_hash("pdf")
    assert pdf == AnnualReportExporter(region=city, year=2015, basis="verified").inputs_hash("pdf")
    assert pdf != AnnualReportExporter(region=city, year=2015, basis="verified").inputs_hash("xlsx")
    assert pdf != AnnualReportExporter(region=city, year=2015, basis="self").inputs_hash("pdf")
    assert pdf != RankingNoticeExporter(region=city, year=2015, basis="verified").inputs_hash("pdf")


def test_a_user_who_cannot_read_the_region_is_refused_and_nothing_is_created(small_city):
    outsider = make_user("130300", "leader")  # 秦皇岛市
    county_staff = make_user("130528", "staff")  # a county below 邢台市: not the city itself
    for user in (outsider, county_staff):
        with pytest.raises(PermissionDenied):
            request(user, small_city.city)
    assert ReportArtifact.objects.count() == 0


def test_nothing_to_report_is_a_clear_error(catalog, region):
    with pytest.raises(ReportError, match="尚无核定得分"):
        request(make_user("130300", "leader"), region("130300"))


def test_a_task_delivered_twice_renders_once(small_city, leader, render_counts):
    artifact = request(leader, small_city.city)  # enqueue callback not run: stays pending
    assert artifact.status == ReportArtifact.Status.PENDING
    before = render_counts()["annual_report"]

    assert services.report_generate(artifact_id=artifact.pk).status == ReportArtifact.Status.DONE
    assert services.report_generate(artifact_id=artifact.pk) is None  # already done: skipped
    assert render_counts()["annual_report"] == before + 1


def test_progress_is_reported_and_ends_at_100(small_city, leader):
    artifact = request(leader, small_city.city)
    seen: list[int] = []
    done = services.report_generate(artifact_id=artifact.pk, progress=lambda pct, note: seen.append(pct))
    assert seen == sorted(seen) and len(seen) >= 3
    assert all(0 < p < 100 for p in seen)
    assert (done.progress, done.progress_note, done.status) == (
        100,
        "文件已存档，可以下载",
        ReportArtifact.Status.DONE,
    )
    assert done.render_seconds is not None and done.render_seconds > 0


def test_a_failed_render_is_recorded_and_does_not_block_a_retry(
    small_city, leader, monkeypatch, eager_celery, django_capture_on_commit_callbacks
):
    with monkeypatch.context() as patch, django_capture_on_commit_callbacks(execute=True):
        patch.setattr(fonts, "cjk_families", lambda: ())
        failed = request(leader, small_city.city, fmt="pdf")
    failed.refresh_from_db()
    assert failed.status == ReportArtifact.Status.FAILED
    assert "未找到中文（CJK）字体" in failed.error
    assert not failed.file

    monkeypatch.setattr(services, "_enqueue", lambda artifact: None)
    retry = request(leader, small_city.city, fmt="pdf")
    assert retry.pk != failed.pk
    assert retry.inputs_hash == failed.inputs_hash
    assert retry.status == ReportArtifact.Status.PENDING


def test_a_stale_pending_artifact_is_given_up_and_replaced(small_city, leader):
    lost = request(leader, small_city.city)
    ReportArtifact.objects.filter(pk=lost.pk).update(requested_at=timezone.now() - timedelta(hours=2))
    fresh = request(leader, small_city.city)
    lost.refresh_from_db()
    assert fresh.pk != lost.pk
    assert lost.status == ReportArtifact.Status.FAILED
    assert "超时" in lost.error


def test_build_for_the_command_renders_then_reuses(small_city, render_counts):
    before = render_counts()["ranking_notice"]
    artifact, rendered = services.report_build(
        kind="ranking_notice", fmt="xlsx", region=small_city.city, year=2015, basis="verified"
    )
    again, rendered_again = services.report_build(
        kind="ranking_notice", fmt="xlsx", region=small_city.city, year=2015, basis="verified"
    )
    assert (rendered, rendered_again) == (True, False)
    assert again.pk == artifact.pk and again.sha256 == artifact.sha256
    assert render_counts()["ranking_notice"] == before + 1
    assert artifact.requested_by is None


def test_a_task_redelivered_after_its_worker_died_takes_its_artifact_over(small_city, leader):
    artifact = request(leader, small_city.city)
    ReportArtifact.objects.filter(pk=artifact.pk).update(status="running", progress=30)  # worker died here
    assert services.report_generate(artifact_id=artifact.pk, redelivered_task_id="another-task") is None
    done = services.report_generate(artifact_id=artifact.pk, redelivered_task_id=artifact.task_id)
    assert done.status == ReportArtifact.Status.DONE and done.progress == 100
