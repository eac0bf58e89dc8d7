"""The completeness board: per county of a city and year, counts by status and the late flag."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from indicators.models import Figure, Indicator, Region, ReportingPeriod
from indicators.selectors import completeness_board
from tests.factories import make_user

pytestmark = pytest.mark.django_db

YEAR = 2025


def put(region: str, code: str, status: str, submitted_at=None) -> Figure:
    approved = status == "approved"
    return Figure.objects.create(
        region=Region.objects.get(code=region),
        indicator=Indicator.objects.get(code=code),
        year=YEAR,
        value=Decimal(1),
        reported_value=Decimal(1),
        verified_value=Decimal(1) if approved else None,
        status=status,
        submitted_at=submitted_at,
    )


@pytest.fixture
def xingtai(catalog) -> Region:
    return Region.objects.get(code="130500")


def test_it_counts_each_countys_figures_by_status(xingtai):
    put("130528", "PQ_SAMPLING_PASS", "approved")
    put("130528", "PQ_FOOD_PASS", "approved")
    put("130528", "PQ_QCI", "submitted")
    put("130528", "AG_STD_ZONES", "returned")
    put("130528", "BR_CHINA_TOP_BRAND", "draft")
    put("130529", "PQ_QCI", "submitted")
    board = completeness_board(region=xingtai, year=YEAR, today=dt.date(YEAR + 1, 1, 1))
    rows = {r.region.code: r for r in board.rows}
    assert set(rows) == set(Region.objects.filter(parent=xingtai).values_list("code", flat=True))
    ningjin = rows["130528"]
    assert (
        ningjin.expected,
        ningjin.missing,
        ningjin.draft,
        ningjin.submitted,
        ningjin.returned,
        ningjin.approved,
    ) == (
        56,
        51,
        1,
        1,
        1,
        2,
    )
    assert (rows["130529"].missing, rows["130529"].submitted) == (55, 1)
    assert board.totals["submitted"] == 2


def test_counties_past_the_deadline_with_open_items_are_flagged(xingtai):
    ReportingPeriod.objects.create(region=xingtai, year=YEAR, deadline=dt.date(2026, 3, 31))
    # 130528 has submitted everything; the others have not.
    for ind in Indicator.objects.all():
        put("130528", ind.code, "submitted", submitted_at=timezone.now())
    before = completeness_board(region=xingtai, year=YEAR, today=dt.date(2026, 3, 31))
    assert not any(r.late for r in before.rows)
    after = completeness_board(region=xingtai, year=YEAR, today=dt.date(2026, 4, 1))
    late = {r.region.code for r in after.rows if r.late}
    assert "130528" not in late
    assert late == set(
        Region.objects.filter(parent=xingtai).exclude(code="130528").values_list("code", flat=True)
    )
    assert after.deadline == dt.date(2026, 3, 31)


def test_a_deadline_set_by_the_province_applies_to_the_city_below(xingtai):
    ReportingPeriod.objects.create(
        region=Region.objects.get(code="130000"), year=YEAR, deadline=dt.date(2026, 2, 1)
    )
    board = completeness_board(region=xingtai, year=YEAR, today=dt.date(2026, 2, 2))
    assert board.deadline == dt.date(2026, 2, 1)
    assert all(r.late for r in board.rows)


def test_late_submissions_are_counted(xingtai):
    ReportingPeriod.objects.create(region=xingtai, year=YEAR, deadline=dt.date(2026, 3, 31))
    on_time = timezone.make_aware(dt.datetime(2026, 3, 31, 23, 0))
    late = timezone.make_aware(dt.datetime(2026, 4, 2, 9, 0))
    put("130528", "PQ_QCI", "submitted", submitted_at=on_time)
    put("130528", "PQ_FOOD_PASS", "submitted", submitted_at=late)
    rows = {r.region.code: r for r in completeness_board(region=xingtai, year=YEAR).rows}
    assert rows["130528"].late_submissions == 1


def test_a_province_board_does_not_count_a_citys_sum_indicators_as_missing(catalog):
    hebei = Region.objects.get(code="130000")
    put("130500", "PQ_QCI", "approved")
    rows = {r.region.code: r for r in completeness_board(region=hebei, year=YEAR).rows}
    n_none = Indicator.objects.filter(aggregation="none").count()
    assert (rows["130500"].expected, rows["130500"].missing, rows["130500"].approved) == (
        n_none,
        n_none - 1,
        1,
    )


def test_the_board_page_shows_counts_and_the_late_flag(client, xingtai):
    ReportingPeriod.objects.create(region=xingtai, year=YEAR, deadline=dt.date(2020, 1, 1))
    put("130528", "PQ_QCI", "approved")
    client.force_login(make_user("130500", "reviewer"))
    response = client.get(f"/completeness/130500/{YEAR}/")
    assert response.status_code == 200
    body = response.content.decode()
    row = body[body.index('data-region="130528"') :]
    row = row[: row.index("</tr>")]
    assert 'class="late"' in row and "已逾期" in row
    assert '<td class="num c-missing">55</td>' in row
    assert '<td class="num c-approved">1</td>' in row
    assert "2020-01-01" in body


def test_the_board_of_a_region_outside_the_subtree_is_404(client, xingtai):
    client.force_login(make_user("130528", "staff"))
    assert client.get(f"/completeness/130500/{YEAR}/").status_code == 404
    assert client.get(f"/completeness/130528/{YEAR}/").status_code == 200
    assert client.get("/completeness/")["Location"].startswith("/completeness/130528/")
