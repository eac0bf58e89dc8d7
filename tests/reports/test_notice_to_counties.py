"""A published ranking notice (考核结果通报) reaches the counties it ranks.

policy.can_download_report: EXPORT on the notice's region, or a notice made from
published results and a user whose own region lies below it. Draft notices and
annual reports stay with EXPORT; other cities' users get nothing.
"""

from __future__ import annotations

import hashlib

import pytest
from django.core.files.base import ContentFile

from accounts import policy
from indicators.models import Region
from reports.models import ReportArtifact
from tests.factories import make_user

pytestmark = pytest.mark.django_db


BODY = b"%PDF-1.7 notice body"


def artifact(region: Region, *, kind: str = "ranking_notice", published: bool = True) -> ReportArtifact:
    a = ReportArtifact(
        kind=kind,
        fmt="pdf",
        region=region,
        year=2015,
        basis="verified",
        status=ReportArtifact.Status.DONE,
        inputs_hash=f"{kind}-{published}".ljust(64, "0"),
        published=published,
        filename=f"{kind}.pdf",
        content_type="application/pdf",
        sha256=hashlib.sha256(BODY).hexdigest(),
        size=len(BODY),
    )
    a.file.save(f"{kind}-{published}.pdf", ContentFile(BODY), save=True)
    return a


@pytest.fixture
def xingtai(catalog, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return Region.objects.get(code="130500")


def test_a_county_user_downloads_the_published_notice_of_their_city(client, xingtai):
    notice = artifact(xingtai)
    client.force_login(make_user("130521", "staff"))  # 邢台县, below 邢台市

    page = client.get(f"/reports/{notice.pk}/")
    download = client.get(f"/reports/{notice.pk}/download/")
    api = client.get(f"/api/v1/reports/{notice.pk}/download/")
    listing = client.get("/api/v1/reports/").json()

    assert page.status_code == 200
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == BODY
    assert api.status_code == 200
    assert [row["id"] for row in listing] == [notice.pk]
    assert f"/reports/{notice.pk}/" in client.get("/reports/").content.decode()


@pytest.mark.parametrize(("kind", "published"), [("ranking_notice", False), ("annual_report", True)])
def test_drafts_and_annual_reports_of_the_city_stay_with_export(client, xingtai, kind, published):
    other = artifact(xingtai, kind=kind, published=published)
    client.force_login(make_user("130521", "leader"))

    assert client.get(f"/reports/{other.pk}/download/").status_code == 403
    assert client.get(f"/api/v1/reports/{other.pk}/download/").status_code == 403
    assert client.get("/api/v1/reports/").json() == []


def test_users_of_another_city_or_the_cities_own_region_rules_are_unchanged(client, xingtai):
    notice = artifact(xingtai)
    outsider = make_user("130300", "leader")  # 秦皇岛市
    city_staff = make_user("130500", "staff")

    assert policy.can_download_report(outsider, notice) is False
    assert policy.can_download_report(city_staff, notice) is True  # EXPORT on its own city
    client.force_login(outsider)
    assert client.get(f"/reports/{notice.pk}/download/").status_code == 403
    assert client.get("/api/v1/reports/").json() == []


def test_an_inactive_or_anonymous_user_gets_nothing(client, xingtai):
    notice = artifact(xingtai)
    county = make_user("130521", "staff")
    county.is_active = False
    county.save()

    assert policy.can_download_report(county, notice) is False
    response = client.get(f"/reports/{notice.pk}/download/")
    assert response.status_code == 302 and "/login" in response["Location"]
