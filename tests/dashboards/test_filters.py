"""Filters (year, basis, category, indicator) live in the URL, so a link reproduces the view."""

from __future__ import annotations

import re

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_tabs_breadcrumb_and_drilldowns_carry_the_filters(client, city):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    body = client.get(f"/dashboards/{c.code}/compare/?year=2014&basis=self&category=product").content.decode()
    tabs = re.findall(r'<nav class="dash-tabs".*?</nav>', body, re.S)[0]
    for page in ("", "compare/", "trend/", "brands/", "verification/"):
        assert f'href="/dashboards/{c.code}/{page}?year=2014&amp;basis=self&amp;category=product"' in tabs
    assert f"/dashboards/{city['counties'][0].code}/?year=2014&amp;basis=self&amp;category=product" in body


def test_the_form_shows_the_chosen_values(client, city):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    body = client.get(f"/dashboards/{c.code}/?year=2014&basis=self&category=brand").content.decode()
    assert '<option value="2014" selected>' in body
    assert '<option value="self" selected>' in body
    assert '<option value="brand" selected>' in body


def test_the_same_url_gives_the_same_page(client, city):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    url = f"/dashboards/{c.code}/trend/?indicator=PQ_GRADE_RATE&basis=self&year=2013"
    first, second = client.get(url), client.get(url)
    token = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')
    assert token.sub(b"", first.content) == token.sub(b"", second.content)
    assert first.context["filters"].indicator == "PQ_GRADE_RATE"
    assert first.context["filters"].basis == "self"
    assert first.context["filters"].year == 2013


@pytest.mark.parametrize(
    "query", ["?year=abcd", "?year=1800", "?basis=other", "?category=nope", "?indicator=NOPE"]
)
def test_bad_parameters_fall_back_to_defaults(client, city, query):
    c = city["city"]
    client.force_login(make_user(c.code, "leader"))
    for page in ("", "compare/", "trend/"):
        response = client.get(f"/dashboards/{c.code}/{page}{query}")
        assert response.status_code == 200
        filters = response.context["filters"]
        assert filters.year == 2015
        assert filters.basis in ("self", "verified")
        assert filters.category is None
        if page == "trend/":
            assert filters.indicator in {i.code for i in city["indicators"]}
