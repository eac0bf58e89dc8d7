"""Display names of the catalogue's units (the catalogue stores short English units)."""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

UNIT_ZH = {
    "%": "%",
    "count": "个",
    "points": "分",
    "10k CNY": "万元",
    "per 10k units": "人/万台",
}

# The same units in the active language (pages); files and the API keep the Chinese names.
_UNIT_LABELS = {
    "count": pgettext_lazy("unit", "个"),
    "points": pgettext_lazy("unit", "分"),
    "10k CNY": pgettext_lazy("unit", "万元"),
    "per 10k units": pgettext_lazy("unit", "人/万台"),
}


def unit_zh(unit: str) -> str:
    """'个' for 'count'; an unknown unit is shown as stored."""
    return UNIT_ZH.get(unit, unit)


def unit_label(unit: str) -> str:
    """The unit in the active language: '个' (Chinese) or 'count' (English)."""
    label = _UNIT_LABELS.get(unit)
    return str(label) if label is not None else unit
