"""The dashboards in English: indicator names, units and chart text follow the language.

Indicator names come from the hand-written reads (`name_zh` and `name_en` side by side) or
from `Indicator.name`; units are shown by name ("12 items", "5,200.0 CNY 10k", the unit
"count") rather than as the catalogue's codes; chart titles, notes, axis titles and hover
text are catalogue entries whose msgids are the Chinese texts, so a Chinese page reads as
it always did ("12 项", "5,200.0 万元", "单位 万元").
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.html import escape

from dashboards import charts
from indicators.models import Figure, Indicator, Plan, Target, TargetScore
from tests.dashboards import builders
from tests.dashboards.conftest import figure_of
from tests.factories import make_user
from tests.quality_city.test_english import english

pytestmark = pytest.mark.django_db

YEAR = 2015


@pytest.fixture(autouse=True)
def _reset_active_language():
    """LocaleMiddleware leaves the last request's language active in this thread."""
    yield
    translation.deactivate()


def chinese(client) -> None:
    assert client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}).status_code == 302


def get(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, url
    return response


def count_text(value: Decimal, language: str) -> str:
    n = int(value)
    if language == "zh":
        return f"{n:,} 项"
    return f"{n:,} {'item' if n == 1 else 'items'}"


def amount_text(value: Decimal, language: str) -> str:
    return f"{float(value):,.1f} {'万元' if language == 'zh' else 'CNY 10k'}"


def section(body: str, start: str, end: str = "</section>") -> str:
    return body.split(start, 1)[1].split(end, 1)[0]


def all_names(indicators) -> tuple[set[str], set[str]]:
    indicators = list(indicators)
    return {i.name_zh for i in indicators}, {i.name_en for i in indicators}


def on_page(names: set[str], html: str) -> set[str]:
    """The names the markup shows (escaped as a template escapes them: "mayor&#x27;s")."""
    return {name for name in names if escape(name) in html}


# --- overview -----------------------------------------------------------------------------------


def test_the_overview_names_every_target_and_its_unit_in_the_active_language(client, city):
    county = city["counties"][1]
    rows = list(
        TargetScore.objects.filter(region=county, year=YEAR, basis="verified").select_related("indicator")
    )
    zh_names, en_names = all_names(r.indicator for r in rows)
    client.force_login(make_user(county.code, "leader"))
    url = f"/dashboards/{county.code}/?year={YEAR}&basis=verified"

    body = get(client, url).content.decode()
    table = section(body, 'id="targets"', "</details>")
    assert on_page(zh_names, table) == zh_names
    assert on_page(en_names, body) == set()
    count = next(r for r in rows if r.indicator.unit == "count" and r.actual is not None)
    amount = next(r for r in rows if r.indicator.unit == "10k CNY" and r.actual is not None)
    assert f">{count_text(count.actual, 'zh')}</td>" in table
    assert f">{amount_text(amount.actual, 'zh')}</td>" in table
    assert "<h2>历年总分与等级</h2>" in body

    response = get(english(client), url)
    body = response.content.decode()
    table = section(body, 'id="targets"', "</details>")
    assert on_page(en_names, table) == en_names
    assert on_page(zh_names, body) == set()
    assert f">{count_text(count.actual, 'en')}</td>" in table
    assert f">{amount_text(amount.actual, 'en')}</td>" in table
    assert "项" not in table and "万元" not in table
    tiles = section(body, 'class="dash-tiles"')
    veto = next(r for r in rows if r.veto)
    assert f'<div class="dash-tile-name">{escape(veto.indicator.name_en)} <span class="dash-veto">' in tiles
    # Chart titles, notes and axis titles.
    assert "<h2>Total score and grade by year</h2>" in body
    assert '<p class="dash-note">Basis: Verified</p>' in body
    assert "<h2>The 10 indicators that lost the most points</h2>" in body
    history = figure_of(response, "history")
    assert history["layout"]["yaxis"]["title"] == "Total score (pts)"
    assert history["data"][0]["hovertemplate"].startswith("%{x}<br>Total score %{y:.2f} pts<br>Grade ")
    lost = figure_of(response, "lost")
    assert lost["layout"]["xaxis"]["title"] == "Points lost (pts)"
    assert {cd[0] for trace in lost["data"] for cd in trace["customdata"]} <= en_names
    assert {trace["name"] for trace in lost["data"]} <= {"Not met", "Not reported"}


def test_at_risk_rows_name_the_indicator_and_its_unit_in_english(client, catalog, region):
    """A plan target projected to be missed (least squares through 2010–2014) is listed with
    the indicator's English name and its amounts in CNY 10k."""
    xingtai = region("130500")
    investment = catalog["QI_INVESTMENT"]
    plan = Plan.objects.create(
        name="风险测试规划", region=xingtai, base_year=2010, start_year=2011, end_year=2015
    )
    builders.approved_figures(
        xingtai, investment, {2010: "100.0", 2011: "110.0", 2012: "120.0", 2013: "130.0", 2014: "140.0"}
    )
    Target.objects.create(
        plan=plan, region=xingtai, indicator=investment, year=2015, comparator=">=", value=Decimal(5000)
    )
    Target.objects.create(
        plan=plan, region=xingtai, indicator=investment, year=2014, comparator=">=", value=Decimal(140),
        is_milestone=True,
    )  # fmt: skip
    builders.add_scores([xingtai], years=(2014,))
    client.force_login(make_user("130500", "leader"))
    url = "/dashboards/130500/?year=2014&basis=verified"

    risk = section(get(client, url).content.decode(), 'id="at-risk"')
    assert f">{investment.name_zh}</a>" in risk
    assert '<td class="num">≥ 5,000.0 万元</td><td class="num risk-value">150.0 万元</td>' in risk
    assert '<td class="num">4,850.0 万元</td>' in risk  # the gap

    risk = section(get(english(client), url).content.decode(), 'id="at-risk"')
    assert f">{investment.name_en}</a>" in risk
    assert investment.name_zh not in risk
    assert '<td class="num">≥ 5,000.0 CNY 10k</td><td class="num risk-value">150.0 CNY 10k</td>' in risk
    assert '<td class="num">4,850.0 CNY 10k</td>' in risk


# --- comparison ---------------------------------------------------------------------------------


def test_the_comparison_heat_map_names_indicators_in_the_active_language(client, city):
    c = city["city"]
    zh_names, en_names = all_names(city["indicators"])
    client.force_login(make_user(c.code, "leader"))
    url = f"/dashboards/{c.code}/compare/?year={YEAR}&basis=verified"

    response = get(client, url)
    body = response.content.decode()
    heat = figure_of(response, "heatmap")["data"][0]
    assert {cd[2] for row in heat["customdata"] for cd in row} == zh_names
    assert "<h2>县（市、区）得分一览</h2>" in body
    assert '<span class="dash-h1-sub">县区对比</span>' in body

    response = get(english(client), url)
    body = response.content.decode()
    heat = figure_of(response, "heatmap")
    assert {cd[2] for row in heat["data"][0]["customdata"] for cd in row} == en_names
    assert heat["data"][0]["y"] == [charts.short(name, 14) for name in _in_catalogue_order(en_names)]
    assert heat["data"][0]["colorbar"]["title"]["text"] == "Completion rate"
    assert "Actual %{customdata[4]} / target %{customdata[5]}" in heat["data"][0]["hovertemplate"]
    assert on_page(zh_names, body) == set()
    assert "<h2>Scores of counties</h2>" in body
    assert '<span class="dash-h1-sub">County comparison</span>' in body
    assert "<h2>Completion rate heat map</h2>" in body
    ranking = figure_of(response, "ranking")
    assert ranking["layout"]["xaxis"]["title"] == "Total score (pts)"
    assert {trace["name"] for trace in ranking["data"]} <= {"Grade A", "Grade B", "Grade C", "Grade D"}


def _in_catalogue_order(en_names: set[str]) -> list[str]:
    return [i.name_en for i in Indicator.objects.order_by("sort_order", "code") if i.name_en in en_names]


# --- trend --------------------------------------------------------------------------------------


def test_the_trend_page_names_the_indicator_and_its_unit_in_the_active_language(client, city):
    c = city["city"]
    investment = Indicator.objects.get(code="QI_INVESTMENT")
    client.force_login(make_user(c.code, "leader"))
    url = f"/dashboards/{c.code}/trend/?indicator=QI_INVESTMENT&year={YEAR}"

    response = get(client, url)
    body = response.content.decode()
    assert f'<div class="dash-score-main dash-indicator-name">{investment.name_zh}</div>' in body
    assert f'<option value="QI_INVESTMENT" selected>{investment.name_zh}' in body
    assert " · 单位 万元 · " in body
    assert "10k CNY" not in body
    trend = figure_of(response, "trend")
    assert trend["layout"]["yaxis"]["title"] == f"{investment.name_zh}（万元）"

    response = get(english(client), url)
    body = response.content.decode()
    assert f'<div class="dash-score-main dash-indicator-name">{investment.name_en}</div>' in body
    assert f'<option value="QI_INVESTMENT" selected>{investment.name_en}' in body
    assert " · unit CNY 10k · " in body
    assert "10k CNY" not in body
    assert not [i.name_zh for i in city["indicators"] if i.name_zh in body]
    assert f"<h2>{investment.name_en}: actual values and targets</h2>" in body
    trend = figure_of(response, "trend")
    assert trend["layout"]["yaxis"]["title"] == f"{investment.name_en} (CNY 10k)"
    assert trend["layout"]["xaxis"]["title"] == "Year"
    assert {t["name"] for t in trend["data"]} >= {"Actual value", "Plan target"}
    assert trend["data"][0]["hovertemplate"] == "%{x}: actual %{y:,.2f} CNY 10k<extra></extra>"
    table = section(body, "<table", "</table>")
    assert " CNY 10k</td>" in table and "万元" not in table
    children = figure_of(response, "children")
    assert children["layout"]["xaxis"]["title"] == f"{YEAR} (CNY 10k)"


# --- brands and verification -------------------------------------------------------------------


def test_the_brands_page_names_award_types_in_the_active_language(client, city):
    c = city["city"]
    awards = [i for i in city["indicators"] if i.code in ("BR_CHINA_TOP_BRAND", "BR_PROV_TOP_BRAND")]
    client.force_login(make_user(c.code, "leader"))
    url = f"/dashboards/{c.code}/brands/?year={YEAR}"

    response = get(client, url)
    assert {t["name"] for t in figure_of(response, "by_year")["data"]} >= {i.name_zh for i in awards}

    response = get(english(client), url)
    body = response.content.decode()
    by_year = figure_of(response, "by_year")
    assert {t["name"] for t in by_year["data"]} >= {i.name_en for i in awards}
    assert by_year["layout"]["yaxis"]["title"] == "Count"
    assert on_page({i.name_zh for i in awards}, body) == set()
    assert f'<span class="dash-count-l">{escape(awards[0].name_en)}</span>' in body


def test_the_verification_page_lists_adjusted_figures_in_the_active_language(client, city):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    url = f"/dashboards/{c.code}/verification/?year={YEAR}"
    adjusted = [
        f
        for f in Figure.objects.filter(region__parent=c, year=YEAR).select_related("indicator")
        if f.verified_value is not None and f.verified_value != f.reported_value
    ]
    assert adjusted

    response = get(client, url)
    dots = figure_of(response, "differences")
    assert {cd[1] for t in dots["data"] for cd in t["customdata"]} == {f.indicator.name_zh for f in adjusted}

    response = get(english(client), url)
    body = response.content.decode()
    dots = figure_of(response, "differences")
    assert {cd[1] for t in dots["data"] for cd in t["customdata"]} == {f.indicator.name_en for f in adjusted}
    assert dots["layout"]["xaxis"]["title"] == "Verified vs reported (%)"
    table = section(body, "<table", "</table>")
    assert on_page({f.indicator.name_zh for f in adjusted}, table) == set()
    assert all(f"<td>{escape(f.indicator.name_en)}</td>" in table for f in adjusted)
    assert "项" not in table and "万元" not in table


# --- units --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "zh", "en"),
    [
        (Decimal("1"), "count", "1 项", "1 item"),
        (Decimal("1200"), "count", "1,200 项", "1,200 items"),
        (Decimal("2.5"), "count", "2.5 项", "2.5 items"),
        (Decimal("5200"), "10k CNY", "5,200.0 万元", "5,200.0 CNY 10k"),
        (Decimal("79.5"), "points", "79.50 分", "79.50 points"),
        (Decimal("0.8"), "per 10k units", "0.80 人/万台", "0.80 per 10k units"),
        (Decimal("98.5"), "%", "98.50%", "98.50%"),
        (Decimal("3"), "t", "3.00 t", "3.00 t"),
    ],
)
def test_values_carry_their_unit_in_the_active_language(value, unit, zh, en):
    with translation.override("zh-hans"):
        assert charts.format_value(value, unit) == zh
        assert charts.unit_text(unit) == charts.unit_zh(unit)
    with translation.override("en"):
        assert charts.format_value(value, unit) == en
        assert charts.unit_text("count") == "count"


# --- the hand-written reads ---------------------------------------------------------------------


def test_the_reads_carry_the_english_names(city):
    from dashboards import selectors

    ids = [c.pk for c in city["counties"]]
    scores = TargetScore.objects.filter(region_id__in=ids, year=YEAR, basis="verified").select_related(
        "indicator"
    )
    expected = {(s.region_id, s.indicator.code): (s.indicator.name_zh, s.indicator.name_en) for s in scores}
    rows = selectors.target_scores(ids, YEAR, "verified")
    assert {(r.region_id, r.code): (r.name_zh, r.name_en) for r in rows} == expected
    # The comparison's rows carry the one name the page shows.
    zh = selectors.target_score_rows(ids, YEAR, "verified")
    en = selectors.target_score_rows(ids, YEAR, "verified", english=True)
    assert {(r[0], r[6]): r[7] for r in zh} == {k: v[0] for k, v in expected.items()}
    assert {(r[0], r[6]): r[7] for r in en} == {k: v[1] for k, v in expected.items()}
    assert [r[:7] + r[8:] for r in en] == [r[:7] + r[8:] for r in zh]
    horizon = selectors.horizon_targets(city["city"], 2010)
    assert horizon and all(
        (t.indicator.name_zh, t.indicator.name_en) == (i.name_zh, i.name_en)
        for t in horizon
        for i in [Indicator.objects.get(pk=t.indicator_id)]
    )
