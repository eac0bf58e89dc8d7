"""Deterministic national-scale benchmark data (DESIGN §7, issue 9), loaded with COPY.

    python -m benchmarks.generate [--database-url postgres://...] [--years 2011-2025]
                                  [--target-years 2021-2025] [--seed 9]

What it writes, into a dedicated database (default ``qc_bench``, created with
``createdb`` when missing; ``test`` and ``postgres`` are refused):

1. the schema and reference data, through ``manage.py migrate / load_regions /
   load_catalog`` run with DATABASE_URL pointing at that database (skipped when
   already there) — the real 3,219 GB/T 2260 regions and the 56 indicators;
2. one APPROVED figure for every region x indicator x year (3,219 x 56 x 15 =
   2,703,960 rows). About 3 % were "adjusted on verification": their reported
   value flatters the region and differs from the verified one, so the ``self``
   and ``verified`` bases disagree the way over-reporting does in real life;
3. one plan per region (base year = the year before the first target year) and a
   target for every region x indicator x target year (five years by default), with
   the comparator taken from the indicator's direction, per-indicator weights, the
   ``threshold`` rule for pass-rate indicators, ``deduct`` for incident counts and
   a ``veto`` on major quality incidents.

Every value is a pure function of (seed, region code, indicator code, year), so a
region's numbers do not depend on which other regions or years are generated, and
two runs write identical rows. Rates stay inside the indicator's range, counts are
whole numbers. The load is idempotent: the figure, target, plan and score tables
are TRUNCATEd and refilled with ``COPY ... FREEZE`` in one transaction, then
ANALYZEd. The ORM is not used for the bulk rows (2.7 M model instances would take
minutes and gigabytes).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/qc_bench"
# Databases the generator must never truncate: the CI/test database and the maintenance ones.
FORBIDDEN_DATABASES = frozenset({"test", "postgres", "template0", "template1"})
DEFAULT_YEARS = range(2011, 2026)
TARGET_YEAR_COUNT = 5
DEFAULT_SEED = 9
SOURCE_REF = "benchmarks.generate"
ADJUST_REASON = "现场核查调整（基准测试数据）"  # adjusted on on-site verification (benchmark data)
ADJUSTED_SHARE = 0.03

# Years are counted from here, so a year's value does not depend on --years.
ORIGIN_YEAR = 2010
LEVEL_SCALE = {"county": 1.0, "city": 7.0, "province": 45.0}
WEIGHTS = (Decimal("1"), Decimal("1.5"), Decimal("2"), Decimal("2.5"), Decimal("3"))
# Pass rates scored all-or-nothing (达标得分); incident counts lose points per incident.
THRESHOLD_INDICATORS = frozenset({"PQ_SAMPLING_PASS", "PQ_FOOD_PASS", "EN_ACCEPTANCE_PASS"})
# 一票否决: a major quality-safety incident above the target forces grade D.
VETO_INDICATORS = frozenset({"SF_MAJOR_QUALITY_INCIDENTS"})
DEDUCT_POINTS_PER_UNIT = Decimal("1")

TWO_PLACES = 2
THREE_PLACES = 3


@dataclass(frozen=True)
class RegionSpec:
    id: int
    code: str
    level: str  # province / city / county
    name: str = ""


@dataclass(frozen=True)
class IndicatorSpec:
    id: int
    code: str
    kind: str  # rate / count / index / amount
    direction: str  # higher / lower
    aggregation: str = "none"
    min_value: Decimal | None = None
    max_value: Decimal | None = None


class FigureRow(NamedTuple):
    region_id: int
    indicator_id: int
    year: int
    value: Decimal  # the verified (approved) value
    reported_value: Decimal
    adjust_reason: str  # "" unless the reviewer changed the reported value


class TargetRow(NamedTuple):
    region_id: int
    indicator_id: int
    year: int
    comparator: str
    value: Decimal
    weight: Decimal
    rule: str
    rule_param: Decimal | None
    veto: bool
    is_milestone: bool


# --------------------------------------------------------------------------- values

_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64's finaliser: a cheap, well-spread 64-bit hash of an integer."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _u(key: int, slot: int) -> float:
    """A uniform number in [0, 1) that depends only on (key, slot)."""
    return _mix((key + slot * 0xD1B54A32D192ED03) & _MASK) / 18446744073709551616.0


def _key(seed: int, *parts: str) -> int:
    digest = hashlib.sha256("|".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


# Slots of _u: parameters of a series use small numbers, per-year draws year * 16 + k.
_S_BASE, _S_SLOPE = 1, 2

# Typical size of a county's count in 2010, by what the indicator counts: national
# honours are rare, municipal ones and certificates common (order matters: first match).
_MAGNITUDES = (
    (("REGISTERED_TM", "INVENTION_PATENTS", "QMS_CERTIFICATES", "EQUIPMENT_TRACKED"), 300.0),
    (("NATIONAL", "CHINA_", "LUBAN", "MAJOR"), 0.4),
    (("PROVINCIAL", "PROV_"), 3.0),
    (("MUNICIPAL", "LOCAL"), 8.0),
)


def indicator_magnitude(indicator: IndicatorSpec) -> float:
    """How big an indicator's counts or amounts (10k CNY) are, the same in every region."""
    if indicator.kind == "amount":
        return 200.0
    for needles, magnitude in _MAGNITUDES:
        if any(needle in indicator.code for needle in needles):
            return magnitude
    return 10.0


def _year_slot(year: int, k: int) -> int:
    return 1000 + year * 16 + k


def _noise(key: int, year: int) -> float:
    """Triangular noise in (-1, 1), mean 0."""
    return _u(key, _year_slot(year, 0)) + _u(key, _year_slot(year, 1)) - 1.0


class _Series:
    """The value path of one (region, indicator): a noise-free trend plus yearly noise."""

    __slots__ = ("base", "bounded", "growth", "hi", "indicator", "key", "lo", "shape")

    def __init__(self, indicator: IndicatorSpec, region: RegionSpec, seed: int) -> None:
        self.indicator = indicator
        self.key = _key(seed, region.code, indicator.code)
        scale = LEVEL_SCALE.get(region.level, 1.0)
        magnitude = indicator_magnitude(indicator)
        u_base, u_slope = _u(self.key, _S_BASE), _u(self.key, _S_SLOPE)
        self.lo = float(indicator.min_value) if indicator.min_value is not None else -math.inf
        self.hi = float(indicator.max_value) if indicator.max_value is not None else math.inf
        self.bounded = indicator.max_value is not None
        lower = indicator.direction == "lower"
        if indicator.kind in ("rate", "index") and self.bounded and not lower:
            # Pass rates and indices close to the ceiling, improving a little each year.
            low, high = (62.0, 95.0) if indicator.kind == "rate" else (68.0, 90.0)
            self.shape = "linear"
            self.base = low + (high - low) * u_base
            self.growth = 0.15 + 0.5 * u_slope  # points per year
        elif lower and indicator.kind == "count":
            # Accidents and incidents: small whole numbers that become rarer.
            self.shape = "incidents"
            self.base = (0.1 + 0.9 * u_base) * math.sqrt(scale)
            self.growth = 0.90 + 0.09 * u_slope
        elif lower:
            # A rate where lower is better (e.g. deaths per 10k units), falling over time.
            self.shape = "decay"
            self.base = 0.2 + 1.3 * u_base
            self.growth = 0.93 + 0.06 * u_slope
        else:
            # Counts and amounts that grow a few per cent a year.
            self.shape = "growth"
            self.base = (0.2 + u_base) * magnitude * scale
            self.growth = 1.02 + 0.10 * u_slope

    def trend(self, year: int) -> float:
        t = year - ORIGIN_YEAR
        if self.shape == "linear":
            return self.base + self.growth * t
        return self.base * self.growth**t

    def actual(self, year: int) -> float:
        trend = self.trend(year)
        if self.shape == "linear":
            value = trend + 2.0 * _noise(self.key, year)
        elif self.shape == "incidents":
            value = math.floor(2.2 * trend * _u(self.key, _year_slot(year, 2)))
        else:
            value = trend * (1.0 + 0.12 * _noise(self.key, year))
        return self.clamp(value)

    def clamp(self, value: float) -> float:
        return min(self.hi, max(self.lo, value))

    def quantise(self, value: float) -> Decimal:
        kind = self.indicator.kind
        if kind == "count":
            return Decimal(round(value))
        places = THREE_PLACES if self.shape == "decay" else TWO_PLACES
        return Decimal(f"{value:.{places}f}")

    def flattered(self, verified: Decimal, year: int) -> Decimal:
        """The value the region reported: usually the verified one, sometimes flattering."""
        if _u(self.key, _year_slot(year, 3)) >= ADJUSTED_SHARE:
            return verified
        lower = self.indicator.direction == "lower"
        if self.indicator.kind == "count":
            step = max(1, round(float(verified) * 0.05))
            reported = float(verified) - step if lower else float(verified) + step
        else:
            reported = float(verified) * (0.95 if lower else 1.05)
        return self.quantise(self.clamp(reported))

    def target(self, year: int) -> Decimal:
        """A target a little above or below the trend, so some regions meet it and some don't."""
        trend = self.trend(year)
        lower = self.indicator.direction == "lower"
        if self.shape == "incidents":
            if self.indicator.code in VETO_INDICATORS:
                return Decimal(math.floor(2.0 * trend))
            return Decimal(round(trend))
        stretch = -0.04 + 0.10 * _u(self.key, _year_slot(year, 4))
        if self.shape == "linear":
            value = trend + 100.0 * stretch * 0.3
        else:
            value = trend * (1.0 - stretch if lower else 1.0 + stretch)
        value = self.clamp(value)
        if self.indicator.kind == "count":
            return Decimal(math.floor(value) if lower else math.ceil(value))
        return self.quantise(value)


def figure_rows(
    regions: Iterable[RegionSpec],
    indicators: Sequence[IndicatorSpec],
    years: Iterable[int],
    *,
    seed: int = DEFAULT_SEED,
) -> Iterator[FigureRow]:
    """One approved figure per region x indicator x year, in that order."""
    years = list(years)
    for region in regions:
        for indicator in indicators:
            series = _Series(indicator, region, seed)
            for year in years:
                verified = series.quantise(series.actual(year))
                reported = series.flattered(verified, year)
                reason = ADJUST_REASON if reported != verified else ""
                yield FigureRow(region.id, indicator.id, year, verified, reported, reason)


def indicator_weight(indicator: IndicatorSpec, seed: int = DEFAULT_SEED) -> Decimal:
    """The weight of an indicator in every region's plan (1 to 3 points)."""
    return WEIGHTS[_key(seed, "weight", indicator.code) % len(WEIGHTS)]


def target_rows(
    regions: Iterable[RegionSpec],
    indicators: Sequence[IndicatorSpec],
    years: Sequence[int],
    *,
    seed: int = DEFAULT_SEED,
) -> Iterator[TargetRow]:
    """A target per region x indicator x year; the last year is the plan's horizon."""
    horizon = max(years)
    for region in regions:
        for indicator in indicators:
            series = _Series(indicator, region, seed)
            comparator = "<=" if indicator.direction == "lower" else ">="
            weight = indicator_weight(indicator, seed)
            rule, param, veto = "ratio", None, False
            if indicator.code in VETO_INDICATORS:
                rule, veto = "threshold", True
            elif series.shape == "incidents":
                rule, param = "deduct", DEDUCT_POINTS_PER_UNIT
            elif indicator.code in THRESHOLD_INDICATORS:
                rule = "threshold"
            for year in years:
                yield TargetRow(
                    region.id,
                    indicator.id,
                    year,
                    comparator,
                    series.target(year),
                    weight,
                    rule,
                    param,
                    veto,
                    year != horizon,
                )


def plan_name(region: RegionSpec, start: int, end: int) -> str:
    # Region names repeat across provinces (朝阳区), so the code makes the name unique.
    return f"{region.code} {region.name}质量强市规划（{start}—{end}）"[:100]


def load_indicator_specs(path: Path | None = None) -> list[IndicatorSpec]:
    """The catalogue from fixtures/indicators.csv, numbered 1..n (for tests and dry runs)."""
    path = path or ROOT / "fixtures" / "indicators.csv"
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return [
            IndicatorSpec(
                id=number,
                code=row["code"],
                kind=row["kind"],
                direction=row["direction"],
                aggregation=row["aggregation"],
                min_value=Decimal(row["min"]) if row["min"].strip() else None,
                max_value=Decimal(row["max"]) if row["max"].strip() else None,
            )
            for number, row in enumerate(csv.DictReader(fh), start=1)
        ]


# --------------------------------------------------------------------------- database


def parse_years(text: str) -> range:
    """ "2011-2025" -> range(2011, 2026); "2020" -> range(2020, 2021)."""
    first, _, last = text.partition("-")
    start, end = int(first), int(last or first)
    if end < start or start < ORIGIN_YEAR - 20:
        raise argparse.ArgumentTypeError(f"bad year range {text!r}")
    return range(start, end + 1)


def database_name(url: str) -> str:
    return unquote(urlparse(url).path.lstrip("/"))


def check_database_url(url: str) -> str:
    """The URL if it names a dedicated PostgreSQL database, else SystemExit."""
    parsed = urlparse(url)
    if parsed.scheme not in {"postgres", "postgresql"}:
        raise SystemExit(f"benchmarks need PostgreSQL, got {parsed.scheme}://")
    name = database_name(url)
    if not name or name in FORBIDDEN_DATABASES:
        raise SystemExit(f"refusing to fill database {name!r}: use a dedicated one such as qc_bench")
    return url


def ensure_database(url: str) -> bool:
    """Create the database with `createdb` when it does not exist; True when created."""
    import psycopg

    try:
        psycopg.connect(url, connect_timeout=10).close()
        return False
    except psycopg.OperationalError as exc:
        if "does not exist" not in str(exc):
            raise
    parsed = urlparse(url)
    cmd = ["createdb", "-h", parsed.hostname or "127.0.0.1", "-p", str(parsed.port or 5432)]
    if parsed.username:
        cmd += ["-U", unquote(parsed.username)]
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = unquote(parsed.password)
    subprocess.run([*cmd, database_name(url)], check=True, env=env)
    return True


def manage(url: str, *args: str) -> None:
    """Run a manage.py command against the benchmark database."""
    env = {"LOG_LEVEL": "WARNING", **os.environ, "DATABASE_URL": url}
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, env=env, cwd=ROOT)


def _count(cur, table: str) -> int:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
    if not cur.fetchone()[0]:
        return -1
    cur.execute(f"SELECT count(*) FROM {table}")
    return cur.fetchone()[0]


def prepare_schema(url: str) -> None:
    """migrate, then load regions and the catalogue when they are not there yet."""
    import psycopg

    manage(url, "migrate", "--noinput", "--verbosity", "0", "--skip-checks")
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        regions = _count(cur, "indicators_region")
        indicators = _count(cur, "indicators_indicator")
    if regions < 3000:
        manage(url, "load_regions", "--skip-checks")
    if indicators < len(load_indicator_specs()):
        manage(url, "load_catalog", "--skip-checks")


def read_specs(conn) -> tuple[list[RegionSpec], list[IndicatorSpec]]:
    with conn.cursor() as cur:
        cur.execute("SELECT id, code, level, name FROM indicators_region ORDER BY code")
        regions = [RegionSpec(*row) for row in cur.fetchall()]
        cur.execute(
            "SELECT id, code, kind, direction, aggregation, min_value, max_value "
            "FROM indicators_indicator ORDER BY sort_order, code"
        )
        indicators = [IndicatorSpec(*row) for row in cur.fetchall()]
    return regions, indicators


def _text(value: object) -> str:
    """One field of COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def _copy_lines(cur, statement: str, lines: Iterable[str], batch: int = 20000) -> int:
    count = 0
    with cur.copy(statement) as copy:
        buffer: list[str] = []
        for line in lines:
            buffer.append(line)
            if len(buffer) >= batch:
                copy.write("".join(buffer))
                count += len(buffer)
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
            count += len(buffer)
    return count


FIGURE_COLUMNS = (
    "region_id, indicator_id, year, value, reported_value, verified_value, note, source, source_ref, "
    "status, return_reason, adjust_reason, submitted_at, approved_at, created_at, updated_at, version"
)
TARGET_COLUMNS = (
    "plan_id, region_id, indicator_id, year, comparator, value, weight, rule, rule_param, veto, "
    "is_milestone, note"
)
# Every table whose rows the generator owns; scores are emptied because they no
# longer match the regenerated figures (the runner recomputes them).
TRUNCATED_TABLES = (
    "indicators_targetscore",
    "indicators_regionscore",
    "indicators_scorerun",
    "indicators_historicalfigure",
    "indicators_figure",
    "indicators_historicaltarget",
    "indicators_target",
    "indicators_plan",
)


def _figure_lines(rows: Iterable[FigureRow]) -> Iterator[str]:
    for r in rows:
        # Filed in March and approved in April of the following year (Beijing time).
        submitted = f"{r.year + 1}-03-15 09:00:00+08"
        approved = f"{r.year + 1}-04-20 10:00:00+08"
        yield (
            f"{r.region_id}\t{r.indicator_id}\t{r.year}\t{r.value}\t{r.reported_value}\t{r.value}\t"
            f"\timport\t{SOURCE_REF}\tapproved\t\t{r.adjust_reason}\t{submitted}\t{approved}\t"
            f"{submitted}\t{approved}\t1\n"
        )


def _target_lines(rows: Iterable[TargetRow], plan_of: dict[int, int]) -> Iterator[str]:
    for r in rows:
        yield (
            f"{plan_of[r.region_id]}\t{r.region_id}\t{r.indicator_id}\t{r.year}\t{r.comparator}\t"
            f"{r.value}\t{r.weight}\t{r.rule}\t{_text(r.rule_param)}\t{_text(r.veto)}\t"
            f"{_text(r.is_milestone)}\t\n"
        )


@dataclass
class GenerateResult:
    regions: int
    indicators: int
    figures: int
    plans: int
    targets: int
    seconds: dict[str, float]

    def __str__(self) -> str:
        steps = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        return (
            f"{self.figures:,} figures ({self.regions:,} regions x {self.indicators} indicators), "
            f"{self.plans:,} plans, {self.targets:,} targets — {steps}"
        )


def generate(
    url: str = DEFAULT_DATABASE_URL,
    *,
    years: Sequence[int] = DEFAULT_YEARS,
    target_years: Sequence[int] | None = None,
    seed: int = DEFAULT_SEED,
    log=print,
) -> GenerateResult:
    """Create, migrate and fill the benchmark database; see the module docstring."""
    import psycopg

    check_database_url(url)
    years = list(years)
    target_years = list(target_years or years[-TARGET_YEAR_COUNT:])
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    if ensure_database(url):
        log(f"created database {database_name(url)}")
    prepare_schema(url)
    seconds["schema"] = time.perf_counter() - started

    with psycopg.connect(url) as conn:
        regions, indicators = read_specs(conn)
        with conn.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute("SET LOCAL synchronous_commit = off")
            cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cur.fetchone()[0]:
                # The foreign keys are DEFERRABLE INITIALLY DEFERRED, so PostgreSQL would
                # queue 6.3 M checks and run them at COMMIT (~30 s). Every id written here
                # was read from the same tables in this transaction, so they cannot fail;
                # `replica` skips those triggers for this transaction only (superuser only,
                # as pg_restore --disable-triggers does).
                cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute(f"TRUNCATE {', '.join(TRUNCATED_TABLES)} RESTART IDENTITY CASCADE")
            seconds["truncate"] = time.perf_counter() - t0

            t0 = time.perf_counter()
            start, end = min(target_years), max(target_years)
            plan_lines = (
                f"{_text(plan_name(r, start, end))}\t{r.id}\t{start - 1}\t{start}\t{end}\t"
                f"{SOURCE_REF}\t基准测试生成的规划\n"
                for r in regions
            )
            plans = _copy_lines(
                cur,
                "COPY indicators_plan (name, region_id, base_year, start_year, end_year, document, "
                "description) FROM STDIN WITH (FREEZE)",
                plan_lines,
            )
            cur.execute("SELECT region_id, id FROM indicators_plan")
            plan_of = dict(cur.fetchall())
            targets = _copy_lines(
                cur,
                f"COPY indicators_target ({TARGET_COLUMNS}) FROM STDIN WITH (FREEZE)",
                _target_lines(target_rows(regions, indicators, target_years, seed=seed), plan_of),
            )
            seconds["plans+targets"] = time.perf_counter() - t0
            log(f"  {targets:,} targets of {plans:,} plans in {seconds['plans+targets']:.1f} s")

            t0 = time.perf_counter()
            figures = 0
            # One COPY, fed province by province so that memory stays flat.
            provinces = sorted({r.code[:2] for r in regions})
            with cur.copy(f"COPY indicators_figure ({FIGURE_COLUMNS}) FROM STDIN WITH (FREEZE)") as copy:
                for prefix in provinces:
                    scope = [r for r in regions if r.code.startswith(prefix)]
                    buffer: list[str] = []
                    for line in _figure_lines(figure_rows(scope, indicators, years, seed=seed)):
                        buffer.append(line)
                        if len(buffer) >= 20000:
                            copy.write("".join(buffer))
                            figures += len(buffer)
                            buffer.clear()
                    copy.write("".join(buffer))
                    figures += len(buffer)
            seconds["figures"] = time.perf_counter() - t0
            log(f"  {figures:,} figures in {seconds['figures']:.1f} s")
        t0 = time.perf_counter()
        conn.commit()
        seconds["commit"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("indicators_region", "indicators_plan", "indicators_target", "indicators_figure"):
            conn.execute(f"ANALYZE {table}")
    seconds["analyze"] = time.perf_counter() - t0
    seconds["total"] = time.perf_counter() - started
    return GenerateResult(len(regions), len(indicators), figures, plans, targets, seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.generate", description=__doc__.split("\n", 1)[0]
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"dedicated PostgreSQL database (default {DEFAULT_DATABASE_URL}, or $BENCH_DATABASE_URL)",
    )
    parser.add_argument("--years", type=parse_years, default=DEFAULT_YEARS, help="e.g. 2011-2025")
    parser.add_argument(
        "--target-years", type=parse_years, default=None, help="default: the last five of --years"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    print(f"generating benchmark data into {database_name(args.database_url)} ...", flush=True)
    result = generate(
        check_database_url(args.database_url),
        years=args.years,
        target_years=args.target_years,
        seed=args.seed,
        log=lambda msg: print(msg, flush=True),
    )
    print(f"generated {result}")
    print(f"generation took {result.seconds['total']:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
