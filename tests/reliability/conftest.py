"""Fixtures of the reliability tests.

Tests not marked `integration` run in-process with eager Celery and a local
memory cache even when REDIS_URL is set, so they never touch the shared Redis.
Integration tests start their own processes (see `procs.py`).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_from_services(request, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    if "integration" in request.keywords:
        yield
        return
    from quality_city.celery import app

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved
