"""The dashboard pages: filters in, selector reads, chart data frames and figures out.

Every page is a ``build_*`` function returning a :class:`Page`. Each chart carries
the data frame it is drawn from, so the CSV download of a chart is exactly the
data of the chart (``figures=False`` skips building the plotly figures). The
overview and the comparison draw their figures from the rows they built and make
the frame only when the CSV asks for it.

Text a page shows (titles, notes, labels, indicator names, units) follows the active
language; the frames' column names, which are the CSV headers, stay Chinese.
"""

from __future__ import annotations

import functools
import math
import operator
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from decimal import Context as DecimalContext
from urllib.parse import quote_plus, urlencode

import pandas as pd
from django.conf import settings
from django.http import QueryDict
from django.template.defaultfilters import floatformat
from django.urls import NoReverseMatch, reverse
from django.utils import formats

from accounts import policy
from dashboards import charts, selectors
from dashboards.i18n import Texts, texts
from indicators.models import Basis, Indicator, Region, TargetScore
from indicators.scoring import project_linear

KEY_TILES = 8
_UNSAFE_IN_FILENAMES = set(' \\/:*?"<>|：（）')
LOST_TOP = 10

HISTORY_COLUMNS = ["年度", "总分", "等级", "排名", "参评数"]
CATEGORY_COLUMNS = ["类别", "得分", "满分", "得分率(%)", "指标数"]
LOST_COLUMNS = [
    "指标代码", "指标", "状态", "失分", "权重", "得分", "实际值", "目标值", "完成率(%)",
    "_status", "_veto", "_actual_text", "_target_text", "_completion_text",
]  # fmt: skip
RANK_COLUMNS = [
    "地区代码", "地区", "总分", "等级", "排名", "参评数", "较上年(分)", "上年排名",
    "达标", "未达标", "缺报", "一票否决", "_url",
]  # fmt: skip
DIST_COLUMNS = ["地区代码", "地区", "年度", "总分", "等级", "排名", "_url"]
MAP_COLUMNS = ["地区代码", "地区", "经度", "纬度", "总分", "等级", "_url", "_total_text", "_grade_text"]
HEAT_COLUMNS = [
    "地区代码", "地区", "指标代码", "指标", "实际值", "目标值", "完成率(%)", "状态",
    "_status", "_url", "_actual_text", "_target_text",
]  # fmt: skip


def basis_labels() -> dict[str, str]:
    """The bases of a score (self-assessed, verified) in the active language."""
    tr = texts()
    return {"self": tr.gettext("自评"), "verified": tr.gettext("核定")}


def page_titles() -> dict[str, str]:
    """The dashboard pages' titles in the active language, in tab order."""
    tr = texts()
    return {
        "overview": tr.gettext("地区概览"),
        "compare": tr.gettext("下级对比"),
        "trend": tr.gettext("指标趋势"),
        "brands": tr.gettext("品牌与奖项"),
        "verification": tr.gettext("自评与核定"),
    }


def child_label(level: str, tr: Texts) -> str:
    """The children of a region, as the comparison page names them ("{{ child_label }}得分一览")."""
    if level == Region.Level.PROVINCE:
        return tr.pgettext("child regions", "市")
    if level == Region.Level.CITY:
        return tr.pgettext("child regions", "县（市、区）")
    return tr.pgettext("child regions", "下级地区")


# --------------------------------------------------------------------------- filters


@dataclass
class Filters:
    """The GET parameters of a page (year, basis, category, indicator), validated."""

    year: int | None = None
    basis: str = ""
    category: str | None = None
    indicator: str | None = None
    years: list[int] = field(default_factory=list)

    @classmethod
    def parse(cls, params: QueryDict) -> Filters:
        year = params.get("year", "")
        category = params.get("category") or None
        basis = params.get("basis", "")
        return cls(
            year=int(year) if year.isdigit() and len(year) == 4 else None,
            basis=basis if basis in Basis.values else "",
            category=category if category in Indicator.Category.values else None,
            indicator=(params.get("indicator") or None),
        )

    def resolve_year(self, available: list[int]) -> None:
        """Keep the requested year if it has data, else take the latest that has."""
        self.years = sorted(available, reverse=True)
        if self.year not in available:
            self.year = self.years[0] if self.years else None

    def resolve_scores(self, years: dict[int, dict[str, bool]]) -> None:
        """Year and basis for a page of scores.

        Without a choice in the URL: the latest year where some basis has actuals,
        and the verified result when verification has produced one, else the
        self-assessment.
        """
        self.years = sorted(years, reverse=True)
        if self.year not in years:
            with_data = [y for y in self.years if any(years[y].values())]
            self.year = (with_data or self.years or [None])[0]
        if self.basis:
            return
        have = years.get(self.year or 0, {})
        if have.get("verified"):
            self.basis = "verified"
        elif have.get("self"):
            self.basis = "self"
        else:
            self.basis = "verified" if "verified" in have or not have else "self"

    def params(self, **overrides) -> dict[str, str]:
        values = {
            "year": self.year,
            "basis": self.basis,
            "category": self.category,
            "indicator": self.indicator,
        }
        values.update(overrides)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def query(self, **overrides) -> str:
        params = self.params(**overrides)
        return "?" + urlencode(params) if params else ""


@functools.lru_cache(maxsize=8192)
def _page_path(page: str, code: str) -> str:
    # A comparison page links every child several times; reverse() once per (page, region).
    return reverse(f"dashboards:{page}", args=[code])


@functools.lru_cache(maxsize=8192)
def _csv_path(code: str, page: str, chart: str) -> str:
    return reverse("dashboards:chart_csv", args=[code, page, chart])


def page_url(page: str, code: str, filters: Filters | None = None, **overrides) -> str:
    return _page_path(page, code) + (filters.query(**overrides) if filters else "")


def indicator_urls(page: str, code: str, filters: Filters) -> Callable[[str], str]:
    """``lambda ind: page_url(page, code, filters, indicator=ind)``, with the path and
    the other parameters encoded once: the indicator is the last parameter of a query."""
    base = page_url(page, code, filters, indicator=None)
    sep = "&" if "?" in base else "?"
    urls: dict[str, str] = {}

    def url(indicator: str) -> str:
        if not indicator:
            return base
        found = urls.get(indicator)
        if found is None:
            # urlencode({"indicator": indicator}) for one string value
            found = urls[indicator] = f"{base}{sep}indicator={quote_plus(indicator)}"
        return found

    return url


_QUANTA = {1: Decimal("0.1"), 2: Decimal("0.01")}
_WIDE = DecimalContext(prec=60)


def fixed(value: Decimal | float | int, places: int, separator: str | None = None) -> str:
    """What ``{{ value|floatformat:places }}`` shows (places 1 or 2) for a finite number.

    The same rounding (the decimal form of the value, half up) and the same
    localised decimal separator, without the filter's generality: a table of
    targets formats a few hundred numbers per request. `separator` is the active
    language's DECIMAL_SEPARATOR, looked up here when not given (a page looks it
    up once).
    """
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if not d.is_finite() or settings.USE_THOUSAND_SEPARATOR:
        return floatformat(value, places)
    rounded = d.quantize(_QUANTA[places], ROUND_HALF_UP, _WIDE)
    text = f"{rounded if rounded else abs(rounded):f}"
    if separator is None:
        separator = formats.get_format("DECIMAL_SEPARATOR")
    return text if separator == "." else text.replace(".", separator)


def _percent_text(value: float | None, separator: str | None = None) -> str:
    """What ``{{ value|floatformat:1 }}%`` shows, or — without a value."""
    return "—" if value is None else f"{fixed(value, 1, separator)}%"


# --------------------------------------------------------------------------- charts


@dataclass
class Chart:
    """One chart of a page. `source` is its data frame, or a function that builds it
    when first asked (the CSV download): a page whose figure is drawn from plain
    lists need not build a thousand-row frame on every request."""

    key: str
    title: str
    source: pd.DataFrame | Callable[[], pd.DataFrame]
    figure: charts.Figure | None = None
    note: str = ""
    wide: bool = False
    csv_url: str = ""
    filename: str = ""

    @property
    def frame(self) -> pd.DataFrame:
        if callable(self.source):
            self.source = self.source()
        return self.source

    def csv_frame(self) -> pd.DataFrame:
        return self.frame[[c for c in self.frame.columns if not str(c).startswith("_")]]


@dataclass
class Page:
    name: str
    region: Region
    filters: Filters
    charts: dict[str, Chart] = field(default_factory=dict)
    context: dict = field(default_factory=dict)

    def add(self, chart: Chart, build: Callable[[], charts.Figure] | None, figures: bool) -> None:
        chart.csv_url = _csv_path(self.region.code, self.name, chart.key) + self.filters.query()
        year = self.filters.year or ""
        name = f"{self.region.name}_{year}_{chart.title}"
        chart.filename = "".join("_" if c in _UNSAFE_IN_FILENAMES else c for c in name)
        if figures and build is not None:
            chart.figure = build()
        self.charts[chart.key] = chart

    def release(self) -> None:
        """Drop the charts' figures and data once the page is rendered.

        Django's template Context refers to itself (Context <-> ContextDict), so the
        context of a rendered page, and everything in it, waits for the cyclic garbage
        collector, which then traverses every cell of a heat map. Dropping the bulky
        parts here lets reference counting free them when the view returns.
        """
        for chart in self.charts.values():
            chart.figure = None
            chart.source = _released


def _name_of(tr: Texts) -> Callable[[object], str]:
    """The indicator name of a row in the language of `tr` (as ``Indicator.name`` picks it):
    its `name_en` in English, else its `name_zh`."""
    return operator.attrgetter("name_en" if tr.english else "name_zh")


def _released() -> pd.DataFrame:
    raise RuntimeError("the page was rendered and its chart data released")


def _f(value: Decimal | float | None) -> float | None:
    if value is None:
        return None
    v = float(value)
    return None if math.isnan(v) else v


def _target_text(
    comparator: str, value: Decimal | float | None, unit: str, names: charts.Units | None = None
) -> str:
    if value is None:
        return "—"
    sign = "≥" if comparator == ">=" else "≤"
    return f"{sign} {charts.format_value(value, unit, names)}"


def _completion_pct(ts: selectors.ScoreRow) -> float | None:
    return None if ts.completion is None else round(float(ts.completion) * 100, 2)


# --------------------------------------------------------------------------- overview


def build_overview(user, region: Region, params: QueryDict, *, figures: bool = True) -> Page:
    """Score, grade, rank and change; KPI tiles; met/not met/missing; at risk; categories."""
    filters = Filters.parse(params)
    years, lines = selectors.family_scores(region)
    # A region without a score of its own (a province nobody ranks) still gets its children's years.
    filters.resolve_scores(years.own or years.children)
    page = Page("overview", region, filters)
    year, basis = filters.year, filters.basis
    trend_url = indicator_urls("trend", region.code, filters)

    shown_years = set(filters.years)
    history = (
        {k: v for k, v in lines.items() if k[0] == region.pk and k[2] == basis and k[1] in shown_years}
        if year is not None
        else {}
    )
    score = history.get((region.pk, year, basis)) if year is not None else None
    prev = history.get((region.pk, year - 1, basis)) if year is not None else None
    # The target scores, the at-risk projections and what the permission policy reads to
    # link the breadcrumbs (the view's _crumbs asks it next), in one round trip.
    scores, proj = [], []
    if year is not None:
        crumbs = [
            (a, found)
            for a in selectors.ancestors(region)
            if (found := policy.published_to_read(user, a, year))
        ]
        scores, proj, published = selectors.overview_reads(region, year, basis, [read for _, read in crumbs])
        for (a, _), rows in zip(crumbs, published, strict=True):
            policy.remember_published_to(user, a, year, rows)
    tr = texts()
    name_of = _name_of(tr)
    units = charts.units()
    status_text = charts.status_labels()

    # History of totals, oldest first.
    hist_rows = [
        {"年度": rs.year, "总分": _f(rs.total), "等级": rs.grade, "排名": rs.rank, "参评数": rs.rank_of}
        for rs in sorted(history.values(), key=lambda rs: rs.year)
    ]
    page.add(
        Chart(
            "history",
            tr.gettext("历年总分与等级"),
            lambda: pd.DataFrame(hist_rows, columns=HISTORY_COLUMNS),
            note=tr.gettext("口径：%(basis)s") % {"basis": basis_labels()[basis]},
        ),
        lambda: charts.score_history(hist_rows),
        figures,
    )

    # Scores by category (always all categories: the filter narrows the lists below).
    by_cat: dict[str, list[selectors.ScoreRow]] = defaultdict(list)
    for ts in scores:
        by_cat[ts.category].append(ts)
    cat_rows = []
    for cat, label in Indicator.Category.choices:
        rows = by_cat.get(cat)
        if not rows:
            continue
        pts = sum(float(t.points) for t in rows)
        mx = sum(float(t.weight) for t in rows)
        cat_rows.append(
            {
                "类别": str(label),
                "得分": round(pts, 4),
                "满分": round(mx, 4),
                "得分率(%)": round(100 * pts / mx, 2) if mx else 0.0,
                "指标数": len(rows),
            }
        )
    page.add(
        Chart(
            "categories",
            tr.gettext("分类别得分率"),
            lambda: pd.DataFrame(cat_rows, columns=CATEGORY_COLUMNS),
            note=tr.gettext("得分 ÷ 权重；颜色按该得分率对应的等级"),
        ),
        lambda: charts.category_scores(cat_rows),
        figures,
    )

    shown = [t for t in scores if not filters.category or t.category == filters.category]

    # Where the points were lost.
    # Sorted first, formatted after: only the top LOST_TOP rows are drawn.
    losing = []
    for t in shown:
        lost = float(t.weight) - float(t.points)
        if lost > 0.00005:
            losing.append((round(lost, 4), t))
    losing.sort(key=lambda pair: (-pair[0], pair[1].code))
    lost_rows = []
    for lost, t in losing[:LOST_TOP]:
        unit = t.unit
        lost_rows.append(
            {
                "指标代码": t.code,
                "指标": name_of(t),
                "状态": status_text.get(t.status, t.status),
                "失分": lost,
                "权重": _f(t.weight),
                "得分": _f(t.points),
                "实际值": _f(t.actual),
                "目标值": _f(t.target),
                "完成率(%)": _completion_pct(t),
                "_status": t.status,
                "_veto": bool(t.veto and t.status == TargetScore.Status.NOT_MET),
                "_actual_text": charts.format_value(t.actual, unit, units),
                "_target_text": _target_text(t.comparator, t.target, unit, units),
                "_completion_text": charts.format_percent(_completion_pct(t)),
            }
        )
    page.add(
        Chart(
            "lost",
            tr.gettext("失分最多的 %(n)s 项指标") % {"n": LOST_TOP},
            lambda: pd.DataFrame(lost_rows, columns=LOST_COLUMNS),
            note=tr.gettext("失分 = 权重 − 得分；红色为一票否决指标"),
        ),
        lambda: charts.points_lost(lost_rows),
        figures,
    )

    # KPI tiles: veto targets first, then the heaviest, then catalogue order.
    key = sorted(shown, key=lambda t: (not t.veto, -float(t.weight), t.sort_order, t.code))
    sep = formats.get_format("DECIMAL_SEPARATOR")
    status_labels = {value: str(label) for value, label in TargetScore.Status.choices}
    tiles = []
    for t in key[:KEY_TILES]:
        unit = t.unit
        comp = _completion_pct(t)
        tiles.append(
            {
                "name": name_of(t),
                "actual": charts.format_value(t.actual, unit, units),
                "target": _target_text(t.comparator, t.target, unit, units),
                "bar": fixed(0 if comp is None else max(0.0, min(100.0, comp)), 1, sep),
                "completion_text": _percent_text(comp, sep),
                "status": t.status,
                "status_label": status_text.get(t.status, t.status),
                "veto": t.veto,
                "url": trend_url(t.code),
            }
        )

    counts = {"met": 0, "not_met": 0, "missing": 0}
    for t in shown:
        counts[t.status] = counts.get(t.status, 0) + 1

    at_risk = []
    for p in proj:
        if not p.at_risk:
            continue
        t, unit = p.target, p.target.indicator.unit
        if filters.category and t.indicator.category != filters.category:
            continue
        at_risk.append(
            {
                "name": name_of(t.indicator),
                "horizon": t.year,
                "target": _target_text(t.comparator, t.value, unit, units),
                "projected": charts.format_value(p.projected, unit, units),
                "gap": charts.format_value(abs(p.gap or 0), unit, units),
                "url": trend_url(t.indicator.code),
            }
        )

    page.context.update(
        compare_url=page_url("compare", region.code, filters) if years.children else None,
        vetoes=[name_of(t) for t in scores if t.veto and t.status == TargetScore.Status.NOT_MET],
        score=score,
        prev=prev,
        delta=(_f(score.total) - _f(prev.total)) if score and prev else None,
        rank_change=(prev.rank - score.rank) if score and prev else None,
        tiles=tiles,
        counts=counts,
        shown_total=len(shown),
        at_risk=at_risk,
        projected_total=len(proj),
        on_track=sum(1 for p in proj if p.projected is not None and not p.at_risk),
        no_projection=sum(1 for p in proj if p.projected is None),
        # Every cell as text: the table has a row per target, and each filter or
        # attribute lookup in the template costs more than formatting it here.
        targets=[
            {
                "url": trend_url(t.code),
                "name": name_of(t),
                "veto": t.veto,
                "actual": charts.format_value(t.actual, t.unit, units),
                "target": _target_text(t.comparator, t.target, t.unit, units),
                "completion": _percent_text(_completion_pct(t), sep),
                "points": f"{fixed(t.points, 2, sep)} / {fixed(t.weight, 2, sep)}",
                "status": t.status,
                "status_label": status_labels[t.status],
            }
            for t in shown
        ],
    )
    return page


# --------------------------------------------------------------------------- comparison


def _grade_text(rs: selectors.ScoreLine | None, tr: Texts) -> str:
    if rs is None:
        return tr.gettext("无得分")
    return tr.gettext("%(grade)s 级") % {"grade": rs.grade} + (
        tr.gettext("（一票否决）") if rs.vetoed else ""
    )


def build_compare(user, region: Region, params: QueryDict, *, figures: bool = True) -> Page:
    """Every child's position: ranked totals, completion heatmap, distribution, map."""
    filters = Filters.parse(params)
    years, lines = selectors.family_scores(region)
    filters.resolve_scores(years.children)
    page = Page("compare", region, filters)
    year, basis = filters.year, filters.basis
    kids = selectors.children(region)
    ids = [k.pk for k in kids]
    # The region's and its children's scores of the year and the year before.
    scores = {k: v for k, v in lines.items() if k[2] == basis and k[1] in (year, year - 1)} if year else {}
    tr = texts()
    tscores = (
        selectors.target_score_rows(ids, year, basis, filters.category, english=tr.english)
        if year and ids
        else []
    )
    units = charts.units()
    status_text = charts.status_labels()
    highlight = _highlight(user, kids)
    child_filters = Filters(year=year, basis=basis, category=filters.category)
    child_url = {k.code: page_url("overview", k.code, child_filters) for k in kids}

    rank_rows = []
    for k in kids:
        rs = scores.get((k.pk, year, basis))
        if rs is None:
            continue
        prev = scores.get((k.pk, year - 1, basis))
        rank_rows.append(
            {
                "地区代码": k.code,
                "地区": k.name,
                "总分": _f(rs.total),
                "等级": rs.grade,
                "排名": rs.rank,
                "参评数": rs.rank_of,
                "较上年(分)": round(_f(rs.total) - _f(prev.total), 2) if prev else None,
                "上年排名": prev.rank if prev else None,
                "达标": rs.met,
                "未达标": rs.not_met,
                "缺报": rs.missing,
                "一票否决": "是" if rs.vetoed else "",
                "_url": child_url[k.code],
            }
        )
    rank_rows.sort(key=lambda r: (r["排名"], r["地区代码"]))
    # The mean and median as pandas computes them (its float summation), as before.
    totals = pd.Series([r["总分"] for r in rank_rows], dtype="float64")
    mean = float(totals.mean()) if rank_rows else None
    page.add(
        Chart(
            "ranking",
            tr.gettext("总分排名"),
            lambda: pd.DataFrame(rank_rows, columns=RANK_COLUMNS),
            note=tr.gettext("颜色为等级；点击地区进入其概览；虚线为平均分"),
        ),
        lambda: charts.ranking_bar(rank_rows, highlight, mean),
        figures,
    )

    # The heat map's cells for the figure (a row per county and indicator, a thousand
    # for a city); its frame is built only when the CSV is asked for.
    by_id = {k.pk: (k.code, k.name, child_url[k.code]) for k in kids}

    def heat_texts(completion, actual, target, comparator, unit) -> tuple[float | None, str, str]:
        pct = None if completion is None else round(float(completion) * 100, 2)
        return pct, charts.format_value(actual, unit, units), _target_text(comparator, target, unit, units)

    heat_cells: dict[tuple[str, str], tuple] = {}
    for region_id, actual, target, comparator, completion, status, _ind_code, ind_name, unit in tscores:
        _code, name, url = by_id[region_id]
        pct, actual_text, target_text = heat_texts(completion, actual, target, comparator, unit)
        heat_cells[(name, ind_name)] = (pct, status, url, actual_text, target_text)

    def heat_frame() -> pd.DataFrame:
        # The texts again rather than kept from above: only a CSV download needs them
        # per row, and a thousand more live objects per page cost the garbage collector.
        cols: dict[str, list] = {c: [] for c in HEAT_COLUMNS}
        for row in tscores:
            region_id, actual, target, comparator, completion, status, ind_code, ind_name, unit = row
            code, name, url = by_id[region_id]
            pct, actual_text, target_text = heat_texts(completion, actual, target, comparator, unit)
            values = (
                code, name, ind_code, ind_name, _f(actual), _f(target), pct,
                status_text.get(status, status), status, url, actual_text, target_text,
            )  # fmt: skip
            for column, value in zip(HEAT_COLUMNS, values, strict=True):
                cols[column].append(value)
        return pd.DataFrame(cols, columns=HEAT_COLUMNS)

    # Regions in rank order, then any without a score; indicators in catalogue order.
    ranked = [r["地区"] for r in rank_rows]
    in_heat = {by_id[t[0]][1] for t in tscores}
    heat_regions = ranked + [k.name for k in kids if k.name not in ranked and k.name in in_heat]
    heat_inds = list(dict.fromkeys(t[7] for t in tscores))
    page.add(
        Chart(
            "heatmap",
            tr.gettext("指标完成率热力图"),
            heat_frame,
            note=tr.gettext("格内数字为完成率（%），“缺”为缺报；颜色 100% 及以上为深蓝"),
            wide=True,
        ),
        lambda: charts.completion_heatmap_cells(heat_cells, heat_regions, heat_inds),
        figures,
    )

    dist_rows = []
    for k in kids:
        for yr in (year - 1, year) if year else ():
            rs = scores.get((k.pk, yr, basis))
            if rs is None:
                continue
            dist_rows.append(
                {
                    "地区代码": k.code,
                    "地区": k.name,
                    "年度": yr,
                    "总分": _f(rs.total),
                    "等级": rs.grade,
                    "排名": rs.rank,
                    "_url": child_url[k.code],
                }
            )
    page.add(
        Chart(
            "distribution",
            tr.gettext("得分分布"),
            lambda: pd.DataFrame(dist_rows, columns=DIST_COLUMNS),
            note=tr.gettext("箱线为四分位，圆点为各地区（颜色为等级）"),
        ),
        lambda: charts.score_distribution(dist_rows, year or 0),
        figures,
    )

    map_rows = []
    points = tr.gettext("%(points)s 分")
    for k in kids:
        rs = scores.get((k.pk, year, basis))
        map_rows.append(
            {
                "地区代码": k.code,
                "地区": k.name,
                "经度": _f(k.longitude),
                "纬度": _f(k.latitude),
                "总分": _f(rs.total) if rs else None,
                "等级": rs.grade if rs else "",
                "_url": child_url[k.code],
                "_total_text": points % {"points": f"{_f(rs.total):.2f}"} if rs else "—",
                "_grade_text": _grade_text(rs, tr),
            }
        )
    page.add(
        Chart(
            "map",
            tr.gettext("地区分布图"),
            lambda: pd.DataFrame(map_rows, columns=MAP_COLUMNS),
            note=tr.gettext("按经纬度定位，颜色为总分，空心圆为无得分；不依赖在线地图"),
        ),
        lambda: charts.score_map(map_rows, highlight),
        figures,
    )
    # Ranking next to the map, the heatmap across, the distribution next to the table.
    page.charts = {k: page.charts[k] for k in ("ranking", "map", "heatmap", "distribution")}
    page.context.update(
        children=kids,
        table=[
            {
                "code": r["地区代码"],
                "name": r["地区"],
                "total": r["总分"],
                "grade": r["等级"],
                "rank": r["排名"],
                "rank_of": r["参评数"],
                "delta": r["较上年(分)"],
                "met": r["达标"],
                "not_met": r["未达标"],
                "missing": r["缺报"],
                "vetoed": bool(r["一票否决"]),
                "url": r["_url"],
                "own": r["地区代码"] == highlight,
            }
            for r in rank_rows
        ],
        grade_counts=[(g, sum(1 for r in rank_rows if r["等级"] == g)) for g in "ABCD"],
        own_score=scores.get((region.pk, year, basis)) if year else None,
        mean=mean,
        median=float(totals.median()) if rank_rows else None,
        highlight=highlight,
        child_label=child_label(region.level, tr),
        unscored=[k for k in kids if (k.pk, year, basis) not in scores] if year else kids,
    )
    return page


def _highlight(user, kids: list[Region]) -> str | None:
    """The child that is, or contains, the viewer's own region (None when none is)."""
    home = policy.user_region(user)
    if home is None:
        return None
    for k in kids:
        if home.path.startswith(k.path):
            return k.code
    return None


# --------------------------------------------------------------------------- trend


def build_trend(user, region: Region, params: QueryDict, *, figures: bool = True) -> Page:
    """One indicator: actuals by year against milestone and plan targets, projected to the horizon."""
    filters = Filters.parse(params)
    if not filters.basis:
        filters.basis = "self"
    choices = selectors.indicators(filters.category)
    targeted = selectors.targeted_indicator_ids(region)
    by_code = {i.code: i for i in choices}
    indicator = by_code.get(filters.indicator or "")
    if indicator is None:
        indicator = next((i for i in choices if i.pk in targeted), choices[0] if choices else None)
    filters.indicator = indicator.code if indicator else None
    basis = filters.basis
    kids = selectors.children(region)
    values: dict = {}
    targets: list = []
    if indicator is not None:
        values = selectors.rolled_up_values(
            region, [indicator], field=selectors.FIELD_FOR_BASIS[basis], with_children=True
        )
        targets = selectors.indicator_targets([region.pk, *[k.pk for k in kids]], indicator)
    own = {yr: float(v) for (code, _ind, yr), v in values.items() if code == region.code}
    own_targets = {t.year: t for t in targets if t.region_id == region.pk}
    # The year is "as of": the projection uses the actuals up to it and the children's
    # chart shows it. By default, the latest year the region has an actual.
    requested = filters.year
    filters.resolve_year(sorted({yr for (_c, _i, yr) in values} | set(own_targets)))
    if requested not in filters.years and own:
        filters.year = max(own)
    page = Page("trend", region, filters)
    year = filters.year

    trend_rows: list[dict] = []
    child_rows: list[dict] = []
    projection = None
    horizon_target = None
    tr = texts()
    units = charts.units()
    kinds = {
        "plan": tr.gettext("规划目标"),
        "milestone": tr.gettext("年度分解目标"),
        "annual": tr.gettext("年度目标"),
    }
    if indicator is not None:
        unit = indicator.unit
        horizons = [t for t in own_targets.values() if t.plan and t.year == t.plan.end_year]
        # The plan whose horizon is next (or the last one, when all are past).
        future = [t for t in horizons if year is None or t.year >= year]
        horizon_target = (
            min(future, key=lambda t: t.year)
            if future
            else (max(horizons, key=lambda t: t.year) if horizons else None)
        )
        proj_by_year: dict[int, float] = {}
        if horizon_target is not None:
            base = horizon_target.plan.base_year
            cut = min(year or horizon_target.year, horizon_target.year)
            fit = sorted((y, v) for y, v in own.items() if base <= y <= cut)
            if len({y for y, _ in fit}) >= 2:
                xs, vs = [y for y, _ in fit], [v for _, v in fit]
                for y in range(xs[0], horizon_target.year + 1):
                    proj_by_year[y] = round(project_linear(xs, vs, y) or 0.0, 4)
                projection = proj_by_year[horizon_target.year]
        all_years = sorted(set(own) | set(own_targets) | set(proj_by_year))
        for y in all_years:
            t = own_targets.get(y)
            kind = ""
            if t is not None:
                kind = kinds[
                    "plan"
                    if t.plan and t.year == t.plan.end_year
                    else ("milestone" if t.is_milestone else "annual")
                ]
            trend_rows.append(
                {
                    "年度": y,
                    "实际值": own.get(y),
                    "目标值": _f(t.value) if t else None,
                    "目标类型": kind,
                    "比较": t.comparator if t else "",
                    "趋势预测值": proj_by_year.get(y),
                }
            )
        child_targets = {t.region_id: t for t in targets if t.region_id != region.pk and t.year == year}
        child_filters = Filters(year=year, basis=basis, indicator=indicator.code)
        child_status = {
            "met": tr.gettext("达到目标"),
            "not_met": tr.gettext("未达到目标"),
            "missing": tr.gettext("无目标或缺报"),
        }
        no_target = tr.gettext("无目标")
        for k in kids:
            v = values.get((k.code, indicator.pk, year))
            t = child_targets.get(k.pk)
            if v is None and t is None:
                continue
            if v is None or t is None:
                status = "missing"
            else:
                ok = float(v) >= float(t.value) if t.comparator == ">=" else float(v) <= float(t.value)
                status = "met" if ok else "not_met"
            child_rows.append(
                {
                    "地区代码": k.code,
                    "地区": k.name,
                    "实际值": _f(v),
                    "目标值": _f(t.value) if t else None,
                    "比较": t.comparator if t else "",
                    "状态": child_status[status],
                    "_status": status,
                    "_url": page_url("trend", k.code, child_filters),
                    "_actual_text": charts.format_value(v, unit, units),
                    "_target_text": _target_text(t.comparator, t.value, unit, units) if t else no_target,
                }
            )
    trend_df = pd.DataFrame(
        trend_rows, columns=["年度", "实际值", "目标值", "目标类型", "比较", "趋势预测值"]
    )
    child_df = pd.DataFrame(
        child_rows,
        columns=[
            "地区代码",
            "地区",
            "实际值",
            "目标值",
            "比较",
            "状态",
            "_status",
            "_url",
            "_actual_text",
            "_target_text",
        ],
    )
    name = indicator.name if indicator else ""
    unit = indicator.unit if indicator else ""
    comparator = (
        horizon_target.comparator if horizon_target else (indicator.default_comparator if indicator else None)
    )
    page.add(
        Chart(
            "trend",
            tr.gettext("%(name)s：实际值与目标") % {"name": name},
            trend_df,
            note=tr.gettext("虚线为年度分解目标，星形为规划目标，点线为按最小二乘法推算至目标年的趋势"),
            wide=True,
        ),
        lambda: charts.indicator_trend(trend_df, unit, name, comparator),
        figures,
    )
    page.add(
        Chart(
            "children",
            tr.gettext("下级地区 %(year)s 年完成情况") % {"year": year or ""},
            child_df,
            note=tr.gettext("竖线为各地区当年目标；点击进入该地区"),
        ),
        lambda: charts.children_values(child_df, unit, year or 0),
        figures,
    )
    figs = selectors.indicator_figures(region, indicator) if indicator else {}
    # A horizon already reached in the chosen year is judged by its actual, not projected.
    horizon_actual = (
        own.get(horizon_target.year)
        if horizon_target is not None and year is not None and horizon_target.year <= year
        else None
    )
    page.context.update(
        indicator=indicator,
        unit_label=charts.unit_text(unit, units) if indicator else "",
        choices=[(i, i.pk in targeted) for i in choices],
        horizon=horizon_target,
        horizon_actual=horizon_actual,
        horizon_actual_text=charts.format_value(horizon_actual, unit, units)
        if horizon_actual is not None
        else None,
        horizon_met=horizon_actual is not None
        and horizon_target is not None
        and (
            horizon_actual >= float(horizon_target.value)
            if horizon_target.comparator == ">="
            else horizon_actual <= float(horizon_target.value)
        ),
        projection=projection,
        projection_text=charts.format_value(projection, unit, units) if projection is not None else None,
        projection_misses=(
            projection is not None
            and horizon_target is not None
            and (
                projection < float(horizon_target.value)
                if horizon_target.comparator == ">="
                else projection > float(horizon_target.value)
            )
        ),
        horizon_text=_target_text(horizon_target.comparator, horizon_target.value, unit, units)
        if horizon_target
        else None,
        table=[
            {
                "year": r["年度"],
                "actual": charts.format_value(r["实际值"], unit, units),
                "target": _target_text(r["比较"], r["目标值"], unit, units)
                if r["目标值"] is not None
                else "—",
                "kind": r["目标类型"],
                "projected": charts.format_value(r["趋势预测值"], unit, units)
                if r["趋势预测值"] is not None
                else "",
                "figure": figs.get(r["年度"]),
            }
            for r in trend_rows
        ],
    )
    return page


# --------------------------------------------------------------------------- brands


def build_brands(user, region: Region, params: QueryDict, *, figures: bool = True) -> Page:
    """Brand and award counts by type and year, stacked, for the region and its children."""
    filters = Filters.parse(params)
    filters.basis = ""
    counts = selectors.award_counts(region)
    kids = selectors.children(region)
    filters.resolve_year(sorted({yr for _, _, yr, _ in counts}))
    page = Page("brands", region, filters)
    year = filters.year
    names = {k.code: k.name for k in kids}
    tr = texts()
    name_of = _name_of(tr)
    types = list(
        dict.fromkeys(
            name_of(ind) for _, ind, _, _ in sorted(counts, key=lambda r: (r[1].sort_order, r[1].code))
        )
    )

    year_rows = [
        {"年度": yr, "奖项类型": name_of(ind), "指标代码": ind.code, "数量": n}
        for code, ind, yr, n in counts
        if code == region.code
    ]
    year_df = pd.DataFrame(year_rows, columns=["年度", "奖项类型", "指标代码", "数量"])
    page.add(
        Chart(
            "by_year",
            tr.gettext("%(region)s历年品牌与奖项数量") % {"region": region.name},
            year_df,
            note=tr.gettext("按奖项类型堆叠；县级数据汇总到上级"),
            wide=True,
        ),
        lambda: charts.awards_by_year(year_df, types),
        figures,
    )
    child_filters = Filters(year=year)
    child_rows = [
        {
            "地区代码": code,
            "地区": names[code],
            "奖项类型": name_of(ind),
            "指标代码": ind.code,
            "数量": n,
            "_url": page_url("brands", code, child_filters),
        }
        for code, ind, yr, n in counts
        if yr == year and code in names
    ]
    child_df = pd.DataFrame(child_rows, columns=["地区代码", "地区", "奖项类型", "指标代码", "数量", "_url"])
    totals = (
        child_df.groupby("地区")["数量"].sum().sort_values(ascending=False)
        if not child_df.empty
        else pd.Series()
    )
    order = list(totals.index)
    page.add(
        Chart(
            "by_child",
            tr.gettext("下级地区 %(year)s 年品牌与奖项") % {"year": year or ""},
            child_df,
            note=tr.gettext("按总数排序；点击进入该地区"),
        ),
        lambda: charts.awards_by_child(child_df, types, order),
        figures,
    )
    latest = {name_of(ind): n for code, ind, yr, n in counts if code == region.code and yr == year}
    codes = {name_of(ind): ind.code for _c, ind, _y, _n in counts}
    page.context.update(
        totals=[
            {"type": t, "count": latest.get(t, 0), "url": _grants_url(region, codes[t], year)} for t in types
        ],
        total=sum(latest.values()),
        source_note=tr.gettext(
            "数据来源：品牌与奖项类年度数据；由获奖登记推导的数据按年末仍在有效期内的获奖记录统计，点击上方数字查看获奖登记"
        ),
    )
    return page


# --------------------------------------------------------------------------- self vs verified


def build_verification(user, region: Region, params: QueryDict, *, figures: bool = True) -> Page:
    """Where regions' reported values differ from the verified ones, and by how much."""
    filters = Filters.parse(params)
    filters.basis = ""
    years = selectors.score_years(region)
    # The assessment years (those with scores); figure years only when nothing is scored,
    # since listing the years of every figure below a region means scanning them all.
    fig_years = [] if years.children else selectors.years_with_figures(region)
    requested = filters.year
    filters.resolve_year(sorted(set(years.children) | set(fig_years)))
    verified = [y for y, bases in years.children.items() if bases.get("verified")]
    if requested not in filters.years and verified:
        filters.year = max(verified)  # by default, the latest year that has been verified
    page = Page("verification", region, filters)
    year = filters.year
    kids = selectors.children(region)
    by_code = {k.code: k for k in kids}
    scores = selectors.region_scores([k.pk for k in kids], [year], ["self", "verified"]) if year else {}
    diffs = selectors.adjusted_figures(region, year, filters.category) if year else []
    approved = selectors.approved_counts(region, year, filters.category) if year else {}
    child_filters = Filters(year=year, category=filters.category)

    def child_of(path: str) -> Region | None:
        parts = path.strip("/").split("/")
        depth = len(region.path.strip("/").split("/"))
        return by_code.get(parts[depth]) if len(parts) > depth else None

    tr = texts()
    tot_rows = []
    lowered_text, raised_text = tr.gettext("%(points)s 分"), tr.gettext("+%(points)s 分（核增）")
    for k in kids:
        s = scores.get((k.pk, year, "self"))
        v = scores.get((k.pk, year, "verified"))
        if s is None and v is None:
            continue
        gap = round(_f(v.total) - _f(s.total), 2) if s and v else None
        tot_rows.append(
            {
                "地区代码": k.code,
                "地区": k.name,
                "自评总分": _f(s.total) if s else None,
                "核定总分": _f(v.total) if v else None,
                "差值": gap,
                "自评等级": s.grade if s else "",
                "核定等级": v.grade if v else "",
                "_url": page_url("overview", k.code, Filters(year=year, basis="verified")),
                "_diff_text": "—"
                if gap is None
                else lowered_text % {"points": f"{-gap:.2f}"}
                if gap < 0
                else raised_text % {"points": f"{gap:.2f}"},
            }
        )
    tot_rows.sort(key=lambda r: (r["差值"] if r["差值"] is not None else 0, r["地区代码"]))
    tot_df = pd.DataFrame(
        tot_rows,
        columns=[
            "地区代码",
            "地区",
            "自评总分",
            "核定总分",
            "差值",
            "自评等级",
            "核定等级",
            "_url",
            "_diff_text",
        ],
    )
    page.add(
        Chart(
            "totals",
            tr.gettext("自评总分与核定总分"),
            tot_df,
            note=tr.gettext("橙色圆点为自评，蓝色菱形为核定；差距越大越靠上"),
        ),
        lambda: charts.self_vs_verified(tot_df),
        figures,
    )

    per_child: dict[str, dict] = {}
    for path, n in approved.items():
        k = child_of(path)
        if k is not None:
            row = per_child.setdefault(k.code, {"approved": 0, "down": 0, "up": 0})
            row["approved"] += n
    heat_rows = []
    units = charts.units()
    indicator_name = "indicator__name_en" if tr.english else "indicator__name_zh"
    for d in diffs:
        k = child_of(d["region__path"])
        reported, verified = d["reported_value"], d["verified_value"]
        diff = verified - reported
        if k is not None:
            row = per_child.setdefault(k.code, {"approved": 0, "down": 0, "up": 0})
            row["down" if diff < 0 else "up"] += 1
        unit = d["indicator__unit"]
        rel = float(diff / reported * 100) if reported else None
        heat_rows.append(
            {
                "地区代码": d["region__code"],
                "地区": d["region__name"],
                "指标代码": d["indicator__code"],
                "指标": d[indicator_name],
                "填报值": float(reported),
                "核定值": float(verified),
                "差值": float(diff),
                "差异率(%)": round(rel, 2) if rel is not None else None,
                "核定说明": d["adjust_reason"],
                "_reported_text": charts.format_value(reported, unit, units),
                "_verified_text": charts.format_value(verified, unit, units),
                "_diff_text": ("+" if diff > 0 else "") + charts.format_value(diff, unit, units),
            }
        )
    count_rows = []
    for k in kids:
        row = per_child.get(k.code)
        if row is None:
            continue
        changed = row["down"] + row["up"]
        count_rows.append(
            {
                "地区代码": k.code,
                "地区": k.name,
                "已审核项数": row["approved"],
                "核定调整项数": changed,
                "核减项数": row["down"],
                "核增项数": row["up"],
                "调整比例(%)": round(100 * changed / row["approved"], 2) if row["approved"] else 0.0,
                "_url": page_url("verification", k.code, child_filters)
                if k.level != Region.Level.COUNTY
                else page_url("overview", k.code, Filters(year=year, basis="verified")),
            }
        )
    count_rows.sort(key=lambda r: (-r["核定调整项数"], r["地区代码"]))
    count_df = pd.DataFrame(
        count_rows,
        columns=[
            "地区代码",
            "地区",
            "已审核项数",
            "核定调整项数",
            "核减项数",
            "核增项数",
            "调整比例(%)",
            "_url",
        ],
    )
    page.add(
        Chart(
            "counts",
            tr.gettext("核定调整项数"),
            count_df,
            note=tr.gettext("已审核数据中核定值与填报值不一致的项数"),
        ),
        lambda: charts.adjustments_by_region(count_df),
        figures,
    )
    # Regions with the most adjustments first (counties below a city, every level below a province).
    per_region: dict[str, int] = defaultdict(int)
    for r in heat_rows:
        per_region[r["地区"]] += 1
    strip_regions = sorted(per_region, key=lambda n: -per_region[n])
    heat_df = pd.DataFrame(
        heat_rows,
        columns=[
            "地区代码", "地区", "指标代码", "指标", "填报值", "核定值", "差值", "差异率(%)", "核定说明",
            "_reported_text", "_verified_text", "_diff_text",
        ],
    )  # fmt: skip
    page.add(
        Chart(
            "differences",
            tr.gettext("核定值较填报值的差异"),
            heat_df,
            note=tr.gettext("每个点是一项被核定调整的数据：(核定值 − 填报值) ÷ 填报值；越靠左核减越多"),
            wide=True,
        ),
        lambda: charts.adjustment_strip(heat_df, strip_regions),
        figures,
    )
    page.context.update(
        diffs=[
            {
                "region": r["地区"],
                "indicator": r["指标"],
                "reported": r["_reported_text"],
                "verified": r["_verified_text"],
                "diff": r["_diff_text"],
                "down": r["差值"] < 0,
                "rel": r["差异率(%)"],
                "reason": r["核定说明"],
            }
            for r in heat_rows
        ],
        adjusted=len(heat_rows),
        approved_total=sum(approved.values()),
        lowered=sum(1 for r in heat_rows if r["差值"] < 0),
    )
    return page


def _grants_url(region: Region, indicator_code: str, year: int | None) -> str | None:
    """The awards registry's list of grants behind a count (None while the registry is absent)."""
    if year is None:
        return None
    try:
        from awards.selectors import grants_url

        return grants_url(region=region, indicator_code=indicator_code, year=year)
    except (ImportError, NoReverseMatch):
        return None


BUILDERS: dict[str, Callable[..., Page]] = {
    "overview": build_overview,
    "compare": build_compare,
    "trend": build_trend,
    "brands": build_brands,
    "verification": build_verification,
}

# Pages of scores ask policy.can_read_scores (published results widen it); pages
# that show figures (trend, brands, the reported-vs-verified values) ask READ.
SCORE_PAGES = frozenset({"overview", "compare"})
