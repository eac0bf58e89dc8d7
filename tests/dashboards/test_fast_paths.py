"""The faster read and build paths of the dashboards give what the plain ones gave (issue 9)."""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.http import QueryDict
from django.template.defaultfilters import floatformat
from django.test.utils import CaptureQueriesContext
from django.utils.html import json_script
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboards import charts, pages, selectors
from dashboards.templatetags.dashboards_tags import _FigureEncoder, figure_json
from indicators.models import Figure, Indicator, TargetScore
from indicators.scoring import project_linear
from tests.dashboards import builders, chart_frames
from tests.factories import make_user

GOLDEN = Path(__file__).with_name("golden_charts.json")

values = st.one_of(
    st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False).map(float),
    st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False),
    st.integers(min_value=0, max_value=500).map(float),
)


@settings(max_examples=400, deadline=None)
@given(
    points=st.lists(st.tuples(st.integers(1990, 2060), values), min_size=1, max_size=12),
    horizon=st.integers(1990, 2100),
)
def test_linear_projection_is_project_linear_to_the_last_bit(points, horizon):
    years, vals = [y for y, _ in points], [v for _, v in points]
    assert selectors.linear_projection(years, vals, horizon) == project_linear(years, vals, horizon)


decimals = st.one_of(
    st.decimals(min_value=-(10**11), max_value=10**11, places=4, allow_nan=False, allow_infinity=False),
    # up to 18 significant digits and 6 places: beyond what a float reads back exactly
    st.integers(min_value=-(10**18), max_value=10**18).flatmap(
        lambda i: st.integers(min_value=0, max_value=6).map(lambda p: Decimal(i).scaleb(-p))
    ),
    st.integers(min_value=0, max_value=500).map(Decimal),
)


@settings(max_examples=600, deadline=None)
@given(
    points=st.lists(
        st.tuples(st.integers(1990, 2060), decimals), min_size=1, max_size=12, unique_by=lambda p: p[0]
    ),
    horizon=st.integers(1990, 2100),
)
def test_decimal_projection_is_linear_projection_of_the_floats(points, horizon):
    years, vals = [y for y, _ in points], [v for _, v in points]
    expected = selectors.linear_projection(years, [float(v) for v in vals], horizon)
    assert selectors.decimal_projection(years, vals, horizon) == expected
    assert selectors.decimal_projection(years, vals, horizon) == project_linear(
        years, [float(v) for v in vals], horizon
    )


def test_decimal_projection_reads_other_values_through_the_floats():
    years = [2020, 2021, 2022]
    long = [Decimal("1234567890123.4567"), Decimal("1.5"), Decimal("2")]  # 17 digits
    assert selectors.decimal_projection(years, long, 2025) == selectors.linear_projection(
        years, [float(v) for v in long], 2025
    )
    assert selectors.decimal_projection(years, [Decimal("1"), Decimal("NaN"), Decimal("3")], 2025) == 6.0
    assert selectors.decimal_projection(years, [1.5, 2.5, 3.5], 2025) == 6.5
    assert selectors.decimal_projection([2020, 2020], [Decimal(1), Decimal(2)], 2025) is None


def test_linear_projection_needs_two_distinct_years():
    assert selectors.linear_projection([2020, 2020], [1.0, 2.0], 2025) is None
    assert selectors.linear_projection([2020, 2021], [1.0, 2.0], 2025) == 6.0
    assert selectors.linear_projection([2020, 2021, 2022], [98.3, 98.3, 98.3], 2030) == 98.3


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["reported", "verified", "effective"])
def test_own_figures_first_gives_the_subtree_roll_up(city, field):
    """A city enters no `sum` figure: its sums come from the counties, the rest is its own."""
    region, indicators = city["city"], city["indicators"]
    years = list(builders.YEARS)
    fast = selectors.rolled_up_values(region, indicators, field=field, years=years)
    plain = selectors._rolled_up_over_subtree(
        region, indicators, field=field, years=years, with_children=False
    )
    assert fast == plain
    sums = [i for i in indicators if i.aggregation == Indicator.Aggregation.SUM]
    assert sums and all((region.code, i.pk, y) in fast for i in sums for y in years)


@pytest.mark.django_db
def test_an_own_figure_wins_over_the_counties_and_needs_no_subtree_query(city):
    region = city["city"]
    summed = next(i for i in city["indicators"] if i.aggregation == Indicator.Aggregation.SUM)
    Figure.objects.create(
        region=region, indicator=summed, year=2015, value=Decimal("7"), reported_value=Decimal("7"),
        verified_value=Decimal("7"), status=Figure.Status.APPROVED,
    )  # fmt: skip
    with CaptureQueriesContext(connection) as ctx:
        got = selectors.rolled_up_values(region, [summed], field="verified", years=[2015])
    assert got == {(region.code, summed.pk, 2015): Decimal("7")}
    assert len(ctx.captured_queries) == 1
    # A year without an own figure still rolls up from the counties.
    got = selectors.rolled_up_values(region, [summed], field="verified", years=[2014, 2015])
    counties = Figure.objects.filter(region__in=city["counties"], indicator=summed, year=2014)
    assert got[(region.code, summed.pk, 2014)] == sum(f.verified_value for f in counties)
    assert got[(region.code, summed.pk, 2015)] == Decimal("7")


@pytest.mark.django_db
def test_target_scores_rows_carry_the_indicator_in_catalogue_order(city):
    county = city["counties"][0]
    rows = selectors.target_scores([county.pk], 2015, "verified")
    models = list(
        TargetScore.objects.filter(region=county, year=2015, basis="verified")
        .select_related("indicator")
        .order_by("indicator__sort_order", "indicator__code")
    )
    assert [(r.code, r.name_zh, r.unit, r.points, r.weight, r.status, r.veto) for r in rows] == [
        (m.indicator.code, m.indicator.name_zh, m.indicator.unit, m.points, m.weight, m.status, m.veto)
        for m in models
    ]


@pytest.mark.django_db
def test_the_targets_table_shows_each_target_as_the_template_filters_did(client, city):
    county = city["counties"][1]
    client.force_login(make_user(county.code, "leader"))
    body = client.get(f"/dashboards/{county.code}/?year=2015&basis=verified").content.decode()
    table = body.split('id="targets"')[1].split("</details>")[0]
    rows = TargetScore.objects.filter(region=county, year=2015, basis="verified").select_related("indicator")
    for t in rows:
        completion = (
            "—" if t.completion is None else f"{floatformat(round(float(t.completion) * 100, 2), 1)}%"
        )
        assert f'<td class="num">{completion}</td>' in table
        assert f'<td class="num">{floatformat(t.points, 2)} / {floatformat(t.weight, 2)}</td>' in table
        assert f'<span class="dash-status {t.status}">{t.get_status_display()}</span>' in table
        assert f"indicator={t.indicator.code}" in table
    assert table.count("<tr><td><a href=") == len(rows)


def test_indicator_urls_are_page_url_with_the_indicator():
    for filters in (
        pages.Filters(year=2024, basis="verified", category="brand"),
        pages.Filters(year=2024),
        pages.Filters(),
    ):
        url = pages.indicator_urls("trend", "510100", filters)
        for code in ("PQ_GRADE_RATE", "A B&C", "", None):
            assert url(code) == pages.page_url("trend", "510100", filters, indicator=code)


@pytest.mark.parametrize(
    "figure",
    [
        {"data": [{"x": [1, 2.5, None], "text": ["<b>甲</b> & 乙", "</script>"]}], "layout": {}},
        {"data": [{"y": [float("nan"), Decimal("1.25")]}]},
    ],
)
def test_figure_json_is_djangos_json_script(figure):
    assert figure_json(figure, "k") == json_script(figure, "fig-k", encoder=_FigureEncoder)


def test_comparison_charts_are_unchanged():
    """Golden figures built by the pandas-filtering builders before issue 9 (also the PDF report's)."""
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    for name, (fn, args) in chart_frames.cases().items():
        built = getattr(charts, fn)(*args)
        # Compared as canonical JSON text: NaN is not equal to itself as a float.
        assert _canonical(json.loads(json.dumps(built, default=str))) == _canonical(golden[name]), name


# The builders a page calls with the rows it built (None where a frame has NaN).
ROW_CHARTS = {
    "score_history",
    "category_scores",
    "points_lost",
    "ranking_bar",
    "score_distribution",
    "score_map",
}


def test_charts_drawn_from_rows_are_the_charts_drawn_from_the_frame():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    checked = set()
    for name, (fn, args) in chart_frames.cases().items():
        if fn not in ROW_CHARTS:
            continue
        rows = [
            {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in r.items()}
            for r in args[0].to_dict("records")
        ]
        built = getattr(charts, fn)(rows, *args[1:])
        assert _canonical(json.loads(json.dumps(built, default=str))) == _canonical(golden[name]), name
        checked.add(fn)
    assert checked == ROW_CHARTS


def _canonical(value) -> str:
    return json.dumps(value, ensure_ascii=False, allow_nan=True, sort_keys=True)


@pytest.mark.django_db
def test_the_comparison_heat_map_links_every_cell_to_its_county(city):
    region = city["city"]
    page = pages.build_compare(
        make_user(region.code, "leader"), region, QueryDict("year=2015&basis=verified")
    )
    heat = page.charts["heatmap"].frame
    expected = {
        k.name: pages.page_url("overview", k.code, pages.Filters(year=2015, basis="verified"))
        for k in city["counties"]
    }
    assert not heat.empty
    assert all(url == expected[name] for name, url in zip(heat["地区"], heat["_url"], strict=True))


@settings(max_examples=300, deadline=None)
@given(
    value=st.one_of(
        st.decimals(min_value=-(10**13), max_value=10**13, places=4, allow_nan=False),
        st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False).map(
            lambda v: round(v, 2)
        ),
        st.sampled_from([0.05, -0.04, 0.25, 97.25, 2.675, -0.005, 0.0, -0.0]),
        st.integers(-1000, 1000),
    ),
    places=st.sampled_from([1, 2]),
    language=st.sampled_from(["zh-hans", "en"]),
)
def test_fixed_is_the_floatformat_filter(value, places, language):
    from django.utils import formats, translation

    with translation.override(language):
        assert pages.fixed(value, places) == floatformat(value, places)
        # As a page calls it: the separator looked up once.
        separator = formats.get_format("DECIMAL_SEPARATOR")
        assert pages.fixed(value, places, separator) == floatformat(value, places)


@pytest.mark.django_db
def test_points_lost_lists_the_top_losses_biggest_first(city):
    county = city["counties"][2]
    page = pages.build_overview(
        make_user(county.code, "leader"), county, QueryDict("year=2015&basis=verified")
    )
    frame = page.charts["lost"].frame
    rows = TargetScore.objects.filter(region=county, year=2015, basis="verified").select_related("indicator")
    losses = sorted(
        (-round(float(r.weight) - float(r.points), 4), r.indicator.code)
        for r in rows
        if float(r.weight) - float(r.points) > 0.00005
    )[: pages.LOST_TOP]
    assert list(zip((-x for x in frame["失分"]), frame["指标代码"], strict=True)) == losses
    assert all(text != "" for text in frame["_actual_text"])


@pytest.mark.django_db
def test_family_scores_are_score_years_and_region_scores_in_one_query(city):
    region = city["city"]
    ids = [region.pk, *(c.pk for c in city["counties"])]
    with CaptureQueriesContext(connection) as ctx:
        years, lines = selectors.family_scores(region)
    assert len(ctx.captured_queries) == 1
    assert years == selectors.score_years(region)
    plain = selectors.region_scores(ids, list(years.own | years.children), ["self", "verified"])
    assert set(lines) == set(plain)
    fields = ("total", "grade", "rank", "rank_of", "met", "not_met", "missing", "vetoed")
    for key, rs in plain.items():
        assert [getattr(lines[key], f) for f in fields] == [getattr(rs, f) for f in fields]
