"""Fixed markup of the page layout (templates/base.html), rendered once per language.

The layout's links to static files and to fixed URLs and its translated labels come
out the same for every request in one language under one URL prefix, yet each of their
template nodes reverses a URL, builds a static URL or looks up a translation on every
page (a few hundred microseconds a page). ``{% fixed %}...{% endfixed %}`` renders its
content the first time for each language, script prefix, URLconf and autoescape
setting and returns that markup afterwards. Its content may hold only text,
``{% translate "literal" %}``, ``{% static "literal" %}`` and ``{% url "name" %}``
without arguments: anything else (a variable, a tag reading the context) is refused
when the template is compiled, so the markup cannot depend on the request or the user.
With DEBUG on the content is rendered every time; any settings change (tests) drops
what was kept.
"""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template.base import TextNode
from django.template.defaulttags import URLNode
from django.templatetags.i18n import TranslateNode
from django.templatetags.static import StaticNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

register = template.Library()

# Bumped by any settings change: markup kept before it is rendered again.
_generation = 0
_MAX_KEYS = 64  # per block: languages x URL prefixes (an odd prefix per request cannot grow it without limit)


@receiver(setting_changed)
def _settings_changed(**kwargs) -> None:
    global _generation
    _generation += 1


def _literal(expression) -> bool:
    """Is this FilterExpression a quoted string without filters?"""
    return isinstance(expression.var, str) and not expression.filters


def _translated_literal(expression) -> bool:
    var = expression.var
    return not expression.filters and getattr(var, "literal", None) is not None and var.lookups is None


def _constant(node) -> bool:
    if isinstance(node, TextNode):
        return True
    if isinstance(node, TranslateNode):
        return (
            node.asvar is None
            and node.message_context is None
            and _translated_literal(node.filter_expression)
        )
    if isinstance(node, StaticNode):
        return node.varname is None and _literal(node.path)
    if isinstance(node, URLNode):
        return not node.args and not node.kwargs and node.asvar is None and _literal(node.view_name)
    return False


class FixedNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.rendered: dict[tuple, str] = {}
        self.generation = _generation

    def render(self, context) -> SafeString:
        if settings.DEBUG:
            return self.nodelist.render(context)
        if self.generation != _generation:
            self.rendered, self.generation = {}, _generation
        key = (get_language(), get_script_prefix(), get_urlconf(), context.autoescape)
        found = self.rendered.get(key)
        if found is None:
            found = self.nodelist.render(context)
            if len(self.rendered) < _MAX_KEYS:
                self.rendered[key] = found
        return mark_safe(found)  # rendered by the template engine, escaped there


@register.tag
def fixed(parser, token):
    """``{% fixed %}`` text, literal translations, static files and URLs ``{% endfixed %}``."""
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% fixed %} takes no arguments")
    nodelist = parser.parse(("endfixed",))
    parser.delete_first_token()
    for node in nodelist:
        if not _constant(node):
            raise template.TemplateSyntaxError(
                f"{{% fixed %}} may hold only text, {{% translate 'literal' %}}, {{% static 'literal' %}} "
                f"and {{% url 'name' %}} without arguments, not {node!r}"
            )
    return FixedNode(nodelist)
