"""Template helpers of the data-entry pages (permission flags come from accounts.policy)."""

from __future__ import annotations

from django import template

from accounts import policy
from accounts.policy import Action
from indicators.services import format_value
from indicators.units import unit_label

register = template.Library()


@register.simple_tag(takes_context=True)
def entry_nav(context) -> dict[str, bool]:
    """Which data-entry links the user's roles make useful: {% entry_nav as nav %}."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "entry": policy.reads_any_region(user),
        "import": policy.acts_on_any_region(user, Action.IMPORT),
        "review": policy.acts_on_any_region(user, Action.APPROVE),
    }


@register.filter
def num(value) -> str:
    """A Decimal without trailing zeros ('98.5', '12'); '—' for None."""
    return format_value(value)


@register.filter
def who(user) -> str:
    """A user's display name (full name, else username); '—' for nobody."""
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


@register.filter
def unit(indicator_or_unit) -> str:
    """The unit of an indicator (or of a unit string) in the active language: 个 / count."""
    return unit_label(getattr(indicator_or_unit, "unit", indicator_or_unit) or "")
