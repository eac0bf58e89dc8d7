"""Template helpers of the dashboards: plotly figures as JSON data blocks."""

from __future__ import annotations

import html
import json
import operator

import plotly.io as pio
from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from dashboards.pages import fixed

register = template.Library()


class _FigureEncoder(json.JSONEncoder):
    """Lets Django's json_script serialise a plotly figure.

    json_script then escapes <, > and & so the data block cannot close its
    <script> element early.
    """

    def encode(self, o) -> str:
        # charts.py emits plain lists of Python numbers with None for gaps, which the
        # standard encoder writes in one pass; anything else (numpy, NaN, Decimal)
        # goes through plotly's encoder, which takes three passes to clean it.
        try:
            return json.dumps(o, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError):
            return pio.to_json(o, validate=False, pretty=False, engine="json")


# What django.utils.html.json_script escapes, as plain replacements: str.translate
# with a mapping looks up every character of a 130 KB heat map (about 9 ms a page);
# three str.replace calls give the same string in a fraction of that.
_JSON_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


@register.filter
def figure_json(figure, key: str):
    """<script type="application/json" id="fig-KEY"> with the figure: data, never code (CSP-safe).

    The same markup as ``json_script(figure, f"fig-{key}")``: <, > and & escaped so
    the data block cannot close its <script> element early.
    """
    text = _FigureEncoder().encode(figure)
    for char, escaped in _JSON_SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return format_html('<script id="{}" type="application/json">{}</script>', f"fig-{key}", mark_safe(text))


@register.filter
def signed(value, digits: int = 2) -> str:
    """+2.35 / −1.20 / 0.00."""
    if value is None:
        return "—"
    v = float(value)
    if abs(v) < 0.5 * 10**-digits:
        return f"{0:.{digits}f}"
    return f"+{v:.{digits}f}" if v > 0 else f"−{abs(v):.{digits}f}"


# --------------------------------------------------------------------------- long tables
#
# The overview's tables and tiles are built here rather than by {% for %} loops: a
# province has a hundred targets, and the template engine's nodes and lookups for
# each row cost more than building the page's data. Each markup below is what the
# loop body rendered, whitespace included; text the template translated goes
# through gettext with the same msgid.


def _text(value) -> str:
    """What ``{{ value }}`` renders: localised (numbers), then autoescaped."""
    if type(value) is str:  # most cells: a plain string (not safe, nothing to localise)
        return html.escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # what localize() makes of an int without grouping
    if not isinstance(value, str):
        value = str(formats.localize(value))
    return value.__html__() if hasattr(value, "__html__") else html.escape(value)


def _option(value, label, selected) -> str:
    return f'<option value="{_text(value)}"{" selected" if value == selected else ""}>{_text(label)}</option>'


@register.filter
def options(choices, selected) -> SafeString:
    """``<option>`` elements of (value, label) pairs, `selected` marked (the filter selects)."""
    return mark_safe("".join(_option(value, label, selected) for value, label in choices))  # escaped by _text


@register.filter
def year_options(years, selected) -> SafeString:
    """The year select's ``<option>`` elements ("2024 年")."""
    label = gettext("%(y)s 年")
    return mark_safe(  # escaped by _text; the translation is markup, as in blocktranslate
        "".join(_option(y, mark_safe(label % {"y": _text(y)}), selected) for y in years)
    )


def _rows(markup: str, rows) -> SafeString:
    return mark_safe("".join(markup.format(*map(_text, row)) for row in rows))  # escaped by _text


_TARGET_ROW = (
    '\n      <tr><td><a href="{}">{}</a>{}</td>\n'
    '        <td class="num">{}</td><td class="num">{}</td>\n'
    '        <td class="num">{}</td>\n'
    '        <td class="num">{}</td>\n'
    '        <td><span class="dash-status {}">{}</span></td></tr>\n    '
)


@register.filter
def target_rows(rows: list[dict]) -> SafeString:
    """The <tr> elements of the targets table (rows: build_overview's `targets`)."""
    veto = format_html(' <span class="dash-veto">{}</span>', gettext("否决项"))
    return _rows(
        _TARGET_ROW,
        (
            (
                r["url"], r["name"], veto if r["veto"] else "", r["actual"], r["target"],
                r["completion"], r["points"], r["status"], r["status_label"],
            )
            for r in rows
        ),
    )  # fmt: skip


_RISK_ROW = (
    '\n        <tr><td><a href="{}">{}</a></td><td class="num">{}</td><td class="num">{}</td>'
    '<td class="num risk-value">{}</td><td class="num">{}</td></tr>\n      '
)


@register.filter
def risk_rows(rows: list[dict]) -> SafeString:
    """The <tr> elements of the at-risk table (rows: build_overview's `at_risk`)."""
    return _rows(
        _RISK_ROW,
        ((r["url"], r["name"], r["horizon"], r["target"], r["projected"], r["gap"]) for r in rows),
    )


_TILE = (
    '\n  <a class="dash-tile {status}" href="{url}" title="{title}">\n'
    '    <div class="dash-tile-name">{name}{veto}</div>\n'
    '    <div class="dash-tile-actual">{actual}</div>\n'
    '    <div class="dash-tile-target">{target}</div>\n'
    '    <progress class="dash-bar" max="100" value="{bar}" aria-label="{rate_label}">{bar}%</progress>\n'
    '    <div class="dash-tile-foot"><span>{rate}</span><span class="dash-status {status}">{status_label}</span></div>\n'
    "  </a>\n  "
)


@register.filter
def tile_cards(tiles: list[dict]) -> SafeString:
    """The key-indicator tiles (tiles: build_overview's `tiles`)."""
    veto = format_html(' <span class="dash-veto">{}</span>', gettext("否决项"))
    rate_label = _text(gettext("完成率"))
    title, target, rate = (
        gettext("查看“%(name)s”历年趋势"),
        gettext("目标 %(target)s"),
        gettext("完成率 %(rate)s"),
    )
    return mark_safe(  # values escaped by _text; translations are markup, as in blocktranslate
        "".join(
            _TILE.format(
                status=_text(t["status"]),
                url=_text(t["url"]),
                title=title % {"name": _text(t["name"])},
                name=_text(t["name"]),
                veto=veto if t["veto"] else "",
                actual=_text(t["actual"]),
                target=target % {"target": _text(t["target"])},
                bar=_text(t["bar"]),
                rate_label=rate_label,
                rate=rate % {"rate": _text(t["completion_text"])},
                status_label=_text(t["status_label"]),
            )
            for t in tiles
        )
    )


_RANK_ROW = (
    '\n        <tr{own_class}><td class="num">{rank} / {rank_of}</td>\n'
    '          <td><a href="{url}">{name}</a>{own_badge}</td>\n'
    '          <td class="num">{total}</td>\n'
    '          <td><span class="grade-badge-{grade} dash-grade small">{grade}</span>{veto}</td>\n'
    '          <td class="num">{delta}</td>\n'
    '          <td class="num">{met}</td><td class="num">{not_met}</td><td class="num">{missing}</td></tr>\n      '
)


@register.filter
def ranking_rows(rows: list[dict]) -> SafeString:
    """The <tr> elements of a comparison's table of children (rows: build_compare's `table`)."""
    sep = formats.get_format("DECIMAL_SEPARATOR")
    badge = format_html(' <span class="badge">{}</span>', gettext("本地区"))
    veto = format_html(' <span class="dash-veto">{}</span>', gettext("一票否决"))
    return mark_safe(  # values escaped by _text
        "".join(
            _RANK_ROW.format(
                own_class=' class="dash-own"' if r["own"] else "",
                rank=_text(r["rank"]),
                rank_of=_text(r["rank_of"]),
                url=_text(r["url"]),
                name=_text(r["name"]),
                own_badge=badge if r["own"] else "",
                total=_text(floatformat(r["total"], 2) if r["total"] is None else fixed(r["total"], 2, sep)),
                grade=_text(r["grade"]),
                veto=veto if r["vetoed"] else "",
                delta=_text(signed(r["delta"])) if r["delta"] is not None else "—",
                met=_text(r["met"]),
                not_met=_text(r["not_met"]),
                missing=_text(r["missing"]),
            )
            for r in rows
        )
    )


# --------------------------------------------------------------------------- chart panels

_PANEL = (
    '<section class="dash-panel{wide}" id="panel-{key}">\n'
    '  <header class="dash-panel-head">\n'
    "    <h2>{title}</h2>\n"
    '    <a class="dash-csv" href="{csv_url}" download title="{csv_title}">CSV</a>\n'
    "  </header>\n"
    "  {note}\n"
    '  <div class="js-chart dash-chart" id="chart-{key}" data-figure="fig-{key}"'
    ' data-filename="{filename}" role="img" aria-label="{title}"></div>\n'
    "  {figure}\n"
    "</section>\n"
)


@register.filter
def chart_panels(charts) -> SafeString:
    """Every chart's panel: what ``{% for chart in charts %}{% include "dashboards/_chart.html" %}{% endfor %}``
    rendered (the include's template lookup, context push and a dozen nodes per chart
    cost more than the markup; tests/dashboards/test_table_filters.py compares them)."""
    # Not escaped: {% translate "literal" %} treats its literal and the translation as safe.
    csv_title = gettext("下载本图数据（CSV）")
    return mark_safe(  # values escaped by _text; the figure is figure_json's safe markup
        "".join(
            _PANEL.format(
                wide=" wide" if chart.wide else "",
                key=_text(chart.key),
                title=_text(chart.title),
                csv_url=_text(chart.csv_url),
                csv_title=csv_title,
                note=f'<p class="dash-note">{_text(chart.note)}</p>' if chart.note else "",
                filename=_text(chart.filename),
                figure=figure_json(chart.figure, chart.key),
            )
            for chart in charts
        )
    )


# --------------------------------------------------------------------------- summary box
#
# The overview's score box: a dozen translations (most of them blocktranslate) and
# branches cost more in template nodes than the box's text. The markups below are
# what the template's <section class="dash-summary"> rendered, whitespace included;
# tests/dashboards/test_summary_box.py keeps that template and compares them.

_SUMMARY = (
    '<section class="dash-summary" aria-label="{aria_label}">\n'
    '  <div class="dash-score{grade_bg}">\n'
    '    <div class="dash-score-label">{label}</div>\n'
    "    {score}\n"
    "  </div>\n"
    '  <a class="dash-count met" href="#targets">\n'
    '    <span class="dash-count-n">{met}</span><span class="dash-count-l">{met_label}</span></a>\n'
    '  <a class="dash-count not_met" href="#targets">\n'
    '    <span class="dash-count-n">{not_met}</span><span class="dash-count-l">{not_met_label}</span></a>\n'
    '  <a class="dash-count missing" href="#targets">\n'
    '    <span class="dash-count-n">{missing}</span><span class="dash-count-l">{missing_label}</span></a>\n'
    '  <a class="dash-count risk" href="#at-risk">\n'
    '    <span class="dash-count-n">{at_risk}</span><span class="dash-count-l">{at_risk_label}</span></a>\n'
    "</section>"
)

_SCORED = (
    '\n    <div class="dash-score-main"><span class="dash-total">{total}</span>'
    '<span class="dash-unit">{unit}</span>\n'
    '      <span class="dash-grade grade-badge-{grade}" title="{grade_title}">{grade_text}</span></div>\n'
    '    <div class="dash-rank">{rank}{veto}</div>\n'
    "    {reasons}\n"
    '    <div class="dash-change">\n'
    "      {change}\n"
    "    </div>\n    "
)

_CHANGE = (
    '{than_last} <b class="{direction}">{delta}</b>{comma}\n'
    "        {rank_change}\n"
    '        <span class="muted">{was}</span>\n      '
)

_UNSCORED = (
    '\n    <div class="dash-score-main"><span class="dash-total">—</span></div>\n'
    '    <div class="dash-change muted">{missing}</div>\n'
    "    {compare}\n    "
)


def _compares(op, a, b) -> bool:
    """``{% if a > b %}``: False when the values do not compare (None)."""
    try:
        return op(a, b)
    except TypeError:
        return False


def _rank_change(rank_change) -> str:
    """``{% if rank_change > 0 %}`` up ``{% elif rank_change < 0 %}`` down ``{% else %}`` unchanged."""
    if _compares(operator.gt, rank_change, 0):
        return gettext('排名<b class="up">上升 %(rank_change)s 位</b>') % {"rank_change": _text(rank_change)}
    if _compares(operator.lt, rank_change, 0):
        try:  # {% widthratio rank_change 1 -1 as fall %}
            fall = str(round(float(rank_change) / 1.0 * -1))
        except (ValueError, TypeError, OverflowError):
            fall = ""
        return gettext('排名<b class="down">下降 %(fall)s 位</b>') % {"fall": _text(fall)}
    return gettext("排名持平")


def _change(prev, delta, rank_change) -> str:
    """The change from the previous year's score, or that there is none."""
    if not prev:
        return '<span class="muted">{}</span>'.format(gettext("上年无得分"))
    was = gettext("（%(year)s 年 %(total)s 分 · %(grade)s 级 · 第 %(rank)s / %(rank_of)s 名）")
    up, down = _compares(operator.gt, delta, 0), _compares(operator.lt, delta, 0)
    return _CHANGE.format(
        than_last=gettext("较上年"),
        direction="up" if up else "down" if down else "",
        delta=gettext("%(delta)s 分") % {"delta": _text(signed(delta))},
        comma=gettext("，"),
        rank_change=_rank_change(rank_change),
        was=was
        % {
            "year": _text(prev.year),
            "total": _text(prev.total),
            "grade": _text(prev.grade),
            "rank": _text(prev.rank),
            "rank_of": _text(prev.rank_of),
        },
    )


def _scored(score, context) -> str:
    """The box with a score: total, grade, rank, veto and the change from the year before."""
    grade = _text(score.grade)
    vetoes = context.get("vetoes")
    if score.vetoed and vetoes:
        # {% blocktranslate with reasons=vetoes|join:"、" %}: join escapes each name.
        reasons = gettext("否决原因：%(reasons)s未达标（总分照算，等级定为 D）") % {
            "reasons": "、".join(conditional_escape(v) for v in vetoes)
        }
        reasons = f'<div class="dash-change">{reasons}</div>'
    else:
        reasons = ""
    veto = gettext("一票否决")
    return _SCORED.format(
        total=_text(score.total),
        unit=gettext("分"),
        grade=grade,
        grade_title=gettext("等级"),
        grade_text=gettext("%(grade)s 级") % {"grade": grade},
        rank=gettext("第 <b>%(rank)s</b> / %(rank_of)s 名")
        % {"rank": _text(score.rank), "rank_of": _text(score.rank_of)},
        veto=f' · <span class="dash-veto">{veto}</span>' if score.vetoed else "",
        reasons=reasons,
        change=_change(context.get("prev"), context.get("delta"), context.get("rank_change")),
    )


def _unscored(year: str, basis_label: str, compare_url) -> str:
    """The box without a score for the year and basis."""
    compare = ""
    if compare_url:
        compare = '<div class="dash-change"><a href="{}">{}</a></div>'.format(
            _text(compare_url), gettext("查看下级地区得分与排名 →")
        )
    return _UNSCORED.format(
        missing=gettext("本地区 %(year)s 年（%(basis_label)s）无得分")
        % {"year": year, "basis_label": basis_label},
        compare=compare,
    )


@register.simple_tag(takes_context=True)
def summary_box(context) -> SafeString:
    """The overview's score box and counts: what its ``<section class="dash-summary">`` rendered.

    Reads `filters`, `basis_label`, `score`, `prev`, `delta`, `rank_change`, `vetoes`,
    `compare_url`, `counts` and `at_risk` from the context. The msgids are the
    template's (a blocktranslate's text with ``%(name)s`` placeholders); as there, a
    translation is markup and the values in it are escaped.
    """
    score = context.get("score")
    year = _text(context.get("filters").year)
    basis_label = _text(context.get("basis_label", ""))
    counts, at_risk = context.get("counts"), context.get("at_risk")
    try:
        n_risk = len(at_risk)  # {{ at_risk|length }}
    except (ValueError, TypeError):
        n_risk = 0
    box = _scored(score, context) if score else _unscored(year, basis_label, context.get("compare_url"))
    return mark_safe(  # values escaped by _text; translations are markup, as in blocktranslate
        _SUMMARY.format(
            aria_label=gettext("总体情况"),
            grade_bg=f" grade-bg-{_text(score.grade)}" if score else "",
            label=gettext("%(year)s 年总分（%(basis_label)s）") % {"year": year, "basis_label": basis_label},
            score=box,
            met=_text(counts["met"]),
            met_label=gettext("达标"),
            not_met=_text(counts["not_met"]),
            not_met_label=gettext("未达标"),
            missing=_text(counts["missing"]),
            missing_label=gettext("缺报"),
            at_risk=_text(n_risk),
            at_risk_label=gettext("规划目标有风险"),
        )
    )
