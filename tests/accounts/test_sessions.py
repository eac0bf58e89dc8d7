"""The session middleware's store reads what Django's database store reads."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from quality_city.sessions import SessionMiddleware, SessionStore
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _saved(data: dict) -> str:
    store = DjangoStore()
    store.update(data)
    store.save()
    return store.session_key


def test_a_session_loads_as_with_djangos_store_in_one_query():
    key = _saved({"_auth_user_id": "42", "note": "<甲&乙>", "n": [1, 2.5, None]})
    with CaptureQueriesContext(connection) as ctx:
        loaded = SessionStore(key).load()
    assert (
        loaded == DjangoStore(key).load() == {"_auth_user_id": "42", "note": "<甲&乙>", "n": [1, 2.5, None]}
    )
    assert len(ctx.captured_queries) == 1


@pytest.mark.parametrize("key", [None, "", "x" * 32, "nosuchsession0000000000000000000"])
def test_an_unknown_session_is_empty_and_loses_its_key(key):
    ours, django = SessionStore(key), DjangoStore(key)
    assert ours.load() == django.load() == {}
    assert ours.session_key is None and django.session_key is None


def test_an_expired_session_is_empty_and_loses_its_key():
    key = _saved({"a": 1})
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    ours, django = SessionStore(key), DjangoStore(key)
    assert ours.load() == django.load() == {}
    assert ours.session_key is None and django.session_key is None


def test_tampered_session_data_is_empty_as_with_djangos_store():
    key = _saved({"a": 1})
    Session.objects.filter(session_key=key).update(session_data="not-signed-data")
    assert SessionStore(key).load() == DjangoStore(key).load() == {}


def test_the_middleware_uses_the_store_only_for_database_sessions(settings):
    assert SessionMiddleware(lambda r: None).SessionStore is SessionStore
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
    from django.contrib.sessions.backends import signed_cookies

    assert SessionMiddleware(lambda r: None).SessionStore is signed_cookies.SessionStore


def test_a_signed_in_user_gets_pages_and_a_logout_ends_the_session(client, catalog):
    user = make_user("130500", "leader")
    client.force_login(user)
    assert client.get("/dashboards/").status_code == 302  # to the leader's own overview
    key = client.cookies["sessionid"].value
    assert SessionStore(key).load()["_auth_user_id"] == str(user.pk)
    client.post("/accounts/logout/")
    assert SessionStore(key).load() == {}
    assert client.get("/dashboards/").status_code == 302
    assert "/accounts/login/" in client.get("/dashboards/")["Location"]
