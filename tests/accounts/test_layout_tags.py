"""{% fixed %} gives what its content renders, per language and URL prefix, and holds only constants."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Template, TemplateSyntaxError, engines
from django.test import override_settings
from django.urls import set_script_prefix
from django.utils import translation

from accounts.templatetags import layout_tags

CONTENT = (
    '<a href="{% url \'home\' %}">{% translate "质量强市看板" %}</a>'
    "<link href=\"{% static 'css/app.css' %}\"><a href=\"{% url 'password_change' %}\">{% translate '退出' %}</a> & <b>"
)


def _pair():
    engine = engines["django"]
    plain = engine.from_string("{% load i18n static %}" + CONTENT)
    fixed = engine.from_string("{% load i18n static layout_tags %}{% fixed %}" + CONTENT + "{% endfixed %}")
    return plain, fixed


@pytest.fixture(autouse=True)
def _reset_prefix():
    yield
    set_script_prefix("/")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("prefix", ["/", "/qc/"])
def test_the_markup_is_what_the_content_renders(language, prefix):
    plain, fixed = _pair()
    set_script_prefix(prefix)
    with translation.override(language):
        expected = plain.render({})
        assert fixed.render({}) == expected  # rendered
        assert fixed.render({}) == expected  # kept
    assert prefix + "accounts/password/" in expected
    if language == "en":
        assert "质量强市看板" not in expected


def test_languages_and_prefixes_do_not_share_markup():
    _plain, fixed = _pair()
    with translation.override("zh-hans"):
        zh = fixed.render({})
    with translation.override("en"):
        en = fixed.render({})
    set_script_prefix("/qc/")
    with translation.override("zh-hans"):
        prefixed = fixed.render({})
    assert len({zh, en, prefixed}) == 3


def test_a_settings_change_drops_the_kept_markup():
    plain, fixed = _pair()
    with translation.override("zh-hans"):
        fixed.render({})
        with override_settings(STATIC_URL="/assets/"):
            assert "/assets/css/app.css" in fixed.render({}) == plain.render({})
        assert "/static/css/app.css" in fixed.render({}) == plain.render({})


def test_with_debug_on_the_content_is_rendered_each_time(settings):
    settings.DEBUG = True
    _plain, fixed = _pair()
    node = next(n for n in fixed.template.nodelist if isinstance(n, layout_tags.FixedNode))
    fixed.render({})
    assert node.rendered == {}


def test_the_autoescape_setting_is_part_of_the_key():
    engine = Engine(
        libraries={"layout_tags": "accounts.templatetags.layout_tags"},
        builtins=["django.templatetags.static", "django.templatetags.i18n"],
    )
    template = Template(
        "{% load layout_tags %}{% fixed %}<{% static 'a b&c.css' %}>{% endfixed %}", engine=engine
    )
    escaped = template.render(Context({}))
    raw = template.render(Context({}, autoescape=False))
    assert escaped == "</static/a%20b%26c.css>" == raw  # quote() already left nothing to escape
    node = template.nodelist[-1]
    assert len(node.rendered) == 2


@pytest.mark.parametrize(
    "content",
    [
        "{{ user.username }}",
        "{% translate name %}",
        "{% translate 'x' as y %}",
        "{% translate 'x'|upper %}",
        "{% static path %}",
        "{% static 'a.css' as a %}",
        "{% url 'dashboards:overview' code %}",
        "{% url view_name %}",
        "{% url 'home' as home %}",
        "{% csrf_token %}",
        "{% if x %}a{% endif %}",
    ],
)
def test_anything_that_reads_the_context_is_refused(content):
    with pytest.raises(TemplateSyntaxError, match="fixed"):
        engines["django"].from_string(
            "{% load i18n static layout_tags %}{% fixed %}" + content + "{% endfixed %}"
        )
