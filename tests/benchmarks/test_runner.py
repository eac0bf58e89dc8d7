"""The benchmark runner's pure parts: missing modules, floors and the table (no database)."""

from __future__ import annotations

import pytest

from benchmarks import cases
from benchmarks.run import Row, _unavailable, format_table


def test_a_case_whose_module_is_missing_reports_not_available(monkeypatch):
    monkeypatch.setitem(cases.REQUIRES, ("report", "project"), ("no_such_module_for_bench",))

    result = cases.run_case("report", "project", {})

    assert result == {"available": False, "reason": "module no_such_module_for_bench missing"}


def test_the_runner_prints_not_available_instead_of_a_number():
    row = Row("report: annual report PDF")

    assert _unavailable(row, {"available": False, "reason": "module reports.services missing"})
    assert row.project == "not available yet (module reports.services missing)"
    assert row.verdict == "n/a"
    assert row.ratio == ""


def test_a_failed_child_is_an_error_row_not_a_number():
    row = Row("import")

    assert _unavailable(row, {"available": True, "error": "RuntimeError: boom", "stderr_tail": "trace"})
    assert row.verdict == "ERROR"
    assert row.project == "error: RuntimeError: boom"


def test_the_scoring_floor_streams_the_years_targets_and_figures():
    statements = cases.scoring_floor_statements(2024)

    assert len(statements) == 2
    assert all(s.startswith("COPY (SELECT") and s.endswith("TO STDOUT") for s in statements)
    assert all("year = 2024" in s for s in statements)
    assert "FROM indicators_target" in statements[0]
    assert "reported_value, verified_value FROM indicators_figure" in statements[1]


@pytest.mark.parametrize("kind", ["overview", "compare"])
def test_dashboard_floors_are_parameterised_sql(kind):
    queries = cases.dashboard_floor_queries(kind)

    assert queries
    assert all("%(region)s" in q for q in queries)


def test_the_table_lines_up_its_columns():
    rows = [
        Row("scoring", "1.00 s", "0.50 s", "2.0x", "10 / 1 MiB", "<= 3x floor", "PASS"),
        Row("report: a longer name", "not available yet (module x missing)", verdict="n/a"),
    ]

    lines = format_table(rows).splitlines()

    assert lines[0].startswith("benchmark")
    assert len({line.index("|") for line in lines if "|" in line}) == 1
    assert "PASS" in lines[2]
    assert "not available yet (module x missing)" in lines[3]


@pytest.mark.django_db
def test_the_scoring_case_times_re_runs_after_an_untimed_first_run(catalog):
    """On a year nothing has been stored for, the untimed first run stores the scores,
    so the timed runs measure what the row says: re-runs with unchanged inputs."""
    from indicators.models import ScoreRun, TargetScore
    from tests.indicators.scoring_helpers import fig, tgt

    tgt("130521", "PQ_SAMPLING_PASS", 2015, 98, weight=4)
    tgt("130522", "PQ_SAMPLING_PASS", 2015, 98, weight=4)
    fig("130521", "PQ_SAMPLING_PASS", 2015, 97)

    result = cases.run_case("scoring", "project", {"year": 2015, "repeat": 2})

    assert result["warm_up"]["written"] == 4  # 2 targets x 2 bases, stored by the first run
    assert len(result["samples"]) == 2 and all(s > 0 for s in result["samples"])
    assert {d["changed"] for d in result["detail"].values()} == {0}
    assert TargetScore.objects.count() == 4
    assert ScoreRun.objects.filter(trigger="benchmark-warm-up").count() == 2  # one per basis
    assert ScoreRun.objects.filter(trigger="benchmark").count() == 4


@pytest.mark.django_db
def test_the_scoring_breakdown_times_load_engine_and_hash_of_both_bases(catalog):
    from tests.indicators.scoring_helpers import fig, tgt

    tgt("130521", "PQ_SAMPLING_PASS", 2015, 98, weight=4)
    fig("130521", "PQ_SAMPLING_PASS", 2015, 97)

    result = cases.run_case("scoring", "breakdown", {"year": 2015})

    assert set(result["detail"]) == {"load", "engine", "hash"}
    assert all(v > 0 for v in result["detail"].values())
    assert result["samples"][0] == pytest.approx(sum(result["detail"].values()), abs=0.01)


@pytest.mark.django_db
def test_the_dashboard_case_times_the_page_and_its_floor_in_alternate_blocks(catalog):
    from indicators.scoring_service import compute_scores
    from tests.indicators.scoring_helpers import fig, tgt

    tgt("130500", "PQ_SAMPLING_PASS", 2015, 98, weight=4)
    fig("130500", "PQ_SAMPLING_PASS", 2015, 97)
    compute_scores(year=2015, trigger="test")
    params = {
        "region": "130500",
        "user_region": "130500",
        "year": 2015,
        "basis": "verified",
        "page": "overview",
        "kind": "overview",
        "requests": 7,
        "block": 3,
        "warmup": 1,
    }

    result = cases.run_case("dashboard", "project", params)

    assert "error" not in result
    assert len(result["samples"]) == 7
    assert len(result["floor_samples"]) == 7  # blocks of 3, 3 and 1, each after an untimed one
    assert all(s > 0 for s in result["samples"] + result["floor_samples"])
    assert result["detail"]["path"] == "/dashboards/130500/?year=2015&basis=verified"
    assert result["detail"]["floor_rows"] == 2  # the region's score of 2015 and its target's score


def test_a_dashboard_row_is_judged_against_the_floor_timed_alongside(monkeypatch, tmp_path):
    from benchmarks import run

    page = {
        "samples": [20.0] * 50,
        "floor_samples": [3.9] * 50,
        "unit": "ms",
        "cpu_seconds": 2.0,
        "detail": {"path": "/dashboards/510100/", "bytes": 100, "queries": 4, "sql_ms": 3.0},
    }
    alone = {"samples": [5.0] * 50, "unit": "ms", "detail": {"queries": 4, "rows": 394}}
    calls = []

    def fake_child(ctx, case, side, params):
        calls.append((case, side, params["kind"]))
        return page if side == "project" else alone

    monkeypatch.setattr(run, "run_child", fake_child)
    ctx = run.Context(
        url="",
        year=2024,
        city="510100",
        city_name="成都市",
        city_children=20,
        province="510000",
        province_name="四川省",
        province_children=21,
        workdir=tmp_path,
        requests=50,
        report_repeat=3,
        import_rows=10,
        profile_dir=None,
        env={},
    )

    row = run._dashboard_row(ctx, "overview", "overview", "overview", "510100")

    assert calls == [("dashboard", "floor", "overview"), ("dashboard", "project", "overview")]
    assert row.ratio == "5.1x / 5.1x"  # 20 / 3.9: over 5x
    assert row.verdict == "MISS"
    assert row.floor == "p50 3.9 / p95 3.9 ms"
    assert any("p50 5.0 / p95 5.0 ms; page / that = 4.0x / 4.0x" in note for note in row.notes)  # not judged
