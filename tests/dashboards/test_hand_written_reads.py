"""The dashboards' hand-written SELECTs give what the ORM gives: the same rows, order and types."""

from __future__ import annotations

from dataclasses import astuple
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from dashboards import selectors
from indicators.models import Indicator, Plan, Region, Target, TargetScore

pytestmark = pytest.mark.django_db

REGION_FIELDS = [f.attname for f in Region._meta.concrete_fields]


def _values(region: Region | None) -> list | None:
    return None if region is None else [getattr(region, f) for f in REGION_FIELDS]


def _typed(values) -> list:
    """Values as repr: Decimal("1.50"), Decimal("1.5") and 1.5 must not pass for each other
    (a template shows a Decimal with its places)."""
    return [repr(v) for v in values]


def test_region_by_code_is_the_orm_row_with_its_parents_loaded(city):
    county = city["counties"][0]
    for code in (county.code, city["city"].code, city["province"].code):
        expected = Region.objects.get(code=code)
        got = selectors.region_by_code(code)
        assert _typed(_values(got)) == _typed(_values(expected))
        with CaptureQueriesContext(connection) as ctx:
            got_parents = [_values(a) for a in selectors.ancestors(got)]
        assert ctx.captured_queries == []
        codes = [c for c in expected.path.strip("/").split("/") if c != code]
        assert got_parents == [_values(Region.objects.get(code=c)) for c in codes]
    assert selectors.region_by_code("000000") is None


def test_ancestors_of_a_region_loaded_elsewhere_are_read_in_one_query(city):
    county = Region.objects.get(pk=city["counties"][0].pk)
    with CaptureQueriesContext(connection) as ctx:
        above = selectors.ancestors(county)
    assert len(ctx.captured_queries) == 1
    assert [a.code for a in above] == [city["province"].code, city["city"].code]


def test_children_are_the_orm_children_in_code_order(city):
    for parent in (city["province"], city["city"]):
        expected = list(Region.objects.filter(parent=parent).order_by("code"))
        got = selectors.children(parent)
        assert [_typed(_values(r)) for r in got] == [_typed(_values(r)) for r in expected]
        assert all(isinstance(r, Region) and r.pk for r in got)


@pytest.mark.parametrize("category", [None, "product"])
def test_target_scores_are_the_orm_rows(city, category):
    ids = [c.pk for c in city["counties"][:3]]
    qs = TargetScore.objects.filter(region_id__in=ids, year=2015, basis="verified")
    if category:
        qs = qs.filter(indicator__category=category)
    expected = qs.order_by("indicator__sort_order", "indicator__code", "region_id").values_list(
        "region_id", "indicator__code", "indicator__name_zh", "indicator__name_en", "indicator__unit",
        "indicator__category",
        "indicator__sort_order", "actual", "target", "comparator", "completion", "points", "weight",
        "status", "veto",
    )  # fmt: skip
    got = selectors.target_scores(ids, 2015, "verified", category)
    assert got and [_typed(astuple(r)) for r in got] == [_typed(r) for r in expected]
    assert selectors.target_scores([], 2015, "verified") == []


@pytest.mark.parametrize("category", [None, "brand"])
def test_target_score_rows_are_the_orm_rows_with_float_numbers(city, category):
    ids = [c.pk for c in city["counties"]]
    qs = TargetScore.objects.filter(region_id__in=ids, year=2015, basis="verified")
    if category:
        qs = qs.filter(indicator__category=category)
    expected = [
        (rid, _f(actual), _f(target), comparator, _f(completion), status, code, name, unit)
        for rid, actual, target, comparator, completion, status, code, name, unit in qs.order_by(
            "indicator__sort_order", "indicator__code", "region_id"
        ).values_list(
            "region_id",
            "actual",
            "target",
            "comparator",
            "completion",
            "status",
            "indicator__code",
            "indicator__name_zh",
            "indicator__unit",
        )
    ]
    got = selectors.target_score_rows(ids, 2015, "verified", category)
    assert got and [_typed(r) for r in got] == [_typed(r) for r in expected]


def test_horizon_targets_are_the_targets_at_their_plans_end(city):
    region = city["city"]
    # A milestone of the same plan and a target of a plan ending later than its year stay out.
    plan = Plan.objects.create(name="较长规划", region=region, base_year=2012, start_year=2013, end_year=2030)
    ind = Indicator.objects.exclude(pk__in=[i.pk for i in city["indicators"]]).first()
    Target.objects.create(
        plan=plan, region=region, indicator=ind, year=2025, comparator="<=", value=Decimal(3)
    )
    Target.objects.create(
        plan=plan, region=region, indicator=ind, year=2030, comparator="<=", value=Decimal(2)
    )
    for after in (2009, 2014, 2015, 2030):
        expected = list(
            Target.objects.filter(region=region, plan__isnull=False, year=F("plan__end_year"), year__gt=after)
            .order_by("year", "indicator__sort_order", "indicator__code")
            .values_list(
                "indicator_id",
                "indicator__code",
                "indicator__name_zh",
                "indicator__name_en",
                "indicator__unit",
                "indicator__category",
                "indicator__aggregation",
                "year",
                "comparator",
                "value",
                "plan__name",
                "plan__base_year",
            )
        )
        got = [
            (
                t.indicator_id, t.indicator.code, t.indicator.name_zh, t.indicator.name_en, t.indicator.unit,
                t.indicator.category, t.indicator.aggregation, t.year, t.comparator, t.value,
                t.plan_name, t.base_year,
            )
            for t in selectors.horizon_targets(region, after)
        ]  # fmt: skip
        assert _typed_rows(got) == _typed_rows(expected), after
    assert selectors.horizon_targets(region, 2009)


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _typed_rows(rows) -> list:
    return [_typed(r) for r in rows]
