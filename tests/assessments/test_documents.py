"""自评报告 and item evidence: uploaded by the county during 自评, read by it and its group only."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments import services
from assessments.models import Stage
from tests.assessments.conftest import JULU, NINGJIN, item_score

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_a_county_uploads_its_report_and_item_evidence_and_its_group_reads_them(cycle, client, media):
    cycle.file_and_accept()
    cycle.enter_figures(NINGJIN)
    client.force_login(cycle.staff(NINGJIN))
    base = [cycle.assessment.pk, NINGJIN]
    report = client.post(
        reverse("assessments:self-report", args=base),
        {"report": SimpleUploadedFile("宁晋县2015年度质量工作自评报告.pdf", PDF, "application/pdf")},
    )
    assert report.status_code == 302
    row = cycle.row(NINGJIN)
    assert row.self_report_name == "宁晋县2015年度质量工作自评报告.pdf"
    assert row.self_report.name.startswith("assessment-reports/") and row.self_report.name.endswith(".pdf")

    fake = client.post(
        reverse("assessments:self-report", args=base),
        {"report": SimpleUploadedFile("report.pdf", b"not a pdf at all", "application/pdf")},
        follow=True,
    )
    assert "内容与扩展名 .pdf 不符" in fake.content.decode()
    assert cycle.row(NINGJIN).self_report_name == "宁晋县2015年度质量工作自评报告.pdf"

    client.post(
        reverse("assessments:item-self", args=[*base, cycle.item.pk]),
        {"points": "8.5", "reason": "召开专题会议 2 次", "evidence": SimpleUploadedFile("会议纪要.png", PNG)},
    )
    score = item_score(NINGJIN, cycle.item)
    assert (str(score.self_points), score.self_reason) == ("8.50", "召开专题会议 2 次")
    assert score.evidence.name.endswith(".png")

    services.county_submit_self(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))
    assert cycle.row(NINGJIN).stage == Stage.REVIEW

    cycle.assign_groups()
    download = reverse("assessments:self-report-download", args=base)
    evidence = reverse("assessments:item-evidence", args=[*base, cycle.item.pk])
    client.force_login(cycle.users["verifier_a"])
    got = client.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert client.get(evidence).status_code == 200
    client.force_login(cycle.staff(JULU))  # a neighbouring county
    assert client.get(download).status_code == 403
    assert client.get(evidence).status_code == 403
