"""Number formats of the printed reports (the same conventions as the dashboards)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django import template

from dashboards.charts import unit_zh as _unit_zh

register = template.Library()

DASH = "—"


def _q(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@register.filter
def num(value: Decimal | int | None, places: int = 2) -> str:
    """12,345.68 (half up), or — when missing."""
    if value is None:
        return DASH
    return f"{_q(Decimal(value), int(places)):,}"


@register.filter
def measure(value: Decimal | None, unit: str) -> str:
    """An indicator value in its unit's precision: counts whole, rates and amounts 2 places."""
    if value is None:
        return DASH
    value = Decimal(value)
    if unit == "count" and value == value.to_integral_value():
        return f"{int(value):,}"
    return num(value, 2)


@register.filter
def cmp(comparator: str) -> str:
    """>= / <= as the signs printed in tables."""
    return {">=": "≥", "<=": "≤"}.get(comparator, comparator)


@register.filter
def absolute(value: Decimal | None) -> Decimal | None:
    return None if value is None else abs(value)


@register.filter
def unit_zh(unit: str) -> str:
    return _unit_zh(unit)


@register.filter
def pct(ratio: Decimal | None, places: int = 1) -> str:
    """A completion ratio (0.985) as 98.5%."""
    if ratio is None:
        return DASH
    return f"{_q(Decimal(ratio) * 100, int(places))}%"


@register.filter
def signed(value: Decimal | int | None, places: int = 2) -> str:
    """+2.10 / −1.30 / 0.00, or — when there is nothing to compare with."""
    if value is None:
        return DASH
    v = _q(Decimal(value), int(places))
    if v > 0:
        return f"+{v}"
    if v < 0:
        return f"−{-v}"
    return f"{abs(v)}"


@register.filter
def rank_move(places: int | None) -> str:
    """Places gained since last year: ↑2 / ↓1 / 持平."""
    if places is None:
        return DASH
    if places > 0:
        return f"↑{places}"
    if places < 0:
        return f"↓{-places}"
    return "持平"


@register.filter
def filesize(size: int | None) -> str:
    if size is None:
        return DASH
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:,} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return DASH


CN_DIGITS = "〇一二三四五六七八九"


@register.filter
def cn_number(n: int) -> str:
    """1..99 as Chinese numerals for section headings (一、二、……十一)."""
    n = int(n)
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


@register.filter
def css_string(text: str) -> str:
    """A double-quoted CSS string (for `content:` in @page margin boxes)."""
    from django.utils.safestring import mark_safe

    cleaned = "".join(ch for ch in str(text) if ch not in '"\\\n\r<>')
    # Safe: quotes, backslashes, line breaks and angle brackets were removed above.
    return mark_safe(f'"{cleaned}"')
