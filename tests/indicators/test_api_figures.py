"""The figures API: create, update with versions (409 on conflict), workflow actions, history,
filters, bulk review, evidence, token login, schema and docs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.authtoken.models import Token

from indicators.models import Figure
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

YEAR = 2025
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class Api:
    """A token-authenticated JSON client for one user."""

    def __init__(self, client, user):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}

    def get(self, url):
        return self.client.get(url, **self.headers)

    def post(self, url, body=None):
        return self.client.post(url, body or {}, content_type="application/json", **self.headers)

    def put(self, url, body):
        return self.client.put(url, body, content_type="application/json", **self.headers)

    def patch(self, url, body):
        return self.client.patch(url, body, content_type="application/json", **self.headers)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(catalog):
    return make_user("130528", "staff", username="api_clerk", first_name="接口填报员")


@pytest.fixture
def api(client, clerk):
    return Api(client, clerk)


@pytest.fixture
def reviewer_api(catalog):
    from django.test import Client

    return Api(Client(), make_user("130500", "reviewer", username="api_reviewer"))


def create(api, code="PQ_SAMPLING_PASS", value="97.5", region="130528"):
    response = api.post(
        "/api/v1/figures/", {"region": region, "indicator": code, "year": YEAR, "value": value}
    )
    assert response.status_code == 201, response.json()
    return response.json()


def submit(api, fig):
    response = api.post(f"/api/v1/figures/{fig['id']}/submit/", {"version": fig["version"]})
    assert response.status_code == 200, response.json()
    return response.json()


def test_create_returns_the_new_draft(api, clerk):
    body = create(api, value="97.5")
    assert body["region"] == "130528" and body["region_name"] == "宁晋县"
    assert (body["indicator"], body["year"], body["status"], body["version"]) == (
        "PQ_SAMPLING_PASS",
        YEAR,
        "draft",
        1,
    )
    assert Decimal(body["value"]) == Decimal("97.5")
    assert body["entered_by"] == "api_clerk"
    assert Figure.objects.get().entered_by == clerk


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"value": "abc"}, "value", "“abc”不是数字"),
        ({"value": 120}, "value", "大于指标上限 100"),
        ({"indicator": "BR_CHINA_TOP_BRAND", "value": 2.5}, "value", "数量类指标须为整数"),
        ({"region": "999999"}, "region", "地区代码“999999”不存在"),
        ({"indicator": "NOPE"}, "indicator", "指标代码“NOPE”不存在"),
        ({"year": 1900}, "year", "年度须在"),
    ],
)
def test_invalid_input_is_a_400_with_chinese_messages_per_field(api, payload, field, message):
    body = {"region": "130528", "indicator": "PQ_SAMPLING_PASS", "year": YEAR, "value": "97"} | payload
    response = api.post("/api/v1/figures/", body)
    assert response.status_code == 400
    assert message in " ".join(response.json()["errors"][field])
    assert Figure.objects.count() == 0


def test_a_stale_update_is_a_409_with_the_current_figure_and_both_values_survive(client, catalog, clerk, api):
    other = Api(client, make_user("130528", "staff", username="api_clerk2"))
    fig = create(api, value="95")
    assert (
        api.put(f"/api/v1/figures/{fig['id']}/", {"value": "96", "version": fig["version"]}).status_code
        == 200
    )
    response = other.put(f"/api/v1/figures/{fig['id']}/", {"value": "97", "version": fig["version"]})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert Decimal(body["current"]["value"]) == Decimal("96") and body["current"]["version"] == 2
    assert body["attempted"] == "97"
    assert "当前值为 96" in body["detail"]
    assert Figure.objects.get().value == Decimal("96")
    # The second client re-reads and saves deliberately; the history keeps 95, 96 and 97.
    again = other.patch(
        f"/api/v1/figures/{fig['id']}/", {"value": "97", "version": body["current"]["version"]}
    )
    assert again.status_code == 200
    history = api.get(f"/api/v1/figures/{fig['id']}/history/").json()
    values = [c["new"] for h in history for c in h["changes"] if c["field"] == "value"]
    assert values == ["95", "96", "97"]
    assert [h["user"] for h in history] == ["接口填报员", "接口填报员", "api_clerk2"]


def test_creating_an_existing_figure_is_a_409(api):
    create(api, value="95")
    response = api.post(
        "/api/v1/figures/", {"region": "130528", "indicator": "PQ_SAMPLING_PASS", "year": YEAR, "value": "99"}
    )
    assert response.status_code == 409
    assert Figure.objects.get().value == Decimal("95")


def test_the_review_workflow_through_the_api(api, reviewer_api):
    fig = submit(api, create(api, value="97.5"))
    queue = reviewer_api.get("/api/v1/review-queue/").json()["results"]
    assert [f["id"] for f in queue] == [fig["id"]]
    # An adjusted value needs a reason.
    response = reviewer_api.post(
        f"/api/v1/figures/{fig['id']}/approve/", {"version": fig["version"], "verified_value": "96"}
    )
    assert response.status_code == 400 and "须填写调整原因" in response.json()["detail"]
    response = reviewer_api.post(
        f"/api/v1/figures/{fig['id']}/approve/",
        {"version": fig["version"], "verified_value": "96", "reason": "现场核查核减"},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["reported_value"], body["verified_value"], body["approved_by"]) == (
        "approved",
        "97.5000",
        "96.0000",
        "api_reviewer",
    )
    # Locked: the clerk's update is refused, the value stays.
    locked = api.put(f"/api/v1/figures/{fig['id']}/", {"value": "99", "version": body["version"]})
    assert locked.status_code == 409 and locked.json()["code"] == "locked"
    assert Figure.objects.get().value == Decimal("96")
    # Reopen needs a reason; then the clerk may edit again.
    assert (
        reviewer_api.post(f"/api/v1/figures/{fig['id']}/reopen/", {"version": body["version"]}).status_code
        == 400
    )
    reopened = reviewer_api.post(
        f"/api/v1/figures/{fig['id']}/reopen/", {"version": body["version"], "reason": "口径更正"}
    ).json()
    assert (reopened["status"], reopened["return_reason"]) == ("returned", "口径更正")
    edited = api.put(f"/api/v1/figures/{fig['id']}/", {"value": "99", "version": reopened["version"]})
    assert edited.status_code == 200 and edited.json()["value"] == "99.0000"


def test_return_needs_a_reason(api, reviewer_api):
    fig = submit(api, create(api))
    assert (
        reviewer_api.post(f"/api/v1/figures/{fig['id']}/return/", {"version": fig["version"]}).status_code
        == 400
    )
    response = reviewer_api.post(
        f"/api/v1/figures/{fig['id']}/return/", {"version": fig["version"], "reason": "缺少通报"}
    )
    assert response.status_code == 200
    assert api.get(f"/api/v1/figures/{fig['id']}/").json()["return_reason"] == "缺少通报"


def test_self_approval_is_refused_with_403(client, catalog):
    both = Api(client, make_user("130500", "admin", "reviewer", username="city_admin"))
    fig = submit(both, create(both, region="130528"))
    response = both.post(f"/api/v1/figures/{fig['id']}/approve/", {"version": fig["version"]})
    assert response.status_code == 403
    assert "不能审核自己填报的数据" in response.json()["detail"]
    assert Figure.objects.get().status == "submitted"


def test_bulk_approve_is_all_or_nothing(api, reviewer_api):
    a = submit(api, create(api, "PQ_SAMPLING_PASS"))
    b = submit(api, create(api, "PQ_FOOD_PASS", "95"))
    stale = [{"id": a["id"], "version": a["version"]}, {"id": b["id"], "version": b["version"] - 1}]
    response = reviewer_api.post("/api/v1/figures/bulk-approve/", {"items": stale})
    assert response.status_code == 409
    assert list(response.json()["errors"]) == [str(b["id"])]
    assert set(Figure.objects.values_list("status", flat=True)) == {"submitted"}
    good = [{"id": a["id"], "version": a["version"]}, {"id": b["id"], "version": b["version"]}]
    response = reviewer_api.post("/api/v1/figures/bulk-approve/", {"items": good})
    assert response.status_code == 200 and len(response.json()) == 2
    assert set(Figure.objects.values_list("status", flat=True)) == {"approved"}


def test_bulk_return_with_a_reason(api, reviewer_api):
    a = submit(api, create(api))
    response = reviewer_api.post(
        "/api/v1/figures/bulk-return/",
        {"items": [{"id": a["id"], "version": a["version"]}], "reason": "重报"},
    )
    assert response.status_code == 200
    assert Figure.objects.get().return_reason == "重报"


def test_bulk_actions_on_figures_outside_the_subtree_are_404(client, api, catalog):
    a = submit(api, create(api))
    outsider = Api(client, make_user("130300", "reviewer"))
    response = outsider.post(
        "/api/v1/figures/bulk-approve/", {"items": [{"id": a["id"], "version": a["version"]}]}
    )
    assert response.status_code == 404
    assert Figure.objects.get().status == "submitted"


def test_list_filters(api, client, catalog):
    create(api, "PQ_SAMPLING_PASS")
    submit(api, create(api, "PQ_FOOD_PASS", "95"))
    create(api, "PQ_QCI", "80")
    city = Api(client, make_user("130500", "leader"))

    def codes(query):
        response = city.get(f"/api/v1/figures/?{query}")
        assert response.status_code == 200
        return sorted(f["indicator"] for f in response.json()["results"])

    assert codes("status=submitted") == ["PQ_FOOD_PASS"]
    assert codes("indicator=pq_qci") == ["PQ_QCI"]
    assert codes(f"year={YEAR}&region=130528") == ["PQ_FOOD_PASS", "PQ_QCI", "PQ_SAMPLING_PASS"]
    assert codes("within=130500") == ["PQ_FOOD_PASS", "PQ_QCI", "PQ_SAMPLING_PASS"]
    assert codes("region=130500") == []
    assert codes(f"year_from={YEAR + 1}") == []


def test_regions_and_indicators_endpoints(api):
    body = api.get("/api/v1/indicators/?category=brand").json()
    assert body["count"] == 13 and body["results"][0]["category"] == "brand"
    assert api.get("/api/v1/indicators/PQ_QCI/").json()["name_zh"] == "制造业质量竞争力指数"
    assert api.get("/api/v1/regions/130528/").json()["parent"] == "130500"
    assert api.get("/api/v1/regions/130529/").status_code == 404


def test_evidence_upload_through_the_api(client, clerk, api):
    fig = create(api)
    client.force_login(clerk)
    response = client.post(
        f"/api/v1/figures/{fig['id']}/evidence/", {"file": SimpleUploadedFile("通报.pdf", PDF)}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["content_type"] == "application/pdf" and len(body["sha256"]) == 64
    assert client.get(body["download_url"]).status_code == 200
    bad = client.post(
        f"/api/v1/figures/{fig['id']}/evidence/", {"file": SimpleUploadedFile("x.pdf", b"PK\x03\x04")}
    )
    assert bad.status_code == 400 and "不符" in bad.json()["detail"]


def test_a_token_is_issued_for_a_correct_password(client, clerk):
    response = client.post("/api/v1/auth/token/", {"username": clerk.username, "password": PASSWORD})
    assert response.status_code == 200
    token = response.json()["token"]
    assert client.get("/api/v1/figures/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    assert (
        client.post("/api/v1/auth/token/", {"username": clerk.username, "password": "wrong"}).status_code
        == 400
    )
    assert client.get("/api/v1/figures/", HTTP_AUTHORIZATION="Token not-a-token").status_code in (401, 403)


def test_session_authentication_needs_csrf_for_writes(catalog, clerk):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(clerk)
    assert csrf_client.get("/api/v1/figures/").status_code == 200
    response = csrf_client.post(
        "/api/v1/figures/",
        {"region": "130528", "indicator": "PQ_QCI", "year": YEAR, "value": "80"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert Figure.objects.count() == 0


def test_the_schema_documents_the_endpoints(client, clerk):
    client.force_login(clerk)
    schema = client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/regions/",
        "/api/v1/indicators/",
        "/api/v1/figures/",
        "/api/v1/figures/{id}/",
        "/api/v1/figures/{id}/submit/",
        "/api/v1/figures/{id}/approve/",
        "/api/v1/figures/{id}/return/",
        "/api/v1/figures/{id}/reopen/",
        "/api/v1/figures/{id}/history/",
        "/api/v1/figures/bulk-approve/",
        "/api/v1/review-queue/",
    ):
        assert path in paths, path
    assert "409" in paths["/api/v1/figures/{id}/"]["put"]["responses"]
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert "cdn" not in docs.content.decode().lower()
