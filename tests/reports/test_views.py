"""Report pages: request, progress page with its JSON status, download; the policy on each."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from reports.models import ReportArtifact
from tests.factories import make_user
from tests.reports.builders import build_scored_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city(catalog, media_root):
    return build_scored_city(n_counties=3, n_indicators=4, with_awards=False)


@pytest.fixture
def leader_client(client, small_city):
    client.force_login(make_user("130500", "leader"))
    return client


def post_request(client, django_capture_on_commit_callbacks, **overrides):
    data = {"kind": "annual_report", "fmt": "xlsx", "region": "130500", "year": 2015, "basis": "verified"}
    data.update(overrides)
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("reports:request"), data)


def test_the_reports_page_offers_the_form_and_is_linked_from_the_nav(leader_client):
    response = leader_client.get(reverse("reports:index"))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'action="/reports/request/"' in body
    assert '<option value="130500" selected>邢台市（130500）</option>' in body
    assert 'value="2015"' in body  # the latest scored year is the default
    assert 'href="/reports/">考核报告</a>' in body


def test_a_request_runs_the_task_and_the_page_offers_the_download(
    leader_client, eager_celery, django_capture_on_commit_callbacks
):
    response = post_request(leader_client, django_capture_on_commit_callbacks)
    artifact = ReportArtifact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{artifact.pk}/"
    assert artifact.status == ReportArtifact.Status.DONE

    page = leader_client.get(response["Location"]).content.decode()
    assert f'data-status-url="/reports/{artifact.pk}/status.json"' in page
    assert f'href="/reports/{artifact.pk}/download/"' in page

    download = leader_client.get(f"/reports/{artifact.pk}/download/")
    content = b"".join(download.streaming_content)
    assert download.status_code == 200
    assert hashlib.sha256(content).hexdigest() == artifact.sha256
    assert download["X-Content-SHA256"] == artifact.sha256
    assert "attachment" in download["Content-Disposition"]
    assert download["Content-Type"].startswith("application/vnd.openxmlformats")


def test_asking_again_with_unchanged_inputs_redirects_to_the_stored_artifact(
    leader_client, eager_celery, django_capture_on_commit_callbacks, render_counts
):
    first = post_request(leader_client, django_capture_on_commit_callbacks)
    renders = render_counts()["annual_report"]
    second = post_request(leader_client, django_capture_on_commit_callbacks)
    assert second["Location"] == first["Location"]
    assert render_counts()["annual_report"] == renders
    assert ReportArtifact.objects.count() == 1
    page = leader_client.get(second["Location"]).content.decode()
    assert "数据未变化，已直接提供存档的报告文件" in page


def test_the_status_endpoint_reports_progress_as_json(leader_client, small_city):
    artifact = ReportArtifact.objects.create(
        kind="annual_report",
        fmt="pdf",
        region=small_city.city,
        year=2015,
        basis="verified",
        inputs_hash="x" * 64,
        status=ReportArtifact.Status.RUNNING,
        progress=40,
        progress_note="已渲染图表 2/4",
    )
    response = leader_client.get(f"/reports/{artifact.pk}/status.json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response.json() == {
        "id": artifact.pk,
        "kind": "annual_report",
        "format": "pdf",
        "region": "130500",
        "year": 2015,
        "basis": "verified",
        "status": "running",
        "status_label": "生成中",
        "progress": 40,
        "note": "已渲染图表 2/4",
        "error": "",
        "finished": False,
        "sha256": None,
        "size": None,
        "filename": None,
        "download_url": None,
    }
    assert leader_client.get(f"/reports/{artifact.pk}/download/").status_code == 404  # not done yet


def test_the_progress_page_polls_with_a_static_script_not_an_inline_one(leader_client, small_city):
    artifact = ReportArtifact.objects.create(
        kind="annual_report",
        fmt="pdf",
        region=small_city.city,
        year=2015,
        basis="verified",
        inputs_hash="y" * 64,
    )
    response = leader_client.get(f"/reports/{artifact.pk}/")
    body = response.content.decode()
    assert '<script src="/static/js/reports.js"></script>' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body)  # every script has a src
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert 'data-status="pending"' in body
    assert '<progress max="100" value="0"' in body


def test_a_user_who_cannot_read_the_region_gets_403_for_its_report(
    client, small_city, eager_celery, django_capture_on_commit_callbacks
):
    owner = make_user("130500", "leader")
    client.force_login(owner)
    post_request(client, django_capture_on_commit_callbacks)
    artifact = ReportArtifact.objects.get()

    for outsider in (
        make_user("130300", "leader"),
        make_user("130528", "leader"),
    ):  # another city; a county below
        client.force_login(outsider)
        assert post_request(client, django_capture_on_commit_callbacks).status_code == 403
        assert client.get(f"/reports/{artifact.pk}/").status_code == 403
        assert client.get(f"/reports/{artifact.pk}/status.json").status_code == 403
        assert client.get(f"/reports/{artifact.pk}/download/").status_code == 403
        assert f"/reports/{artifact.pk}/" not in client.get(reverse("reports:index")).content.decode()
    assert ReportArtifact.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, small_city):
    response = client.get(reverse("reports:index"))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_request_without_scores_explains_why(client, catalog, django_capture_on_commit_callbacks):
    client.force_login(make_user("130300", "leader"))
    response = post_request(client, django_capture_on_commit_callbacks, region="130300")
    assert response.status_code == 400
    assert "秦皇岛市2015年度尚无核定得分" in response.content.decode()
    assert not ReportArtifact.objects.exists()


def test_an_unknown_region_code_is_a_form_error(leader_client, django_capture_on_commit_callbacks):
    response = post_request(leader_client, django_capture_on_commit_callbacks, region="999999")
    assert response.status_code == 400
    assert "地区代码不存在" in response.content.decode()


def test_the_list_shows_artifacts_made_by_the_command_too(leader_client, small_city):
    ReportArtifact.objects.create(
        kind="ranking_notice",
        fmt="xlsx",
        region=small_city.city,
        year=2015,
        basis="verified",
        inputs_hash="c" * 64,
    )
    body = leader_client.get(reverse("reports:index")).content.decode()
    assert "考核结果通报" in body
    assert "<td>命令行</td>" in body
