"""Faults with real processes: Redis down, a worker killed mid-run, PostgreSQL dropping connections.

Run against PostgreSQL and Redis (`integration`). The processes are the ones
production runs — gunicorn and `celery worker` — on 127.0.0.1, bound to the test
database and to a private redis-server (tests/reliability/procs.py) that the
tests stop and start; the machine's shared Redis and PostgreSQL are never
stopped. A PostgreSQL restart is simulated the way the app experiences it:
`pg_terminate_backend` on every connection to the test database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection, connections, transaction
from django.test import Client
from rest_framework.authtoken.models import Token

from indicators.models import Figure, Region, ScoreRun
from indicators.scoring_service import compute_scores, score_rows_snapshot
from quality_city.resilience import INLINE_NOTICE
from tests.conftest import _test_database_url
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig, tgt
from tests.reliability import procs

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CITY, COUNTY, PROVINCE = "130500", "130528", "130000"
COUNTIES = ["130521", "130522", "130523", "130524", "130525", "130528"]


# --- Processes ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = procs.RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _catalog(catalog):
    """Regions and indicators (a transactional test before this one flushed them)."""


@pytest.fixture(autouse=True)
def _redis_running(redis_server):
    """A test that failed while Redis was stopped must not leave it stopped for the next."""
    if redis_server.proc is None:
        redis_server.start()


@pytest.fixture(scope="module")
def database_url(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        return _test_database_url()


@pytest.fixture(scope="module")
def services(redis_server, database_url):
    """gunicorn and a worker (default queue) on the private Redis; stopped after the module."""
    url = redis_server.url()
    web = procs.WebServer(procs.service_env(database_url=database_url, redis_url=url, QC_RESCORE_DELAY="1"))
    env = procs.service_env(database_url=database_url, redis_url=url, DB_CONN_MAX_AGE="0")
    worker = procs.start_worker("rel-worker", env)
    control = procs.control_app(url)
    try:
        procs.wait_for_worker(control, "rel-worker")
        yield {"web": web, "worker": worker, "control": control, "redis": redis_server}
    finally:
        procs.stop(worker)
        web.stop()


# --- Data and clients -----------------------------------------------------------------------------------


def _scenario() -> dict:
    """Six counties of 邢台市 with targets and approved figures for 2015, scored once; the users."""
    for i, county in enumerate(COUNTIES):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98, weight=6)
        tgt(county, "PQ_GRADE_RATE", 2015, 85, weight=4, rule="threshold")
        tgt(county, "PQ_FOOD_PASS", 2015, 97, weight=5)
        fig(county, "PQ_SAMPLING_PASS", 2015, 94 + i)
        if county != COUNTY:
            fig(county, "PQ_GRADE_RATE", 2015, 82 + i)
    compute_scores(year=2015, region=Region.objects.get(code=PROVINCE), trigger="setup")
    return {
        "staff": make_user(COUNTY, "staff", username="rel_staff"),
        "reviewer": make_user(CITY, "reviewer", username="rel_reviewer"),
        "leader": make_user(CITY, "leader", username="rel_leader"),
    }


def _rows() -> tuple:
    regions, targets = score_rows_snapshot(year=2015)
    return tuple(regions), tuple(targets)


def _consistent_rows() -> tuple:
    """Both score tables read in one snapshot, as one page render would see them."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return _rows()


def _eager_rows() -> tuple:
    """What an in-process run stores for the current inputs (it replaces the stored rows)."""
    compute_scores(year=2015, region=Region.objects.get(code=PROVINCE), trigger="eager-check")
    return _rows()


class Browser:
    """A logged-in browser session against the gunicorn server (session cookie + CSRF)."""

    def __init__(self, base: str, user) -> None:
        client = Client()
        client.force_login(user)
        self.base = base
        self.http = requests.Session()
        self.http.cookies.set(
            settings.SESSION_COOKIE_NAME, client.cookies[settings.SESSION_COOKIE_NAME].value
        )

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.base + path, timeout=60)

    def post(self, path: str, data: dict, *, form_page: str) -> requests.Response:
        self.get(form_page)  # sets the csrftoken cookie
        token = self.http.cookies.get("csrftoken")
        return self.http.post(
            self.base + path, data={**data, "csrfmiddlewaretoken": token}, timeout=120, allow_redirects=True
        )


def _api(base: str, user) -> requests.Session:
    http = requests.Session()
    http.headers["Authorization"] = f"Token {Token.objects.create(user=user).key}"
    http.base = base  # type: ignore[attr-defined]
    return http


def _wait_runs(trigger: str, n: int, timeout: float = 90) -> None:
    procs.wait_for(
        lambda: ScoreRun.objects.filter(trigger=trigger, status=ScoreRun.Status.DONE).count() >= n,
        timeout,
        f"{n} done runs with trigger {trigger!r}",
    )


# --- Redis down ---------------------------------------------------------------------------------------


def test_redis_down_pages_and_entry_keep_working_scoring_runs_inline_and_nothing_is_lost(services):
    people = _scenario()
    web = services["web"].base
    staff, reviewer, leader = (Browser(web, people[k]) for k in ("staff", "reviewer", "leader"))
    grid = f"/entry/{COUNTY}/2015/"
    api = _api(web, people["reviewer"])
    staff_api = _api(web, people["staff"])

    def save_and_submit(code: str, value: str) -> Figure:
        saved = staff.post(grid, {f"v_{code}": value, f"o_{code}": "", f"ver_{code}": "0"}, form_page=grid)
        assert saved.status_code == 200 and saved.url.endswith(grid), saved.status_code
        figure = Figure.objects.get(region__code=COUNTY, indicator__code=code, year=2015)
        done = staff.post(f"/figures/{figure.pk}/submit/", {"version": figure.version}, form_page=grid)
        assert done.status_code == 200
        figure.refresh_from_db()
        assert figure.status == Figure.Status.SUBMITTED and figure.reported_value == Decimal(value)
        return figure

    # Redis up: an approval is queued and the worker scores it.
    first = save_and_submit("PQ_GRADE_RATE", "83")
    answer = api.post(f"{web}/api/v1/figures/{first.pk}/approve/", json={"version": first.version})
    assert answer.status_code == 200 and "X-QC-Degraded" not in answer.headers
    _wait_runs("approval", 2)

    # Redis down.
    services["redis"].stop()
    for path in (
        f"/dashboards/{CITY}/?year=2015",
        f"/dashboards/{CITY}/compare/?year=2015",
        f"/dashboards/{CITY}/trend/",
        f"/scores/?region={CITY}&year=2015",
        f"/scores/{COUNTY}/2015/explain/",
    ):
        assert leader.get(path).status_code == 200, path
    assert staff.get(grid).status_code == 200
    second = save_and_submit("PQ_FOOD_PASS", "96.5")
    created = staff_api.post(
        f"{web}/api/v1/figures/",
        json={
            "region": COUNTY,
            "indicator": "PQ_QCI",
            "year": 2015,
            "value": "80.5",
            "note": "Redis 停机期间",
        },
    )
    assert created.status_code == 201, created.text
    approved = reviewer.post(
        f"/figures/{second.pk}/approve/", {"version": second.version}, form_page=f"/figures/{second.pk}/"
    )
    assert approved.status_code == 200 and INLINE_NOTICE in approved.text
    rescored = reviewer.post(
        "/scores/run/", {"region": CITY, "year": "2015"}, form_page=f"/scores/?region={CITY}"
    )
    assert rescored.status_code == 200 and INLINE_NOTICE in rescored.text and "评分完成" in rescored.text
    _wait_runs("approval-inline", 2, timeout=5)
    _wait_runs("page-inline", 2, timeout=5)
    during = _rows()
    assert during == _eager_rows(), "scores stored while Redis was down differ from a normal run"

    # Redis back (empty: it keeps nothing on disk): queued work flows again, nothing to replay.
    services["redis"].start()
    procs.wait_for_worker(services["control"], "rel-worker")
    third = fig(COUNTY, "PQ_SAMPLING_PASS", 2014, 95, status=Figure.Status.SUBMITTED)
    answer = api.post(f"{web}/api/v1/figures/{third.pk}/approve/", json={"version": third.version})
    assert answer.status_code == 200 and "X-QC-Degraded" not in answer.headers
    _wait_runs("approval", 4)  # 2014's run, by the worker

    values = dict(
        Figure.objects.filter(region__code=COUNTY, year=2015).values_list("indicator__code", "reported_value")
    )
    assert values == {
        "PQ_SAMPLING_PASS": Decimal("99"),  # from _scenario (94 + 5)
        "PQ_GRADE_RATE": Decimal("83"),
        "PQ_FOOD_PASS": Decimal("96.5"),
        "PQ_QCI": Decimal("80.5"),
    }
    assert (
        Figure.objects.get(region__code=COUNTY, indicator__code="PQ_FOOD_PASS", year=2015).status
        == "approved"
    )
    assert _rows() == _eager_rows()


# --- Worker killed mid-run ------------------------------------------------------------------------------


class Reader(threading.Thread):
    """Reads both score tables in one snapshot, over and over, while a run is in progress."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.seen: set[tuple] = set()
        self.done = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.done.is_set():
                self.seen.add(_consistent_rows())
                time.sleep(0.05)
        except BaseException as exc:  # reported by the test
            self.error = exc
        finally:
            connections.close_all()


@dataclass
class PausedRun:
    old: tuple  # the scores stored before the run
    worker: subprocess.Popen
    reader: Reader
    queue: str
    env: dict
    pid: int  # the process paused inside the run's transaction


def _start_paused_run(redis_server, database_url, tmp_path: Path, name: str, pool: str) -> PausedRun:
    """Scored once (old rows), inputs changed, a worker paused inside the next run's transaction."""
    _scenario()
    old = _rows()
    Figure.objects.filter(indicator__code="PQ_SAMPLING_PASS", year=2015).update(
        value=Decimal("99"), reported_value=Decimal("99"), verified_value=Decimal("99")
    )
    env = procs.service_env(
        database_url=database_url,
        redis_url=redis_server.url(),
        DB_CONN_MAX_AGE="0",
        QC_PAUSE_DIR=str(tmp_path),
    )
    queue = f"rel-{name}-{os.getpid()}"
    worker = procs.start_worker(name, env, pool=pool, queue=queue)
    control = procs.control_app(redis_server.url())
    procs.wait_for_worker(control, name)
    reader = Reader()
    reader.start()
    (tmp_path / "pause").touch()
    control.send_task(
        "indicators.compute_scores",
        kwargs={"year": 2015, "region_id": Region.objects.get(code=PROVINCE).pk, "trigger": "worker"},
        queue=queue,
    )
    paused = procs.wait_for(lambda: list(tmp_path.glob("paused-*")), 90, "the run to reach its pause")
    return PausedRun(old, worker, reader, queue, env, int(paused[0].read_text()))


def _finish(reader: Reader, old: tuple) -> tuple:
    _wait_runs("worker", 2)
    reader.done.set()
    reader.join(timeout=30)
    assert reader.error is None, reader.error
    final = _rows()
    assert final != old
    assert reader.seen <= {old, final}, "a reader saw a half-written set of scores"
    assert final == _eager_rows(), "the redelivered run stored something else than a normal run"
    return final


def test_a_worker_killed_mid_run_is_redelivered_and_no_half_written_scores_are_seen(
    redis_server, database_url, tmp_path
):
    run = _start_paused_run(redis_server, database_url, tmp_path, "rel-killed", "solo")
    replacement = None
    try:
        # Inside the run's transaction: one basis is already replaced, but only in there.
        assert _consistent_rows() == run.old
        assert run.pid == run.worker.pid
        os.killpg(run.worker.pid, signal.SIGKILL)  # the whole worker dies: no ack, no reject
        run.worker.wait(timeout=30)
        # PostgreSQL rolls the dead worker's transaction back and frees its scoring lock.
        procs.wait_for(lambda: not _scoring_lock_held(), 30, "the rollback of the killed run")
        assert _consistent_rows() == run.old
        # A new worker re-delivers the unacknowledged message (visibility timeout 3 s here, 1 h by default).
        time.sleep(3)
        env = {**run.env, "QC_VISIBILITY_TIMEOUT": "3"}
        replacement = procs.start_worker("rel-replacement", env, queue=run.queue)
        _finish(run.reader, run.old)
        stale = ScoreRun.objects.filter(trigger="worker", status=ScoreRun.Status.RUNNING).count()
        assert stale == 2  # the killed attempt's audit rows stay "running" (see docs/RELIABILITY.md)
    finally:
        run.reader.done.set()
        procs.stop(run.worker)
        procs.stop(replacement)


def test_a_pool_process_killed_mid_run_is_requeued_at_once(redis_server, database_url, tmp_path):
    """Prefork: the child running the task dies (OOM killer); acks_late + reject_on_worker_lost requeue it."""
    run = _start_paused_run(redis_server, database_url, tmp_path, "rel-prefork", "prefork")
    try:
        assert _consistent_rows() == run.old
        assert run.pid != run.worker.pid  # the pool child, not the parent
        os.kill(run.pid, signal.SIGKILL)
        _finish(run.reader, run.old)
    finally:
        run.reader.done.set()
        procs.stop(run.worker)


def _scoring_lock_held() -> bool:
    """Whether any session still holds a scoring run's advisory lock (scoring_service._lock)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
        return cursor.fetchone()[0] > 0


# --- PostgreSQL drops every connection ------------------------------------------------------------------


def test_the_app_and_the_worker_recover_when_postgresql_drops_their_connections(services):
    people = _scenario()
    web = services["web"].base
    api = _api(web, people["staff"])
    assert requests.get(f"{web}/healthz", timeout=30).ok
    assert api.get(f"{web}/api/v1/figures/?year=2015").status_code == 200  # a kept connection (CONN_MAX_AGE)

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        (terminated,) = cursor.fetchone()
    assert terminated >= 1  # at least gunicorn's connection: what a PostgreSQL restart looks like to it

    assert requests.get(f"{web}/healthz", timeout=30).json() == {"status": "ok", "database": "postgresql"}
    created = api.post(
        f"{web}/api/v1/figures/",
        json={"region": COUNTY, "indicator": "PQ_FOOD_PASS", "year": 2015, "value": "97.5", "note": ""},
    )
    assert created.status_code == 201, created.text
    assert Figure.objects.get(pk=created.json()["id"]).reported_value == Decimal("97.5")
    assert services["control"].send_task("quality_city.ping", args=[41]).get(timeout=60)["value"] == 42
