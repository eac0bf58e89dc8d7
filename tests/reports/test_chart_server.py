"""The process's kaleido server: one browser for every report, replaced when it dies."""

from __future__ import annotations

import gc
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image
from pypdf import PdfReader

from reports import images
from reports.exporters import AnnualReportExporter
from reports.fonts import pdf_fonts
from reports.pdf import collector_paused
from tests.reports.builders import build_scored_city
from tests.reports.conftest import pdf_text

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
BAR = {
    "data": [{"type": "bar", "x": ["产品质量", "工程质量"], "y": [91.5, 57.1]}],
    "layout": {"title": {"text": "各类别指标得分率"}},
}


def _chart_images(pdf: bytes) -> list[tuple[int, int]]:
    """(width, height) of the charts in a PDF: PNGs with an alpha mask, each counted once."""
    sizes = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for name, ref in (page["/Resources"].get("/XObject") or {}).items():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image" and "/SMask" in xobject:
                sizes[name] = (int(xobject["/Width"]), int(xobject["/Height"]))
    return list(sizes.values())


def _kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while images.chart_server().is_running() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not images.chart_server().is_running()


def _alive(pid: int) -> bool:
    """A process with that id exists and is not a zombie (reparented, waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as png:
        return png.size


@pytest.mark.django_db
def test_two_reports_in_one_process_share_one_browser(catalog, media_root):
    small = build_scored_city(n_counties=2, n_indicators=4, years=(2014, 2015), with_evidence=False)
    server = images.chart_server()

    first = AnnualReportExporter(region=small.city, year=2015, basis="verified").render("pdf")
    pid, starts = server.browser_pid, server.starts
    second = AnnualReportExporter(region=small.city, year=2015, basis="verified").render("pdf")

    assert pid is not None and server.browser_pid == pid  # still running, the same chromium
    assert server.starts == starts  # the second report started no browser
    # Both carry their charts (category, history, lost points, children), drawn at 2x.
    assert len(_chart_images(first.data)) == len(_chart_images(second.data)) == 4
    assert all(width >= 1200 for width, _ in _chart_images(second.data))
    assert "邢台市" in pdf_text(second.data)
    assert first.data == second.data  # same inputs, same bytes (the archive's checksum holds)


@pytest.mark.django_db
def test_a_report_still_renders_after_its_browser_was_killed(catalog, media_root):
    small = build_scored_city(n_counties=2, n_indicators=4, years=(2014, 2015), with_evidence=False)
    server = images.chart_server()
    AnnualReportExporter(region=small.city, year=2015, basis="verified").render("pdf")
    old_pid, starts = server.browser_pid, server.starts

    _kill(old_pid)
    export = AnnualReportExporter(region=small.city, year=2015, basis="verified").render("pdf")

    assert server.starts == starts + 1
    assert server.browser_pid not in (None, old_pid)
    assert len(_chart_images(export.data)) == 4
    assert "下级地区综合得分排名" in "".join(pdf_text(export.data).split())


def test_charts_are_drawn_again_when_the_browser_dies_while_drawing():
    fonts = pdf_fonts()
    with images.chart_session(fonts.chart) as renderer:
        renderer.server.ensure_started()
        starts = renderer.server.starts
        _kill(renderer.server.browser_pid)  # dead after the session checked it
        drawn = list(renderer.png_many([(BAR, 600, 300), (BAR, 500, 260)]))

    assert [_png_size(png) for png in drawn] == [(1200, 600), (1000, 520)]
    assert renderer.count == 2
    assert renderer.server.starts == starts + 1 and renderer.server.is_running()


def test_the_tab_is_reloaded_every_so_many_charts_and_keeps_drawing():
    fonts = pdf_fonts()
    count = images.RELOAD_EVERY + 2  # passes one reload of the tab
    figures = [({**BAR, "data": [{**BAR["data"][0], "y": [n, 100 - n]}]}, 300 + n, 200) for n in range(count)]
    with images.chart_session(fonts.chart) as renderer:
        drawn = list(renderer.png_many(figures))

    assert [_png_size(png) for png in drawn] == [(2 * (300 + n), 400) for n in range(count)]
    assert len(set(drawn)) == count  # every chart its own picture, none left over from the last


def test_a_figure_plotly_refuses_is_a_report_error_and_the_browser_stays():
    fonts = pdf_fonts()
    broken = {"data": "not a list of traces", "layout": {}}
    with images.chart_session(fonts.chart) as renderer:
        renderer.server.ensure_started()
        pid, starts = renderer.server.browser_pid, renderer.server.starts
        with pytest.raises(images.ReportError, match=r"图表数据无法绘制.*non-array figure data") as refused:
            renderer.png(broken, width=400, height=300)
        assert "安装 Chromium" not in str(refused.value)  # the browser is fine: no install advice
    with images.chart_session(fonts.chart) as renderer:
        assert _png_size(renderer.png(BAR, width=400, height=300)) == (800, 600)
    assert (renderer.server.browser_pid, renderer.server.starts) == (pid, starts)


def test_the_browser_is_stopped_when_the_process_exits(tmp_path):
    script = tmp_path / "one_chart.py"
    script.write_text(
        "from reports import images\n"
        f"BAR = {BAR!r}\n"
        "with images.chart_session('sans-serif') as renderer:\n"
        "    png = renderer.png(BAR, width=300, height=200)\n"
        "print(images.chart_server().browser_pid, len(png), flush=True)\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, str(script)],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    pid, size = int(out[0]), int(out[1])
    assert size > 1000
    # The interpreter's exit (atexit) closed chromium: no process left with that id.
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(pid)


def test_the_collector_is_paused_during_a_render_and_restored_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():  # nested (or another thread's) render
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()

    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a failed render")
    assert gc.isenabled()
