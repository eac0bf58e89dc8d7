"""/api/v1/reports/: request, reuse, status, download; the same policy as the pages."""

from __future__ import annotations

import hashlib

import pytest
from rest_framework.test import APIClient

from reports.models import ReportArtifact
from tests.factories import make_user
from tests.reports.builders import build_scored_city

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city(catalog, media_root):
    return build_scored_city(n_counties=3, n_indicators=4, with_awards=False)


def api_for(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


BODY = {"kind": "ranking_notice", "format": "xlsx", "region": "130500", "year": 2015, "basis": "verified"}


def test_post_queues_a_report_then_returns_the_stored_one(
    small_city, eager_celery, django_capture_on_commit_callbacks
):
    api = api_for(make_user("130500", "reviewer"))
    with django_capture_on_commit_callbacks(execute=True):
        first = api.post("/api/v1/reports/", BODY, format="json")
    assert first.status_code == 201
    assert first.data["status"] == "pending"  # queued; the task runs after the commit
    status = api.get(f"/api/v1/reports/{first.data['id']}/")
    assert (status.data["status"], status.data["progress"]) == ("done", 100)  # the (eager) task has run

    with django_capture_on_commit_callbacks(execute=True):
        second = api.post("/api/v1/reports/", BODY, format="json")
    assert second.status_code == 200
    assert second.data["id"] == first.data["id"]
    assert second.data["sha256"] == status.data["sha256"]
    assert ReportArtifact.objects.count() == 1

    assert status.data["api_download_url"] == f"/api/v1/reports/{first.data['id']}/download/"
    download = api.get(status.data["api_download_url"])
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == status.data["sha256"]


def test_a_user_outside_the_region_gets_403(small_city, eager_celery, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = api_for(make_user("130500", "leader")).post("/api/v1/reports/", BODY, format="json")
    outsider = api_for(make_user("130300", "leader"))
    with django_capture_on_commit_callbacks(execute=True):
        assert outsider.post("/api/v1/reports/", BODY, format="json").status_code == 403
    assert outsider.get(f"/api/v1/reports/{created.data['id']}/").status_code == 403
    assert outsider.get(f"/api/v1/reports/{created.data['id']}/download/").status_code == 403
    assert outsider.get("/api/v1/reports/").data == []
    assert ReportArtifact.objects.count() == 1


def test_invalid_requests_are_400_with_a_reason(small_city):
    api = api_for(make_user("130500", "leader"))
    assert api.post("/api/v1/reports/", {**BODY, "format": "docx"}, format="json").status_code == 400
    missing = api.post("/api/v1/reports/", {**BODY, "region": "999999"}, format="json")
    assert missing.status_code == 400 and "地区代码不存在" in str(missing.data)
    county = api.post("/api/v1/reports/", {**BODY, "region": "130502"}, format="json")
    assert county.status_code == 400 and "没有下级地区" in str(county.data)


def test_anonymous_requests_are_refused(small_city):
    assert APIClient().get("/api/v1/reports/").status_code in (401, 403)


def test_the_openapi_schema_documents_the_endpoint(client, catalog):
    client.force_login(make_user("130500", "leader"))
    schema = client.get("/api/schema/").content.decode()
    assert "/api/v1/reports/" in schema
    assert "/api/v1/reports/{id}/download/" in schema
