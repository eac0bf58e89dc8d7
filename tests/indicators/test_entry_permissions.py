"""Permission matrix through the pages: every role x own/child/sibling/parent/unrelated region x
read/create/update/submit/approve/return. Denials are 403 or 404 and leave the database unchanged."""

from __future__ import annotations

import pytest

from indicators import services
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


def perform(client, action: str, code: str, fig):
    grid = f"/entry/{code}/{YEAR}/"
    if action == "read":
        return client.get(grid)
    if action == "create":
        return client.post(grid, {"action": "save", f"v_{NEW}": "95", f"o_{NEW}": "", f"ver_{NEW}": "0"})
    if action == "update":
        shown = services.format_value(fig.reported_value)
        return client.post(
            grid,
            {"action": "save", f"v_{EXISTING}": "96", f"o_{EXISTING}": shown, f"ver_{EXISTING}": fig.version},
        )
    if action == "submit":
        return client.post(f"/figures/{fig.pk}/submit/", {"version": fig.version})
    if action == "approve":
        return client.post(f"/figures/{fig.pk}/approve/", {"version": fig.version})
    return client.post(f"/figures/{fig.pk}/return/", {"ret-version": fig.version, "ret-reason": "请核对"})


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_pages_enforce_the_permission_matrix(client, catalog, case):
    role, relation, action = case
    code = RELATIONS[relation]
    fig = prepare(action, code)
    client.force_login(make_user(HOME, role))
    before = snapshot()
    response = perform(client, action, code, fig)
    if relation in ALLOWED[role][action]:
        assert response.status_code in (200, 302), response.content.decode()[:500]
        assert_done(action, code, fig)
    else:
        assert response.status_code in (403, 404)
        assert snapshot() == before


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, catalog):
    fig = prepare("submit", "130528")
    before = snapshot()
    for response in (
        client.get(f"/entry/130528/{YEAR}/"),
        client.post(f"/figures/{fig.pk}/submit/", {"version": fig.version}),
        client.get("/review/"),
        client.get("/import/"),
    ):
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert snapshot() == before
