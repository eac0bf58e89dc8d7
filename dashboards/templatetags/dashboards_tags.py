"""Template helpers of the dashboards: plotly figures as JSON data blocks."""

from __future__ import annotations

import html
import json

import plotly.io as pio
from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils import formats
from django.utils.html import format_html
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
