import subprocess
import sys

import pytest
from django.conf import settings

from tests.conftest import ROOT


def _import_settings(**env):
    base = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import quality_city.settings as s; print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)",
        ],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_defaults_are_sqlite_eager_and_no_debug():
    out = _import_settings()
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "django.db.backends.sqlite3", "True"]


def test_database_url_switches_to_postgresql():
    out = _import_settings(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[1] == "django.db.backends.postgresql"


def test_redis_url_turns_off_eager_mode():
    out = _import_settings(REDIS_URL="redis://127.0.0.1:6379/0")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[2] == "False"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DJANGO_DEBUG": "maybe"}, "DJANGO_DEBUG='maybe' is not a boolean"),
        ({"DATABASE_URL": "mysql://x@y/z"}, "DATABASE_URL scheme 'mysql' is not supported"),
        ({"REDIS_URL": "http://127.0.0.1:6379"}, "must start with redis://"),
        ({"SESSION_COOKIE_AGE": "eight hours"}, "SESSION_COOKIE_AGE='eight hours' is not an integer"),
        ({"DJANGO_PRODUCTION": "1"}, "DJANGO_SECRET_KEY must be set"),
    ],
)
def test_malformed_values_fail_loudly(env, message):
    out = _import_settings(**env)
    assert out.returncode != 0
    assert message in out.stderr


def test_language_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert ("en", "English") in settings.LANGUAGES
    assert settings.TIME_ZONE == "Asia/Shanghai"
