"""`make bench`: national-scale benchmarks against the database floor (issue 9, DESIGN §7).

    python -m benchmarks.run [--database-url postgres://...] [--year 2025]
                             [--only scoring,dashboards,import,report] [--requests 50]
                             [--profile DIR] [--json PATH] [--regenerate]

Steps:

1. DATABASE_URL is set to the benchmark database (default ``qc_bench``; never
   ``test`` or ``postgres``) before anything touches Django, and inherited by every
   child process. The database is created, migrated and filled by
   ``benchmarks.generate`` when it has no figures (or with ``--regenerate``).
2. Each case runs its project side and its floor side in fresh child processes
   (``benchmarks.cases``), so that timings do not share caches and the peak memory
   of each side is its own (``ru_maxrss`` growth over the prepared child).
3. One table: project time, floor time, ratio, peak memory and PASS/MISS against
   the targets of issue 9. A case whose module is not in the tree yet prints
   "not available yet (module X missing)" instead of a number.

The year defaults to the last target year but one (inside the plan period, so the
overview projects its at-risk targets); the year before it is scored once, untimed,
when the comparison pages would find no scores for it.

Targets: scoring <= 3x floor; dashboards p95 < 150 ms and <= 5x their SQL floor
(both p50/p50 and p95/p95); import <= 2x the openpyxl floor; PDF report < 5 s.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.cases import IMPORT_FILENAME, RESULT_PREFIX, build_import_file
from benchmarks.generate import (
    DEFAULT_DATABASE_URL,
    ROOT,
    check_database_url,
    database_name,
    ensure_database,
    generate,
    prepare_schema,
)
from benchmarks.stats import median, percentile, ratio

# A 20-county city (县区对比) and its province (城市对比): 成都市 has exactly 20
# county-level children in the GB/T 2260 list, 四川省 21 cities. If the list ever
# changes, the city with the count closest to 20 is taken instead.
PREFERRED_CITY = "510100"
COUNTY_COUNT = 20
CASE_TIMEOUT = 900  # seconds per child process

TARGET_SCORING_RATIO = 3.0
TARGET_DASHBOARD_P95_MS = 150.0
TARGET_DASHBOARD_RATIO = 5.0
# Page requests, then as many floors, per block of a dashboard row (benchmarks.cases.dashboard_project).
DASHBOARD_BLOCK = 5
TARGET_IMPORT_RATIO = 2.0
TARGET_REPORT_SECONDS = 5.0
SECTIONS = ("scoring", "dashboards", "import", "report")


@dataclass
class Row:
    name: str
    project: str = ""
    floor: str = ""
    ratio: str = ""
    memory: str = ""
    target: str = ""
    verdict: str = ""
    notes: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


@dataclass
class Context:
    url: str
    year: int
    city: str
    city_name: str
    city_children: int
    province: str
    province_name: str
    province_children: int
    workdir: Path
    requests: int
    report_repeat: int
    import_rows: int
    profile_dir: Path | None
    env: dict[str, str]


# --------------------------------------------------------------------------- children


def run_child(ctx: Context, case: str, side: str, params: dict) -> dict:
    """Run one side of one case in a fresh interpreter; its JSON result."""
    if ctx.profile_dir and side == "project":
        ctx.profile_dir.mkdir(parents=True, exist_ok=True)
        tag = params.get("tag", case)
        params = {**params, "profile": str(ctx.profile_dir / f"{tag}.prof")}
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.cases", case, side, json.dumps(params)],
            cwd=ROOT,
            env=ctx.env,
            capture_output=True,
            text=True,
            timeout=CASE_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return {"available": True, "error": f"timed out after {CASE_TIMEOUT} s"}
    result = None
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            result = json.loads(line[len(RESULT_PREFIX) :])
            break
    if result is None:
        result = {"available": True, "error": f"child exited {proc.returncode} without a result"}
    if result.get("error"):
        tail = proc.stderr.strip().splitlines()[-12:]
        result["stderr_tail"] = "\n".join(tail)
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    return result


def _unavailable(row: Row, *results: dict) -> bool:
    """Fill `row` for a case that cannot be measured; True when it cannot."""
    for result in results:
        if not result.get("available", True):
            row.project = f"not available yet ({result['reason']})"
            row.verdict = "n/a"
            return True
    for result in results:
        if result.get("error"):
            row.project = f"error: {result['error']}"
            row.verdict = "ERROR"
            if result.get("stderr_tail"):
                row.notes.append(result["stderr_tail"])
            return True
    return False


def _mem(project: dict, floor: dict | None = None) -> str:
    text = f"{project.get('peak_rss_delta_mib', 0):.0f}"
    if floor is not None:
        text += f" / {floor.get('peak_rss_delta_mib', 0):.0f}"
    return text + " MiB"


def _cpu_note(project: dict) -> str:
    """The project process's own CPU time next to its wall time (contention indicator)."""
    timed = [*project.get("samples", []), *project.get("floor_samples", [])]
    wall = sum(timed) / (1000 if project.get("unit") == "ms" else 1)
    return f"project process CPU {project.get('cpu_seconds', 0):.1f} s for {wall:.1f} s of measured wall time"


def _fill_seconds(row: Row, project: dict, floor: dict, target_ratio: float) -> float:
    """Project and floor medians in seconds, their ratio and the verdict; the project median."""
    p, f = median(project["samples"]), median(floor["samples"])
    r = ratio(p, f)
    row.project, row.floor, row.ratio = f"{p:.2f} s", f"{f:.2f} s", f"{r:.1f}x"
    row.memory = _mem(project, floor)
    row.verdict = "PASS" if r <= target_ratio else "MISS"
    return p


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


# --------------------------------------------------------------------------- cases


def vacuum_scores(url: str) -> None:
    """VACUUM ANALYZE the score tables: what autovacuum does in production.

    Every scoring run and write floor leaves dead score rows behind. With autovacuum
    off (as on the benchmark machine) they pile up run after run, and each later
    measurement reads through them; so each scoring case starts from a vacuumed table.
    """
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE indicators_regionscore, indicators_targetscore")


def bench_scoring(ctx: Context) -> list[Row]:
    """Two rows: a re-run whose inputs did not change (the nightly run), and a run where
    every stored target score differs (a new scheme or new weights: all rows rewritten)."""
    row = Row(f"scoring: compute_scores {ctx.year}, all regions, self+verified (re-run)")
    worst = Row("scoring: the same, every stored target score different")
    row.target = worst.target = f"<= {TARGET_SCORING_RATIO:g}x floor"
    floor = run_child(ctx, "scoring", "floor", {"year": ctx.year, "repeat": 5})
    vacuum_scores(ctx.url)
    project = run_child(ctx, "scoring", "project", {"year": ctx.year, "tag": "scoring", "repeat": 3})
    breakdown = run_child(ctx, "scoring", "breakdown", {"year": ctx.year})
    rewrite = run_child(ctx, "scoring", "rewrite", {"year": ctx.year, "tag": "scoring-rewrite"})
    vacuum_scores(ctx.url)
    write_floor = run_child(ctx, "scoring", "write_floor", {"year": ctx.year, "repeat": 3})
    row.data = {"project": project, "floor": floor, "breakdown": breakdown, "write_floor": write_floor}
    worst.data = {"project": rewrite}
    if _unavailable(row, project, floor):
        return [row]
    f = median(floor["samples"])
    w = None
    if write_floor.get("available") and not write_floor.get("error"):
        w = median(write_floor["samples"])
    for target_row, result in ((row, project), (worst, rewrite)):
        if _unavailable(target_row, result):
            continue
        p = _fill_seconds(target_row, result, floor, TARGET_SCORING_RATIO)
        per_basis = ", ".join(
            f"{basis} {d['seconds']:.2f} s ({d['regions']:,} regions, {d['targets']:,} targets, "
            f"{d.get('changed', 0) or 0:,} target rows written)"
            for basis, d in result.get("detail", {}).items()
        )
        target_row.notes.append(
            f"per basis, as the service reports them (the load counts in the first): {per_basis}"
        )
        warm_up = result.get("warm_up")
        if warm_up:
            samples = ", ".join(f"{x:.2f}" for x in result["samples"])
            target_row.notes.append(
                f"median of {len(result['samples'])} runs in one process ({samples} s), after an untimed "
                f"first run in it ({warm_up['seconds']:.2f} s, {warm_up['written']:,} target rows written)"
            )
        target_row.notes.append(_cpu_note(result))
        if w is not None:
            target_row.notes.append(
                f"read floor + PostgreSQL's write floor = {f + w:.2f} s; project / that = {ratio(p, f + w):.1f}x"
            )
    p = median(project["samples"])
    if breakdown.get("available") and not breakdown.get("error"):
        d = breakdown["detail"]
        # The run loads once and then, per basis, scores, hashes and stores.
        storing = p - d["load"] - d["engine"] - d["hash"]
        row.notes.append(
            f"step by step (both bases, separate process): load_inputs (with the figures read meanwhile on a "
            f"second connection, and the work both bases share) {d['load']:.2f} s, "
            f"engine score() {d['engine']:.2f} s, inputs_hash {d['hash']:.2f} s; "
            f"so storing the results (digests, comparing, COMMIT) takes about {storing:.2f} s"
        )
    row.notes.append(
        f"floor: COPY (SELECT ...) TO STDOUT of the year's targets and figures "
        f"({floor['detail']['rows_read']:,} rows), one after the other, median of {len(floor['samples'])}"
    )
    together = floor["detail"].get("together")
    if together:
        t = median(together)
        row.notes.append(
            f"not judged: the same two reads at once on two connections (as the run reads them) take "
            f"{t:.2f} s; project / that = {ratio(p, t):.1f}x"
        )
    if w is not None:
        row.notes.append(
            f"write floor: PostgreSQL alone replacing the stored result (DELETE + INSERT ... SELECT of the "
            f"same {write_floor['detail']['rows_written']:,} rows, COMMIT; median of "
            f"{len(write_floor['samples'])}): {w:.2f} s"
        )
    return [row, worst]


def _dashboard_row(ctx: Context, label: str, page: str, kind: str, region: str) -> Row:
    """A page against its SQL floor, the two timed in alternate blocks in one process.

    The floor also runs alone in a process of its own, a moment before: its memory,
    and its times for reference (that ratio swings with the machine's spells, as the
    two processes meet different ones).
    """
    row = Row(label)
    row.target = f"p95 < {TARGET_DASHBOARD_P95_MS:g} ms, <= {TARGET_DASHBOARD_RATIO:g}x"
    common = {
        "region": region,
        "year": ctx.year,
        "basis": "verified",
        "requests": ctx.requests,
        "block": DASHBOARD_BLOCK,
        "kind": kind,
    }
    floor = run_child(ctx, "dashboard", "floor", common)
    project = run_child(
        ctx,
        "dashboard",
        "project",
        {**common, "page": page, "user_region": region, "tag": f"dashboard-{page}-{region}"},
    )
    row.data = {"project": project, "floor": floor}
    if _unavailable(row, project, floor):
        return row
    p50, p95 = percentile(project["samples"], 50), percentile(project["samples"], 95)
    f50, f95 = percentile(project["floor_samples"], 50), percentile(project["floor_samples"], 95)
    a50, a95 = percentile(floor["samples"], 50), percentile(floor["samples"], 95)
    r50, r95 = ratio(p50, f50), ratio(p95, f95)
    row.project = f"p50 {_ms(p50)} / p95 {_ms(p95)} ms"
    row.floor = f"p50 {_ms(f50)} / p95 {_ms(f95)} ms"
    row.ratio = f"{r50:.1f}x / {r95:.1f}x"
    row.memory = _mem(project, floor)
    ok = p95 < TARGET_DASHBOARD_P95_MS and max(r50, r95) <= TARGET_DASHBOARD_RATIO
    row.verdict = "PASS" if ok else "MISS"
    d = project["detail"]
    row.notes.append(
        f"GET {d['path']}: {d['bytes']:,} bytes, {d['queries']} SQL queries ({d['sql_ms']} ms of SQL "
        f"in an untimed request); floor: {floor['detail']['queries']} queries, "
        f"{floor['detail']['rows']:,} rows; {ctx.requests} requests and {ctx.requests} floors, "
        f"in alternate blocks of {DASHBOARD_BLOCK}"
    )
    row.notes.append(
        f"not judged: the floor alone in a process of its own, a moment before: p50 {_ms(a50)} / "
        f"p95 {_ms(a95)} ms; page / that = {ratio(p50, a50):.1f}x / {ratio(p95, a95):.1f}x"
    )
    row.notes.append(_cpu_note(project) + " (the page's requests and the floor's queries)")
    row.data["derived"] = {
        "p50": p50,
        "p95": p95,
        "floor_p50": f50,
        "floor_p95": f95,
        "floor_alone_p50": a50,
        "floor_alone_p95": a95,
    }
    return row


def analyze_scores(url: str) -> None:
    """Refresh the planner's statistics of the score tables before reading them.

    A scoring run rewrites ~360k score rows; until autovacuum gets to them the
    planner believes the tables are nearly empty and picks plans that read a whole
    year (both for the pages and for the floor). Production has autovacuum do
    this within a minute; the benchmark does it explicitly so runs are comparable.
    """
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE indicators_regionscore, indicators_targetscore")


def bench_dashboards(ctx: Context) -> list[Row]:
    # The pages compare with the year before; both years need scores.
    ensure_scores(ctx, ctx.year - 1)
    ensure_scores(ctx, ctx.year)
    analyze_scores(ctx.url)
    return [
        _dashboard_row(ctx, f"dashboard: region overview {ctx.city}", "overview", "overview", ctx.city),
        _dashboard_row(
            ctx,
            f"dashboard: county comparison {ctx.city} ({ctx.city_children} counties)",
            "compare",
            "compare",
            ctx.city,
        ),
        _dashboard_row(
            ctx,
            f"dashboard: city comparison {ctx.province} ({ctx.province_children} cities)",
            "compare",
            "compare",
            ctx.province,
        ),
    ]


def _import_year(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        first = conn.execute(
            "SELECT min(year) FROM indicators_figure WHERE source_ref <> %s", [IMPORT_FILENAME]
        ).fetchone()[0]
    return int(first) - 1


def bench_import(ctx: Context) -> list[Row]:
    row = Row(f"import: {ctx.import_rows:,}-row xlsx, --status approved")
    row.target = f"<= {TARGET_IMPORT_RATIO:g}x floor"
    year = _import_year(ctx.url)
    path = ctx.workdir / f"{ctx.import_rows}-{year}" / IMPORT_FILENAME
    if not path.exists():
        started = time.perf_counter()
        written = build_import_file(ctx.url, path, rows=ctx.import_rows, year=year)
        print(f"  wrote {path} ({written:,} rows) in {time.perf_counter() - started:.1f} s", flush=True)
    params = {"path": str(path), "rows": ctx.import_rows, "year": year}
    floor = run_child(ctx, "import", "floor", {**params, "repeat": 3})
    project = run_child(ctx, "import", "project", {**params, "tag": "import"})
    row.data = {"project": project, "floor": floor}
    if _unavailable(row, project, floor):
        return [row]
    _fill_seconds(row, project, floor, TARGET_IMPORT_RATIO)
    row.notes.append(
        f"{path.stat().st_size / 1e6:.1f} MB, figures of {year} for the first regions in code order; "
        f"floor: openpyxl read-only, iter_rows(values_only=True) over "
        f"{floor['detail']['cells']:,} cells, median of {len(floor['samples'])} "
        f"(with cell objects instead of values: {floor['detail'].get('cell_objects_seconds', '?')} s)"
    )
    row.notes.append(_cpu_note(project))
    return [row]


def bench_report(ctx: Context) -> list[Row]:
    row = Row(f"report: annual report PDF {ctx.city} ({ctx.city_children} counties)")
    row.target = f"< {TARGET_REPORT_SECONDS:g} s"
    ensure_scores(ctx, ctx.year - 1)
    ensure_scores(ctx, ctx.year)
    output = ctx.workdir / "report" / f"report-{ctx.city}-{ctx.year}.pdf"
    project = run_child(
        ctx,
        "report",
        "project",
        {
            "region": ctx.city,
            "year": ctx.year,
            "output": str(output),
            "repeat": ctx.report_repeat,
            "tag": "report",
        },
    )
    row.data = {"project": project}
    if _unavailable(row, project):
        return [row]
    samples = project["samples"]
    p = median(samples)
    row.project = f"{p:.2f} s"
    row.floor = "-"
    row.ratio = "-"
    row.memory = _mem(project)
    row.verdict = "PASS" if p < TARGET_REPORT_SECONDS else "MISS"
    runs = ", ".join(f"{s:.2f}" for s in samples)
    row.notes.append(
        f"export_report --format pdf, archive cleared before each run; runs {runs} s "
        f"(median shown), {project['detail']['bytes']:,} bytes"
    )
    row.notes.append(_cpu_note(project))
    return [row]


BENCHES = {
    "scoring": bench_scoring,
    "dashboards": bench_dashboards,
    "import": bench_import,
    "report": bench_report,
}


# --------------------------------------------------------------------------- setup


def machine_info(url: str) -> dict[str, str]:
    import psycopg

    info = {
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            kib = int(next(line for line in fh if line.startswith("MemTotal")).split()[1])
        info["memory"] = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        info["memory"] = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            info["cpu"] = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        info["cpu"] = platform.processor() or "unknown"
    with psycopg.connect(url) as conn:
        info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
        info["shared_buffers"] = conn.execute("SHOW shared_buffers").fetchone()[0]
    return info


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def _figure_count(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('indicators_figure') IS NOT NULL").fetchone()[0]
        if not exists:
            return 0
        return conn.execute("SELECT count(*) FROM indicators_figure").fetchone()[0]


def _choose_regions(url: str) -> tuple[str, str, int, str, str, int]:
    """(city, name, children, province, name, children) for the comparison pages."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT p.code, p.name, count(c.id), pp.code, pp.name "
            "FROM indicators_region p JOIN indicators_region c ON c.parent_id = p.id "
            "JOIN indicators_region pp ON pp.id = p.parent_id "
            "WHERE p.level = 'city' GROUP BY p.code, p.name, pp.code, pp.name"
        ).fetchall()
        by_code = {r[0]: r for r in rows}
        city = by_code.get(PREFERRED_CITY)
        if city is None or city[2] != COUNTY_COUNT:
            city = min(rows, key=lambda r: (abs(r[2] - COUNTY_COUNT), r[0]))
        province_children = conn.execute(
            "SELECT count(*) FROM indicators_region c JOIN indicators_region p ON p.id = c.parent_id "
            "WHERE p.code = %s",
            [city[3]],
        ).fetchone()[0]
    return city[0], city[1], city[2], city[3], city[4], province_children


def _default_year(url: str) -> int:
    """The last year but one that has targets: a year inside the plan period.

    In the plan's horizon year the overview has nothing left to project; a year
    before it is what leaders look at most of the plan period, with the at-risk
    projection to the horizon (which reads the figures of the years since the base).
    """
    import psycopg

    with psycopg.connect(url) as conn:
        years = [r[0] for r in conn.execute("SELECT DISTINCT year FROM indicators_target ORDER BY year")]
    if not years:
        raise SystemExit("the benchmark database has no targets: run with --regenerate")
    return int(years[-2] if len(years) > 1 else years[-1])


def ensure_scores(ctx: Context, year: int) -> None:
    """Score `year` (untimed set-up) when the pages and the report would find no scores."""
    import psycopg

    with psycopg.connect(ctx.url) as conn:
        scored = conn.execute(
            "SELECT count(*) FROM indicators_regionscore WHERE year = %s", [year]
        ).fetchone()[0]
        targeted = conn.execute("SELECT count(*) FROM indicators_target WHERE year = %s", [year]).fetchone()[
            0
        ]
    if scored or not targeted:
        return
    result = run_child(ctx, "scoring", "project", {"year": year, "tag": f"setup-{year}", "repeat": 0})
    if result.get("available") and not result.get("error"):
        print(f"  set-up (untimed): scored {year} in {result['warm_up']['seconds']:.0f} s", flush=True)


# --------------------------------------------------------------------------- output


COLUMNS = ("benchmark", "project", "floor", "ratio", "peak RSS (proj/floor)", "target", "result")


def format_table(rows: Sequence[Row]) -> str:
    cells = [COLUMNS] + [(r.name, r.project, r.floor, r.ratio, r.memory, r.target, r.verdict) for r in rows]
    widths = [max(len(str(c[i])) for c in cells) for i in range(len(COLUMNS))]
    # An unavailable row spans the numeric columns; keep the header readable.
    lines = []
    for n, cell in enumerate(cells):
        lines.append(" | ".join(str(v).ljust(w) for v, w in zip(cell, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"dedicated benchmark database (default {DEFAULT_DATABASE_URL}, or $BENCH_DATABASE_URL)",
    )
    parser.add_argument("--year", type=int, help="scored year (default: the last year but one with targets)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    parser.add_argument("--requests", type=int, default=50, help="requests per dashboard page")
    parser.add_argument("--report-repeat", type=int, default=3)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--profile", type=Path, help="cProfile each project side into this folder")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--regenerate", action="store_true", help="refill the database first")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    url = check_database_url(args.database_url)
    workdir = Path(os.environ.get("BENCH_WORKDIR", Path(tempfile.gettempdir()) / "qc-bench"))
    # Before any Django setup: every child inherits these.
    os.environ["DATABASE_URL"] = url
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "quality_city.settings",
        "MEDIA_ROOT": str(workdir / "media"),  # report archives stay out of the work tree
        "LOG_LEVEL": "WARNING",
    }
    env.pop("REDIS_URL", None)  # eager Celery: the measured work runs in the measured process

    started = time.perf_counter()
    print(f"benchmark database: {database_name(url)}", flush=True)
    ensure_database(url)
    if args.regenerate or _figure_count(url) == 0:
        print("the benchmark database is empty: generating national data ...", flush=True)
        result = generate(url, log=lambda m: print(m, flush=True))
        print(f"generated {result}", flush=True)
        print(f"generation took {result.seconds['total']:.1f} s", flush=True)
    else:
        prepare_schema(url)
    info = machine_info(url)
    year = args.year or _default_year(url)
    city, city_name, city_children, province, province_name, province_children = _choose_regions(url)
    ctx = Context(
        url=url,
        year=year,
        city=city,
        city_name=city_name,
        city_children=city_children,
        province=province,
        province_name=province_name,
        province_children=province_children,
        workdir=workdir,
        requests=args.requests,
        report_repeat=args.report_repeat,
        import_rows=args.import_rows,
        profile_dir=args.profile,
        env=env,
    )
    print(
        f"machine: {info['cores']} cores, {info['memory']}, {info['cpu']}; PostgreSQL {info['postgresql']} "
        f"(shared_buffers {info['shared_buffers']}); Python {info['python']}",
        flush=True,
    )
    print(
        f"figures: {_figure_count(url):,}; year {year}; county comparison {city} {city_name} "
        f"({city_children} counties); city comparison {province} {province_name} "
        f"({province_children} cities); load average at start {_load()}",
        flush=True,
    )

    rows: list[Row] = []
    for section in sections:
        print(f"== {section}", flush=True)
        t0 = time.perf_counter()
        new_rows = BENCHES[section](ctx)
        for r in new_rows:
            print(f"  {r.name}: {r.project} vs {r.floor or '-'} -> {r.verdict}", flush=True)
        print(f"  ({time.perf_counter() - t0:.0f} s)", flush=True)
        rows.extend(new_rows)

    print()
    print(format_table(rows))
    print()
    for r in rows:
        for note in r.notes:
            print(f"- {r.name}: {note}")
    print(
        "\npeak RSS = growth of the child process's ru_maxrss (resource.getrusage) during the measured "
        "part, over a baseline taken after Django setup, imports and warm-up."
    )
    print(f"load average at end {_load()}; total {time.perf_counter() - started:.0f} s")
    if args.json:
        payload = {"machine": info, "year": year, "rows": [asdict(r) for r in rows]}
        args.json.write_text(json.dumps(payload, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
