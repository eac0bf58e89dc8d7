"""The report's charts: the dashboards' own figure builders, fed from the report's data.

`dashboards.charts` builds every plotly figure the leader pages show from a data
frame with Chinese column names. The reports call the same builders with frames
made from the rows they collected, so a chart in a PDF is the chart on the screen
(same colours, labels and number formats), rendered to PNG by kaleido.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pandas as pd

from dashboards import charts
from reports.images import FigureLike, layout_height
from reports.selectors import AnnualReportData, RankingNoticeData, RankLine, TargetLine

POINTS_LOST_LIMIT = 12


@dataclass(frozen=True)
class ReportChart:
    key: str
    title: str
    figure: FigureLike
    width: int
    height: int


def _f(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def category_frame(data: AnnualReportData) -> pd.DataFrame:
    rows = [
        {
            "类别": total.label,
            "得分率(%)": float(total.points / total.weight * 100) if total.weight else 0.0,
            "得分": float(total.points),
            "满分": float(total.weight),
            "指标数": len(lines),
        }
        for total, lines in data.categories
    ]
    return pd.DataFrame(rows, columns=["类别", "得分率(%)", "得分", "满分", "指标数"])


def ranking_frame(lines: tuple[RankLine, ...]) -> pd.DataFrame:
    rows = [
        {
            "地区": r.region_name,
            "地区代码": r.region_code,
            "等级": r.grade,
            "总分": float(r.total),
            "排名": r.rank,
            "参评数": r.rank_of,
            "_url": "",
        }
        for r in lines
    ]
    return pd.DataFrame(rows, columns=["地区", "地区代码", "等级", "总分", "排名", "参评数", "_url"])


def history_frame(data: AnnualReportData) -> pd.DataFrame:
    rows = [
        {"年度": h.year, "总分": float(h.total), "等级": h.grade, "排名": h.rank, "参评数": h.rank_of}
        for h in data.history
    ]
    return pd.DataFrame(rows, columns=["年度", "总分", "等级", "排名", "参评数"])


def _lost(t: TargetLine) -> Decimal:
    return t.weight - t.points


def points_lost_frame(data: AnnualReportData) -> pd.DataFrame:
    lost = sorted(
        (t for t in data.targets if t.status in ("not_met", "missing") and _lost(t) > 0),
        key=lambda t: (-_lost(t), t.indicator_code),
    )[:POINTS_LOST_LIMIT]
    rows = [
        {
            "指标": t.indicator_name,
            "失分": float(_lost(t)),
            "_status": t.status,
            "_veto": t.veto,
            "_actual_text": charts.format_value(t.actual, t.unit),
            "_target_text": charts.format_value(t.target, t.unit),
            "_completion_text": charts.format_percent(None if t.completion is None else t.completion * 100),
        }
        for t in lost
    ]
    return pd.DataFrame(
        rows, columns=["指标", "失分", "_status", "_veto", "_actual_text", "_target_text", "_completion_text"]
    )


def _mean(lines: tuple[RankLine, ...]) -> float | None:
    return float(sum(r.total for r in lines) / len(lines)) if lines else None


def annual_report_charts(data: AnnualReportData) -> list[ReportChart]:
    out = [
        ReportChart("category", "各类别指标得分率", charts.category_scores(category_frame(data)), 900, 0),
    ]
    if len(data.history) > 1:
        out.append(ReportChart("history", "历年综合得分", charts.score_history(history_frame(data)), 900, 0))
    lost = points_lost_frame(data)
    if not lost.empty:
        out.append(ReportChart("lost", "主要失分指标", charts.points_lost(lost), 900, 0))
    if data.children:
        out.append(
            ReportChart(
                "children",
                "下级地区综合得分排名",
                charts.ranking_bar(ranking_frame(data.children), None, _mean(data.children)),
                900,
                0,
            )
        )
    return [_sized(c) for c in out]


def ranking_notice_charts(data: RankingNoticeData) -> list[ReportChart]:
    fig = charts.ranking_bar(ranking_frame(data.rows), None, _mean(data.rows))
    return [_sized(ReportChart("ranking", "综合得分排名", fig, 900, 0))]


def _sized(chart: ReportChart) -> ReportChart:
    """Keep the builder's height (it grows with the rows), within what fits on an A4 page."""
    height = max(260, min(layout_height(chart.figure), 1100))
    return ReportChart(chart.key, chart.title, chart.figure, chart.width, height)
