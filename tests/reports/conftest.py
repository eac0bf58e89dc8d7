"""Fixtures of the report tests: files under a temporary MEDIA_ROOT, a scored city."""

from __future__ import annotations

import pytest

from reports.exporters import EXPORTERS


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def render_counts():
    """Render counters of every exporter, read before and after: counts()."""
    return lambda: {kind: cls.render_count for kind, cls in EXPORTERS.items()}


@pytest.fixture
def scored_city(catalog, media_root):
    """邢台市 and its 19 counties scored for 2014 and 2015 (two counties tie)."""
    from tests.reports.builders import build_scored_city

    return build_scored_city()


@pytest.fixture
def eager_celery():
    """Run enqueued tasks in-process even when REDIS_URL turned eager mode off."""
    from quality_city.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


def pdf_text(data: bytes) -> str:
    """All text of a PDF (pypdf), pages joined."""
    import io

    from pypdf import PdfReader

    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    """Text without whitespace (table cells wrap long values such as checksums)."""
    return "".join(text.split())


def save_pages_as_png(data: bytes, directory, stem: str, first: int = 1, last: int = 2) -> list:
    """Render pages of a PDF to PNG with pdftoppm (a test artefact); return the PNG paths."""
    import subprocess

    pdf_path = directory / f"{stem}.pdf"
    pdf_path.write_bytes(data)
    for old in directory.glob(f"{stem}-*.png"):
        old.unlink()
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-f",
            str(first),
            "-l",
            str(last),
            str(pdf_path),
            str(directory / stem),
        ],
        check=True,
        timeout=60,
    )
    return sorted(directory.glob(f"{stem}-*.png"))


def _ensure_catalog() -> None:
    from indicators.catalog import load_catalog, load_regions
    from indicators.models import Indicator, Region

    if not Region.objects.filter(code="130500").exists():
        load_regions()
    if Indicator.objects.count() < 56:
        load_catalog()


def built_and_rolled_back(django_db_blocker, media_dir, fn):
    """Run fn() against the test database in a transaction that is rolled back afterwards.

    The test module must mark its tests `django_db`: pytest-django creates the test
    database only for sessions that collected such tests, and would otherwise
    leave the connection on the development database. The guard below refuses that.

    For module-scoped fixtures: scoring a 19-county city and rendering its PDF takes
    seconds, so a module builds it once and its tests read the returned snapshot
    (plain values and file bytes), not the database.
    """
    from django.db import connection, transaction
    from django.test import override_settings

    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media_dir), transaction.atomic():
        name = str(connection.settings_dict["NAME"])
        assert "test" in name or "memory" in name, f"not a test database: {name}"
        _ensure_catalog()  # a transactional test run earlier may have flushed it
        result = fn()
        transaction.set_rollback(True)
    return result
