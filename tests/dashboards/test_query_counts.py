"""Each page runs the same, bounded number of queries for a 5-county and a 20-county city."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.dashboards import builders
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# Upper bounds per page, including session, user, profile and the site navigation
# (measured on SQLite: overview 9, compare 7, trend 10, brands 7, verification 8 for 5 and
# 20 counties, since the profile comes with its region, the breadcrumbs with the page's
# region and the navigation's flags without a query; on PostgreSQL the reads that do not
# depend on each other travel together: overview 4 round trips, compare 6).
MAX_QUERIES = {"overview": 12, "compare": 12, "trend": 15, "brands": 12, "verification": 13}
QUERY = {
    "overview": "?year=2015&basis=verified",
    "compare": "?year=2015&basis=verified",
    "trend": "?year=2015&basis=verified&indicator=BR_CHINA_TOP_BRAND",
    "brands": "?year=2015",
    "verification": "?year=2015",
}
MEASURED: dict[tuple[str, int], int] = {}


@pytest.fixture
def cities(catalog):
    return {5: builders.build_city(5, prefix="97"), 20: builders.build_city(20, prefix="96")}


@pytest.mark.parametrize("page", list(MAX_QUERIES))
def test_query_count_is_bounded_and_does_not_grow_with_the_counties(
    client, cities, page, django_assert_max_num_queries
):
    counts = {}
    for n, data in cities.items():
        code = data["city"].code
        client.force_login(make_user(code, "leader"))
        url = f"/dashboards/{code}/" + ("" if page == "overview" else f"{page}/") + QUERY[page]
        client.get(url)  # warm the session and per-process caches
        with django_assert_max_num_queries(MAX_QUERIES[page]), CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        counts[n] = len(ctx.captured_queries)
    assert counts[5] == counts[20], counts
