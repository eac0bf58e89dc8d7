"""HTML -> PDF with WeasyPrint, offline.

The report templates carry their CSS inline and name their charts
`report-chart:<random token>/<n>`, resolved from memory (reports.images.ChartImages);
the URL fetcher refuses every other URL but data: URIs: a report can never make the
server fetch a URL (no SSRF through a name someone typed), and it renders the same
with no network.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from reports.errors import ReportError
from reports.fonts import FontChoice

# The report's own image names -> PNG bytes (None: not one of ours).
ImageResolver = Callable[[str], bytes | None]

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while WeasyPrint lays out and writes.

    WeasyPrint allocates a few million objects for a 20-county report (styles, boxes,
    text lines) and keeps almost all of them until the PDF is written, so the
    collector's passes over them during the render free nothing: about 10-15% of
    the render time (0.2-0.6 s). Reference counting still frees everything that is
    not in a cycle; the cycles are collected once the collector runs again after the
    render. Nested and concurrent renders (threads) share one pause.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def render_pdf(
    template: str,
    context: dict[str, Any],
    fonts: FontChoice,
    *,
    images: ImageResolver | None = None,
) -> bytes:
    """Render a template of templates/reports/pdf/ to PDF bytes (fonts checked by the caller).

    `images` resolves the report's own image names (charts still being drawn, see
    reports.images.ChartImages) to PNG bytes, None for a name it does not know.
    """
    with collector_paused():
        with translation.override("zh-hans"):
            html = render_to_string(template, {**context, "fonts": fonts})
        return html_to_pdf(html, images=images)


def html_to_pdf(html: str, *, images: ImageResolver | None = None) -> bytes:
    """WeasyPrint with a URL fetcher that knows data: URIs and `images` only."""
    from weasyprint import HTML
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class ReportFetcher(URLFetcher):
        """data: URIs and the report's own images; any other URL stops the rendering."""

        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            png = images(url) if images is not None else None
            if png is not None:
                return URLFetcherResponse(url, body=png, headers={"Content-Type": "image/png"})
            return super().fetch(url, headers)

    fetcher = ReportFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    with collector_paused():
        try:
            return HTML(string=html, url_fetcher=fetcher).write_pdf()
        except FatalURLFetchingError as exc:
            # A chart that could not be drawn carries the message the page shows.
            if isinstance(exc.__cause__, ReportError):
                raise exc.__cause__ from None
            raise ReportError(f"报告引用了不允许读取的资源（{exc}）") from exc


def preload_pdf_engine() -> None:
    """Import WeasyPrint (about 1 s the first time in a process) while something else waits."""
    import weasyprint  # noqa: F401
