"""The table filters of dashboards_tags render what the template loops they replaced rendered.

Each LOOP below is the markup the page templates had before (issue 9); the filter must
give the same text, escaping and translations included, in both languages.
"""

from __future__ import annotations

import pytest
from django.template import engines
from django.utils import translation

from dashboards.templatetags import dashboards_tags as tags

LANGUAGES = ["zh-hans", "en"]
NASTY = "A&B <i>\"引号\"</i> '单'"


def _render(source: str, **context) -> str:
    return engines["django"].from_string("{% load i18n dashboards_tags %}" + source).render(context)


TARGET_LOOP = """{% for r in targets %}
      <tr><td><a href="{{ r.url }}">{{ r.name }}</a>{% if r.veto %} <span class="dash-veto">{% translate "否决项" %}</span>{% endif %}</td>
        <td class="num">{{ r.actual }}</td><td class="num">{{ r.target }}</td>
        <td class="num">{{ r.completion }}</td>
        <td class="num">{{ r.points }}</td>
        <td><span class="dash-status {{ r.status }}">{{ r.status_label }}</span></td></tr>
    {% endfor %}"""

RISK_LOOP = """{% for r in at_risk %}
        <tr><td><a href="{{ r.url }}">{{ r.name }}</a></td><td class="num">{{ r.horizon }}</td><td class="num">{{ r.target }}</td><td class="num risk-value">{{ r.projected }}</td><td class="num">{{ r.gap }}</td></tr>
      {% endfor %}"""

TILE_LOOP = """{% for t in tiles %}
  <a class="dash-tile {{ t.status }}" href="{{ t.url }}" title="{% blocktranslate with name=t.name %}查看“{{ name }}”历年趋势{% endblocktranslate %}">
    <div class="dash-tile-name">{{ t.name }}{% if t.veto %} <span class="dash-veto">{% translate "否决项" %}</span>{% endif %}</div>
    <div class="dash-tile-actual">{{ t.actual }}</div>
    <div class="dash-tile-target">{% blocktranslate with target=t.target %}目标 {{ target }}{% endblocktranslate %}</div>
    <progress class="dash-bar" max="100" value="{{ t.bar }}" aria-label="{% translate "完成率" %}">{{ t.bar }}%</progress>
    <div class="dash-tile-foot"><span>{% blocktranslate with rate=t.completion_text %}完成率 {{ rate }}{% endblocktranslate %}</span><span class="dash-status {{ t.status }}">{{ t.status_label }}</span></div>
  </a>
  {% endfor %}"""

RANK_LOOP = """{% for r in table %}
        <tr{% if r.own %} class="dash-own"{% endif %}><td class="num">{{ r.rank }} / {{ r.rank_of }}</td>
          <td><a href="{{ r.url }}">{{ r.name }}</a>{% if r.own %} <span class="badge">{% translate "本地区" %}</span>{% endif %}</td>
          <td class="num">{{ r.total|floatformat:2 }}</td>
          <td><span class="grade-badge-{{ r.grade }} dash-grade small">{{ r.grade }}</span>{% if r.vetoed %} <span class="dash-veto">{% translate "一票否决" %}</span>{% endif %}</td>
          <td class="num">{% if r.delta is not None %}{{ r.delta|signed }}{% else %}—{% endif %}</td>
          <td class="num">{{ r.met }}</td><td class="num">{{ r.not_met }}</td><td class="num">{{ r.missing }}</td></tr>
      {% endfor %}"""

YEAR_LOOP = """{% for y in years %}<option value="{{ y }}"{% if y == year %} selected{% endif %}>{% blocktranslate %}{{ y }} 年{% endblocktranslate %}</option>{% endfor %}"""
OPTION_LOOP = """{% for value, label in choices %}<option value="{{ value }}"{% if value == chosen %} selected{% endif %}>{{ label }}</option>{% endfor %}"""

TARGETS = [
    {
        "url": "/dashboards/130500/trend/?year=2015&basis=verified&indicator=PQ_A",
        "name": NASTY,
        "veto": True,
        "actual": "98.50%",
        "target": "≥ 97.00%",
        "completion": "101.5%",
        "points": "2.00 / 2.00",
        "status": "met",
        "status_label": "达到目标",
    },
    {
        "url": "/x?a=1&b=<2>",
        "name": "产品质量监督抽查合格率",
        "veto": False,
        "actual": "—",
        "target": "≤ 3 项",
        "completion": "—",
        "points": "0.00 / 1.50",
        "status": "missing",
        "status_label": "缺报",
    },
]


@pytest.mark.parametrize("language", LANGUAGES)
def test_target_rows_are_the_loop(language):
    with translation.override(language):
        assert tags.target_rows(TARGETS) == _render(TARGET_LOOP, targets=TARGETS)
        assert tags.target_rows([]) == ""


@pytest.mark.parametrize("language", LANGUAGES)
def test_risk_rows_are_the_loop(language):
    rows = [
        {"url": "/t?a&b", "name": NASTY, "horizon": 2025, "target": "≥ 98.00%", "projected": "96.10%", "gap": "1.90%"},
        {"url": "/t", "name": "品牌", "horizon": 12345, "target": "≥ 5 项", "projected": "4.5 项", "gap": "0.5 项"},
    ]  # fmt: skip
    with translation.override(language):
        assert tags.risk_rows(rows) == _render(RISK_LOOP, at_risk=rows)


@pytest.mark.parametrize("language", LANGUAGES)
def test_tile_cards_are_the_loop(language):
    tiles = [
        {
            "name": NASTY, "actual": "98.50%", "target": "≥ 97.00%", "bar": "100.0",
            "completion_text": "101.5%", "status": "met", "status_label": "达标", "veto": True, "url": "/t?a&b",
        },
        {
            "name": "品牌<b>", "actual": "—", "target": "—", "bar": "0.0", "completion_text": "—",
            "status": "missing", "status_label": "缺报", "veto": False, "url": "/t",
        },
    ]  # fmt: skip
    with translation.override(language):
        assert tags.tile_cards(tiles) == _render(TILE_LOOP, tiles=tiles)


@pytest.mark.parametrize("language", LANGUAGES)
def test_ranking_rows_are_the_loop(language):
    rows = [
        {
            "code": "1", "name": NASTY, "total": 92.125, "grade": "A", "rank": 1, "rank_of": 3, "delta": 1.005,
            "met": 50, "not_met": 5, "missing": 1, "vetoed": False, "url": "/o?a&b", "own": True,
        },
        {
            "code": "2", "name": "乙县", "total": 85.0, "grade": "B", "rank": 2, "rank_of": 3, "delta": None,
            "met": 40, "not_met": 10, "missing": 6, "vetoed": True, "url": "/o", "own": False,
        },
        {
            "code": "3", "name": "丙县", "total": 0.004, "grade": "D", "rank": 3, "rank_of": 3, "delta": -0.001,
            "met": 0, "not_met": 56, "missing": 0, "vetoed": True, "url": "/o", "own": False,
        },
        {
            "code": "4", "name": "丁县", "total": 1234.5, "grade": "D", "rank": 4, "rank_of": 4, "delta": -2.5,
            "met": 0, "not_met": 56, "missing": 0, "vetoed": False, "url": "/o", "own": False,
        },
    ]  # fmt: skip
    with translation.override(language):
        assert tags.ranking_rows(rows) == _render(RANK_LOOP, table=rows)


@pytest.mark.parametrize("language", LANGUAGES)
def test_option_filters_are_the_loops(language):
    from indicators.models import Indicator

    choices = [*Indicator.Category.choices, ("x&y", NASTY)]
    with translation.override(language):
        for chosen in (None, "", "brand", "x&y"):
            assert tags.options(choices, chosen) == _render(OPTION_LOOP, choices=choices, chosen=chosen)
        for year in (None, 2015, 2023):
            years = [2024, 2023, 2015]
            assert tags.year_options(years, year) == _render(YEAR_LOOP, years=years, year=year)


# templates/dashboards/_chart.html before chart_panels replaced its include loop (issue 9).
CHART_LOOP = """{% for chart in charts %}<section class="dash-panel{% if chart.wide %} wide{% endif %}" id="panel-{{ chart.key }}">
  <header class="dash-panel-head">
    <h2>{{ chart.title }}</h2>
    <a class="dash-csv" href="{{ chart.csv_url }}" download title="{% translate "下载本图数据（CSV）" %}">CSV</a>
  </header>
  {% if chart.note %}<p class="dash-note">{{ chart.note }}</p>{% endif %}
  <div class="js-chart dash-chart" id="chart-{{ chart.key }}" data-figure="fig-{{ chart.key }}" data-filename="{{ chart.filename }}" role="img" aria-label="{{ chart.title }}"></div>
  {{ chart.figure|figure_json:chart.key }}
</section>
{% endfor %}"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_chart_panels_are_the_include_loop(language):
    from dashboards.pages import Chart

    charts = [
        Chart(
            "heatmap",
            NASTY,
            lambda: None,
            figure={"data": [{"type": "heatmap", "x": [NASTY, "乙县"], "z": [[1.5, None]]}], "layout": {}},
            note="格内数字为完成率（%）<b>&",
            wide=True,
            csv_url="/dashboards/130500/compare/heatmap.csv?year=2015&basis=verified",
            filename='邢台市_2015_"热力图"<>',
        ),
        Chart(
            "ranking", "总分排名", lambda: None, figure={"data": [], "layout": {"height": 300}}, csv_url="/x"
        ),
    ]
    with translation.override(language):
        assert tags.chart_panels(charts) == _render(CHART_LOOP, charts=charts)
        assert tags.chart_panels([]) == ""
