"""The city's stage board: each county's stage, how late it is, open returns, self vs verified total."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments import selectors, services
from assessments.models import Stage
from indicators import services as figure_services
from tests.assessments.conftest import JULU, NINGJIN

pytestmark = pytest.mark.django_db


def _row_html(html: str, code: str) -> str:
    match = re.search(rf'<tr data-region="{code}".*?</tr>', html, re.S)
    assert match, f"no board row for {code}"
    return match.group(0)


def test_the_board_shows_stage_lateness_and_open_returns(cycle, client):
    today = timezone.localdate()
    services.assessment_set_deadlines(
        actor=cycle.users["reviewer"],
        assessment=cycle.assessment,
        deadlines={Stage.FILING: today - dt.timedelta(days=2)},
    )
    services.county_file_targets(actor=cycle.staff(NINGJIN), row=cycle.row(NINGJIN))  # 2 days late
    services.county_accept_targets(actor=cycle.users["reviewer"], row=cycle.row(NINGJIN))
    # 宁晋县 sends a figure in; the city returns it: one open return.
    cycle.enter_figures(NINGJIN)
    figure = cycle.figures[(NINGJIN, "PQ_SAMPLING_PASS")]
    figure_services.figure_return(
        actor=cycle.users["reviewer"], figure=figure, expected_version=figure.version, reason="缺抽检报告"
    )

    board = selectors.stage_board(cycle.assessment)
    lines = {line.row.region.code: line for line in board.rows}
    ningjin, julu = lines[NINGJIN], lines[JULU]
    assert (ningjin.row.stage, ningjin.days_late, ningjin.open_returns) == (Stage.SELF, 2, 1)
    assert ningjin.late_notes == ["目标备案逾期 2 天提交"]
    assert (ningjin.targets, ningjin.sent_in) == (3, 2)
    # 巨鹿县 has not filed and the deadline passed two days ago: overdue now.
    assert (julu.row.stage, julu.days_late, julu.open_returns) == (Stage.FILING, 2, 0)
    assert julu.late_notes == ["“目标备案”已超过截止日期 2 天"]

    client.force_login(cycle.users["leader"])  # leaders read the board too
    html = client.get(reverse("assessments:board", args=[cycle.assessment.pk])).content.decode()
    row = _row_html(html, NINGJIN)
    assert "自评" in row and "目标备案逾期 2 天提交" in row and 'data-days-late="2"' in row
    assert '<td class="num c-returned">1</td>' in row
    assert "已超过截止日期 2 天" in _row_html(html, JULU)


def test_the_board_compares_self_and_verified_totals(cycle, client):
    cycle.publish()
    lines = {line.row.region.code: line for line in selectors.stage_board(cycle.assessment).rows}
    assert (lines[NINGJIN].self_total, lines[NINGJIN].verified_total) == (Decimal("96.00"), Decimal("91.00"))
    assert lines[NINGJIN].difference == Decimal("-5.00")
    assert (lines[JULU].self_total, lines[JULU].verified_total) == (Decimal("98.16"), Decimal("98.16"))
    client.force_login(cycle.users["reviewer"])
    html = client.get(reverse("assessments:board", args=[cycle.assessment.pk])).content.decode()
    row = _row_html(html, NINGJIN)
    assert '<td class="num self-total">96.00</td>' in row and "91.00" in row and "-5.00" in row
    assert "通报" in row


def test_county_users_follow_their_own_row_not_the_board(cycle, client):
    client.force_login(cycle.staff(NINGJIN))
    response = client.get(reverse("assessments:board", args=[cycle.assessment.pk]))
    assert response.status_code == 302
    assert response.url == reverse("assessments:county", args=[cycle.assessment.pk, NINGJIN])
    assert client.get(reverse("assessments:county", args=[cycle.assessment.pk, JULU])).status_code == 403
    page = client.get(response.url).content.decode()
    assert "提交目标备案" in page
    api = client.get(f"/api/v1/assessments/{cycle.assessment.pk}/").json()
    assert [r["region"] for r in api["regions"]] == [NINGJIN]


def test_an_unrelated_user_does_not_see_the_assessment(cycle, client):
    from tests.factories import make_user

    client.force_login(make_user("130700", "reviewer"))  # 张家口市
    assert client.get(reverse("assessments:board", args=[cycle.assessment.pk])).status_code == 404
    assert client.get(f"/api/v1/assessments/{cycle.assessment.pk}/").status_code == 404
    assert client.get("/api/v1/assessments/").json() == []


def test_the_pages_drive_filing_and_acceptance(cycle, client):
    client.force_login(cycle.staff(NINGJIN))
    url = reverse("assessments:county-action", args=[cycle.assessment.pk, NINGJIN, "file"])
    assert client.post(url).status_code == 302
    assert cycle.row(NINGJIN).filed_at is not None
    client.force_login(cycle.users["reviewer"])
    accept = reverse("assessments:county-action", args=[cycle.assessment.pk, NINGJIN, "accept"])
    client.post(accept)
    assert cycle.row(NINGJIN).stage == Stage.SELF
    # An illegal move through the page comes back as a message, nothing moves.
    response = client.post(
        reverse("assessments:advance", args=[cycle.assessment.pk]), {"to_stage": "self"}, follow=True
    )
    assert "以下地区尚未完成“目标备案”：巨鹿县" in response.content.decode()
    assert cycle.refresh().stage == Stage.FILING
