"""accounts.backends.ModelBackend gives the users Django's ModelBackend gives, with one SELECT."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth import backends as django_backends
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import ModelBackend, load_user

pytestmark = pytest.mark.django_db


def _state(user) -> dict:
    fields = {
        f.attname: (getattr(user, f.attname), type(getattr(user, f.attname)))
        for f in user._meta.concrete_fields
    }
    return {**fields, "_adding": user._state.adding, "_db": user._state.db, "_class": type(user)}


@pytest.fixture
def users():
    plain = User.objects.create_user("plain_b", password="x-Long-pass-1", email="a@example.cn")
    named = User.objects.create_user(
        "名字<&>\"'", password="x-Long-pass-1", first_name="张<b>", last_name="O'Brien & 李"
    )
    named.last_login = timezone.make_aware(dt.datetime(2024, 3, 1, 8, 30, 15, 123456), dt.UTC)
    named.save()
    staff = User.objects.create_user("staff_b", password="x-Long-pass-1", is_staff=True)
    superuser = User.objects.create_superuser("super_b", password="x-Long-pass-1")
    inactive = User.objects.create_user("inactive_b", password="x-Long-pass-1", is_active=False)
    return [plain, named, staff, superuser, inactive]


def test_each_user_is_the_instance_djangos_backend_builds(users):
    ours, django = ModelBackend(), django_backends.ModelBackend()
    for user in users:
        expected = django.get_user(user.pk)
        loaded = ours.get_user(user.pk)
        if not user.is_active:
            assert loaded is None and expected is None
            continue
        assert _state(loaded) == _state(expected)
        assert loaded == expected and loaded.get_session_auth_hash() == expected.get_session_auth_hash()
        assert loaded.get_full_name() == expected.get_full_name()


def test_an_inactive_user_is_read_but_not_signed_in(users):
    inactive = users[-1]
    assert load_user(inactive.pk).username == "inactive_b"
    assert ModelBackend().get_user(inactive.pk) is None


def test_a_missing_user_is_none():
    assert ModelBackend().get_user(987654321) is None
    assert load_user(987654321) is None


def test_one_query_per_user(users):
    with CaptureQueriesContext(connection) as ctx:
        ModelBackend().get_user(users[0].pk)
    assert len(ctx.captured_queries) == 1


def test_it_is_the_configured_backend_and_signs_users_in_and_out(users):
    assert "accounts.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS
    client = Client()
    wrong = client.post("/accounts/login/", {"username": "plain_b", "password": "wrong"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    signed_in = client.post("/accounts/login/", {"username": "plain_b", "password": "x-Long-pass-1"})
    assert signed_in.status_code == 302
    assert client.session["_auth_user_backend"] == "accounts.backends.ModelBackend"
    assert client.get("/accounts/password/").status_code == 200
    # A password change elsewhere ends the session (the session hash no longer matches).
    user = User.objects.get(username="plain_b")
    user.set_password("y-Long-pass-2")
    user.save()
    response = client.get("/accounts/password/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_an_inactive_users_session_is_anonymous(users):
    client = Client()
    client.force_login(users[0])
    User.objects.filter(pk=users[0].pk).update(is_active=False)
    response = client.get("/accounts/password/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_user_signed_in_through_djangos_backend_before_the_change_stays_signed_in(users):
    from django.conf import settings as conf
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore

    user = User.objects.get(username="plain_b")
    old = DjangoStore()
    old.update(
        {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
    )
    old.save()
    client = Client()
    client.cookies[conf.SESSION_COOKIE_NAME] = old.session_key

    assert client.get("/accounts/password/").status_code == 200
    # A session naming a backend that never was configured still ends, as with Django.
    old["_auth_user_backend"] = "some.removed.Backend"
    old.save()
    response = client.get("/accounts/password/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
