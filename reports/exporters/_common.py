"""Pieces the two exporters share: chart images, dates, the PDF step sequence."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.utils import timezone

from reports.exporters.base import ProgressCallback
from reports.figures import ReportChart
from reports.fonts import FontChoice
from reports.images import chart_session


def today_cn(day: date | None = None) -> str:
    day = day or timezone.localdate()
    return f"{day.year}年{day.month}月{day.day}日"


def chart_images(
    build: Callable[[], list[ReportChart]],
    fonts: FontChoice,
    progress: ProgressCallback,
    *,
    start: int,
    end: int,
) -> list[dict]:
    """PNG data URIs of the charts through one kaleido session; progress from start to end %.

    The session (chromium) starts first and boots while `build()` calls the
    dashboards' figure builders, so the two overlap.
    """
    out: list[dict] = []
    progress(start, "启动图表渲染")
    with chart_session(fonts.chart) as renderer:
        report_charts = build()
        for number, chart in enumerate(report_charts, start=1):
            out.append(
                {
                    "key": chart.key,
                    "number": number,
                    "title": chart.title,
                    "uri": renderer.data_uri(chart.figure, width=chart.width, height=chart.height),
                }
            )
            progress(
                start + (end - start) * number // len(report_charts),
                f"已渲染图表 {number}/{len(report_charts)}",
            )
    return out
