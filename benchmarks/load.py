"""`make load`: 60 s of 50 leaders reading dashboards while 10 clerks save figures (issue 8).

    python -m benchmarks.load [--database-url postgres://postgres@127.0.0.1:5432/qc_load]
                              [--redis-url redis://127.0.0.1:6379/9] [--duration 60]
                              [--leaders 50] [--staff 10] [--web-workers 4]

Steps:

1. The load database (default ``qc_load``; its name must contain "load") is
   created if missing, migrated and filled with the national regions, the
   catalogue and the demo data (``seed_demo``, which also scores the demo years).
2. Load users: 50 leaders spread over the five demo cities and their counties,
   each with a session; 10 clerks, each on a county of their own with an API
   token and five draft figures of 2021 to save over and over.
3. gunicorn (sync workers) on a free 127.0.0.1 port and a Celery worker, both
   on that database and on Redis DB 9.
4. locust, headless, for ``--duration`` seconds (benchmarks/locustfile.py).
   Every acknowledged save is recorded with its figure, version and value.
5. Checks: every acknowledged save is a row of the figures' change history with
   exactly that version and value, and each figure holds its last acknowledged
   value (no lost writes). Prints p50 / p95 per endpoint and the error count;
   exits 1 on any error or lost write. gunicorn and the worker are stopped.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
LOGS = ROOT / "test-artifacts" / "load"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/qc_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
LOAD_YEAR = 2021  # after the demo years: figures here are drafts nobody else touches
SAVE_INDICATORS = ["PQ_SAMPLING_PASS", "PQ_GRADE_RATE", "PQ_SUPERIOR_RATE", "PQ_FOOD_PASS", "QM_ISO9000_RATE"]
LEADER_PAGES_NOTE = "overview, compare, trend, brands, verification, index"


def _check_database_url(url: str) -> str:
    name = urlparse(url).path.lstrip("/")
    if urlparse(url).scheme not in {"postgres", "postgresql"} or "load" not in name:
        raise SystemExit(
            f"refusing {url!r}: the load test needs its own PostgreSQL database (name with 'load')"
        )
    return name


def _ensure_database(url: str, name: str) -> None:
    import psycopg

    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _manage(*args: str) -> None:
    started = time.monotonic()
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    print(f"  manage.py {' '.join(args)}: {time.monotonic() - started:.1f} s", flush=True)


def prepare(database_url: str, leaders: int, staff: int) -> dict:
    """Schema, national data, demo data; the load users with their sessions, tokens and figures."""
    name = _check_database_url(database_url)
    _ensure_database(database_url, name)
    _manage("migrate", "--noinput")
    import django

    django.setup()
    from indicators.models import Figure, Region

    if not Region.objects.filter(code="130500").exists():
        _manage("load_regions")
    _manage("load_catalog")
    if not Figure.objects.filter(region__code="130500").exists():
        _manage("seed_demo")
    return _load_users(leaders, staff)


def _load_users(n_leaders: int, n_staff: int) -> dict:
    from django.contrib.auth.models import User
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from accounts.models import Profile, Role
    from indicators import services
    from indicators.demo import SEED_CITIES
    from indicators.models import Figure, Indicator, Region

    cities = sorted(SEED_CITIES)
    counties = list(Region.objects.filter(parent__code__in=cities).order_by("parent__code", "code"))
    # Leaders of each demo city and of some of its counties: every one reads their own dashboards.
    leader_regions = [
        cities[i % len(cities)] if i % 2 == 0 else counties[i % len(counties)].code for i in range(n_leaders)
    ]
    out: dict = {"leaders": [], "staff": []}

    def user(username: str, region_code: str, role: str) -> User:
        found = User.objects.filter(username=username).first()
        if found is None:
            found = User.objects.create_user(username=username, password=None)
            Profile.objects.create(user=found, region=Region.objects.get(code=region_code), roles=[role])
        return found

    levels = dict(Region.objects.filter(code__in=leader_regions).values_list("code", "level"))
    for i, code in enumerate(leader_regions, start=1):
        client = Client()
        client.force_login(user(f"load_leader_{i:02d}", code, Role.LEADER))
        out["leaders"].append(
            {"session": client.cookies["sessionid"].value, "region": code, "level": levels[code]}
        )

    indicators = list(Indicator.objects.filter(code__in=SAVE_INDICATORS))
    for band in range(n_staff):
        county = counties[band * (len(counties) // n_staff)]
        clerk = user(f"load_staff_{band + 1:02d}", county.code, Role.STAFF)
        figures = []
        for indicator in indicators:
            figure = Figure.objects.filter(region=county, indicator=indicator, year=LOAD_YEAR).first()
            if figure is None or figure.status != Figure.Status.DRAFT:
                Figure.objects.filter(region=county, indicator=indicator, year=LOAD_YEAR).delete()
                figure = services.figure_save(
                    actor=clerk,
                    region=county,
                    indicator=indicator,
                    year=LOAD_YEAR,
                    value="50",
                    expected_version=None,
                    reason="负载测试准备",
                )
            figures.append({"id": figure.pk, "version": figure.version})
        token, _ = Token.objects.get_or_create(user=clerk)
        out["staff"].append({"token": token.key, "band": band, "region": county.code, "figures": figures})
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn(name: str, cmd: list[str], env: dict) -> subprocess.Popen:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("wb")
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _wait(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception as exc:  # not up yet
            last = exc
        time.sleep(0.5)
    raise SystemExit(f"{what} did not come up within {timeout:.0f} s ({last!r}; logs in {LOGS})")


def _run_locust(base: str, users_file: Path, acks: Path, csv_prefix: Path, args) -> int:
    env = {
        **os.environ,
        "LOAD_USERS_FILE": str(users_file),
        "LOAD_ACK_FILE": str(acks),
        "LOAD_LEADERS": str(args.leaders),
        "LOAD_STAFF": str(args.staff),
    }
    cmd = [
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--users",
        str(args.leaders + args.staff),
        "--spawn-rate",
        "30",
        "--run-time",
        f"{args.duration}s",
        "--stop-timeout",
        "30",
        "--host",
        base,
        "--only-summary",
        "--csv",
        str(csv_prefix),
        "--json-file",
        str(csv_prefix),
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    with (LOGS / "locust.log").open("wb") as log:
        return subprocess.run(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, check=False
        ).returncode


def _percentile(times: dict[int, int], q: float) -> int:
    """Locust's own rule on its histogram (ms rounded to 2 significant digits): the time q of requests beat."""
    total = sum(times.values())
    seen = 0
    for ms in sorted(times, reverse=True):
        seen += times[ms]
        if total - seen <= int(total * q):
            return ms
    return 0


def _stats(prefix: Path) -> tuple[list[dict], dict]:
    """Per endpoint and overall: requests, errors, p50, p95, max (locust's final JSON, written at exit)."""
    entries = json.loads(Path(f"{prefix}.json").read_text(encoding="utf-8"))

    def row(name: str, items: list[dict]) -> dict:
        times: dict[int, int] = {}
        for item in items:
            for ms, n in item["response_times"].items():
                times[int(float(ms))] = times.get(int(float(ms)), 0) + n
        seconds = max(i["last_request_timestamp"] or 0 for i in items) - min(i["start_time"] for i in items)
        requests = sum(i["num_requests"] for i in items)
        return {
            "name": name,
            "requests": requests,
            "errors": sum(i["num_failures"] for i in items),
            "p50": _percentile(times, 0.5),
            "p95": _percentile(times, 0.95),
            "max": max(i["max_response_time"] for i in items),
            "rps": requests / seconds if seconds > 0 else 0.0,
        }

    return [row(e["name"], [e]) for e in sorted(entries, key=lambda e: e["name"])], row("all", entries)


def _failures(csv_prefix: Path) -> list[dict]:
    path = Path(f"{csv_prefix}_failures.csv")
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def verify_saves(acks: Path) -> tuple[int, list[dict], list[str]]:
    """(acknowledged saves, those missing from the history, figures not holding their last value)."""
    from indicators.models import Figure

    saves = [json.loads(line) for line in acks.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = {s["figure"] for s in saves}
    history = set(
        Figure.history.filter(id__in=ids).values_list("id", "version", "value")  # one row per save
    )
    missing = [s for s in saves if (s["figure"], s["version"], Decimal(s["value"])) not in history]
    last: dict[int, dict] = {}
    for s in saves:
        if s["figure"] not in last or s["version"] > last[s["figure"]]["version"]:
            last[s["figure"]] = s
    current = dict(Figure.objects.filter(id__in=ids).values_list("id", "value"))
    wrong = [
        f"#{fid}: {current.get(fid)} != {s['value']}"
        for fid, s in last.items()
        if current.get(fid) != Decimal(s["value"])
    ]
    return len(saves), missing, wrong


def _load() -> str:
    return " / ".join(f"{x:.1f}" for x in os.getloadavg()) + " (1 / 5 / 15 min)"


def _report(
    endpoints: list[dict], total: dict, failures: list[dict], saves: int, missing: list, wrong: list, args
) -> bool:
    print()
    print(
        f"Load: {args.leaders} leaders reading dashboards ({LEADER_PAGES_NOTE}) + "
        f"{args.staff} clerks saving figures (API), {args.duration} s"
    )
    print(f"{'endpoint':<42} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for r in [*endpoints, total]:
        print(
            f"{r['name']:<42} {r['requests']:>8} {r['errors']:>6} {r['p50']:>7} {r['p95']:>7} {r['max']:>7.0f}"
        )
    print(
        f"throughput: {total['rps']:.1f} requests/s; machine: {os.cpu_count()} CPUs, load average {_load()}"
    )
    for f in failures[:10]:
        print(f"  error: {f['Method']} {f['Name']}: {f['Occurrences']} x {f['Error'][:160]}")
    print(
        f"saves acknowledged: {saves}; found in the database history: {saves - len(missing)}; lost: {len(missing)}"
    )
    print(
        f"figures holding their last acknowledged value: {'all' if not wrong else 'NOT ' + ', '.join(wrong[:5])}"
    )
    ok = total["errors"] == 0 and not missing and not wrong and saves > 0
    print(f"errors: {total['errors']}; lost writes: {len(missing)} -> {'PASS' if ok else 'FAIL'}")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("LOAD_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("LOAD_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--leaders", type=int, default=50)
    parser.add_argument("--staff", type=int, default=10)
    parser.add_argument("--web-workers", type=int, default=4)
    args = parser.parse_args(argv)

    _check_database_url(args.database_url)
    # Before Django is imported: this process and every child use the load database and Redis DB 9.
    os.environ.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DJANGO_SETTINGS_MODULE="quality_city.settings",
    )
    os.environ.pop("DJANGO_DEBUG", None)
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # not one line per session created or request served
    print(f"preparing {args.database_url} (regions, catalogue, demo data, load users)", flush=True)
    users = prepare(args.database_url, args.leaders, args.staff)

    from quality_city.celery import app

    env = {**os.environ, "DJANGO_DEBUG": "0"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    web = worker = None
    work = Path(tempfile.mkdtemp(prefix="qc-load-"))
    try:
        app.control.purge()
        web = _spawn(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "quality_city.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.web_workers),
                "--timeout",
                "60",
                "--graceful-timeout",
                "20",
            ],
            env,
        )
        worker = _spawn(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "quality_city",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "-n",
                f"load-{os.getpid()}@%h",
            ],
            {**env, "DB_CONN_MAX_AGE": "0"},
        )
        import requests

        _wait(lambda: requests.get(f"{base}/healthz", timeout=5).ok, 120, "gunicorn")
        _wait(lambda: app.control.inspect(timeout=1).ping(), 120, "the Celery worker")
        print(
            f"gunicorn ({args.web_workers} workers) on {base}, Celery worker up; running locust for {args.duration} s",
            flush=True,
        )
        users_file, acks, prefix = work / "users.json", work / "acks.jsonl", work / "locust"
        users_file.write_text(json.dumps(users), encoding="utf-8")
        acks.touch()
        code = _run_locust(base, users_file, acks, prefix, args)
        if code != 0 or not Path(f"{prefix}.json").exists():
            print(f"locust exited with {code}; see {LOGS / 'locust.log'}")
            return 1
    finally:
        _stop(web)
        _stop(worker)
    endpoints, total = _stats(prefix)
    saves, missing, wrong = verify_saves(acks)
    return 0 if _report(endpoints, total, _failures(prefix), saves, missing, wrong, args) else 1


if __name__ == "__main__":
    sys.exit(main())
