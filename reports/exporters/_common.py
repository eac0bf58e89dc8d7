"""Pieces the two exporters share: chart images, dates, the PDF step sequence."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from reports.exporters.base import ProgressCallback
from reports.figures import ReportChart
from reports.fonts import FontChoice
from reports.images import ChartImages, chart_session
from reports.pdf import preload_pdf_engine


def today_cn(day: date | None = None) -> str:
    day = day or timezone.localdate()
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass(frozen=True)
class ReportCharts:
    items: list[dict]  # for the template: key, number, title, uri (the image's src)
    images: ChartImages  # for the PDF's URL fetcher: the PNG of each uri, as it is drawn


@contextmanager
def chart_images(
    build: Callable[[], list[ReportChart]],
    fonts: FontChoice,
    progress: ProgressCallback,
    *,
    start: int,
    end: int,
    then: tuple[int, str],
) -> Iterator[ReportCharts]:
    """The charts of a report, drawn by the process's kaleido server while the PDF is typeset.

    Render the PDF inside the block: the charts are queued to the browser first,
    and WeasyPrint parses the HTML and applies the CSS (a quarter of its work)
    while chromium draws; it waits for a chart only when it builds the chart's
    box. Progress goes from `start` to `end` % as the charts are drawn, then
    `then` (the layout step) once the last one is in.

    The first report of a process starts the server; chromium boots while
    `build()` calls the dashboards' figure builders and WeasyPrint is imported (a
    worker has imported it at start already).
    """
    progress(start, "启动图表渲染")
    with chart_session(fonts.chart) as renderer:
        report_charts = build()
        preload_pdf_engine()  # while a first report's browser boots; a no-op afterwards
        drawn = renderer.png_many([(chart.figure, chart.width, chart.height) for chart in report_charts])
        total = len(report_charts)

        def drawn_one(number: int) -> None:
            progress(start + (end - start) * number // total, f"已渲染图表 {number}/{total}")
            if number == total:
                progress(*then)

        images = ChartImages(drawn, total, drawn_one)
        items = [
            {"key": chart.key, "number": number, "title": chart.title, "uri": images.uri(number)}
            for number, chart in enumerate(report_charts, start=1)
        ]
        if not total:
            progress(*then)
        yield ReportCharts(items, images)
        images.finish()  # a chart the template did not show is still drawn, and its error raised
