"""Evidence files: type by content, size limit, checksum, downloads only within the reader's subtree."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.policy import SYSTEM
from indicators import services
from indicators.models import Evidence, Figure, Indicator, Region
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100


def ooxml(kind: str, macro: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        part = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml", "pptx": "ppt/presentation.xml"}[kind]
        zf.writestr(part, "<x/>")
        if macro:
            zf.writestr(part.split("/")[0] + "/vbaProject.bin", b"\x00" * 10)
    return buf.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(catalog):
    return make_user("130528", "staff")


@pytest.fixture
def figure(clerk) -> Figure:
    return services.figure_save(
        actor=clerk,
        region=Region.objects.get(code="130528"),
        indicator=Indicator.objects.get(code="PQ_SAMPLING_PASS"),
        year=2025,
        value="97.5",
        expected_version=None,
    )


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("通报.pdf", PDF, "application/pdf"),
        ("现场.png", PNG, "image/png"),
        ("现场.JPG", JPEG, "image/jpeg"),
        (
            "说明.docx",
            ooxml("docx"),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("台账.xlsx", ooxml("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "汇报.pptx",
            ooxml("pptx"),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        ),
        ("旧表.xls", OLE, "application/vnd.ms-excel"),
    ],
)
def test_it_accepts_pdf_images_and_office_files_and_stores_the_checksum(
    clerk, figure, name, data, content_type
):
    ev = services.evidence_add(
        actor=clerk, figure=figure, upload=SimpleUploadedFile(name, data, "text/plain")
    )
    ev.refresh_from_db()
    assert ev.content_type == content_type  # from the bytes, not from what the browser claimed
    assert ev.sha256 == hashlib.sha256(data).hexdigest()
    assert ev.size == len(data) and ev.original_name == name
    assert ev.file.name.startswith(f"evidence/{ev.sha256[:2]}/{ev.sha256}")
    with ev.file.open("rb") as fh:
        assert fh.read() == data


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("report.pdf", b"MZ\x90\x00\x03 this is an exe", "内容与扩展名 .pdf 不符"),
        ("photo.pdf", PNG, "内容与扩展名 .pdf 不符"),
        ("doc.docx", ooxml("xlsx"), "内容与扩展名 .docx 不符"),
        ("macro.docx", ooxml("docx", macro=True), "含宏"),
        ("virus.exe", b"MZ\x90\x00", "类型不支持"),
        ("page.html", b"<html><script>alert(1)</script>", "类型不支持"),
        ("empty.pdf", b"", "空文件"),
    ],
)
def test_it_refuses_files_whose_content_is_not_what_they_claim(clerk, figure, name, data, message):
    with pytest.raises(services.ValidationFailed) as exc:
        services.evidence_add(actor=clerk, figure=figure, upload=SimpleUploadedFile(name, data))
    assert message in exc.value.message
    assert Evidence.objects.count() == 0


def test_it_refuses_a_file_over_the_size_limit(clerk, figure, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(services.ValidationFailed) as exc:
        services.evidence_add(
            actor=clerk, figure=figure, upload=SimpleUploadedFile("big.pdf", PDF + b"0" * 2000)
        )
    assert "超过大小上限" in exc.value.message
    assert Evidence.objects.count() == 0


def test_the_same_file_twice_is_refused(clerk, figure):
    services.evidence_add(actor=clerk, figure=figure, upload=SimpleUploadedFile("a.pdf", PDF))
    with pytest.raises(services.ValidationFailed, match="已上传过"):
        services.evidence_add(actor=clerk, figure=figure, upload=SimpleUploadedFile("b.pdf", PDF))
    assert Evidence.objects.count() == 1


def test_a_path_in_the_file_name_is_dropped(clerk, figure):
    ev = services.evidence_add(
        actor=clerk, figure=figure, upload=SimpleUploadedFile("../../etc/通报.pdf", PDF)
    )
    assert ev.original_name == "通报.pdf"


def test_only_users_who_may_update_the_region_upload(figure):
    leader = make_user("130528", "leader")
    with pytest.raises(services.policy.PermissionDenied):
        services.evidence_add(actor=leader, figure=figure, upload=SimpleUploadedFile("a.pdf", PDF))
    assert Evidence.objects.count() == 0


def test_an_approved_figure_takes_no_more_evidence(clerk, figure):
    reviewer = make_user("130500", "reviewer")
    figure = services.figure_submit(actor=clerk, figure=figure, expected_version=figure.version)
    figure = services.figure_approve(actor=reviewer, figure=figure, expected_version=figure.version)
    with pytest.raises(services.LockedError):
        services.evidence_add(actor=clerk, figure=figure, upload=SimpleUploadedFile("a.pdf", PDF))


def test_the_detail_page_uploads_evidence(client, clerk, figure):
    client.force_login(clerk)
    response = client.post(f"/figures/{figure.pk}/evidence/", {"file": SimpleUploadedFile("通报.pdf", PDF)})
    assert response.status_code == 302
    assert figure.evidence.get().original_name == "通报.pdf"
    bad = client.post(f"/figures/{figure.pk}/evidence/", {"file": SimpleUploadedFile("x.pdf", b"GIF89a....")})
    assert bad.status_code == 400
    assert "内容与扩展名 .pdf 不符" in bad.content.decode()
    assert figure.evidence.count() == 1


@pytest.mark.parametrize(
    ("region", "roles", "allowed"),
    [
        ("130528", ["staff"], True),  # own region
        ("130500", ["reviewer"], True),  # the city above
        ("130500", ["leader"], True),
        ("130000", ["leader"], True),  # the province above
        ("130529", ["staff"], False),  # a sibling county
        ("130300", ["leader"], False),  # another city
        ("210700", ["admin"], False),  # another province's city
    ],
)
def test_downloads_only_for_users_who_may_read_the_region(client, figure, region, roles, allowed):
    ev = services.evidence_add(actor=SYSTEM, figure=figure, upload=SimpleUploadedFile("通报.pdf", PDF))
    client.force_login(make_user(region, *roles))
    response = client.get(f"/evidence/{ev.pk}/")
    if allowed:
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
    else:
        assert response.status_code == 404


def test_anonymous_users_cannot_download(client, figure):
    ev = services.evidence_add(actor=SYSTEM, figure=figure, upload=SimpleUploadedFile("通报.pdf", PDF))
    response = client.get(f"/evidence/{ev.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
