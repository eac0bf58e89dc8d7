"""The progress page in chromium: static/js/reports.js polls the JSON status and shows it."""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from indicators.models import Region
from reports.models import ReportArtifact
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_page_follows_the_progress_until_the_download_appears(
    live_login, page, catalog, media_root, offsite_requests, console_errors, artifacts_dir
):
    city = Region.objects.get(code="130500")
    artifact = ReportArtifact.objects.create(
        kind="annual_report", fmt="pdf", region=city, year=2015, basis="verified", inputs_hash="b" * 64
    )
    base = live_login(make_user("130500", "leader", username="report_leader"))
    page.goto(f"{base}/reports/{artifact.pk}/")
    assert page.inner_text("[data-field=percent]") == "0%"
    assert page.is_hidden("[data-field=download]")

    ReportArtifact.objects.filter(pk=artifact.pk).update(
        status="running", progress=40, progress_note="已渲染图表 2/4"
    )
    expect(page.locator("[data-field=percent]")).to_have_text("40%", timeout=10_000)
    assert page.inner_text("[data-field=note]") == "已渲染图表 2/4"
    assert page.inner_text("[data-field=status_label]") == "生成中"
    assert page.get_attribute("progress", "value") == "40"

    content = b"%PDF-1.7 test"
    artifact.refresh_from_db()
    artifact.sha256 = hashlib.sha256(content).hexdigest()
    artifact.file.save("r.pdf", ContentFile(content), save=False)
    artifact.filename, artifact.content_type, artifact.size = "报告.pdf", "application/pdf", len(content)
    artifact.status, artifact.progress, artifact.progress_note = "done", 100, "已完成"
    artifact.save()
    page.wait_for_selector("[data-field=download]:not([hidden])", timeout=10_000)
    assert page.get_attribute("[data-field=download_link]", "href") == f"/reports/{artifact.pk}/download/"
    assert page.inner_text("[data-field=sha256]") == artifact.sha256
    assert page.get_attribute("#report-status", "data-status") == "done"
    page.screenshot(path=str(artifacts_dir / "report-progress-done.png"), full_page=True)
    page.goto(f"{base}/reports/")
    assert page.inner_text("table.data tbody tr td:first-child") == "年度考核报告"
    page.screenshot(path=str(artifacts_dir / "report-index.png"), full_page=True)
    assert offsite_requests == []
    assert console_errors == []
