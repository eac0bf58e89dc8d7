"""Template helpers of the dashboards: plotly figures as JSON data blocks."""

from __future__ import annotations

import json

import plotly.io as pio
from django import template
from django.utils.html import json_script

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


@register.filter
def figure_json(figure, key: str):
    """<script type="application/json" id="fig-KEY"> with the figure: data, never code (CSP-safe)."""
    return json_script(figure, f"fig-{key}", encoder=_FigureEncoder)


@register.filter
def signed(value, digits: int = 2) -> str:
    """+2.35 / −1.20 / 0.00."""
    if value is None:
        return "—"
    v = float(value)
    if abs(v) < 0.5 * 10**-digits:
        return f"{0:.{digits}f}"
    return f"+{v:.{digits}f}" if v > 0 else f"−{abs(v):.{digits}f}"
