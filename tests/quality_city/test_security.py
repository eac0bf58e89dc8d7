import secrets
import subprocess
import sys

import pytest
from django.test import Client, override_settings

from tests.conftest import ROOT

pytestmark = pytest.mark.django_db


def test_deploy_check_reports_no_issues_with_production_settings():
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "DJANGO_PRODUCTION": "1",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(60),
        "DJANGO_ALLOWED_HOSTS": "quality.example.gov.cn",
    }
    out = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "System check identified no issues" in out.stdout


def test_pages_carry_a_csp_that_forbids_inline_scripts_and_other_origins(client, catalog):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "<script>" not in response.content.decode()  # no inline script blocks


def test_the_home_page_has_no_inline_event_handlers(client, catalog):
    body = client.get("/").content.decode()
    assert "onclick=" not in body and "onchange=" not in body


def test_the_404_page_is_chinese(client, catalog):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()


@override_settings(ROOT_URLCONF="tests.quality_city.erroring_urls", DEBUG=False)
def test_a_server_error_shows_the_chinese_500_page_without_a_trace(catalog):
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "系统暂时出现错误" in body
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body


def test_sessions_time_out_and_cookies_are_http_only(settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert len(settings.AUTH_PASSWORD_VALIDATORS) >= 4
