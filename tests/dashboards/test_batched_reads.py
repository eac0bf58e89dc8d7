"""The overview's reads batched into one round trip give what the separate reads gave (issue 9).

`selectors._fetch_batch` sends independent SELECTs as one query string on PostgreSQL
(one after the other on SQLite); the at-risk projections read the region's own values
of the basis with the targets and plans; a target on a plan of a region above reads
the earlier years again.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from dashboards import selectors
from indicators.models import Figure, Indicator, Plan, Target
from indicators.scoring import project_linear
from tests.dashboards import builders

pytestmark = pytest.mark.django_db

D = Decimal


def _expected_projections(region, year: int, basis: str) -> list[tuple]:
    """The projections from the ORM: horizon targets, the region's own values (or the
    counties' sum) from the subtree read, and the Fraction-based `project_linear`."""
    field = selectors.FIELD_FOR_BASIS[basis]
    targets = list(
        Target.objects.filter(region=region, plan__isnull=False, year=F("plan__end_year"), year__gt=year)
        .select_related("plan", "indicator")
        .order_by("year", "indicator__sort_order", "indicator__code")
    )
    out = []
    for t in targets:
        years = list(range(t.plan.base_year, min(year, t.year) + 1))
        values = selectors._rolled_up_over_subtree(
            region, [t.indicator], field=field, years=years, with_children=False
        )
        series = sorted((yr, float(v)) for (_, _, yr), v in values.items())
        ys, vs = tuple(y for y, _ in series), tuple(v for _, v in series)
        projected = project_linear(list(ys), list(vs), t.year) if series else None
        out.append((t.indicator.code, t.year, t.plan.name, t.plan.base_year, ys, vs, projected))
    return out


def _got(projections) -> list[tuple]:
    return [
        (
            p.target.indicator.code,
            p.target.year,
            p.target.plan_name,
            p.target.base_year,
            p.years,
            p.values,
            p.projected,
        )
        for p in projections
    ]


def test_a_batch_gives_each_reads_rows_typed_as_alone(city):
    county = city["counties"][1]
    reads = [
        selectors._target_score_read([county.pk], 2015, "verified"),
        *selectors._projection_reads(county, 2014, "verified"),
    ]
    alone = [selectors._fetch(sql, params, fields) for sql, params, fields in reads]
    with CaptureQueriesContext(connection) as ctx:
        batched = selectors._fetch_batch(reads)
    assert batched == alone
    assert [len(rows) for rows in batched] == [len(rows) for rows in alone]
    assert all(alone), [len(rows) for rows in alone]  # scores, horizon targets, plans, values
    assert isinstance(batched[0][0][7], Decimal) and isinstance(batched[0][0][14], bool)
    assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else len(reads))


@pytest.mark.parametrize("basis", ["self", "verified"])
@pytest.mark.parametrize("year", [2011, 2014])
def test_overview_reads_are_the_target_scores_and_the_orm_projections(city, basis, year):
    for region in (city["city"], city["counties"][0], city["counties"][3]):
        scores, projections, extra = selectors.overview_reads(region, year, basis)
        assert extra == []
        assert scores == selectors.target_scores([region.pk], year, basis)
        assert _got(projections) == _expected_projections(region, year, basis)
        assert _got(projections) == _got(selectors.projections(region, year, basis))
        assert len(projections) == len(city["indicators"])
        assert all(p.projected is not None for p in projections)


@pytest.mark.parametrize("field", ["reported", "verified", "effective"])
def test_own_values_follow_the_basis_rule_for_every_status(catalog, field):
    """Drafts are nobody's value; `verified` is the approved verified value; `effective`
    the verified value once approved, the reported one before (an approved figure always
    has a verified value: a check constraint)."""
    _prov, city, _counties = builders.make_tree(1, prefix="93")
    kinds = [i for i in Indicator.objects.order_by("code") if i.aggregation != Indicator.Aggregation.SUM][:6]
    cases = [
        (Figure.Status.DRAFT, D("1.5"), D("1.2")),
        (Figure.Status.SUBMITTED, D("2.5"), None),
        (Figure.Status.APPROVED, D("3.5"), D("3.25")),
        (Figure.Status.APPROVED, D("4.5"), D("4.0")),
        (Figure.Status.RETURNED, D("5.5"), D("5.0")),
        (Figure.Status.SUBMITTED, D("6.5"), D("6.0")),
    ]
    for ind, (status, reported, verified) in zip(kinds, cases, strict=True):
        Figure.objects.create(
            region=city, indicator=ind, year=2014, value=reported, reported_value=reported,
            verified_value=verified, status=status,
        )  # fmt: skip
    expected = {
        (city.code, f.indicator_id, 2014): value
        for f in Figure.objects.filter(region=city)
        if (value := selectors._value_of(field, f.reported_value, f.verified_value, f.status)) is not None
    }
    got = selectors.rolled_up_values(city, kinds, field=field, years=[2014])
    assert got == expected
    assert len(expected) == {"reported": 5, "verified": 2, "effective": 5}[field]


def test_a_target_on_the_plan_of_the_region_above_reads_that_plans_earlier_years(city):
    """The batch reads a region's values since its own plans' earliest base year; a target
    hanging on the city's longer plan (base year 2006) gets its earlier years read again."""
    county = city["counties"][2]
    ind = next(i for i in city["indicators"] if i.aggregation != Indicator.Aggregation.SUM)
    long_plan = Plan.objects.create(
        name="市长期规划", region=city["city"], base_year=2006, start_year=2007, end_year=2020
    )
    builders.approved_figures(county, ind, {2006: "50", 2007: "52", 2008: "55", 2009: "56"})
    Target.objects.create(
        plan=long_plan, region=county, indicator=ind, year=2020, comparator=">=", value=D(99)
    )

    got = {
        (p.target.indicator.code, p.target.year): p for p in selectors.projections(county, 2014, "verified")
    }
    assert got[(ind.code, 2020)].years == tuple(range(2006, 2015))
    assert got[(ind.code, 2015)].years == tuple(range(builders.BASE_YEAR, 2015))
    assert _got(selectors.projections(county, 2014, "verified")) == _expected_projections(
        county, 2014, "verified"
    )

    # Only the region above has a plan running after the year: every value is read again.
    assert _got(selectors.projections(county, 2015, "verified")) == _expected_projections(
        county, 2015, "verified"
    )
    assert [p.years for p in selectors.projections(county, 2015, "verified")] == [tuple(range(2006, 2016))]


def test_the_overview_reads_its_crumbs_permission_with_its_own_reads(client, city):
    """A county leader's overview links the city crumb once the province has published the
    city's result; the policy's read travels with the page's reads (four round trips
    on PostgreSQL: session, user, the region with its family's scores, the page's reads)."""
    import datetime as dt

    from assessments.models import Assessment, AssessmentRegion, Stage
    from indicators.models import ScoringScheme
    from tests.factories import make_user

    county = city["counties"][2]
    client.force_login(make_user(county.code, "leader"))
    url = f"/dashboards/{county.code}/?year=2015&basis=verified"
    city_link = (
        f'<a href="/dashboards/{city["city"].code}/?year=2015&amp;basis=verified">{city["city"].name}</a>'
    )

    def crumbs() -> tuple[str, int]:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        return response.content.decode().split('class="dash-crumbs"')[1].split("</nav>")[0], len(ctx)

    before, queries_before = crumbs()
    assert city_link not in before and f"<span>{city['city'].name}</span>" in before
    assessment = Assessment.objects.create(
        name="省级通报", assessing_region=city["province"], scheme=ScoringScheme.objects.get(is_default=True),
        year=2015, window_start=dt.date(2015, 7, 1), window_end=dt.date(2016, 6, 30), stage=Stage.PUBLISHED,
    )  # fmt: skip
    AssessmentRegion.objects.create(assessment=assessment, region=city["city"])
    after, queries_after = crumbs()
    assert city_link in after
    assert f"<span>{city['province'].name}</span>" in after  # the province published nothing
    assert queries_after == queries_before
    if connection.vendor == "postgresql":
        assert queries_after == 4


def test_the_family_scores_read_with_the_region_are_those_read_after_it(city):
    for region in (city["province"], city["city"], city["counties"][0]):
        expected = selectors.family_scores(selectors.region_by_code(region.code))
        with CaptureQueriesContext(connection) as ctx:
            found = selectors.region_by_code(region.code, family_scores=True)
            assert selectors.family_scores(found) == expected
        assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 2)
        assert selectors.family_scores(found) == expected  # taken once: read again
    assert expected[1]  # the county has scores of its own
    assert selectors.region_by_code("000000", family_scores=True) is None
