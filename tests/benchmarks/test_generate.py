"""The benchmark generator's row functions: deterministic, in range, whole counts (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from benchmarks.generate import (
    ADJUST_REASON,
    FigureRow,
    IndicatorSpec,
    RegionSpec,
    check_database_url,
    figure_rows,
    load_indicator_specs,
    parse_years,
    plan_name,
    target_rows,
)
from benchmarks.stats import percentile

REGIONS = [
    RegionSpec(id=11, code="130500", level="city", name="邢台市"),
    RegionSpec(id=12, code="130528", level="county", name="宁晋县"),
]
INDICATORS = [
    IndicatorSpec(
        1, "PQ_SAMPLING_PASS", "rate", "higher", "none", min_value=Decimal(0), max_value=Decimal(100)
    ),
    IndicatorSpec(2, "BR_CHINA_TOP_BRAND", "count", "higher", "sum", min_value=Decimal(0)),
    IndicatorSpec(3, "SF_MAJOR_QUALITY_INCIDENTS", "count", "lower", "sum", min_value=Decimal(0)),
]
YEARS = [2024, 2025]


def test_it_yields_one_figure_per_region_indicator_and_year():
    rows = list(figure_rows(REGIONS, INDICATORS, YEARS))

    assert len(rows) == 2 * 3 * 2
    assert {(r.region_id, r.indicator_id, r.year) for r in rows} == {
        (region.id, indicator.id, year) for region in REGIONS for indicator in INDICATORS for year in YEARS
    }
    assert all(isinstance(r, FigureRow) for r in rows)


def test_it_gives_the_same_rows_every_time():
    assert list(figure_rows(REGIONS, INDICATORS, YEARS)) == list(figure_rows(REGIONS, INDICATORS, YEARS))
    assert list(target_rows(REGIONS, INDICATORS, YEARS)) == list(target_rows(REGIONS, INDICATORS, YEARS))


def test_a_value_does_not_depend_on_the_rest_of_the_scope():
    alone = list(figure_rows(REGIONS[1:], INDICATORS[1:2], [2025]))
    together = [
        r
        for r in figure_rows(REGIONS, INDICATORS, YEARS)
        if (r.region_id, r.indicator_id, r.year) == (12, 2, 2025)
    ]

    assert alone == together


def test_another_seed_gives_other_values():
    default = [r.value for r in figure_rows(REGIONS, INDICATORS, YEARS)]
    other = [r.value for r in figure_rows(REGIONS, INDICATORS, YEARS, seed=12345)]

    assert default != other


def test_rates_stay_in_range_and_counts_are_whole_numbers():
    indicators = load_indicator_specs()
    regions = [
        RegionSpec(id=n, code=code, level=level)
        for n, (code, level) in enumerate([("130000", "province"), ("130500", "city"), ("130528", "county")])
    ]
    by_id = {i.id: i for i in indicators}

    rows = list(figure_rows(regions, indicators, range(2011, 2026)))

    assert len(rows) == 3 * 56 * 15
    for row in rows:
        indicator = by_id[row.indicator_id]
        for value in (row.value, row.reported_value):
            assert isinstance(value, Decimal)
            if indicator.min_value is not None:
                assert value >= indicator.min_value, (indicator.code, value)
            if indicator.max_value is not None:
                assert value <= indicator.max_value, (indicator.code, value)
            if indicator.kind == "count":
                assert value == value.to_integral_value(), (indicator.code, value)
        assert row.adjust_reason == (ADJUST_REASON if row.reported_value != row.value else "")


def test_some_figures_are_adjusted_on_verification_but_few():
    rows = list(figure_rows(REGIONS * 50, load_indicator_specs(), range(2011, 2026)))
    adjusted = sum(1 for r in rows if r.reported_value != r.value)

    assert 0.005 * len(rows) < adjusted < 0.06 * len(rows)


def test_targets_take_the_comparator_from_the_direction_and_mark_the_horizon():
    rows = list(target_rows(REGIONS, INDICATORS, [2021, 2022, 2023, 2024, 2025]))
    by_key = {(r.region_id, r.indicator_id, r.year): r for r in rows}

    assert len(rows) == 2 * 3 * 5
    assert by_key[(11, 1, 2025)].comparator == ">="
    assert by_key[(11, 3, 2025)].comparator == "<="
    assert by_key[(11, 1, 2025)].rule == "threshold"  # a pass rate is all or nothing
    assert by_key[(11, 3, 2025)].veto is True  # 一票否决 on major quality incidents
    assert [r.is_milestone for r in rows if r.region_id == 11 and r.indicator_id == 2] == [
        True,
        True,
        True,
        True,
        False,
    ]
    for r in rows:
        assert r.weight > 0
        assert r.value >= 0
        if r.indicator_id == 1:
            assert r.value <= 100
        else:
            assert r.value == r.value.to_integral_value()


def test_plan_names_are_unique_per_region_and_fit_the_column():
    names = {plan_name(r, 2021, 2025) for r in REGIONS}

    assert len(names) == 2
    assert all(len(n) <= 100 for n in names)


@pytest.mark.parametrize(
    "url", ["postgres://postgres@127.0.0.1:5432/test", "postgres://u@h/postgres", "sqlite:///x.db"]
)
def test_it_refuses_shared_or_non_postgres_databases(url):
    with pytest.raises(SystemExit):
        check_database_url(url)


def test_it_accepts_the_dedicated_database():
    url = "postgres://postgres@127.0.0.1:5432/qc_bench"

    assert check_database_url(url) == url


def test_year_ranges_parse():
    assert parse_years("2011-2025") == range(2011, 2026)
    assert parse_years("2020") == range(2020, 2021)


def test_percentile_interpolates_like_numpy():
    samples = [10.0, 20.0, 30.0, 40.0]

    assert percentile(samples, 50) == 25.0
    assert percentile(samples, 95) == pytest.approx(38.5)
    assert percentile([7.0], 95) == 7.0
