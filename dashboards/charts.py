"""Plotly figures of the leader dashboards, built in Python and drawn by plotly.js.

Each function takes the data frame a page also offers as CSV (Chinese column
names; columns starting with "_" are for drawing only, e.g. drill-down links),
or for the overview's and the comparison's charts the same columns as a list of
row dicts, and returns a plotly figure (as a plain dict) with labels and number
formats (%, 万元, 项, 分) in the active language: the catalogue's msgids are the
Chinese texts, so a Chinese page (and a report, which renders in Chinese) gets
exactly those. Hover templates are translated whole; a value Python puts into one
(a unit, an award type) replaces a ``{name}`` token, since plotly's own ``%{...}``
placeholders rule out %-formatting. Colours come from the Okabe-Ito palette, which
stays distinguishable for the common forms of colour blindness; grades use the
same four colours as ``static/css/app.css``.

A point that stands for a region carries its drill-down URL as the first item of
``customdata``; ``static/js/dashboards.js`` follows it on click.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards.i18n import Texts, texts

Figure = dict[str, Any]

FONT = '"Noto Sans CJK SC", "WenQuanYi Micro Hei", "PingFang SC", "Microsoft YaHei", sans-serif'
INK = "#1f2933"
MUTED = "#616e7c"
GRID = "#e4e7eb"
HIGHLIGHT = "#1f2933"

# Okabe-Ito (Wong 2011, Nature Methods 8:441).
GRADE_COLORS = {"A": "#0072B2", "B": "#009E73", "C": "#E69F00", "D": "#D55E00"}
STATUS_COLORS = {"met": "#009E73", "not_met": "#E69F00", "missing": "#999999", "veto": "#D55E00"}
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# Completion and score scales run from orange (behind) to blue (on target): a
# diverging pair that red-green colour blindness keeps apart.
DIVERGING = [
    [0.0, "#D55E00"],
    [0.35, "#E69F00"],
    [0.6, "#F3E3B5"],
    [0.8, "#9FD0EE"],
    [1.0, "#0072B2"],
]
# Totals on the map: saturated at both ends so every marker stands out on white.
SCORE_SCALE = [[0.0, "#D55E00"], [0.4, "#E69F00"], [0.7, "#56B4E9"], [1.0, "#0072B2"]]
PATTERNS = ["", "/", ".", "x"]

# The Chinese unit names of the dashboards and reports (a count is 项 here).
UNIT_ZH = {"%": "%", "count": "项", "10k CNY": "万元", "points": "分", "per 10k units": "人/万台"}

TEMPLATE = go.layout.Template(
    layout={
        "font": {"family": FONT, "size": 13, "color": INK},
        "colorway": OKABE_ITO,
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "separators": ".,",
        "hoverlabel": {"font": {"family": FONT, "size": 13}},
        "xaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "automargin": True},
        "yaxis": {"gridcolor": GRID, "zerolinecolor": GRID, "automargin": True},
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "margin": {"l": 10, "r": 16, "t": 28, "b": 10},
    }
)
TEMPLATE_JSON = TEMPLATE.to_plotly_json()


# --------------------------------------------------------------------------- formats


def unit_zh(unit: str) -> str:
    return UNIT_ZH.get(unit, unit)


def status_labels() -> dict[str, str]:
    """A target's status (met, not met, missing) in the active language."""
    t = texts()
    return {"met": t.gettext("达标"), "not_met": t.gettext("未达标"), "missing": t.gettext("缺报")}


@dataclass(frozen=True, slots=True)
class Units:
    """The active language's unit names: `label` for titles ("项", "count"), and a
    count's unit after the number, singular and plural ("项"; "item", "items")."""

    label: dict[str, str]
    one: str
    other: str


def units() -> Units:
    """:class:`Units` of the active language. In Chinese, `label` is :data:`UNIT_ZH`."""
    t = texts()
    label = {
        "%": "%",
        "count": t.pgettext("unit", "项"),
        "10k CNY": t.pgettext("unit", "万元"),
        "points": t.pgettext("unit", "分"),
        "per 10k units": t.pgettext("unit", "人/万台"),
    }
    # A count after its number: "12 项", "1 item", "12 items".
    return Units(label, t.ngettext("项", "项", 1), t.ngettext("项", "项", 2))


def unit_text(unit: str, names: Units | None = None) -> str:
    """The unit in the active language ("项" / "count"); an unknown unit as stored."""
    return (names or units()).label.get(unit, unit)


def format_value(value: float | Decimal | None, unit: str, names: Units | None = None) -> str:
    """A value with its unit in the active language: 98.50%, 12 项, 5,200.0 万元, 79.50 分
    (12 items, 5,200.0 CNY 10k, 79.50 points). `names` is :func:`units`, which a page
    looks up once."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if unit == "%":
        return f"{v:.2f}%"
    if names is None:
        names = units()
    if unit == "count":
        if v == int(v):
            return f"{v:,.0f} {names.one if v == 1 else names.other}"
        return f"{v:,.1f} {names.other}"
    if unit == "10k CNY":
        return f"{v:,.1f} {names.label[unit]}"
    return f"{v:,.2f} {names.label.get(unit, unit)}"


def _in_brackets(text: str, t: Texts) -> str:
    """（text） in Chinese, " (text)" in English."""
    return f"{t.pgettext('open parenthesis', '（')}{text}{t.pgettext('close parenthesis', '）')}"


def format_percent(value: float | Decimal | None, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):.{digits}f}%"


def grade_for(rate: float, cuts: tuple[float, float, float] = (90, 80, 60)) -> str:
    if rate >= cuts[0]:
        return "A"
    if rate >= cuts[1]:
        return "B"
    if rate >= cuts[2]:
        return "C"
    return "D"


def short(label: str, n: int = 12) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"


def _merge(into: dict, new: dict) -> None:
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = value


def _update(fig: Figure, **layout) -> None:
    """Deep-merge into the layout (what plotly's update_layout does, without re-validating)."""
    _merge(fig["layout"], layout)


def _figure(height: int, **layout) -> Figure:
    """An empty figure: a plain dict in plotly's JSON schema.

    Figures are built as dicts rather than graph_objects because validating every
    property on every request costs more than the rest of a page; the tests
    rebuild each page's figures with ``go.Figure(...)``, which validates them
    against plotly's schema.
    """
    fig: Figure = {"data": [], "layout": {"template": TEMPLATE_JSON}}
    _update(fig, height=height, **layout)
    return fig


def _none_to_nan(values) -> list[float | None]:
    out = []
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            out.append(None)
        else:
            out.append(float(v))
    return out


def _empty(fig: Figure, message: str) -> Figure:
    """A figure that says why it is empty (one invisible trace keeps plotly's layout sane)."""
    fig["data"].append(
        {
            "type": "scatter",
            "x": [0],
            "y": [0],
            "mode": "markers",
            "marker": {"opacity": 0},
            "hoverinfo": "skip",
        }
    )
    _update(
        fig,
        showlegend=False,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {"text": message, "showarrow": False, "font": {"size": 14, "color": MUTED}, "x": 0, "y": 0}
        ],
    )
    return fig


# --------------------------------------------------------------------------- overview

Rows = Sequence[dict[str, Any]]


def _records(data: pd.DataFrame | Rows) -> Rows:
    """A chart's rows: a page passes the rows it built (no frame on every request), a
    report passes a data frame; both carry the same columns."""
    return data.to_dict("records") if isinstance(data, pd.DataFrame) else data


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]


def score_history(data: pd.DataFrame | Rows) -> Figure:
    """Total by year (line, markers coloured by grade) with the rank as text."""
    t = texts()
    rows = _records(data)
    fig = _figure(260, showlegend=False)
    if not rows:
        return _empty(fig, t.gettext("暂无历年得分"))
    totals = [r["总分"] for r in rows]
    rank_text = t.gettext("%(grade)s · 第%(rank)s名")
    fig["data"].append(
        {
            "type": "scatter",
            "x": [r["年度"] for r in rows],
            "y": _none_to_nan(totals),
            "mode": "lines+markers+text",
            "line": {"color": "#56B4E9", "width": 2},
            "marker": {
                "size": 12,
                "color": [GRADE_COLORS[r["等级"]] for r in rows],
                "line": {"color": "#fff", "width": 1},
            },
            "text": [rank_text % {"grade": r["等级"], "rank": r["排名"]} for r in rows],
            "textposition": "top center",
            "customdata": [[r["等级"], r["排名"], r["参评数"]] for r in rows],
            "hovertemplate": t.gettext(
                "%{x} 年<br>总分 %{y:.2f} 分<br>等级 %{customdata[0]}<br>第 %{customdata[1]} / %{customdata[2]} 名<extra></extra>"
            ),
            "name": t.gettext("总分"),
        }
    )
    # As the frame's max and min: missing totals are skipped.
    finite = _finite(totals)
    top = max(100.0, max(finite) + 8) if finite else 100.0
    bottom = max(0.0, min(finite) - 15) if finite else 0.0
    _update(
        fig,
        xaxis={"dtick": 1, "tickformat": "d", "title": None},
        yaxis={"range": [bottom, top], "title": t.gettext("总分（分）")},
    )
    return fig


def category_scores(data: pd.DataFrame | Rows) -> Figure:
    """得分率 by indicator category, coloured by the grade that rate would earn."""
    t = texts()
    rows = _records(data)
    height = max(220, 48 + 34 * len(rows))
    fig = _figure(height, showlegend=False)
    if not rows:
        return _empty(fig, t.gettext("本年度暂无指标得分"))
    rates = [float(r["得分率(%)"]) for r in rows]
    fig["data"].append(
        {
            "type": "bar",
            "x": rates,
            "y": [r["类别"] for r in rows],
            "orientation": "h",
            "marker": {"color": [GRADE_COLORS[grade_for(r)] for r in rates]},
            "text": [f"{r:.1f}%" for r in rates],
            "textposition": "outside",
            "cliponaxis": False,
            # Floats, as the numeric columns of a frame come out together.
            "customdata": [[float(r["得分"]), float(r["满分"]), float(r["指标数"])] for r in rows],
            "hovertemplate": t.gettext(
                "%{y}<br>得分率 %{x:.1f}%<br>得分 %{customdata[0]:.2f} / %{customdata[1]:.2f}<br>指标 %{customdata[2]} 项<extra></extra>"
            ),
        }
    )
    _update(
        fig,
        xaxis={"range": [0, 112], "ticksuffix": "%", "title": t.gettext("得分率")},
        yaxis={"autorange": "reversed", "title": None},
    )
    return fig


def points_lost(data: pd.DataFrame | Rows) -> Figure:
    """The targets that cost the most points, coloured by why (not met, missing, veto)."""
    t = texts()
    rows = _records(data)
    height = max(220, 60 + 30 * len(rows))
    fig = _figure(height, showlegend=True)
    if not rows:
        return _empty(fig, t.gettext("全部指标满分"))
    labels = status_labels()
    hover = t.gettext(
        "%{customdata[0]}<br>失分 %{x:.2f} 分<br>实际 %{customdata[1]} / 目标 %{customdata[2]}<br>完成率 %{customdata[3]}<extra></extra>"
    )
    for status in ("not_met", "missing"):
        part = [r for r in rows if r["_status"] == status]
        if not part:
            continue
        fig["data"].append(
            {
                "type": "bar",
                "x": _none_to_nan(r["失分"] for r in part),
                "y": [short(r["指标"], 16) for r in part],
                "orientation": "h",
                "name": labels[status],
                "marker": {
                    "color": [STATUS_COLORS["veto"] if r["_veto"] else STATUS_COLORS[status] for r in part],
                    "pattern": {"shape": "/" if status == "missing" else ""},
                },
                "customdata": [
                    [r["指标"], r["_actual_text"], r["_target_text"], r["_completion_text"]] for r in part
                ],
                "hovertemplate": hover,
            }
        )
    _update(
        fig,
        barmode="stack",
        xaxis={"title": t.gettext("失分（分）"), "rangemode": "tozero"},
        yaxis={
            "autorange": "reversed",
            "title": None,
            "categoryorder": "array",
            "categoryarray": [short(r["指标"], 16) for r in rows],
        },
    )
    return fig


# --------------------------------------------------------------------------- comparison


def ranking_bar(data: pd.DataFrame | Rows, highlight: str | None, mean: float | None) -> Figure:
    """Totals of the sibling regions, best first, coloured by grade; the viewer's own region outlined."""
    t = texts()
    rows = _records(data)
    height = max(200, 90 + 28 * len(rows))
    fig = _figure(height, showlegend=True, bargap=0.3)
    if not rows:
        return _empty(fig, t.gettext("本年度暂无下级地区得分"))
    codes = [r["地区代码"] for r in rows]
    own = t.gettext("%(name)s ◀ 本地区")
    labels = [
        f"<b>{own % {'name': r['地区']}}</b>" if r["地区代码"] == highlight else r["地区"] for r in rows
    ]
    grade_name = t.gettext("%(grade)s 级")
    hover = t.gettext(
        "%{y}<br>总分 %{x:.2f} 分 · %{customdata[3]} 级<br>第 %{customdata[1]} / %{customdata[2]} 名<br>点击查看该地区<extra></extra>"
    )
    # One pass over the rows, then the rows of each grade by position.
    totals, grades = [r["总分"] for r in rows], [r["等级"] for r in rows]
    custom = [[r["_url"], r["排名"], r["参评数"], r["等级"]] for r in rows]
    for grade in "ABCD":
        part = [i for i, g in enumerate(grades) if g == grade]
        if not part:
            continue
        fig["data"].append(
            {
                "type": "bar",
                "x": _none_to_nan(totals[i] for i in part),
                "y": [labels[i] for i in part],
                "orientation": "h",
                "name": grade_name % {"grade": grade},
                "marker": {
                    "color": GRADE_COLORS[grade],
                    "line": {
                        "color": [HIGHLIGHT if codes[i] == highlight else GRADE_COLORS[grade] for i in part],
                        "width": [3 if codes[i] == highlight else 0 for i in part],
                    },
                },
                "text": [f"{totals[i]:.2f}" for i in part],
                "textposition": "outside",
                "cliponaxis": False,
                "customdata": [custom[i] for i in part],
                "hovertemplate": hover,
            }
        )
    shapes = []
    if mean is not None:
        shapes.append(
            {
                "type": "line",
                "x0": mean,
                "x1": mean,
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": MUTED, "dash": "dot", "width": 1.5},
            }
        )
    _update(
        fig,
        barmode="overlay",
        shapes=shapes,
        annotations=(
            [
                {
                    "x": mean,
                    "y": 1,
                    "yref": "paper",
                    "yanchor": "bottom",
                    "text": t.gettext("平均 %(mean)s") % {"mean": f"{mean:.2f}"},
                    "showarrow": False,
                    "font": {"color": MUTED, "size": 12},
                }
            ]
            if mean is not None
            else []
        ),
        xaxis={"range": [0, 108], "title": t.gettext("总分（分）")},
        yaxis={"categoryorder": "array", "categoryarray": labels, "autorange": "reversed", "title": None},
        legend={"traceorder": "normal"},
    )
    return fig


def completion_heatmap(df: pd.DataFrame, regions: list[str], indicators: list[str]) -> Figure:
    """Completion (%) of every target, indicators down, regions across; blank cells have no target."""
    if df.empty:
        return completion_heatmap_cells({}, regions, indicators)
    columns = ("地区", "指标", "完成率(%)", "_status", "_url", "_actual_text", "_target_text")
    cells = {(reg, ind): rest for reg, ind, *rest in zip(*(df[c].tolist() for c in columns), strict=True)}
    return completion_heatmap_cells(cells, regions, indicators)


def completion_heatmap_cells(
    cell: dict[tuple[str, str], Sequence], regions: list[str], indicators: list[str]
) -> Figure:
    """:func:`completion_heatmap` from its cells: (region, indicator) -> (completion (%),
    status, url, actual text, target text), the frame's columns of that name.

    A comparison page passes the cells it built row by row instead of a data frame
    it would only take apart again.
    """
    t = texts()
    height = max(260, 110 + 24 * len(indicators))
    fig = _figure(height, showlegend=False, margin={"l": 10, "r": 16, "t": 16, "b": 10})
    if not cell:
        return _empty(fig, t.gettext("本年度暂无指标得分"))
    labels = status_labels()
    no_target, short_missing = t.gettext("无目标"), t.pgettext("not reported, in a heat map cell", "缺")
    # A cell's customdata is a tuple (JSON writes it as the same array): a thousand
    # lists would stay tracked by the garbage collector for the rest of the request.
    z, text, custom = [], [], []
    for ind in indicators:
        zr, tr, cr = [], [], []
        for reg in regions:
            found = cell.get((reg, ind))
            if found is None:
                zr.append(None)
                tr.append("")
                cr.append(("", reg, ind, no_target, "", "", ""))
                continue
            comp, status, url, actual_text, target_text = found
            if status == "missing" or comp is None or (isinstance(comp, float) and math.isnan(comp)):
                zr.append(0.0)
                tr.append(short_missing)
                cr.append((url, reg, ind, labels["missing"], actual_text, target_text, "—"))
            else:
                comp = float(comp)
                zr.append(min(comp, 100.0))
                tr.append(f"{comp:.0f}")
                cr.append((url, reg, ind, labels[status], actual_text, target_text, f"{comp:.1f}%"))
        z.append(zr)
        text.append(tr)
        custom.append(cr)
    fig["data"].append(
        {
            "type": "heatmap",
            "z": z,
            "x": regions,
            "y": [short(i, 14) for i in indicators],
            "text": text,
            "texttemplate": "%{text}",
            "textfont": {"size": 11},
            "customdata": custom,
            "zmin": 50,
            "zmax": 100,
            "colorscale": DIVERGING,
            "xgap": 2,
            "ygap": 2,
            "colorbar": {
                "title": {"text": t.gettext("完成率")},
                "ticksuffix": "%",
                "thickness": 12,
                "len": 0.6,
            },
            "hovertemplate": t.gettext(
                "%{customdata[1]} · %{customdata[2]}<br>%{customdata[3]}<br>实际 %{customdata[4]} / 目标 %{customdata[5]}<br>完成率 %{customdata[6]}<extra></extra>"
            ),
        }
    )
    _update(
        fig,
        xaxis={"side": "top", "tickangle": -45 if len(regions) > 8 else 0, "title": None, "showgrid": False},
        yaxis={"autorange": "reversed", "title": None, "showgrid": False},
    )
    return fig


def score_distribution(data: pd.DataFrame | Rows, year: int) -> Figure:
    """Distribution of the totals this year and last year: a box with every region as a dot."""
    t = texts()
    rows = _records(data)
    fig = _figure(320, showlegend=False)
    if not rows:
        return _empty(fig, t.gettext("暂无得分"))
    years, totals, grades = [r["年度"] for r in rows], [r["总分"] for r in rows], [r["等级"] for r in rows]
    custom = [[r["_url"], r["地区"], r["等级"], r["排名"]] for r in rows]
    this_year, last_year = t.gettext("%(year)s 年（本年）"), t.gettext("%(year)s 年（上年）")
    hover = t.gettext(
        "%{customdata[1]}<br>总分 %{y:.2f} 分 · %{customdata[2]} 级 · 第 %{customdata[3]} 名<extra></extra>"
    )
    for yr in sorted(set(years)):
        part = [i for i, y in enumerate(years) if y == yr]
        label = (this_year if yr == year else last_year) % {"year": yr}
        fig["data"].append(
            {
                "type": "box",
                "y": _none_to_nan(totals[i] for i in part),
                "x": [label] * len(part),
                "name": label,
                "boxpoints": False,
                "fillcolor": "rgba(86,180,233,0.15)" if yr == year else "rgba(153,153,153,0.12)",
                "line": {"color": "#56B4E9" if yr == year else "#999999"},
                "hoverinfo": "skip",
            }
        )
        fig["data"].append(
            {
                "type": "scatter",
                "y": _none_to_nan(totals[i] for i in part),
                "x": [label] * len(part),
                "mode": "markers",
                "marker": {
                    "size": 11,
                    "color": [GRADE_COLORS[grades[i]] for i in part],
                    "line": {"color": "#fff", "width": 1},
                    "opacity": 1.0 if yr == year else 0.55,
                },
                "customdata": [custom[i] for i in part],
                "hovertemplate": hover,
                "name": label,
            }
        )
    _update(
        fig,
        yaxis={"title": t.gettext("总分（分）")},
        xaxis={"title": None},
        boxmode="overlay",
    )
    return fig


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def score_map(data: pd.DataFrame | Rows, highlight: str | None) -> Figure:
    """Regions placed by longitude and latitude, coloured by total.

    A plain scatter on lon/lat axes (no map tiles, no topojson: nothing leaves the
    server). The y axis is scaled by 1/cos(latitude) so distances look right.
    """
    t = texts()
    rows = _records(data)
    fig = _figure(420, showlegend=False)
    lons, lats, totals = [r["经度"] for r in rows], [r["纬度"] for r in rows], [r["总分"] for r in rows]
    codes, names = [r["地区代码"] for r in rows], [r["地区"] for r in rows]
    placed = [i for i in range(len(lons)) if not _missing(lons[i]) and not _missing(lats[i])]
    if not placed:
        return _empty(fig, t.gettext("下级地区无坐标"))
    lon = [float(lons[i]) for i in placed]
    lat = [float(lats[i]) for i in placed]
    custom = [[r["_url"], r["地区"], r["_total_text"], r["_grade_text"]] for r in rows]
    # Scored regions first (coloured by total), then the unscored ones as grey rings:
    # painting "no score" as 0 would read as the worst score.
    for scored in (True, False):
        part = [i for i in placed if (not _missing(totals[i])) == scored]
        if not part:
            continue
        part_codes = [codes[i] for i in part]
        marker: dict[str, Any] = {
            "size": [24 if c == highlight else 18 for c in part_codes],
            "line": {
                "color": [HIGHLIGHT if c == highlight else "#52606d" for c in part_codes],
                "width": [3 if c == highlight else 1 for c in part_codes],
            },
        }
        if scored:
            marker.update(
                color=[float(totals[i]) for i in part],
                cmin=60,
                cmax=100,
                colorscale=SCORE_SCALE,
                showscale=True,
                colorbar={"title": {"text": t.gettext("总分")}, "thickness": 12, "len": 0.7},
            )
        else:
            # An open symbol is drawn in the marker colour: a grey ring.
            marker.update(color="#9aa5b1", symbol="circle-open")
            marker["line"]["width"] = [3 if c == highlight else 2 for c in part_codes]
        fig["data"].append(
            {
                "type": "scatter",
                "x": [float(lons[i]) for i in part],
                "y": [float(lats[i]) for i in part],
                "mode": "markers+text",
                "name": t.gettext("有得分") if scored else t.gettext("无得分"),
                "text": [names[i] for i in part],
                "textposition": "top center",
                "textfont": {"size": 12, "color": INK if scored else MUTED},
                "marker": marker,
                "customdata": [custom[i] for i in part],
                "hovertemplate": t.gettext(
                    "%{customdata[1]}<br>总分 %{customdata[2]} · %{customdata[3]}<br>经度 %{x:.2f}，纬度 %{y:.2f}<br>点击查看该地区<extra></extra>"
                ),
            }
        )
    mid = sum(lat) / len(lat)
    pad_x = max(0.15, (max(lon) - min(lon)) * 0.12)
    pad_y = max(0.15, (max(lat) - min(lat)) * 0.15)
    _update(
        fig,
        xaxis={
            "title": t.gettext("经度"),
            "range": [min(lon) - pad_x, max(lon) + pad_x],
            "ticksuffix": "°E",
            "showgrid": True,
        },
        yaxis={
            "title": t.gettext("纬度"),
            "range": [min(lat) - pad_y, max(lat) + pad_y],
            "ticksuffix": "°N",
            "scaleanchor": "x",
            "scaleratio": 1 / math.cos(math.radians(mid)),
            "showgrid": True,
        },
    )
    return fig


# --------------------------------------------------------------------------- trend


def indicator_trend(df: pd.DataFrame, unit: str, name: str, comparator: str | None) -> Figure:
    """Actuals by year against the milestone targets and the plan target, with the projection."""
    t = texts()
    fig = _figure(380, showlegend=True)
    if df.empty or (df["实际值"].isna().all() and df["目标值"].isna().all()):
        return _empty(fig, t.gettext("暂无数据"))
    suffix = "%" if unit == "%" else ""
    u = unit_text(unit)
    cmp = comparator or ""
    # The trend page writes the kind of target in the active language too.
    milestone = t.gettext("年度分解目标")
    years = df["年度"].tolist()
    actual = df[df["实际值"].notna()]
    fig["data"].append(
        {
            "type": "scatter",
            "x": actual["年度"].tolist(),
            "y": _none_to_nan(actual["实际值"]),
            "mode": "lines+markers",
            "name": t.gettext("实际值"),
            "line": {"color": "#0072B2", "width": 3},
            "marker": {"size": 9},
            "hovertemplate": t.gettext("%{x} 年 实际值 %{y:,.2f} {unit}<extra></extra>").replace("{unit}", u),
        }
    )
    milestones = df[df["目标值"].notna() & (df["目标类型"] == milestone)]
    if not milestones.empty:
        fig["data"].append(
            {
                "type": "scatter",
                "x": milestones["年度"].tolist(),
                "y": _none_to_nan(milestones["目标值"]),
                "mode": "lines+markers",
                "name": milestone,
                "line": {"color": "#E69F00", "width": 2, "dash": "dash", "shape": "linear"},
                "marker": {"size": 8, "symbol": "diamond"},
                "hovertemplate": t.gettext("%{x} 年 分解目标 {comparator} %{y:,.2f} {unit}<extra></extra>")
                .replace("{comparator}", cmp)
                .replace("{unit}", u),
            }
        )
    plan = df[df["目标值"].notna() & (df["目标类型"] != milestone)]
    if not plan.empty:
        fig["data"].append(
            {
                "type": "scatter",
                "x": plan["年度"].tolist(),
                "y": _none_to_nan(plan["目标值"]),
                "mode": "markers",
                "name": t.gettext("规划目标"),
                "marker": {
                    "size": 16,
                    "symbol": "star",
                    "color": "#D55E00",
                    "line": {"color": "#fff", "width": 1},
                },
                "hovertemplate": t.gettext("%{x} 年 规划目标 {comparator} %{y:,.2f} {unit}<extra></extra>")
                .replace("{comparator}", cmp)
                .replace("{unit}", u),
            }
        )
    proj = df[df["趋势预测值"].notna()]
    if not proj.empty:
        fig["data"].append(
            {
                "type": "scatter",
                "x": proj["年度"].tolist(),
                "y": _none_to_nan(proj["趋势预测值"]),
                "mode": "lines+markers",
                "name": t.gettext("趋势预测（最小二乘）"),
                "line": {"color": "#56B4E9", "width": 2, "dash": "dot"},
                "marker": {"size": [0] * (len(proj) - 1) + [10], "symbol": "circle-open"},
                "hovertemplate": t.gettext("%{x} 年 趋势预测 %{y:,.2f} {unit}<extra></extra>").replace(
                    "{unit}", u
                ),
            }
        )
    _update(
        fig,
        xaxis={
            "dtick": 1,
            "tickformat": "d",
            "title": t.gettext("年度"),
            "range": [min(years) - 0.5, max(years) + 0.5],
        },
        yaxis={
            "title": f"{name}{_in_brackets(u, t)}",
            "ticksuffix": suffix,
            "rangemode": "tozero" if unit != "%" else "normal",
        },
    )
    return fig


def children_values(df: pd.DataFrame, unit: str, year: int) -> Figure:
    """Each child's actual for the year (dot, coloured by met / not met) against its own target (tick).

    Dots rather than bars: rates sit close to 100 %, and a bar from zero would
    hide the gaps a leader is looking for; the axis fits the values instead.
    """
    t = texts()
    height = max(240, 70 + 24 * len(df))
    fig = _figure(height, showlegend=True)
    if df.empty:
        return _empty(fig, t.gettext("下级地区暂无数据"))
    u = unit_text(unit)
    pairs = df[df["实际值"].notna() & df["目标值"].notna()]
    xs: list[float | None] = []
    ys: list[str | None] = []
    for name, actual, target in zip(pairs["地区"], pairs["实际值"], pairs["目标值"], strict=True):
        xs += [float(actual), float(target), None]
        ys += [name, name, None]
    if xs:
        fig["data"].append(
            {
                "type": "scatter",
                "x": xs,
                "y": ys,
                "mode": "lines",
                "line": {"color": "#c0c8d2", "width": 3},
                "hoverinfo": "skip",
                "showlegend": False,
            }
        )
    targets = df[df["目标值"].notna()]
    if not targets.empty:
        fig["data"].append(
            {
                "type": "scatter",
                "x": _none_to_nan(targets["目标值"]),
                "y": targets["地区"].tolist(),
                "mode": "markers",
                "name": t.gettext("目标值"),
                "marker": {"symbol": "line-ns", "size": 16, "line": {"width": 3, "color": INK}, "color": INK},
                "hovertemplate": t.gettext("%{y} 目标 %{x:,.2f} {unit}<extra></extra>").replace("{unit}", u),
            }
        )
    names = {"met": t.gettext("达到目标"), "not_met": t.gettext("未达到目标"), "missing": t.gettext("无目标")}
    hover = t.gettext(
        "%{y}<br>实际 %{customdata[1]}<br>目标 %{customdata[2]}<br>点击查看该地区<extra></extra>"
    )
    for status in ("met", "not_met", "missing"):
        part = df[(df["_status"] == status) & df["实际值"].notna()]
        if part.empty:
            continue
        fig["data"].append(
            {
                "type": "scatter",
                "x": _none_to_nan(part["实际值"]),
                "y": part["地区"].tolist(),
                "mode": "markers",
                "name": names[status],
                "marker": {"size": 13, "color": STATUS_COLORS[status], "line": {"color": "#fff", "width": 1}},
                "customdata": part[["_url", "_actual_text", "_target_text"]].values.tolist(),
                "hovertemplate": hover,
            }
        )
    _update(
        fig,
        xaxis={
            "title": t.gettext("%(y)s 年") % {"y": year} + _in_brackets(u, t),
            "ticksuffix": "%" if unit == "%" else "",
        },
        yaxis={
            "autorange": "reversed",
            "title": None,
            "categoryorder": "array",
            "categoryarray": df["地区"].tolist(),
        },
    )
    return fig


# --------------------------------------------------------------------------- brands


def _stacked(fig: Figure, df: pd.DataFrame, axis: str, types: list[str], horizontal: bool) -> None:
    """One bar trace per award type (Okabe-Ito colours, then patterns once they run out)."""
    t = texts()
    groups: dict[str, tuple[list, list, list]] = {}
    urls = df["_url"].tolist() if "_url" in df else [""] * len(df)
    hover = (
        t.gettext("%{y}<br>{type} %{x:,} 项<extra></extra>")
        if horizontal
        else t.gettext("%{x} 年<br>{type} %{y:,} 项<extra></extra>")
    )
    for kind, pos, n, url in zip(df["奖项类型"], df[axis], df["数量"], urls, strict=True):
        g = groups.setdefault(kind, ([], [], []))
        g[0].append(pos)
        g[1].append(int(n))
        g[2].append([url])
    for i, kind in enumerate(types):
        if kind not in groups:
            continue
        pos, counts, custom = groups[kind]
        fig["data"].append(
            {
                "type": "bar",
                "x": counts if horizontal else pos,
                "y": pos if horizontal else counts,
                "orientation": "h" if horizontal else "v",
                "name": kind,
                "marker": {
                    "color": OKABE_ITO[i % len(OKABE_ITO)],
                    "pattern": {"shape": PATTERNS[(i // len(OKABE_ITO)) % len(PATTERNS)]},
                },
                "customdata": custom,
                "hovertemplate": hover.replace("{type}", kind),
            }
        )


def awards_by_year(df: pd.DataFrame, types: list[str]) -> Figure:
    t = texts()
    fig = _figure(400, showlegend=True, barmode="stack")
    if df.empty:
        return _empty(fig, t.gettext("暂无品牌与奖项数据"))
    _stacked(fig, df, "年度", types, horizontal=False)
    _update(
        fig,
        xaxis={"dtick": 1, "tickformat": "d", "title": t.gettext("年度")},
        yaxis={"title": t.gettext("数量（项）")},
        legend={"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"},
    )
    return fig


def awards_by_child(df: pd.DataFrame, types: list[str], regions: list[str]) -> Figure:
    t = texts()
    height = max(260, 80 + 26 * len(regions))
    fig = _figure(height, showlegend=True, barmode="stack")
    if df.empty:
        return _empty(fig, t.gettext("下级地区暂无品牌与奖项数据"))
    _stacked(fig, df, "地区", types, horizontal=True)
    _update(
        fig,
        xaxis={"title": t.gettext("数量（项）")},
        yaxis={"autorange": "reversed", "title": None, "categoryorder": "array", "categoryarray": regions},
        legend={"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top"},
    )
    return fig


# --------------------------------------------------------------------------- self vs verified


def self_vs_verified(df: pd.DataFrame) -> Figure:
    """Dumbbell: each region's self-assessed total against its verified total."""
    t = texts()
    height = max(240, 70 + 26 * len(df))
    fig = _figure(height, showlegend=True)
    if df.empty:
        return _empty(fig, t.gettext("本年度暂无自评与核定得分"))
    both = df.dropna(subset=["自评总分", "核定总分"])
    xs, ys = [], []
    for name, own, verified in zip(both["地区"], both["自评总分"], both["核定总分"], strict=True):
        xs += [float(own), float(verified), None]
        ys += [name, name, None]
    fig["data"].append(
        {
            "type": "scatter",
            "x": xs,
            "y": ys,
            "mode": "lines",
            "line": {"color": "#c0c8d2", "width": 4},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    )
    fig["data"].append(
        {
            "type": "scatter",
            "x": _none_to_nan(df["自评总分"]),
            "y": df["地区"].tolist(),
            "mode": "markers",
            "name": t.gettext("自评"),
            "marker": {"size": 13, "color": "#E69F00", "symbol": "circle"},
            "customdata": df[["_url", "_diff_text"]].values.tolist(),
            "hovertemplate": t.gettext("%{y}<br>自评 %{x:.2f} 分<br>核减 %{customdata[1]}<extra></extra>"),
        }
    )
    fig["data"].append(
        {
            "type": "scatter",
            "x": _none_to_nan(df["核定总分"]),
            "y": df["地区"].tolist(),
            "mode": "markers",
            "name": t.gettext("核定"),
            "marker": {"size": 13, "color": "#0072B2", "symbol": "diamond"},
            "customdata": df[["_url", "_diff_text"]].values.tolist(),
            "hovertemplate": t.gettext("%{y}<br>核定 %{x:.2f} 分<br>核减 %{customdata[1]}<extra></extra>"),
        }
    )
    _update(
        fig,
        xaxis={"title": t.gettext("总分（分）")},
        yaxis={
            "autorange": "reversed",
            "title": None,
            "categoryorder": "array",
            "categoryarray": df["地区"].tolist(),
        },
    )
    return fig


def adjustments_by_region(df: pd.DataFrame) -> Figure:
    """How many approved figures each region had cut or raised on verification."""
    t = texts()
    height = max(240, 70 + 26 * len(df))
    fig = _figure(height, showlegend=True, barmode="stack")
    if df.empty or df["核定调整项数"].sum() == 0:
        return _empty(fig, t.gettext("本年度无核定调整"))
    hover = t.gettext(
        "%{y}<br>{label} %{x} 项<br>已审核 %{customdata[1]} 项，调整比例 %{customdata[2]:.1f}%<extra></extra>"
    )
    for col, color, label in (
        ("核减项数", "#D55E00", t.gettext("核减（填报偏高）")),
        ("核增项数", "#56B4E9", t.gettext("核增（填报偏低）")),
    ):
        fig["data"].append(
            {
                "type": "bar",
                "x": [int(v) for v in df[col]],
                "y": df["地区"].tolist(),
                "orientation": "h",
                "name": label,
                "marker": {"color": color},
                "customdata": df[["_url", "已审核项数", "调整比例(%)"]].values.tolist(),
                "hovertemplate": hover.replace("{label}", label),
            }
        )
    _update(
        fig,
        xaxis={"title": t.gettext("项数"), "dtick": 1 if df["核定调整项数"].max() <= 10 else None},
        yaxis={
            "autorange": "reversed",
            "title": None,
            "categoryorder": "array",
            "categoryarray": df["地区"].tolist(),
        },
    )
    return fig


def adjustment_strip(df: pd.DataFrame, regions: list[str]) -> Figure:
    """Every adjusted figure as a dot: region down, (verified - reported) / reported across."""
    t = texts()
    height = max(260, 90 + 26 * len(regions))
    fig = _figure(height, showlegend=True)
    rows = df[df["差异率(%)"].notna()] if not df.empty else df
    if rows.empty:
        return _empty(fig, t.gettext("本年度无核定调整"))
    hover = t.gettext(
        "%{customdata[0]} · %{customdata[1]}<br>填报 %{customdata[2]} → 核定 %{customdata[3]}<br>差值 %{customdata[4]}（%{x:+.1f}%）<extra></extra>"
    )
    for cut, color, label, symbol in (
        (True, "#D55E00", t.gettext("核减（填报偏高）"), "circle"),
        (False, "#0072B2", t.gettext("核增（填报偏低）"), "diamond"),
    ):
        part = rows[(rows["差值"] < 0) == cut]
        if part.empty:
            continue
        fig["data"].append(
            {
                "type": "scatter",
                "x": [float(v) for v in part["差异率(%)"]],
                "y": part["地区"].tolist(),
                "mode": "markers",
                "name": label,
                "marker": {
                    "size": 11,
                    "color": color,
                    "symbol": symbol,
                    "opacity": 0.8,
                    "line": {"color": "#fff", "width": 1},
                },
                "customdata": part[
                    ["地区", "指标", "_reported_text", "_verified_text", "_diff_text"]
                ].values.tolist(),
                "hovertemplate": hover,
            }
        )
    _update(
        fig,
        xaxis={
            "title": t.gettext("核定值较填报值（%）"),
            "ticksuffix": "%",
            "zeroline": True,
            "zerolinecolor": INK,
            "zerolinewidth": 1.5,
        },
        yaxis={"autorange": "reversed", "title": None, "categoryorder": "array", "categoryarray": regions},
    )
    return fig
