from __future__ import annotations

import pytest

from dashboards import bench
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_home_links_a_leader_to_the_overview_and_the_nav_to_dashboards(client, catalog):
    client.force_login(make_user("130500", "leader"))
    body = client.get("/").content.decode()
    assert 'id="dashboard-link" href="/dashboards/130500/"' in body
    assert 'href="/dashboards/"' in body  # the navigation


def test_bench_times_every_page_of_a_city(city):
    user = make_user(city["city"].code, "leader")
    rows = bench.time_pages(user, city["city"].code, n=3, params={"year": "2015"})
    assert [r.page for r in rows] == ["overview", "compare", "trend", "brands", "verification"]
    for r in rows:
        assert r.n == 3
        assert 0 < r.p50_ms <= r.p95_ms <= r.max_ms
        assert r.queries > 0 and r.bytes > 1000
    assert "overview" in bench.format_table(rows)


def test_bench_skips_the_comparison_of_a_county(city):
    county = city["counties"][0]
    rows = bench.time_pages(make_user(county.code, "leader"), county.code, n=1)
    assert [r.page for r in rows] == ["overview", "trend", "brands"]
