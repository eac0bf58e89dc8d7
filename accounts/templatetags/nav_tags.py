"""The site navigation (templates/nav.html), rendered once per kind of user and language.

Every page renders the navigation, and its forty-odd template nodes cost more than a
millisecond a page. Its markup depends only on what :func:`_nav_key` collects: the
language, the URL prefix and URLconf its links are reversed with, whether the user is
signed in and staff, and the three data-entry flags the policy gives the user's roles
(``entry_nav``). So ``{% site_nav %}`` renders nav.html for each such key once per
process and returns that markup afterwards; there are a few dozen keys at most. This
is markup, not data: nothing a user enters changes it.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.template.loader import get_template
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

from accounts import policy
from accounts.policy import Action

register = template.Library()

# Rendered navigations by key (bounded: at most `_MAX_KEYS`, so an odd script prefix
# per request could not grow it without limit).
_rendered: dict[tuple, str] = {}
_MAX_KEYS = 256


def _nav_key(user, request) -> tuple:
    """Everything nav.html's output depends on (keep in step with nav.html): `user` is
    the template's ``user``, the flags are entry_nav's, which asks about request.user."""
    signed_in = bool(getattr(user, "is_authenticated", False))
    flags: tuple = ()
    if signed_in:
        entry_user = getattr(request, "user", None)
        if entry_user is not None and entry_user.is_authenticated:
            flags = (
                policy.reads_any_region(entry_user),
                policy.acts_on_any_region(entry_user, Action.IMPORT),
                policy.acts_on_any_region(entry_user, Action.APPROVE),
            )
        flags += (bool(user.is_staff),)
    return (get_language(), get_script_prefix(), get_urlconf(), signed_in, flags)


@register.simple_tag(takes_context=True)
def site_nav(context) -> SafeString:
    """What ``{% include "nav.html" %}`` renders, from the markup rendered for this key."""
    user, request = context.get("user"), context.get("request")
    if settings.DEBUG:  # development: templates reload on change, so must the navigation
        return mark_safe(get_template("nav.html").render({"user": user, "request": request}))
    key = _nav_key(user, request)
    found = _rendered.get(key)
    if found is None:
        # nav.html reads `user` and `request` (its entry_nav tag reads request.user).
        found = get_template("nav.html").render({"user": user, "request": request})
        if len(_rendered) < _MAX_KEYS:
            _rendered[key] = found
    return mark_safe(found)  # rendered by the template engine, autoescaped there
