"""The measured cases, each run by the runner in a fresh child process.

    python -m benchmarks.cases CASE SIDE '{"json": "params"}'

CASE is scoring / dashboard / import / report, SIDE is ``project`` (the product's
own code path) or ``floor`` (the least work that reads the same data). A fresh
process per (case, side) makes the peak-memory figure mean something: the child
records ``ru_maxrss`` after Django is set up and the case is prepared (imports,
users, warm-up requests) and again after the measured part; the difference is the
peak resident memory the measured work added. The result is printed as one JSON
line prefixed with ``BENCH-RESULT``; anything else on stdout/stderr is ignored.

When the module a case needs is not there yet, the child reports
``{"available": false, "reason": "module X missing"}`` instead of a number.
"""

from __future__ import annotations

import cProfile
import importlib.util
import io
import json
import os
import pstats
import resource
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.stats import max_rss_mib

RESULT_PREFIX = "BENCH-RESULT "

# Modules each case needs from the product (checked before Django is set up).
REQUIRES: dict[tuple[str, str], tuple[str, ...]] = {
    ("scoring", "project"): ("indicators.scoring_service",),
    ("scoring", "floor"): (),
    ("scoring", "breakdown"): ("indicators.scoring_service",),
    ("scoring", "write_floor"): (),
    ("scoring", "rewrite"): ("indicators.scoring_service",),
    ("dashboard", "project"): ("dashboards.views", "dashboards.urls"),
    ("dashboard", "floor"): (),
    ("import", "project"): ("indicators.imports", "indicators.management.commands.import_figures"),
    ("import", "floor"): (),
    ("report", "project"): ("reports.services", "reports.management.commands.export_report"),
}


def missing_module(case: str, side: str) -> str | None:
    """The first required module that cannot be found, or None."""
    for name in REQUIRES.get((case, side), ()):
        try:
            if importlib.util.find_spec(name) is None:
                return name
        except ModuleNotFoundError:
            return name
    return None


# --------------------------------------------------------------------------- scoring


def _copy_out(statement: str) -> tuple[int, int]:
    """Read `COPY (...) TO STDOUT` with the client loop the scoring service uses; (rows, bytes)."""
    from quality_city.pgcopy import copy_out

    data = copy_out(statement)
    return data.count(b"\n"), len(data)


def scoring_floor_statements(year: int) -> list[str]:
    """What the scoring service reads: the year's targets and its sent-in figures.

    `scoring_service.load_inputs` reads them once for both bases (reported and
    verified value side by side), with the same status filter; the floor streams
    the same rows without the joins to region and indicator codes.
    """
    year = int(year)
    targets = (
        "COPY (SELECT region_id, indicator_id, year, comparator, value, weight, rule, rule_param, veto "
        f"FROM indicators_target WHERE year = {year}) TO STDOUT"
    )
    figures = (
        "COPY (SELECT region_id, indicator_id, year, status, reported_value, verified_value "
        f"FROM indicators_figure WHERE year = {year} AND status IN ('submitted', 'approved', 'returned')) "
        "TO STDOUT"
    )
    return [targets, figures]


def scoring_project_prepare(params: dict) -> dict:
    """Untimed: one run in this process first, as the floor's first read warms its side.

    A worker scores in a long-lived process; the first call of a fresh one also pays
    for loading code paths (pandas' parser, the ORM's compiled queries) once. On a
    year without stored scores this first run is the one that stores them, so the
    timed runs are re-runs whatever state the database was in.
    """
    from indicators.scoring_service import compute_scores

    started = time.perf_counter()
    summaries = compute_scores(year=params["year"], trigger="benchmark-warm-up")
    return {
        "seconds": round(time.perf_counter() - started, 3),
        "written": sum(s.target_changes.total for s in summaries if s.target_changes),
    }


def scoring_project_warm(params: dict, prepared: dict) -> dict:
    """The re-run `params["repeat"]` times in the warmed process (the floor is a median too)."""
    samples, detail = [], {}
    for _ in range(params.get("repeat", 1)):
        result = scoring_project(params)
        samples.extend(result["samples"])
        detail = result["detail"]
    return {"samples": samples, "detail": detail, "warm_up": prepared}


def scoring_project(params: dict) -> dict:
    from indicators.scoring_service import compute_scores

    started = time.perf_counter()
    summaries = compute_scores(year=params["year"], trigger="benchmark")
    seconds = time.perf_counter() - started
    detail = {
        s.run.basis: {
            "seconds": round(s.seconds, 3),
            "regions": s.run.region_rows,
            "targets": s.run.target_rows,
            "changed": s.target_changes.total if s.target_changes else None,
        }
        for s in summaries
    }
    return {"samples": [seconds], "detail": detail}


def scoring_rewrite_prepare(params: dict) -> dict:
    """Untimed: a first run in this process (warmed as the re-run's is), then change
    every stored target score of the year (points + 1, then VACUUM).

    The timed run must then put all of them back: the worst case for storing, as
    after a new scoring scheme or new weights, where every row differs. The
    regions' target digests are cleared too: they describe the rows as the last
    run stored them, and a run trusts them to skip regions whose rows it would
    not change, so without clearing them this edit behind the service's back
    would go unseen (as a real change of every score would not).
    """
    from django.db import connection

    warm_up = scoring_project_prepare(params)  # this process warmed as the re-run's is
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE indicators_targetscore SET points = points + 1 WHERE year = %s", [params["year"]]
        )
        cursor.execute(
            "UPDATE indicators_regionscore SET targets_digest = '' WHERE year = %s", [params["year"]]
        )
        cursor.execute("VACUUM ANALYZE indicators_targetscore, indicators_regionscore")
    return {"warm_up": warm_up}


def scoring_rewrite(params: dict, prepared: dict) -> dict:
    result = scoring_project(params)
    for basis, detail in result["detail"].items():
        if detail["changed"] != detail["targets"]:
            raise RuntimeError(f"{basis}: rewrote {detail['changed']} of {detail['targets']} target rows")
    return result


def scoring_breakdown(params: dict) -> dict:
    """Both bases step by step with the service's own parts, as a run does them:
    load once (the figures on a second connection while the targets are read and
    the work both bases share is done, as a run outside a transaction does), then
    per basis the engine (sharing its memo) and the inputs hash (sharing its
    sections). Measured on a second load in this process (the first warms it, as
    for the re-run).

    What a run spends beyond these three (its time minus their sum) is storing the
    results: digesting, comparing and writing the rows that changed, and COMMIT.
    """
    from indicators.scoring_service import basis_inputs_hash, engine_result, load_inputs

    load_inputs(year=params["year"], root=None, background=True)
    started = time.perf_counter()
    inputs = load_inputs(year=params["year"], root=None, background=True)
    loaded = time.perf_counter()
    engine = hashing = 0.0
    for basis in ("self", "verified"):
        began = time.perf_counter()
        engine_result(inputs, basis)
        scored = time.perf_counter()
        basis_inputs_hash(inputs, basis)
        engine += scored - began
        hashing += time.perf_counter() - scored
    detail = {"load": loaded - started, "engine": engine, "hash": hashing}
    return {
        "samples": [loaded - started + engine + hashing],
        "detail": {k: round(v, 3) for k, v in detail.items()},
    }


def scoring_floor(params: dict) -> dict:
    from django.db import connection

    from quality_city.pgcopy import background_copy

    statements = scoring_floor_statements(params["year"])
    samples, rows = [], 0
    connection.ensure_connection()
    for _ in range(params.get("repeat", 5)):
        started = time.perf_counter()
        rows = sum(_copy_out(s)[0] for s in statements)
        samples.append(time.perf_counter() - started)
    # Shown beside it, not judged: the same two reads at once, the figures on a
    # second connection, as a scoring run outside a transaction reads them.
    targets, figures = statements
    together = []
    for _ in range(params.get("repeat", 5)):
        started = time.perf_counter()
        with background_copy(figures) as pending:
            both = _copy_out(targets)[0] + pending.result().count(b"\n")
        together.append(time.perf_counter() - started)
        if both != rows:
            raise RuntimeError(f"scoring floor: {both} rows read together, {rows} one after the other")
    return {"samples": samples, "detail": {"rows_read": rows, "together": together}}


_TARGET_SCORE_COLUMNS = "run_id, region_id, indicator_id, year, basis, actual, target, comparator, completion, points, weight, status, veto"
_REGION_SCORE_COLUMNS = "run_id, region_id, year, basis, total, grade, rank, rank_of, points, max_points, met, not_met, missing, vetoed, targets_digest"


def scoring_write_floor(params: dict) -> dict:
    """What PostgreSQL alone takes to replace a year's stored scores with the same rows.

    Untimed: the year's TargetScore / RegionScore rows are copied to temporary tables.
    Timed: in one transaction, DELETE the year's rows and INSERT ... SELECT them back
    from the copies, then COMMIT: the same indexes to maintain and the same WAL to
    write as a scoring run, but no client, no engine and no data transfer. The stored
    values are the same afterwards (only the ids change).
    """
    from django.db import connection, transaction

    year = int(params["year"])
    samples, rows = [], 0
    for _ in range(params.get("repeat", 3)):
        with connection.cursor() as cursor:
            # Each repetition starts from a vacuumed table, as the project's run does
            # (benchmarks.run.vacuum_scores): the previous one's dead rows are gone.
            cursor.execute("VACUUM ANALYZE indicators_regionscore, indicators_targetscore")
            cursor.execute("DROP TABLE IF EXISTS pg_temp.floor_ts, pg_temp.floor_rs")
            cursor.execute(
                f"CREATE TEMP TABLE floor_ts AS SELECT {_TARGET_SCORE_COLUMNS} "
                f"FROM indicators_targetscore WHERE year = {year}"
            )
            cursor.execute(
                f"CREATE TEMP TABLE floor_rs AS SELECT {_REGION_SCORE_COLUMNS} "
                f"FROM indicators_regionscore WHERE year = {year}"
            )
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM indicators_targetscore WHERE year = {year}")
            cursor.execute(f"DELETE FROM indicators_regionscore WHERE year = {year}")
            cursor.execute(
                f"INSERT INTO indicators_targetscore ({_TARGET_SCORE_COLUMNS}) "
                f"SELECT {_TARGET_SCORE_COLUMNS} FROM floor_ts"
            )
            rows = cursor.rowcount
            cursor.execute(
                f"INSERT INTO indicators_regionscore ({_REGION_SCORE_COLUMNS}) "
                f"SELECT {_REGION_SCORE_COLUMNS} FROM floor_rs"
            )
            rows += cursor.rowcount
        samples.append(time.perf_counter() - started)
    return {"samples": samples, "detail": {"rows_written": rows}}


# --------------------------------------------------------------------------- dashboards


def dashboard_floor_queries(kind: str) -> list[str]:
    """The raw SQL that fetches the numbers a page shows (named %(...)s parameters).

    overview: the region's score history, its target scores of the year with the
    indicator labels, its plan-horizon targets and its own actuals since the plan's
    base year (the at-risk projection). compare: the children, their and the
    parent's scores of the year and the year before, and the children's target
    scores with indicator labels.
    """
    if kind == "overview":
        return [
            "SELECT year, total, grade, rank, rank_of, met, not_met, missing, vetoed "
            "FROM indicators_regionscore WHERE region_id = %(region)s AND basis = %(basis)s",
            "SELECT i.code, i.name_zh, i.unit, i.category, i.sort_order, ts.actual, ts.target, "
            "ts.comparator, ts.completion, ts.points, ts.weight, ts.status, ts.veto "
            "FROM indicators_targetscore ts JOIN indicators_indicator i ON i.id = ts.indicator_id "
            "WHERE ts.region_id = %(region)s AND ts.year = %(year)s AND ts.basis = %(basis)s",
            "SELECT t.indicator_id, t.year, t.comparator, t.value, p.base_year, p.name "
            "FROM indicators_target t JOIN indicators_plan p ON p.id = t.plan_id "
            "WHERE t.region_id = %(region)s AND t.year = p.end_year AND t.year >= %(year)s",
            "SELECT f.indicator_id, f.year, f.verified_value FROM indicators_figure f "
            "WHERE f.region_id = %(region)s AND f.status = 'approved' AND f.year <= %(year)s "
            "AND f.year >= (SELECT min(p.base_year) FROM indicators_plan p WHERE p.region_id = %(region)s)",
        ]
    if kind == "compare":
        return [
            "SELECT id, code, name, longitude, latitude FROM indicators_region "
            "WHERE parent_id = %(region)s ORDER BY code",
            "SELECT rs.region_id, rs.year, rs.total, rs.grade, rs.rank, rs.rank_of, rs.met, rs.not_met, "
            "rs.missing, rs.vetoed FROM indicators_regionscore rs "
            "WHERE rs.basis = %(basis)s AND rs.year IN (%(year)s, %(year)s - 1) AND (rs.region_id = %(region)s "
            "OR rs.region_id IN (SELECT id FROM indicators_region WHERE parent_id = %(region)s))",
            "SELECT ts.region_id, i.code, i.name_zh, i.unit, ts.actual, ts.target, ts.comparator, "
            "ts.completion, ts.status FROM indicators_targetscore ts "
            "JOIN indicators_indicator i ON i.id = ts.indicator_id "
            "WHERE ts.year = %(year)s AND ts.basis = %(basis)s "
            "AND ts.region_id IN (SELECT id FROM indicators_region WHERE parent_id = %(region)s)",
        ]
    raise ValueError(f"unknown dashboard kind {kind!r}")


def _leader_for(code: str):
    """A leader (领导) of the region, created once in the benchmark database."""
    from django.contrib.auth.models import User

    from accounts.models import Profile
    from indicators.models import Region

    region = Region.objects.get(code=code)
    user, _ = User.objects.get_or_create(username=f"bench_leader_{code}", defaults={"is_active": True})
    profile, created = Profile.objects.get_or_create(
        user=user, defaults={"region": region, "roles": ["leader"]}
    )
    if not created and (profile.region_id != region.pk or profile.roles != ["leader"]):
        profile.region, profile.roles = region, ["leader"]
        profile.save()
    return user


def _time_floor(cursor, queries: list[str], values: dict) -> tuple[float, int]:
    """One execution of a page's floor: its queries, one after the other (ms, rows)."""
    started = time.perf_counter()
    rows = 0
    for sql in queries:
        cursor.execute(sql, values)
        rows += len(cursor.fetchall())
    return (time.perf_counter() - started) * 1000, rows


def dashboard_project(params: dict, prepared: dict) -> dict:
    """The page's requests and its floor's queries, in alternate blocks on one connection.

    A block of `block` requests, then the floor `block` times as a tight loop (after
    one untimed execution that wakes the backend the page's work left idle, so the
    floor stays what a loop of its own measures), and so on. A slow or fast spell of
    the machine (the VM's neighbours, its clock; seconds long on these machines) then
    falls on both sides alike, and the ratio measures the code, not the moment. The
    floor alone in a process of its own (`dashboard_floor`) is printed for reference.
    """
    from django.db import connection

    from dashboards.bench import timed_get

    client, path = prepared["client"], prepared["path"]
    queries, values = prepared["floor_queries"], prepared["floor_values"]
    block = max(1, int(params["block"]))
    samples: list[float] = []
    floor_samples: list[float] = []
    while len(samples) < params["requests"]:
        count = min(block, params["requests"] - len(samples))
        samples += [timed_get(client, path) for _ in range(count)]
        with connection.cursor() as cursor:
            _time_floor(cursor, queries, values)  # untimed: the backend's wake-up
            floor_samples += [_time_floor(cursor, queries, values)[0] for _ in range(count)]
    return {"samples": samples, "floor_samples": floor_samples, "unit": "ms", "detail": prepared["detail"]}


def dashboard_project_prepare(params: dict) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client = Client()
    client.force_login(_leader_for(params["user_region"]))
    path = reverse(f"dashboards:{params['page']}", args=[params["region"]])
    path += f"?year={params['year']}&basis={params['basis']}"
    # Warm-up: templates, URL resolvers, plotly's validators load on first use.
    size = 0
    for _ in range(params.get("warmup", 3)):
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")
        size = len(response.content)
    # One extra, untimed request counts the SQL queries a page makes.
    with CaptureQueriesContext(connection) as ctx:
        client.get(path)
    sql_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
    detail = {"path": path, "bytes": size, "queries": len(ctx.captured_queries), "sql_ms": round(sql_ms, 1)}
    # The floor run between the page's requests (dashboard_project), warmed up like the page.
    queries, values = dashboard_floor_queries(params["kind"]), _floor_values(params)
    with connection.cursor() as cursor:
        for _ in range(params.get("warmup", 3)):
            detail["floor_rows"] = _time_floor(cursor, queries, values)[1]
    return {
        "client": client,
        "path": path,
        "detail": detail,
        "floor_queries": queries,
        "floor_values": values,
    }


def _floor_values(params: dict) -> dict:
    from indicators.models import Region

    region_id = Region.objects.only("id").get(code=params["region"]).pk
    return {"region": region_id, "year": int(params["year"]), "basis": params["basis"]}


def dashboard_floor(params: dict) -> dict:
    """The floor alone, in a tight loop in a process of its own (its memory; its times for reference)."""
    from django.db import connection

    values = _floor_values(params)
    queries = dashboard_floor_queries(params["kind"])
    samples, rows = [], 0
    with connection.cursor() as cursor:
        for _ in range(params.get("warmup", 3)):
            _time_floor(cursor, queries, values)
        for _ in range(params["requests"]):
            ms, rows = _time_floor(cursor, queries, values)
            samples.append(ms)
    return {"samples": samples, "unit": "ms", "detail": {"rows": rows, "queries": len(queries)}}


# --------------------------------------------------------------------------- import


IMPORT_FILENAME = "bench-import-100k.xlsx"
IMPORT_HEADER = ("region_code", "indicator_code", "year", "value", "note")


def build_import_file(url: str, path: Path, *, rows: int, year: int) -> int:
    """Write the import workbook (openpyxl write-only): `rows` figures of `year`.

    Regions in code order x indicators in catalogue order, values from the
    generator (so they are valid for the indicator). Returns the rows written.
    """
    import psycopg
    from openpyxl import Workbook

    from benchmarks.generate import figure_rows, read_specs

    with psycopg.connect(url) as conn:
        regions, indicators = read_specs(conn)
    code_of = {r.id: r.code for r in regions}
    indicator_of = {i.id: i for i in indicators}
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("figures")
    ws.append(list(IMPORT_HEADER))
    written = 0
    for row in figure_rows(regions, indicators, [year]):
        if written >= rows:
            break
        indicator = indicator_of[row.indicator_id]
        value = int(row.value) if indicator.kind == "count" else float(row.value)
        note = "基准测试导入" if written % 10 == 0 else None
        ws.append([code_of[row.region_id], indicator.code, year, value, note])
        written += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    wb.save(tmp)
    tmp.replace(path)
    return written


def delete_imported(filename: str) -> int:
    """Remove the figures (and their history rows) a previous import run wrote."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM indicators_historicalfigure WHERE source_ref = %s", [filename])
        cursor.execute("DELETE FROM indicators_figure WHERE source_ref = %s", [filename])
        return cursor.rowcount


def import_project_prepare(params: dict) -> dict:
    import indicators.imports  # noqa: F401  (import cost is not part of the measurement)

    delete_imported(Path(params["path"]).name)
    return {}


def import_project(params: dict, prepared: dict) -> dict:
    from django.core.management import call_command

    from indicators.models import Figure

    name = Path(params["path"]).name
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_figures", params["path"], "--status", "approved", stdout=out, stderr=out)
    seconds = time.perf_counter() - started
    written = Figure.objects.filter(source_ref=name).count()
    delete_imported(name)
    if written != params["rows"]:
        raise RuntimeError(
            f"import wrote {written} figures, expected {params['rows']}: {out.getvalue()[-500:]}"
        )
    return {"samples": [seconds], "detail": {"figures": written, "output": out.getvalue().strip()[-200:]}}


def import_floor(params: dict) -> dict:
    from openpyxl import load_workbook

    def read(values_only: bool) -> tuple[float, int]:
        started = time.perf_counter()
        wb = load_workbook(params["path"], read_only=True)
        cells = 0
        for row in wb.worksheets[0].iter_rows(values_only=values_only):
            for _cell in row:
                cells += 1
        wb.close()
        return time.perf_counter() - started, cells

    samples, cells = [], 0
    for _ in range(params.get("repeat", 3)):
        seconds, cells = read(values_only=True)
        samples.append(seconds)
    # For reference: cell objects (what a reader needs to see a cell's type, e.g. formulas).
    cell_objects, _ = read(values_only=False)
    return {"samples": samples, "detail": {"cells": cells, "cell_objects_seconds": round(cell_objects, 2)}}


# --------------------------------------------------------------------------- report


def _forget_reports(code: str, year: int) -> None:
    """Drop archived PDFs of the region and year, so the next request renders anew."""
    from reports.models import ReportArtifact

    for artifact in ReportArtifact.objects.filter(region__code=code, year=year, fmt="pdf"):
        if artifact.file:
            artifact.file.delete(save=False)
        artifact.delete()


def report_project_prepare(params: dict) -> dict:
    import reports.services  # noqa: F401

    _forget_reports(params["region"], params["year"])
    return {}


def report_project(params: dict, prepared: dict) -> dict:
    from django.core.management import call_command

    samples, size = [], 0
    output = Path(params["output"])
    for _ in range(params.get("repeat", 3)):
        _forget_reports(params["region"], params["year"])
        out = io.StringIO()
        started = time.perf_counter()
        call_command(
            "export_report",
            "--year",
            str(params["year"]),
            "--region",
            params["region"],
            "--format",
            "pdf",
            "-o",
            str(output),
            stdout=out,
        )
        samples.append(time.perf_counter() - started)
        size = output.stat().st_size
        if "新生成" not in out.getvalue():
            raise RuntimeError(f"the report was not rendered anew: {out.getvalue()[-300:]}")
    return {"samples": samples, "detail": {"bytes": size}}


# --------------------------------------------------------------------------- driver

CASES: dict[tuple[str, str], tuple[Callable[[dict], dict] | None, Callable[..., dict]]] = {
    ("scoring", "project"): (scoring_project_prepare, scoring_project_warm),
    ("scoring", "floor"): (None, scoring_floor),
    ("scoring", "breakdown"): (None, scoring_breakdown),
    ("scoring", "write_floor"): (None, scoring_write_floor),
    ("scoring", "rewrite"): (scoring_rewrite_prepare, scoring_rewrite),
    ("dashboard", "project"): (dashboard_project_prepare, dashboard_project),
    ("dashboard", "floor"): (None, dashboard_floor),
    ("import", "project"): (import_project_prepare, import_project),
    ("import", "floor"): (None, import_floor),
    ("report", "project"): (report_project_prepare, report_project),
}


def _profiled(call: Callable[[], dict], path: str) -> dict:
    profile = cProfile.Profile()
    result = profile.runcall(call)
    profile.dump_stats(path)
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(45)
    Path(path).with_suffix(".txt").write_text(text.getvalue(), encoding="utf-8")
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_case(case: str, side: str, params: dict) -> dict:
    missing = missing_module(case, side)
    if missing:
        return {"available": False, "reason": f"module {missing} missing"}
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality_city.settings")
    django.setup()
    prepare, measure = CASES[(case, side)]
    prepared = prepare(params) if prepare else None
    baseline = max_rss_mib()
    cpu_before = _cpu_seconds()

    def call() -> dict:
        return measure(params, prepared) if prepare else measure(params)

    result = _profiled(call, params["profile"]) if params.get("profile") else call()
    # This process's CPU only (PostgreSQL works in its own processes): next to the wall
    # time it shows how much of a slow run was waiting for a busy machine.
    result["cpu_seconds"] = round(_cpu_seconds() - cpu_before, 2)
    result["peak_rss_delta_mib"] = round(max_rss_mib() - baseline, 1)
    result["baseline_rss_mib"] = round(baseline, 1)
    result["available"] = True
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    case, side = argv[0], argv[1]
    params: dict[str, Any] = json.loads(argv[2]) if len(argv) > 2 else {}
    try:
        result = run_case(case, side, params)
    except Exception as exc:
        traceback.print_exc()
        result = {"available": True, "error": f"{type(exc).__name__}: {exc}"[:500]}
    print(RESULT_PREFIX + json.dumps(result, ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
