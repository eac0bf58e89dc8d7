"""Every chart offers its data as CSV: the same rows the chart is drawn from."""

from __future__ import annotations

import csv
import io
import re

import pytest

from indicators.models import RegionScore
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PAGES = {
    "overview": ["history", "categories", "lost"],
    "compare": ["ranking", "map", "heatmap", "distribution"],
    "trend": ["trend", "children"],
    "brands": ["by_year", "by_child"],
    "verification": ["totals", "counts", "differences"],
}


def _rows(response) -> list[dict]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff"), "a BOM lets Excel read the Chinese headers"
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.parametrize("page", PAGES)
def test_every_chart_has_a_csv_link_that_answers(client, city, page):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    url = f"/dashboards/{c.code}/" + ("" if page == "overview" else f"{page}/") + "?year=2015"
    body = client.get(url).content.decode()
    links = re.findall(r'<a class="dash-csv" href="([^"]+)"', body)
    assert len(links) == len(PAGES[page])
    for key, link in zip(PAGES[page], links, strict=True):
        link = link.replace("&amp;", "&")
        assert link.startswith(f"/dashboards/{c.code}/{page}/{key}.csv?year=2015")
        response = client.get(link)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response["Content-Disposition"]
        assert ".csv" in response["Content-Disposition"]
        header = response.content.decode("utf-8")[1:].splitlines()[0]
        assert not any(col.startswith("_") for col in header.split(","))


def test_ranking_csv_has_the_stored_totals_and_ranks(client, city):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    rows = _rows(client.get(f"/dashboards/{c.code}/compare/ranking.csv?year=2015&basis=self"))
    stored = {
        s.region.code: s
        for s in RegionScore.objects.filter(region__parent=c, year=2015, basis="self").select_related(
            "region"
        )
    }
    assert {r["地区代码"] for r in rows} == set(stored)
    for r in rows:
        s = stored[r["地区代码"]]
        assert float(r["总分"]) == pytest.approx(float(s.total))
        assert r["等级"] == s.grade
        assert int(r["排名"]) == s.rank
        assert int(r["参评数"]) == s.rank_of
    assert [int(r["排名"]) for r in rows] == sorted(int(r["排名"]) for r in rows)


def test_csv_download_keeps_the_filters(client, city):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    rows = _rows(
        client.get(f"/dashboards/{c.code}/compare/heatmap.csv?year=2014&basis=verified&category=brand")
    )
    assert rows
    assert {r["指标代码"] for r in rows} == {i.code for i in city["indicators"] if i.category == "brand"}


def test_an_unknown_chart_is_404_and_outside_the_subtree_403(client, city):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    assert client.get(f"/dashboards/{c.code}/compare/nope.csv").status_code == 404
    assert client.get(f"/dashboards/{c.code}/nope/ranking.csv").status_code == 404
    client.force_login(make_user(city["counties"][0].code, "leader"))
    assert client.get(f"/dashboards/{c.code}/overview/history.csv").status_code == 403
