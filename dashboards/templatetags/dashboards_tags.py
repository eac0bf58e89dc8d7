"""Template helpers of the dashboards: plotly figures as JSON data blocks."""

from __future__ import annotations

import json

import plotly.io as pio
from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()


class _FigureEncoder(json.JSONEncoder):
    """Lets Django's json_script serialise a plotly figure.

    json_script then escapes <, > and & so the data block cannot close its
    <script> element early.
    """

    def encode(self, o) -> str:
        # charts.py emits plain lists of Python numbers with None for gaps, which the
        # standard encoder writes in one pass; anything else (numpy, NaN, Decimal)
        # goes through plotly's encoder, which takes three passes to clean it.
        try:
            return json.dumps(o, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        except (TypeError, ValueError):
            return pio.to_json(o, validate=False, pretty=False, engine="json")


# What django.utils.html.json_script escapes, as plain replacements: str.translate
# with a mapping looks up every character of a 130 KB heat map (about 9 ms a page);
# three str.replace calls give the same string in a fraction of that.
_JSON_SCRIPT_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


@register.filter
def figure_json(figure, key: str):
    """<script type="application/json" id="fig-KEY"> with the figure: data, never code (CSP-safe).

    The same markup as ``json_script(figure, f"fig-{key}")``: <, > and & escaped so
    the data block cannot close its <script> element early.
    """
    text = _FigureEncoder().encode(figure)
    for char, escaped in _JSON_SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return format_html('<script id="{}" type="application/json">{}</script>', f"fig-{key}", mark_safe(text))


@register.filter
def signed(value, digits: int = 2) -> str:
    """+2.35 / −1.20 / 0.00."""
    if value is None:
        return "—"
    v = float(value)
    if abs(v) < 0.5 * 10**-digits:
        return f"{0:.{digits}f}"
    return f"+{v:.{digits}f}" if v > 0 else f"−{abs(v):.{digits}f}"
