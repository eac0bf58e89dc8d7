"""Time to produce the annual PDF of a city with 19 counties (target: under 5 s).

A measurement, not a unit test of speed: the numbers of every run are written to
test-artifacts/report-pdf-timing.json. The target is asserted on the best of three
renders; a miss is reported as a skip, not a failure, when the machine is
overloaded (a shared 2-core box running other suites cannot time anything).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import time

import pytest

from reports.exporters import AnnualReportExporter, RankingNoticeExporter
from tests.reports.builders import build_scored_city
from tests.reports.conftest import built_and_rolled_back

pytestmark = pytest.mark.django_db

TARGET_SECONDS = 5.0
RUNS = 3


def _cpu() -> float:
    """CPU seconds of this process and of its finished children (chromium for the charts)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _timed(exporter_cls, city) -> tuple[float, dict[str, float]]:
    marks: dict[str, float] = {}
    started = time.perf_counter()
    cpu_started = _cpu()

    def progress(pct: int, note: str) -> None:
        marks[note] = round(time.perf_counter() - started, 3)

    exporter = exporter_cls(region=city, year=2015, basis="verified")
    exporter.render("pdf", progress)  # collect() included: the whole job as the task runs it
    elapsed = time.perf_counter() - started
    # CPU seconds say how much work a render is when the wall clock is skewed by a busy machine.
    marks["cpu_seconds"] = round(_cpu() - cpu_started, 3)
    return elapsed, marks


@pytest.fixture(scope="module")
def timings(django_db_setup, django_db_blocker, tmp_path_factory):
    def measure():
        scored = build_scored_city()
        assert len(scored.counties) == 19
        _timed(AnnualReportExporter, scored.city)  # warm-up: imports, as a running worker has them
        annual = [_timed(AnnualReportExporter, scored.city) for _ in range(RUNS)]
        notice = [_timed(RankingNoticeExporter, scored.city) for _ in range(RUNS)]
        return {"annual": annual, "notice": notice}

    return built_and_rolled_back(django_db_blocker, tmp_path_factory.mktemp("media"), measure)


def test_the_pdf_of_a_20_county_city_takes_under_5_seconds(timings, artifacts_dir):
    load = os.getloadavg()[0]
    cores = os.cpu_count() or 1
    summary = {
        kind: {
            "seconds": [round(s, 3) for s, _ in runs],
            "best": round(min(s for s, _ in runs), 3),
            "median": round(statistics.median(s for s, _ in runs), 3),
            "cpu_seconds": [r[1]["cpu_seconds"] for r in runs],
            "steps_of_best_run": min(runs, key=lambda r: r[0])[1],
        }
        for kind, runs in timings.items()
    }
    summary["machine"] = {"cores": cores, "load_1min": round(load, 2)}
    (artifacts_dir / "report-pdf-timing.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2))
    print("\n" + json.dumps(summary, ensure_ascii=False))
    within = all(summary[kind]["best"] < TARGET_SECONDS for kind in ("annual", "notice"))
    if not within and load > 1.5 * cores:
        pytest.skip(f"machine overloaded (load {load:.1f} on {cores} cores); measured {summary['annual']}")
    assert summary["annual"]["best"] < TARGET_SECONDS
    assert summary["notice"]["best"] < TARGET_SECONDS
