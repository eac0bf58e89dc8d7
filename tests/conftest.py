"""Shared fixtures.

- `catalog` ensures the national regions and the indicator catalogue exist
  (loaded once per database; reloaded if a transactional test flushed them).
- Tests marked `integration` need PostgreSQL (DATABASE_URL) and Redis
  (REDIS_URL); they are skipped without them, except when
  QC_REQUIRE_INTEGRATION=1 (set by .ci/run), where a missing service fails.
- `celery_worker_process` starts a real `celery worker` against the test
  database for the whole session and stops it at the end.
- Tests marked `browser` need Debian's chromium; CI=true makes its absence fail.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

# pytest-playwright's sync API runs an event loop; Django's live_server ORM calls are safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _integration_available() -> tuple[bool, str]:
    engine = settings.DATABASES["default"]["ENGINE"]
    if "postgresql" not in engine:
        return False, "needs DATABASE_URL=postgres://..."
    if not os.environ.get("REDIS_URL"):
        return False, "needs REDIS_URL=redis://..."
    return True, ""


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    _fault_tests_last(items)
    ok, why = _integration_available()
    require = os.environ.get("QC_REQUIRE_INTEGRATION") == "1"
    has_browser = Path(CHROMIUM).exists()
    for item in items:
        if "integration" in item.keywords and not ok:
            if require:
                item.add_marker(pytest.mark.xfail(reason=why, strict=True, run=False))
                raise pytest.UsageError(f"QC_REQUIRE_INTEGRATION=1 but integration tests cannot run: {why}")
            item.add_marker(pytest.mark.skip(reason=f"integration test {why}"))
        if "browser" in item.keywords and not has_browser:
            if os.environ.get("CI"):
                raise pytest.UsageError("CI=true but /usr/bin/chromium is missing: run `make system-deps`")
            item.add_marker(
                pytest.mark.skip(reason="browser test needs /usr/bin/chromium (make system-deps)")
            )


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 with a million rounds dominates user-heavy tests; hashing is not under test."""
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        # Users created by module-scoped fixtures before this one applied.
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the national region list and the catalogue once into the test database."""
    from indicators.catalog import load_catalog, load_regions

    with django_db_blocker.unblock():
        load_regions()
        load_catalog()


@pytest.fixture
def catalog(db):
    """Regions and indicators, present even after a transactional test flushed them."""
    from indicators.catalog import load_catalog, load_regions
    from indicators.models import Indicator, Region

    if not Region.objects.filter(code="130500").exists():
        load_regions()
    if Indicator.objects.count() < 56:
        load_catalog()
    return {i.code: i for i in Indicator.objects.all()}


@pytest.fixture
def region(catalog):
    """Look up a region by code: region('130500')."""
    from indicators.models import Region

    return lambda code: Region.objects.get(code=code)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _test_database_url() -> str:
    from django.db import connection

    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker):
    """A real `celery worker` process bound to the test database and the real Redis."""
    ok, why = _integration_available()
    if not ok:
        pytest.skip(why)
    with django_db_blocker.unblock():
        db_url = _test_database_url()
    env = {**os.environ, "DATABASE_URL": db_url, "DB_CONN_MAX_AGE": "0"}
    log_path = ROOT / "test-artifacts" / "celery-worker.log"
    log_path.parent.mkdir(exist_ok=True)
    log = log_path.open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "quality_city",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "-n",
            f"test-worker-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    from quality_city.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"celery worker exited early, see {log_path}")
        try:
            if app.control.inspect(timeout=1).ping():
                break
        except Exception:  # broker not answering yet
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError(f"celery worker did not answer within 60 s, see {log_path}")
    app.control.purge()
    yield proc
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's chromium (`playwright install` cannot download a browser here)."""
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def offsite_requests(page):
    """Every request the page makes to a host other than 127.0.0.1/localhost (must stay empty)."""
    seen: list[str] = []

    def _record(request):
        host = request.url.split("/")[2] if "://" in request.url else ""
        if request.url.startswith(("http://", "https://")) and not host.startswith(
            ("127.0.0.1", "localhost", "[::1]")
        ):
            seen.append(request.url)

    page.on("request", _record)
    return seen


@pytest.fixture
def console_errors(page):
    """Console errors and uncaught page errors of the page (must stay empty)."""
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return errors


@pytest.fixture
def live_login(live_server, page):
    """Log `user` in through the real login form: live_login(user) -> base URL."""
    from tests.factories import PASSWORD

    def _login(user, password: str = PASSWORD) -> str:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        return live_server.url

    return _login


def _fault_tests_last(items):
    """Fault-injection tests (tests/reliability) stop brokers and kill connections; run them last
    so that no other test inherits a connection pool they left pointing at a dead service."""
    items.sort(key=lambda item: "tests/reliability/" in str(item.fspath).replace("\\", "/"))
