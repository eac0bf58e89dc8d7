"""Charts reach the PDF by name while the browser draws them; no other URL is ever fetched."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from reports import figures, images
from reports.errors import ReportError
from reports.exporters import AnnualReportExporter, annual_report
from reports.pdf import html_to_pdf
from tests.reports.builders import build_scored_city
from tests.reports.conftest import pdf_text


def _png(width: int, height: int, colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (width, height), colour).save(out, format="PNG")
    return out.getvalue()


def test_charts_are_handed_out_in_order_as_they_are_drawn():
    pngs = [_png(10, 10, "red"), _png(20, 10, "blue"), _png(30, 10, "green")]
    taken: list[int] = []

    def drawn():
        for png in pngs:
            taken.append(len(taken) + 1)  # the browser drew one more
            yield png

    seen: list[int] = []
    charts = images.ChartImages(drawn(), 3, seen.append)

    assert charts.resolve(charts.uri(2)) == pngs[1]  # waits for 1 and 2
    assert taken == [1, 2] and seen == [1, 2]
    assert charts.resolve(charts.uri(1)) == pngs[0]  # already drawn: no wait
    assert charts.resolve("report-chart:4") is None  # no such chart
    assert charts.resolve("report-chart:x") is None
    assert charts.resolve("data:image/png;base64,AAAA") is None
    charts.finish()
    assert taken == [1, 2, 3] and seen == [1, 2, 3]


def test_a_pdf_shows_its_charts_and_refuses_every_other_url(tmp_path):
    png = _png(300, 120, "red")
    charts = images.ChartImages(iter([png]), 1, lambda n: None)
    page = '<html><body><p>图表</p><img src="{src}" style="width: 80mm"></body></html>'

    pdf = html_to_pdf(page.format(src=charts.uri(1)), images=charts.resolve)
    assert pdf.startswith(b"%PDF") and "图表" in pdf_text(pdf)
    assert b"/Subtype /Image" in pdf

    secret = tmp_path / "secret.png"
    secret.write_bytes(png)
    for url in (secret.as_uri(), "http://127.0.0.1:9/x.png", charts.uri(2)):
        with pytest.raises(ReportError, match="不允许读取的资源"):
            html_to_pdf(page.format(src=url), images=charts.resolve)


@pytest.mark.django_db
def test_progress_rises_through_the_charts_to_the_layout(catalog, media_root):
    small = build_scored_city(n_counties=2, n_indicators=4, years=(2014, 2015), with_evidence=False)
    steps: list[tuple[int, str]] = []

    export = AnnualReportExporter(region=small.city, year=2015, basis="verified").render(
        "pdf", lambda pct, note: steps.append((pct, note))
    )

    assert [pct for pct, _ in steps] == sorted(pct for pct, _ in steps)
    notes = [note for _, note in steps]
    assert notes[notes.index("启动图表渲染") :] == [
        "启动图表渲染",
        "已渲染图表 1/4",
        "已渲染图表 2/4",
        "已渲染图表 3/4",
        "已渲染图表 4/4",
        "排版 PDF",
        "保存文件",
    ]
    assert "各类别指标得分率" in "".join(pdf_text(export.data).split())


@pytest.mark.django_db
def test_a_chart_the_browser_cannot_draw_fails_the_report_with_the_chart_message(
    catalog, media_root, monkeypatch
):
    small = build_scored_city(n_counties=2, n_indicators=4, years=(2015,), with_evidence=False)
    real = figures.annual_report_charts

    def with_a_broken_chart(data):
        charts = real(data)
        broken = figures.ReportChart("lost", "主要失分指标", {"data": "not a list"}, 900, 300)
        return [*charts, broken]

    monkeypatch.setattr(annual_report, "annual_report_charts", with_a_broken_chart)
    exporter = AnnualReportExporter(region=small.city, year=2015, basis="verified")
    with pytest.raises(ReportError, match="图表渲染失败"):
        exporter.render("pdf")
