"""Permission matrix through the API (token authentication): the same table as the pages."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from tests.factories import make_user
from tests.indicators.permission_matrix import (
    ALLOWED,
    CASES,
    EXISTING,
    HOME,
    NEW,
    RELATIONS,
    YEAR,
    assert_done,
    case_id,
    prepare,
    snapshot,
)

pytestmark = pytest.mark.django_db


def perform(client, headers, action: str, code: str, fig):
    base = "/api/v1/figures/"
    if action == "read":
        return client.get(f"{base}{fig.pk}/", **headers)
    if action == "create":
        body = {"region": code, "indicator": NEW, "year": YEAR, "value": "95"}
        return client.post(base, body, content_type="application/json", **headers)
    if action == "update":
        body = {"value": "96", "version": fig.version}
        return client.put(f"{base}{fig.pk}/", body, content_type="application/json", **headers)
    body = {"version": fig.version} | ({"reason": "请核对"} if action == "return" else {})
    return client.post(f"{base}{fig.pk}/{action}/", body, content_type="application/json", **headers)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_the_api_enforces_the_permission_matrix(client, catalog, case):
    role, relation, action = case
    code = RELATIONS[relation]
    fig = prepare(action, code)
    user = make_user(HOME, role)
    headers = {"HTTP_AUTHORIZATION": f"Token {Token.objects.create(user=user).key}"}
    before = snapshot()
    response = perform(client, headers, action, code, fig)
    if relation in ALLOWED[role][action]:
        assert response.status_code in (200, 201), response.content.decode()[:500]
        assert_done(action, code, fig)
        if action != "create":
            assert response.json()["id"] == fig.pk
            assert response.json()["indicator"] == EXISTING
    else:
        assert response.status_code in (403, 404), response.content.decode()[:500]
        assert snapshot() == before


@pytest.mark.parametrize("role", ["staff", "reviewer", "leader", "admin"])
def test_lists_show_only_the_users_subtree(client, catalog, role):
    for code in RELATIONS.values():
        prepare("read", code)
    client.force_login(make_user(HOME, role))
    figures = client.get("/api/v1/figures/").json()["results"]
    assert sorted(f["region"] for f in figures) == ["130500", "130528"]
    regions = client.get("/api/v1/regions/?limit=500").json()["results"]
    codes = {r["code"] for r in regions}
    assert "130500" in codes and "130528" in codes
    assert not codes & {"130000", "130300", "210700"}
    assert client.get("/api/v1/regions/130300/").status_code == 404


def test_anonymous_requests_are_refused(client, catalog):
    fig = prepare("read", "130528")
    before = snapshot()
    assert client.get(f"/api/v1/figures/{fig.pk}/").status_code in (401, 403)
    response = client.post(
        "/api/v1/figures/",
        {"region": "130528", "indicator": "PQ_FOOD_PASS", "year": YEAR, "value": "95"},
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert snapshot() == before
