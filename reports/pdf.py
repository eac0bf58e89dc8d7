"""HTML -> PDF with WeasyPrint, offline.

The report templates embed their images as data: URIs and their CSS inline, so the
URL fetcher refuses everything else: a report can never make the server fetch a
URL (no SSRF through a name someone typed), and it renders the same with no network.
"""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from reports.fonts import FontChoice


def render_pdf(template: str, context: dict[str, Any], fonts: FontChoice) -> bytes:
    """Render a template of templates/reports/pdf/ to PDF bytes (fonts checked by the caller)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    with translation.override("zh-hans"):
        html = render_to_string(template, {**context, "fonts": fonts})
    # data: URIs only; any other URL stops the rendering instead of being fetched.
    fetcher = URLFetcher(allowed_protocols={"data"}, fail_on_errors=True)
    document = HTML(string=html, url_fetcher=fetcher)
    return document.write_pdf()
