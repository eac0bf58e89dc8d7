"""Hostile request data that used to reach PostgreSQL and end in a 500 (found by fuzzing).

PostgreSQL text cannot hold a NUL character: any query carrying one raises
DataError. `quality_city.resilience.RejectNulBytesMiddleware` answers 400 first,
for the path, the query string and form / JSON bodies (files may contain any
byte). SQLite accepts NUL, so the PostgreSQL run of CI is the one that matters;
the answers are the same on both.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from indicators.models import Evidence, Figure
from quality_city.resilience import NUL_MESSAGE
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig
from tests.reliability.hostile import PDF

pytestmark = pytest.mark.django_db

GETS = [
    "/api/v1/figures/?region=%00",
    "/api/v1/figures/?within=1%0030500",
    "/api/v1/figures/?indicator=%00",
    "/api/v1/regions/?q=%00",
    "/api/v1/regions/%00/",
    "/api/v1/indicators/?category=%00",
    "/api/v1/scores/?region=%00",
    "/api/v1/targets/?region=%00",
    "/api/v1/awards/grants/?q=%00",
    "/api/v1/awards/enterprises/?q=%00",
    "/api/v1/awards/award-types/%00/",
    "/scores/?region=%00",
    "/entry/%00/2015/",
    "/dashboards/130500/?year=%00",
]


@pytest.fixture
def user(client, catalog):
    user = make_user("130500", "staff", "reviewer", "leader", username="nul_probe")
    client.force_login(user)
    return user


@pytest.mark.parametrize("url", GETS)
def test_a_nul_in_the_url_is_a_400_not_a_database_error(client, user, url):
    response = client.get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response.json() == {"detail": NUL_MESSAGE, "code": "invalid"}


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (
            "/api/v1/figures/",
            {"region": "130\u0000528", "indicator": "PQ_SAMPLING_PASS", "year": 2015, "value": "1"},
        ),
        ("/api/v1/awards/enterprises/", {"name": "某企业", "credit_code": "x", "region": "\u0000"}),
        (
            "/api/v1/awards/grants/",
            {"award_type": "\u0000", "enterprise": "x", "name": "x", "year_granted": 2015},
        ),
        ("/api/v1/reports/", {"region": "\u0000", "year": 2015}),
    ],
)
def test_a_nul_in_a_json_body_is_a_400_and_writes_nothing(client, user, url, body):
    response = client.post(url, body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert Figure.objects.count() == 0


def test_a_nul_in_a_form_field_is_a_400_but_files_may_hold_any_byte(client, user):
    figure = fig("130500", "PQ_SAMPLING_PASS", 2015, 97, status="draft")
    refused = client.post("/api/v1/awards/enterprises/", {"name": "x", "credit_code": "x", "region": "1\x00"})
    assert refused.status_code == 400
    staff = make_user("130500", "staff", username="nul_clerk")
    client.force_login(staff)
    binary = PDF + b"\x00\x01\x02" * 100  # a real PDF has binary streams
    accepted = client.post(
        f"/api/v1/figures/{figure.pk}/evidence/", {"file": SimpleUploadedFile("a.pdf", binary)}
    )
    assert accepted.status_code == 201, accepted.content
    assert Evidence.objects.count() == 1


def test_a_grant_year_outside_the_calendar_is_a_400(client, user):
    response = client.get("/api/v1/awards/grants/?year=243386")
    assert response.status_code == 400 and "年度" in response.json()["year"][0]


@pytest.mark.parametrize(
    "url", ["/api/v1/indicators/", "/api/v1/regions/", "/api/v1/figures/", "/api/v1/scores/"]
)
def test_a_limit_beyond_what_sql_can_hold_is_clamped(client, user, url):
    response = client.get(f"{url}?limit=4404156938120190035408977920&offset=99999999999999999999999")
    assert response.status_code == 200 and response.json()["results"] == []
    first = client.get(f"{url}?limit=4404156938120190035408977920").json()
    assert len(first["results"]) == min(first["count"], 10_000)
