"""Chinese display names of the catalogue's units (the catalogue stores short English units)."""

from __future__ import annotations

UNIT_ZH = {
    "%": "%",
    "count": "个",
    "points": "分",
    "10k CNY": "万元",
    "per 10k units": "人/万台",
}


def unit_label(unit: str) -> str:
    """'个' for 'count'; an unknown unit is shown as stored."""
    return UNIT_ZH.get(unit, unit)
