"""Login, logout, password change (Chinese pages) and lockout after repeated failures (django-axes)."""

from __future__ import annotations

import pytest
from django.contrib.auth import SESSION_KEY

from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(catalog):
    return make_user("130528", "staff", username="ningjin_clerk")


def login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_the_login_page_is_chinese(client, catalog):
    body = client.get("/accounts/login/").content.decode()
    assert "登录" in body and "用户名" in body and "密码" in body


def test_a_correct_password_logs_in_and_logout_logs_out(client, clerk):
    response = login(client, "ningjin_clerk", PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(clerk.pk)
    assert client.post("/accounts/logout/").status_code == 302
    assert SESSION_KEY not in client.session


def test_a_wrong_password_shows_a_chinese_error(client, clerk):
    response = login(client, "ningjin_clerk", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_repeated_failures_lock_the_account_even_for_the_right_password(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert login(client, "ningjin_clerk", "wrong-password").status_code == 200
    locked = login(client, "ningjin_clerk", "wrong-password")
    assert locked.status_code == 429
    response = login(client, "ningjin_clerk", PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert "账户已暂时锁定" in body and "1 小时" in body
    assert SESSION_KEY not in client.session


def test_the_api_token_endpoint_is_locked_out_too(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": "ningjin_clerk", "password": "wrong"})
    response = client.post("/api/v1/auth/token/", {"username": "ningjin_clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert "账户已暂时锁定" in response.json()["detail"]
    assert "token" not in response.json()


def test_a_success_before_the_limit_resets_the_count(client, clerk, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "ningjin_clerk", "wrong-password")
    assert login(client, "ningjin_clerk", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, "ningjin_clerk", "wrong-password")
    assert login(client, "ningjin_clerk", PASSWORD).status_code == 302


def test_password_change(client, clerk):
    client.force_login(clerk)
    page = client.get("/accounts/password/")
    assert page.status_code == 200 and "修改密码" in page.content.decode()
    new = "Another-strong-2026!"
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(new)
