"""`python -m tests.reliability.slow_worker worker ...`: the project's Celery worker with a test-only pause.

With QC_PAUSE_DIR set, a scoring run that finds the file `$QC_PAUSE_DIR/pause`
stops inside its transaction right after it stored the first basis (old rows of
that basis deleted, new ones inserted, nothing committed): it removes `pause`,
writes `$QC_PAUSE_DIR/paused-<pid>` and waits up to 120 s for `release`. The
fault tests kill the worker there. The production code is untouched: the hook
wraps `indicators.scoring_service._store` in this process only.

QC_VISIBILITY_TIMEOUT (seconds) shortens the Redis transport's visibility
timeout of this worker, so that it re-delivers a message whose worker died
without acknowledging it without waiting the default hour.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality_city.settings")

import django

django.setup()

from indicators import scoring_service  # noqa: E402
from quality_city.celery import app  # noqa: E402


def _install_pause(pause_dir: Path) -> None:
    original = scoring_service._store

    def _store(*args, **kwargs):
        stored = original(*args, **kwargs)
        flag = pause_dir / "pause"
        if flag.exists():
            flag.unlink()
            (pause_dir / f"paused-{os.getpid()}").write_text(str(os.getpid()))
            deadline = time.monotonic() + 120
            while not (pause_dir / "release").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        return stored

    scoring_service._store = _store


if os.environ.get("QC_PAUSE_DIR"):
    _install_pause(Path(os.environ["QC_PAUSE_DIR"]))
if os.environ.get("QC_VISIBILITY_TIMEOUT"):
    app.conf.broker_transport_options = {
        "visibility_timeout": int(os.environ["QC_VISIBILITY_TIMEOUT"]),
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

if __name__ == "__main__":
    app.worker_main(argv=sys.argv[1:])
