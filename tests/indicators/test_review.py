"""Review pages: the queue, approve / adjust / return / reopen, bulk actions, self-approval, history."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators import services
from indicators.models import Figure, Indicator, Region
from tests.factories import make_user

pytestmark = pytest.mark.django_db

YEAR = 2025


@pytest.fixture
def clerk(catalog):
    return make_user("130528", "staff", username="ningjin_clerk", first_name="宁晋填报员")


@pytest.fixture
def reviewer(catalog):
    return make_user("130500", "reviewer", username="xingtai_checker", first_name="邢台审核员")


def submitted(actor, code="PQ_SAMPLING_PASS", value="97.5", region="130528") -> Figure:
    fig = services.figure_save(
        actor=actor,
        region=Region.objects.get(code=region),
        indicator=Indicator.objects.get(code=code),
        year=YEAR,
        value=value,
        expected_version=None,
    )
    return services.figure_submit(actor=actor, figure=fig, expected_version=fig.version)


def test_the_queue_lists_submitted_figures_of_the_regions_below(client, clerk, reviewer):
    mine = submitted(clerk)
    draft = services.figure_save(
        actor=clerk,
        region=mine.region,
        indicator=Indicator.objects.get(code="PQ_FOOD_PASS"),
        year=YEAR,
        value="95",
        expected_version=None,
    )
    city_clerk = make_user("130500", "staff")
    own_level = submitted(city_clerk, region="130500")  # the reviewer's own region: not theirs to review
    other_city = submitted(make_user("130300", "staff"), region="130300")
    client.force_login(reviewer)
    response = client.get("/review/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'value="{mine.pk}:{mine.version}"' in body
    for absent in (draft, own_level, other_city):
        assert f'value="{absent.pk}:' not in body
    assert "宁晋填报员" in body


def test_staff_without_review_rights_get_403(client, clerk):
    client.force_login(clerk)
    assert client.get("/review/").status_code == 403


def test_approve_from_the_detail_page(client, clerk, reviewer):
    fig = submitted(clerk)
    client.force_login(reviewer)
    page = client.get(f"/figures/{fig.pk}/").content.decode()
    assert "审核通过" in page and "退回修改" in page
    response = client.post(f"/figures/{fig.pk}/approve/", {"version": fig.version})
    assert response.status_code == 302
    fig.refresh_from_db()
    assert (fig.status, fig.approved_by, fig.verified_value) == ("approved", reviewer, Decimal("97.5"))


def test_approve_with_an_adjusted_value_needs_a_reason_and_keeps_the_reported_one(client, clerk, reviewer):
    fig = submitted(clerk)
    client.force_login(reviewer)
    response = client.post(f"/figures/{fig.pk}/approve/", {"version": fig.version, "verified_value": "96"})
    assert response.status_code == 400
    assert "须填写调整原因" in response.content.decode()
    assert Figure.objects.get().status == "submitted"
    response = client.post(
        f"/figures/{fig.pk}/approve/",
        {"version": fig.version, "verified_value": "96", "reason": "现场核查核减"},
    )
    assert response.status_code == 302
    fig.refresh_from_db()
    assert (fig.reported_value, fig.verified_value, fig.value, fig.adjust_reason) == (
        Decimal("97.5"),
        Decimal("96"),
        Decimal("96"),
        "现场核查核减",
    )


def test_return_needs_a_reason(client, clerk, reviewer):
    fig = submitted(clerk)
    client.force_login(reviewer)
    response = client.post(f"/figures/{fig.pk}/return/", {"ret-version": fig.version, "ret-reason": ""})
    assert response.status_code == 400
    assert "请填写原因" in response.content.decode()
    assert Figure.objects.get().status == "submitted"
    response = client.post(
        f"/figures/{fig.pk}/return/", {"ret-version": fig.version, "ret-reason": "口径不对"}
    )
    assert response.status_code == 302
    fig.refresh_from_db()
    assert (fig.status, fig.return_reason) == ("returned", "口径不对")


def test_nobody_approves_their_own_figure_on_the_page(client, catalog):
    both = make_user("130500", "staff", "reviewer", "admin", username="city_all_roles")
    fig = submitted(both, region="130528")  # admins may enter below; reviewers approve below
    client.force_login(both)
    page = client.get(f"/figures/{fig.pk}/").content.decode()
    assert "不能由您审核" in page
    assert f'action="/figures/{fig.pk}/approve/"' not in page
    response = client.post(f"/figures/{fig.pk}/approve/", {"version": fig.version})
    assert response.status_code == 403
    fig.refresh_from_db()
    assert (fig.status, fig.approved_by) == ("submitted", None)
    queue = client.get("/review/").content.decode()
    assert f'value="{fig.pk}:' not in queue and "本人" in queue
    # Forcing the id into a bulk approval is refused as a whole as well.
    assert (
        client.post("/review/", {"action": "approve", "pick": f"{fig.pk}:{fig.version}"}).status_code == 403
    )
    assert Figure.objects.get().status == "submitted"


def test_bulk_approve_from_the_queue(client, clerk, reviewer):
    a = submitted(clerk, "PQ_SAMPLING_PASS")
    b = submitted(clerk, "PQ_FOOD_PASS", "95")
    client.force_login(reviewer)
    response = client.post(
        "/review/", {"action": "approve", "pick": [f"{a.pk}:{a.version}", f"{b.pk}:{b.version}"]}
    )
    assert response.status_code == 302
    assert set(Figure.objects.values_list("status", flat=True)) == {"approved"}


def test_bulk_approve_with_a_stale_item_changes_nothing(client, clerk, reviewer):
    a = submitted(clerk, "PQ_SAMPLING_PASS")
    b = submitted(clerk, "PQ_FOOD_PASS", "95")
    client.force_login(reviewer)
    response = client.post(
        "/review/", {"action": "approve", "pick": [f"{a.pk}:{a.version}", f"{b.pk}:{b.version - 1}"]}
    )
    assert response.status_code == 409
    assert "已被他人修改" in response.content.decode()
    assert set(Figure.objects.values_list("status", flat=True)) == {"submitted"}


def test_bulk_return_needs_a_reason(client, clerk, reviewer):
    a = submitted(clerk)
    client.force_login(reviewer)
    response = client.post("/review/", {"action": "return", "pick": f"{a.pk}:{a.version}", "reason": ""})
    assert response.status_code == 400
    assert Figure.objects.get().status == "submitted"
    response = client.post(
        "/review/", {"action": "return", "pick": f"{a.pk}:{a.version}", "reason": "缺佐证"}
    )
    assert response.status_code == 302
    assert Figure.objects.get().return_reason == "缺佐证"


def test_reopening_an_approved_figure_needs_a_reason(client, clerk, reviewer):
    fig = submitted(clerk)
    fig = services.figure_approve(actor=reviewer, figure=fig, expected_version=fig.version)
    client.force_login(clerk)
    assert "已审核锁定" in client.get(f"/figures/{fig.pk}/").content.decode()
    assert (
        client.post(f"/figures/{fig.pk}/reopen/", {"reo-version": fig.version, "reo-reason": "x"}).status_code
        == 403
    )
    client.force_login(reviewer)
    assert (
        client.post(f"/figures/{fig.pk}/reopen/", {"reo-version": fig.version, "reo-reason": ""}).status_code
        == 400
    )
    assert Figure.objects.get().status == "approved"
    response = client.post(
        f"/figures/{fig.pk}/reopen/", {"reo-version": fig.version, "reo-reason": "数据口径调整"}
    )
    assert response.status_code == 302
    fig.refresh_from_db()
    assert (fig.status, fig.return_reason, fig.verified_value) == ("returned", "数据口径调整", None)


def test_a_stale_review_action_shows_a_conflict_with_the_current_value(client, clerk, reviewer):
    fig = submitted(clerk)
    client.force_login(reviewer)
    response = client.post(f"/figures/{fig.pk}/approve/", {"version": fig.version - 1})
    assert response.status_code == 409
    body = response.content.decode()
    assert "已被他人修改" in body and "当前值为 97.5" in body
    assert Figure.objects.get().status == "submitted"


def test_the_detail_page_shows_the_full_history(client, clerk, reviewer):
    fig = submitted(clerk, value="97.5")
    fig = services.figure_return(actor=reviewer, figure=fig, expected_version=fig.version, reason="请核对")
    fig = services.figure_save(
        actor=clerk,
        region=fig.region,
        indicator=fig.indicator,
        year=YEAR,
        value="96.5",
        expected_version=fig.version,
    )
    client.force_login(clerk)
    body = client.get(f"/figures/{fig.pk}/").content.decode()
    history = body[body.index("变更记录") :]
    assert "退回：请核对" in history and "邢台审核员" in history
    assert "97.5 → <b>96.5</b>" in history
    assert "已提交 → <b>已退回</b>" in history
    assert "新增填报" in history and "宁晋填报员" in history


def test_figures_outside_the_subtree_are_404(client, clerk):
    fig = submitted(clerk)
    client.force_login(make_user("130529", "staff"))
    assert client.get(f"/figures/{fig.pk}/").status_code == 404
    assert client.post(f"/figures/{fig.pk}/submit/", {"version": fig.version}).status_code == 404
