"""Real processes for the fault tests: a private redis-server, gunicorn, Celery workers.

Everything binds to 127.0.0.1 on a free port and is stopped by the test that
started it (by pid, never by name). The shared Redis on 6379 and the shared
PostgreSQL cluster are never stopped: Redis faults use a private redis-server
that the test stops and starts, PostgreSQL faults terminate the test
database's own backends.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
LOGS = ROOT / "test-artifacts" / "reliability"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(name: str, cmd: list[str], env: dict[str, str]) -> subprocess.Popen:
    LOGS.mkdir(parents=True, exist_ok=True)
    log = (LOGS / f"{name}.log").open("ab")
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Stop a process group we started (SIGTERM, then SIGKILL)."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, sig)
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_for(check, timeout: float, what: str, interval: float = 0.3):
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # the thing is not up yet
            last = exc
        time.sleep(interval)
    raise AssertionError(f"{what} not within {timeout:.0f} s (last: {last!r})")


class RedisServer:
    """A private, non-persistent redis-server that tests may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir
        self.proc: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        cmd = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = spawn(f"redis-{self.port}", [*cmd, "--dir", str(self.dir)], dict(os.environ))
        wait_for(self.ping, 20, f"redis-server on {self.port}")

    def ping(self) -> bool:
        import redis

        return bool(redis.Redis(port=self.port, socket_connect_timeout=1).ping())

    def stop(self) -> None:
        stop(self.proc)
        self.proc = None


def service_env(*, database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "DJANGO_DEBUG": "0"}
    env.pop("QC_REQUIRE_INTEGRATION", None)
    env.update(extra)
    return env


class WebServer:
    """gunicorn serving the app on 127.0.0.1 (one sync worker)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "quality_city.wsgi:application",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            "1",
            "--timeout",
            "120",
        ]
        self.proc = spawn(f"gunicorn-{self.port}", cmd, env)
        wait_for(lambda: requests.get(f"{self.base}/healthz", timeout=5).ok, 90, "gunicorn")

    def stop(self) -> None:
        stop(self.proc)


def start_worker(
    name: str, env: dict[str, str], *, pool: str = "solo", queue: str = "celery"
) -> subprocess.Popen:
    """A Celery worker through tests.reliability.slow_worker (the app, plus a test-only pause hook)."""
    cmd = [
        sys.executable,
        "-m",
        "tests.reliability.slow_worker",
        "worker",
        f"--pool={pool}",
        "--concurrency=1",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-Q",
        queue,
        "-n",
        f"{name}@%h",
    ]
    return spawn(name, cmd, env)


def control_app(broker_url: str):
    """A bare Celery app on `broker_url` for ping / send_task (the test process's own app uses REDIS_URL).

    Not the current app: `shared_task`s resolve through the current app, and the
    project's tasks must keep publishing to REDIS_URL in the tests that follow.
    """
    from celery import Celery

    return Celery("rel-control", broker=broker_url, backend=broker_url, set_as_current=False)


def wait_for_worker(app, name: str, timeout: float = 90) -> None:
    def answered() -> bool:
        replies = app.control.inspect(timeout=1, destination=None).ping() or {}
        return any(key.startswith(f"{name}@") for key in replies)

    wait_for(answered, timeout, f"worker {name}", interval=0.5)
