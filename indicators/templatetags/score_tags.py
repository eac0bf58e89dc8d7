"""Number display for the score pages: stored Decimals without trailing zeros."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template

register = template.Library()


def _dec(value: object) -> Decimal | None:
    """A Decimal, or None for None / "" / a missing template variable."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def num(value: object, places: int | None = None) -> str:
    """98.5000 -> 98.5; 100.0000 -> 100; None -> —. With `places`, round half up first."""
    dec = _dec(value)
    if dec is None:
        return "—"
    if places is not None:
        dec = dec.quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    text = f"{dec.normalize():f}"
    return "0" if text == "-0" else text


@register.filter
def pct(value: object) -> str:
    """A completion ratio as a percentage with 2 decimals: 0.987654 -> 98.77%."""
    dec = _dec(value)
    if dec is None:
        return "—"
    return f"{(dec * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


@register.filter
def signed(value: object) -> str:
    """+1.5 / -0.25 / 0 for differences."""
    dec = _dec(value)
    if dec is None:
        return "—"
    text = num(dec)
    return f"+{text}" if dec > 0 else text


@register.filter
def minus(value: object, other: object) -> Decimal | None:
    a, b = _dec(value), _dec(other)
    if a is None or b is None:
        return None
    return a - b


@register.filter
def cmp(value: str) -> str:
    """>= -> ≥, <= -> ≤."""
    return {">=": "≥", "<=": "≤"}.get(value, value)


@register.filter
def total(value: object) -> str:
    """A stored total with its two decimals kept: 94.80 stays 94.80."""
    dec = _dec(value)
    if dec is None:
        return "—"
    return f"{dec.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"


@register.filter
def add_dec(value: object, other: object) -> Decimal | None:
    a, b = _dec(value), _dec(other)
    if a is None or b is None:
        return None
    return a + b
