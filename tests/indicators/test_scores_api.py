"""/api/v1/targets/, /api/v1/scores/, /api/v1/target-scores/: read-only, limited to the user's subtree."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from indicators.models import RegionScore
from indicators.scoring_service import compute_scores
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig, tgt

pytestmark = pytest.mark.django_db


@pytest.fixture
def scored(catalog, region):
    for county, value in (("130521", 98), ("130522", 90)):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98)
        fig(county, "PQ_SAMPLING_PASS", 2015, value)
    tgt("130302", "PQ_SAMPLING_PASS", 2015, 98)  # 秦皇岛市海港区
    compute_scores(year=2015)


def test_scores_are_listed_with_filters(scored, client):
    client.force_login(make_user("130500", "leader"))
    data = client.get("/api/v1/scores/?year=2015&basis=verified&parent=130500").json()
    assert data["count"] == 2
    first = data["results"][0]
    assert (first["region_code"], first["parent_code"], first["total"], first["grade"], first["rank"]) == (
        "130521",
        "130500",
        "100.00",
        "A",
        1,
    )
    rows = client.get("/api/v1/target-scores/?region=130522&basis=self").json()["results"]
    assert [(r["indicator_code"], r["actual"], r["completion"], r["points"], r["status"]) for r in rows] == [
        ("PQ_SAMPLING_PASS", "90.0000", "0.918367", "3.6735", "not_met")
    ]
    targets = client.get("/api/v1/targets/?within=130500").json()["results"]
    assert {t["region_code"] for t in targets} == {"130521", "130522"}


def test_nothing_outside_the_users_subtree_is_visible(scored, client):
    client.force_login(make_user("130500", "leader"))
    codes = {r["region_code"] for r in client.get("/api/v1/scores/").json()["results"]}
    assert codes == {"130521", "130522"}  # 海港区 (秦皇岛市) is not listed
    outside = RegionScore.objects.filter(region__code="130302").first()
    assert client.get(f"/api/v1/scores/{outside.pk}/").status_code == 404
    assert client.get("/api/v1/scores/?region=130302").status_code == 403
    assert client.get("/api/v1/targets/?within=130300").status_code == 403
    assert client.get("/api/v1/scores/?region=999999").status_code == 404
    assert client.get("/api/v1/scores/?basis=both").status_code == 400


def test_token_authentication_works_and_anonymous_is_refused(scored, client):
    assert client.get("/api/v1/scores/").status_code in (401, 403)
    token = Token.objects.create(user=make_user("130521", "staff"))
    response = client.get("/api/v1/scores/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200
    assert {r["region_code"] for r in response.json()["results"]} == {"130521"}


def test_the_endpoints_are_read_only(scored, client):
    client.force_login(make_user("130500", "admin"))
    assert client.post("/api/v1/targets/", {}).status_code == 405
    score = RegionScore.objects.filter(region__code="130521").first()
    assert client.delete(f"/api/v1/scores/{score.pk}/").status_code == 405


def test_the_schema_documents_the_endpoints(scored, client):
    client.force_login(make_user("130500", "admin"))
    schema = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/targets/", "/api/v1/scores/", "/api/v1/target-scores/"):
        assert path in schema
