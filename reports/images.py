"""Static chart images for the PDF reports: plotly figures -> PNG through kaleido.

Kaleido 1.x drives a headless chromium (Debian's /usr/bin/chromium) over the
DevTools protocol. Starting chromium costs about 1.5 s, so one report starts a
single kaleido server (`chart_session()`), renders all its figures through it and
stops it, rather than one browser per image. The server is a process-wide
singleton, hence the lock: two reports rendering in threads of one process take
turns instead of stopping each other's browser.

Nothing is fetched from the internet: plotly.js comes from the installed plotly
package and MathJax is switched off.
"""

from __future__ import annotations

import base64
import copy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import kaleido
import plotly.graph_objects as go

from reports.errors import ReportError

_lock = threading.Lock()

# The dashboards build figures as plain dicts in plotly's JSON schema (faster than
# graph_objects); a go.Figure is accepted too.
FigureLike = dict[str, Any] | go.Figure


def as_dict(fig: FigureLike) -> dict[str, Any]:
    if isinstance(fig, go.Figure):
        return fig.to_plotly_json()
    return copy.deepcopy(fig)


def layout_height(fig: FigureLike, default: int = 400) -> int:
    layout = fig.layout if isinstance(fig, go.Figure) else fig.get("layout", {})
    height = layout.height if isinstance(fig, go.Figure) else layout.get("height")
    return int(height or default)


CHART_FAILED = "图表渲染失败（服务器需安装 Chromium 浏览器，Debian：apt-get install chromium）：{error}"


class ChartRenderer:
    """Renders figures of one report; counts them for tests and timing."""

    def __init__(self, font_family: str) -> None:
        self.font_family = font_family
        self.count = 0

    def png(self, fig: FigureLike, *, width: int = 900, height: int = 420, scale: float = 2) -> bytes:
        spec = as_dict(fig)  # a copy: the builder's figure stays as the dashboards get it
        layout = spec.setdefault("layout", {})
        layout["font"] = {**(layout.get("font") or {}), "family": f"{self.font_family}, sans-serif"}
        layout.update(paper_bgcolor="white", width=width, height=height)
        opts: dict[str, Any] = {"format": "png", "width": width, "height": height, "scale": scale}
        try:
            data = kaleido.calc_fig_sync(spec, opts=opts)
        except Exception as exc:  # chromium missing or crashed, timeout
            raise ReportError(CHART_FAILED.format(error=f"{type(exc).__name__}: {exc}")) from exc
        self.count += 1
        return data

    def data_uri(self, fig: FigureLike, **kwargs: Any) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png(fig, **kwargs)).decode("ascii")


@contextmanager
def chart_session(font_family: str) -> Iterator[ChartRenderer]:
    """One kaleido server (one chromium) for all the charts of one report."""
    with _lock:
        try:
            kaleido.start_sync_server(mathjax=False, silence_warnings=True)
        except Exception as exc:
            raise ReportError(CHART_FAILED.format(error=f"{type(exc).__name__}: {exc}")) from exc
        try:
            yield ChartRenderer(font_family)
        finally:
            kaleido.stop_sync_server(silence_warnings=True)
