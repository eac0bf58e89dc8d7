"""{% site_nav %} gives what {% include "nav.html" %} gave, for every kind of user and language."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.template import engines
from django.test import RequestFactory
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import translation

from accounts.templatetags import nav_tags
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _users() -> dict[str, object]:
    users: dict[str, object] = {}
    for role in ("staff", "reviewer", "leader", "admin"):
        users[f"city {role}"] = make_user("130500", role)
        users[f"county {role}"] = make_user("130528", role)
    users["staff member of the admin site"] = make_user("130500", "leader", is_staff=True)
    users["no roles"] = make_user("130500")
    users["superuser"] = User.objects.create_superuser("root_nav", "r@example.invalid", "x-Very-long-pass-1")
    users["no profile"] = User.objects.create_user("bare_nav", password="x-Long-pass-1")
    inactive = make_user("130500", "admin")
    inactive.is_active = False
    inactive.save()
    users["inactive admin"] = inactive
    users["anonymous"] = AnonymousUser()
    return users


def _render(source: str, user) -> str:
    request = RequestFactory().get("/dashboards/130500/")
    request.user = user
    return engines["django"].from_string(source).render({}, request)


@pytest.fixture(autouse=True)
def _fresh_navigation():
    nav_tags._rendered.clear()
    yield
    nav_tags._rendered.clear()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_site_nav_is_the_include_for_every_kind_of_user(catalog, language):
    users = _users()
    seen = set()
    with translation.override(language):
        for name, user in users.items():
            expected = _render('{% include "nav.html" %}', user)
            # Twice: rendered for the first user of a kind, remembered for the next.
            assert _render("{% load nav_tags %}{% site_nav %}", user) == expected, name
            assert _render("{% load nav_tags %}{% site_nav %}", user) == expected, name
            seen.add(expected)
    # Anonymous, leader, staff, reviewer, admin and is_staff navigations all differ.
    assert len(seen) >= 5
    assert len(nav_tags._rendered) == len(seen)


def test_the_navigation_follows_the_language_and_the_script_prefix(catalog):
    leader = make_user("130500", "leader")
    with translation.override("zh-hans"):
        chinese = _render("{% load nav_tags %}{% site_nav %}", leader)
    with translation.override("en"):
        english = _render("{% load nav_tags %}{% site_nav %}", leader)
    assert ">领导看板</a>" in chinese and ">Leadership dashboard</a>" in english
    assert english != chinese and "领导看板" not in english
    set_script_prefix("/quality/")
    try:
        with translation.override("en"):
            prefixed = _render("{% load nav_tags %}{% site_nav %}", leader)
            assert prefixed == _render('{% include "nav.html" %}', leader)
    finally:
        clear_script_prefix()
        set_script_prefix("/")
    assert 'href="/quality/dashboards/"' in prefixed and 'href="/quality/dashboards/"' not in english


def test_in_development_the_navigation_is_rendered_afresh_every_time(catalog, settings):
    settings.DEBUG = True
    leader = make_user("130500", "leader")
    rendered = _render("{% load nav_tags %}{% site_nav %}", leader)
    assert rendered == _render('{% include "nav.html" %}', leader)
    assert nav_tags._rendered == {}
