"""Scoring runs: load one year's inputs, call the pure engine, replace the stored results.

`compute_scores(year=..., region=..., bases=...)` is the only writer of RegionScore
and TargetScore. For each basis it:

1. takes a per-(year, basis) lock (PostgreSQL advisory lock; SQLite serialises
   writers anyway), so two runs over overlapping scopes cannot interleave;
2. loads the scope's targets, figures, qualitative item scores and region tree in
   a handful of queries and turns them into the engine's data frames;
3. calls `indicators.scoring.score` (DESIGN §3, no Django inside);
4. in ONE transaction replaces the scope's stored RegionScore / TargetScore rows by
   the new result, writing only the rows that differ (`_merge`) and comparing the
   target rows only of regions whose digest of them changed (`_store`), re-ranks the scope
   root among its siblings outside the scope, and closes the ScoreRun audit row
   (counts, inputs hash, end time).

Scope: `region=R` means R and every region below it; each region is ranked among
its own siblings. Without a region, every region that has targets that year.
Running the same scope twice gives identical rows. A target or region score row
that a run leaves unchanged keeps its id and its `run` (the run that last changed
its values, rank included), so a re-run that changes nothing writes nothing; the
latest run covering a region is `score_selectors.latest_runs_covering`.

Bases (DESIGN §2 "Score"):
- `self`: the value the region reported (`reported_value`) of every figure it has
  sent in (submitted, approved or returned; drafts are not reported yet), and the
  region's self points of qualitative items;
- `verified`: approved figures only, at their approved (possibly adjusted)
  `verified_value`, and the reviewers' verified points.

Qualitative items count for a region and year when an ItemScore row exists for an
item of the default scheme (the row is the filing of that item); points not yet
given count as 0 of the item's max points.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import psycopg
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from indicators import scoring
from indicators.catalog import ensure_default_scheme
from indicators.models import (
    Basis,
    Figure,
    Indicator,
    ItemScore,
    Region,
    RegionScore,
    ScoreRun,
    ScoringScheme,
    Target,
    TargetScore,
)
from quality_city.pgcopy import PendingCopy, background_copy, copy_out

log = logging.getLogger(__name__)

BASES: tuple[str, ...] = (Basis.SELF.value, Basis.VERIFIED.value)
# Figures a region has sent in: what the `self` basis scores.
REPORTED_STATUSES = (Figure.Status.SUBMITTED, Figure.Status.APPROVED, Figure.Status.RETURNED)

_Q4 = Decimal("0.0001")
_Q6 = Decimal("0.000001")
_Q2 = Decimal("0.01")


@dataclass
class ScopeInputs:
    """The engine's input frames for one year and scope, both bases."""

    year: int
    root: Region | None
    targets: pd.DataFrame
    items_self: pd.DataFrame
    items_verified: pd.DataFrame
    regions: pd.DataFrame
    indicators: pd.DataFrame
    region_ids: dict[str, int]
    indicator_ids: dict[str, int]
    scheme: ScoringScheme
    # Each target row's region and indicator id, aligned with `targets` (positional).
    target_region_ids: np.ndarray
    target_indicator_ids: np.ndarray
    # The figures of each basis. `load_inputs` sets them last: they are read while
    # the rest is prepared (`prepare_shared`).
    figures_self: pd.DataFrame = field(default_factory=pd.DataFrame)
    figures_verified: pd.DataFrame = field(default_factory=pd.DataFrame)
    _exact_targets: pd.DataFrame | None = field(default=None, init=False, repr=False, compare=False)
    # `_digest_cells` of the target columns both bases store unchanged (see `_store`).
    _shared_digest_cells: dict | None = field(default=None, init=False, repr=False, compare=False)
    # What scoring.inputs_hash hashed for each frame: the targets, regions and
    # indicators are the same for both bases and are hashed once.
    hash_sections: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    # What the engine worked out from the frames both bases share (`scoring.score`'s memo).
    engine_memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def figures(self, basis: str) -> pd.DataFrame:
        return self.figures_self if basis == Basis.SELF else self.figures_verified

    def items(self, basis: str) -> pd.DataFrame:
        return self.items_self if basis == Basis.SELF else self.items_verified

    def exact_targets(self) -> pd.DataFrame:
        """The targets as read (exact values) with their `region_id` and `indicator_id`,
        in the engine's output order (by region code, year, indicator code), built once.

        The order comes from the codes' ranks looked up by id: no sorting of text.
        """
        if self._exact_targets is None:
            targets = self.targets
            region_ids, indicator_ids = self.target_region_ids, self.target_indicator_ids
            order = np.lexsort(
                (
                    _code_ranks(self.indicator_ids)[indicator_ids],
                    targets["year"].to_numpy(dtype=np.int64),
                    _code_ranks(self.region_ids)[region_ids],
                )
            )
            exact = targets.take(order).reset_index(drop=True)
            exact["region_id"] = region_ids[order]
            exact["indicator_id"] = indicator_ids[order]
            self._exact_targets = exact
        return self._exact_targets

    def prepare_shared(self) -> None:
        """Work out now what both bases share and the figures do not change: the
        targets in the engine's order, their digest cells, the engine's memo and the
        inputs hash's sections of the targets, regions and indicators.

        Each is otherwise worked out on first use, with the same result. `load_inputs`
        calls this while the figures are still arriving.
        """
        exact = self.exact_targets()
        self.shared_digest_cells()
        scoring.prepare(self.engine_memo, exact, self.regions, indicators=self.indicators)
        scoring.prepare_sections(self.hash_sections, *_hash_arguments(self, None, None, None))

    def shared_digest_cells(self) -> dict[str, np.ndarray]:
        """`_digest_cells` of the stored target columns that both bases take from the
        exact targets unchanged, computed once per run."""
        if self._shared_digest_cells is None:
            exact = self.exact_targets()
            self._shared_digest_cells = {
                name: _digest_cells(exact[name]) for name in ("indicator_id", "target", "weight")
            }
        return self._shared_digest_cells


def _code_ranks(id_of: dict[str, int]) -> np.ndarray:
    """A table id -> the rank of its code among all codes (sorted as text)."""
    ranks = np.zeros(max(id_of.values(), default=0) + 1, dtype=np.int64)
    for rank, code in enumerate(sorted(id_of)):
        ranks[id_of[code]] = rank
    return ranks


@dataclass
class RunSummary:
    """What one basis of a run did (printed by the command, returned by the task)."""

    run: ScoreRun
    seconds: float
    grades: dict[str, int] = field(default_factory=dict)
    # Target-score rows this run inserted, updated (values changed) or deleted.
    target_changes: Changes | None = None

    def as_dict(self) -> dict:
        return {
            "run_id": self.run.pk,
            "year": self.run.year,
            "region": self.run.region.code if self.run.region_id else None,
            "basis": self.run.basis,
            "region_rows": self.run.region_rows,
            "target_rows": self.run.target_rows,
            "inputs_hash": self.run.inputs_hash,
            "seconds": round(self.seconds, 3),
            "grades": self.grades,
            "target_changes": asdict(self.target_changes) if self.target_changes else None,
        }


def _dec(value: float | None, quantum: Decimal) -> Decimal | None:
    """The engine's float back to the Decimal it stands for (it returns quantised values)."""
    if value is None or pd.isna(value):
        return None
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def scheme_for_scoring() -> ScoringScheme:
    """The default scheme (created if the catalogue never made one)."""
    return ScoringScheme.objects.filter(is_default=True).first() or ensure_default_scheme()


def read_frame(
    qs: QuerySet,
    columns: list[str],
    *,
    ints: tuple[str, ...] = (),
    bools: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The rows of a `values_list` queryset as a data frame with `columns`.

    On PostgreSQL the query's own SQL is streamed with `COPY (...) TO STDOUT` and
    parsed by pandas' C reader: numbers stay the exact text PostgreSQL prints
    ("98.3000"), which the engine reads as Decimal. Elsewhere the ORM fetches the
    rows (Decimals). `ints` and `bools` name columns converted to int / bool.

    `categories` name text columns returned as categoricals of their exact text: the
    engine and the inputs hash factorize every column, a categorical one by its
    integer codes, so each column's 180,000 strings are hashed once here rather
    than at every use. Values (and so scores and digests) are the same.
    """
    if connection.vendor != "postgresql":
        return pd.DataFrame(list(qs.order_by()), columns=columns)
    statement = copy_statement(qs)
    data = copy_out(statement) if statement else b""
    return parse_copy(data, columns, ints=ints, bools=bools, categories=categories)


def copy_statement(qs: QuerySet) -> str | None:
    """`COPY (<the queryset's SQL>) TO STDOUT`, or None when the ORM knows there is no row."""
    qs = qs.order_by()  # models' default orderings would only add joins and a sort
    try:
        sql, params = qs.query.sql_with_params()
    except EmptyResultSet:  # e.g. `__in=[]`: the ORM knows there is no row without asking
        return None
    # COPY takes no bind parameters: psycopg's client-side binding writes them in.
    connection.ensure_connection()
    return psycopg.ClientCursor(connection.connection).mogrify(f"COPY ({sql}) TO STDOUT", params)


def parse_copy(
    data: bytes,
    columns: list[str],
    *,
    ints: tuple[str, ...] = (),
    bools: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
) -> pd.DataFrame:
    """COPY text output as a data frame (see `read_frame`)."""
    if not data:
        return pd.DataFrame({c: pd.Series(dtype=int if c in ints else object) for c in columns})
    frame = pd.read_csv(
        io.BytesIO(data),
        sep="\t",
        header=None,
        names=columns,
        # Integer columns are parsed as int64 directly (never NULL here); the rest
        # stays text, so numbers keep PostgreSQL's exact digits (plain str objects:
        # see `_codes` for why not pandas' string dtype).
        dtype={c: ("int64" if c in ints else object) for c in columns},
        na_values=[r"\N"],
        keep_default_na=False,
        quoting=csv.QUOTE_NONE,
        encoding="utf-8",
        low_memory=False,  # one pass over the whole buffer, no chunks to join (10-15% faster)
    )
    for name in bools:
        frame[name] = frame[name] == "t"
    for name in categories:
        codes, uniques = pd.factorize(frame[name], use_na_sentinel=True)
        frame[name] = pd.Categorical.from_codes(codes, categories=pd.Index(uniques, dtype=object))
    return frame


def _codes(ids: pd.Series, code_of: dict[int, str]) -> pd.Series:
    """Primary keys -> codes through a lookup table (no join in the query).

    A categorical column over all the table's codes (sorted): the engine and the
    inputs hash factorize every code column, and a categorical one is factorized
    by its integer positions instead of hashing 180,000 strings. Its values, and
    so every result and digest, are the same as a column of plain str.
    """
    if not code_of:
        return pd.Series([], dtype=object)
    ordered = sorted(code_of.items(), key=lambda item: item[1])
    position = np.full(max(code_of) + 1, -1, dtype=np.int64)
    position[[pk for pk, _ in ordered]] = np.arange(len(ordered))
    categories = pd.Index([code for _, code in ordered], dtype=object)
    values = pd.Categorical.from_codes(position[ids.to_numpy(dtype=np.int64)], categories=categories)
    return pd.Series(values, index=ids.index)


# What load_inputs reads: the target fields (and the engine's column names), and the
# figure fields (read under their own names) with how they are typed.
_TARGET_READ = (
    ("region_id", "region_id"),
    ("indicator_id", "indicator_id"),
    ("year", "year"),
    ("comparator", "comparator"),
    ("value", "target"),
    ("weight", "weight"),
    ("rule", "rule"),
    ("rule_param", "rule_param"),
    ("veto", "veto"),
)
_FIGURE_READ = ("region_id", "indicator_id", "year", "status", "reported_value", "verified_value")
_FIGURE_TYPES: dict = {
    "ints": ("region_id", "indicator_id", "year"),
    "categories": ("status", "reported_value", "verified_value"),
}


def load_inputs(*, year: int, root: Region | None, background: bool = False) -> ScopeInputs:
    """Read everything the engine needs for `year` in the scope (5 queries).

    Targets and figures are read by region and indicator id, without joins, and
    the ids are turned into codes in memory: the big reads are then the same rows
    PostgreSQL would stream for a plain `COPY (SELECT ... WHERE year = Y)`.

    `background` (PostgreSQL): the figures, the biggest read, stream on a second
    connection in a thread while this one reads the rest and `prepare_shared`
    works on it, so the database's work and ours overlap. That connection sees
    only committed rows: pass it only when the caller's transaction has written
    nothing these reads need (`compute_scores` passes it for a national run called
    outside any transaction). Without a second connection to be had, the figures are read
    here afterwards. The inputs are the same either way.
    """
    scheme = scheme_for_scoring()

    # The region tree: the scope's subtree, or the whole country (a few thousand rows).
    region_qs = Region.objects.filter(path__startswith=root.path) if root else Region.objects.all()
    region_rows = list(region_qs.order_by().values_list("id", "code", "parent__code"))
    regions = pd.DataFrame([(c, p) for _, c, p in region_rows], columns=["region_code", "parent_code"])
    region_ids = {code: pk for pk, code, _ in region_rows}
    region_code = {pk: code for pk, code, _ in region_rows}
    in_scope: dict = {"region_id__in": list(region_code)} if root else {}

    indicator_rows = list(Indicator.objects.order_by().values_list("id", "code", "aggregation"))
    indicators = pd.DataFrame(
        [(c, a) for _, c, a in indicator_rows], columns=["indicator_code", "aggregation"]
    )
    indicator_ids = {code: pk for pk, code, _ in indicator_rows}
    indicator_code = {pk: code for pk, code, _ in indicator_rows}

    # The year's sent-in figures in the scope; those of indicators without a target
    # are dropped below (filtering here would need the targets read first).
    figure_qs = Figure.objects.filter(year=year, status__in=REPORTED_STATUSES, **in_scope).values_list(
        *_FIGURE_READ
    )
    statement = copy_statement(figure_qs) if background and connection.vendor == "postgresql" else None
    parse = functools.partial(parse_copy, columns=list(_FIGURE_READ), **_FIGURE_TYPES)
    with background_copy(statement, parse) if statement else contextlib.nullcontext() as pending:
        raw_targets = read_frame(
            Target.objects.filter(year=year, **in_scope).values_list(*(field for field, _ in _TARGET_READ)),
            [column for _, column in _TARGET_READ],
            ints=("region_id", "indicator_id", "year"),
            bools=("veto",),
            categories=("comparator", "target", "weight", "rule", "rule_param"),
        )
        targets = raw_targets.drop(columns=["region_id", "indicator_id"])
        targets.insert(0, "indicator_code", _codes(raw_targets["indicator_id"], indicator_code))
        targets.insert(0, "region_code", _codes(raw_targets["region_id"], region_code))

        item_rows = list(
            ItemScore.objects.filter(year=year, item__scheme=scheme, **in_scope)
            .order_by()
            .values_list(
                "region__code", "year", "item__code", "item__max_points", "self_points", "verified_points"
            )
        )
        item_columns = ["region_code", "year", "item_code", "max_points", "points"]

        inputs = ScopeInputs(
            year=year,
            root=root,
            targets=targets,
            items_self=pd.DataFrame(
                [(r, y, c, m, s) for r, y, c, m, s, _ in item_rows], columns=item_columns
            ),
            items_verified=pd.DataFrame(
                [(r, y, c, m, v) for r, y, c, m, _, v in item_rows], columns=item_columns
            ),
            regions=regions,
            indicators=indicators,
            region_ids=region_ids,
            indicator_ids=indicator_ids,
            scheme=scheme,
            target_region_ids=raw_targets["region_id"].to_numpy(dtype=np.int64),
            target_indicator_ids=raw_targets["indicator_id"].to_numpy(dtype=np.int64),
        )
        inputs.prepare_shared()
        figures = _received_figures(pending, figure_qs)

    targeted = np.unique(inputs.target_indicator_ids)
    kept = np.isin(figures["indicator_id"].to_numpy(dtype=np.int64), targeted)
    if not kept.all():
        figures = figures[kept].reset_index(drop=True)
    keys = pd.DataFrame(
        {
            "region_code": _codes(figures["region_id"], region_code),
            "indicator_code": _codes(figures["indicator_id"], indicator_code),
            "year": figures["year"].to_numpy(dtype=np.int64),
        }
    )
    inputs.figures_self = keys.assign(value=figures["reported_value"])
    approved = (figures["status"] == Figure.Status.APPROVED).to_numpy(dtype=bool)
    inputs.figures_verified = (
        keys[approved].assign(value=figures["verified_value"][approved]).reset_index(drop=True)
    )
    return inputs


def _received_figures(pending: PendingCopy | None, figure_qs: QuerySet) -> pd.DataFrame:
    """The figures read in the background (`pending`), or read now on this connection."""
    if pending is not None:
        try:
            return pending.result()  # parsed in the thread too
        except psycopg.OperationalError:
            if pending.connected:
                raise  # the read itself failed: the run fails
            # No second connection (max_connections reached, say): read them here.
            log.warning("scoring: no second database connection for the figures; reading them on this one")
    return read_frame(figure_qs, list(_FIGURE_READ), **_FIGURE_TYPES)


def _engine_params(scheme: ScoringScheme, basis: str) -> dict:
    return {
        "cap": scheme.cap,
        "grade_cuts": (scheme.grade_a_min, scheme.grade_b_min, scheme.grade_c_min),
        "basis": basis,
    }


def _lock(year: int, basis: str) -> None:
    """Serialise runs of one year and basis (their scopes may overlap)."""
    if connection.vendor != "postgresql":
        return  # SQLite allows one writer at a time; the transaction is enough.
    key = int.from_bytes(hashlib.sha256(f"scores:{year}:{basis}".encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _competition_ranks(totals: dict[int, Decimal]) -> dict[int, int]:
    """1 + the number of strictly higher totals (1, 2, 2, 4), as the engine ranks."""
    ordered = sorted(totals.values(), reverse=True)
    first: dict[Decimal, int] = {}
    for position, total in enumerate(ordered, start=1):
        first.setdefault(total, position)
    return {pk: first[total] for pk, total in totals.items()}


def _rerank_root_siblings(root: Region, year: int, basis: str) -> int:
    """Rank the scope root among its siblings scored by earlier runs; return rows changed.

    A scoped run ranks everything inside the scope, but the root's siblings lie
    outside it: the root's new total is ranked against their stored totals and
    their rank / rank_of follow, so scoped and national runs agree.
    """
    group = RegionScore.objects.filter(year=year, basis=basis)
    group = (
        group.filter(region__parent_id=root.parent_id)
        if root.parent_id
        else group.filter(region__parent__isnull=True)
    )
    rows = list(group.only("id", "total", "rank", "rank_of"))
    if not rows:
        return 0
    ranks = _competition_ranks({row.pk: row.total for row in rows})
    changed = []
    for row in rows:
        if row.rank != ranks[row.pk] or row.rank_of != len(rows):
            row.rank, row.rank_of = ranks[row.pk], len(rows)
            changed.append(row)
    RegionScore.objects.bulk_update(changed, ["rank", "rank_of"])
    return len(changed)


_TARGET_SCORE_COLUMNS = (
    "run_id",
    "region_id",
    "indicator_id",
    "year",
    "basis",
    "actual",
    "target",
    "comparator",
    "completion",
    "points",
    "weight",
    "status",
    "veto",
)
_REGION_SCORE_COLUMNS = (
    "run_id",
    "region_id",
    "year",
    "basis",
    "total",
    "grade",
    "rank",
    "rank_of",
    "points",
    "max_points",
    "met",
    "not_met",
    "missing",
    "vetoed",
    "targets_digest",
)


def _copy_value(value) -> str:
    """One value in COPY's text format (our values hold no tab, newline or backslash)."""
    if value is None or (isinstance(value, float) and value != value):
        return r"\N"
    if isinstance(value, (bool, np.bool_)):
        return "t" if value else "f"
    if isinstance(value, (float, np.floating)):
        return repr(float(value))  # shortest round-trip text: the engine's 4/6-decimal number
    return str(value)


def _copy_column(values: pd.Series) -> list[str]:
    """A column as COPY text, formatting each distinct value once."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) * 4 > len(values):  # mostly distinct: format every cell
        return [_copy_value(v) for v in values.tolist()]
    table = np.array([*(_copy_value(u) for u in uniques), r"\N"], dtype=object)
    return table[codes].tolist()


def _copy_frame(table: str, frame: pd.DataFrame) -> None:
    """Append `frame` (columns named as the table's columns) to `table` with COPY FROM STDIN.

    PostgreSQL only; runs on Django's connection, so inside the caller's transaction.
    `table` is a quoted table name.
    """
    qn = connection.ops.quote_name
    sql = f"COPY {table} ({', '.join(qn(c) for c in frame.columns)}) FROM STDIN"
    if frame.empty:
        return
    columns = [_copy_column(frame[name]) for name in frame.columns]
    text = "\n".join("\t".join(row) for row in zip(*columns, strict=True)) + "\n"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(text.encode("utf-8"))


def _target_score_frame(
    inputs: ScopeInputs, basis: str, result: scoring.ScoreResult, run_id: int
) -> pd.DataFrame:
    """One row per result target, columns as stored (TargetScore's db columns)."""
    out = result.targets
    exact = inputs.exact_targets()
    # The engine returns one row per input target, sorted by (region, year, indicator):
    # the targets sorted the same way line up, and their exact values are stored.
    if not (
        len(exact) == len(out)
        and np.array_equal(exact["region_code"].to_numpy(), out["region_code"].to_numpy())
        and np.array_equal(exact["indicator_code"].to_numpy(), out["indicator_code"].to_numpy())
    ):
        raise RuntimeError("scoring: the engine's target rows do not match the inputs")
    return pd.DataFrame(
        {
            "run_id": run_id,
            "region_id": exact["region_id"].to_numpy(),
            "indicator_id": exact["indicator_id"].to_numpy(),
            "year": inputs.year,
            "basis": basis,
            "actual": out["actual"].to_numpy(),
            "target": exact["target"].to_numpy(),
            "comparator": out["comparator"].to_numpy(),
            "completion": out["completion"].to_numpy(),
            "points": out["points"].to_numpy(),
            "weight": exact["weight"].to_numpy(),
            "status": out["status"].to_numpy(),
            "veto": out["veto"].to_numpy(),
        },
        columns=_TARGET_SCORE_COLUMNS,
    )


def _region_score_frame(
    inputs: ScopeInputs, basis: str, result: scoring.ScoreResult, run_id: int
) -> pd.DataFrame:
    """One row per result region, columns as stored (RegionScore's db columns).

    `targets_digest` is left empty: `_store` fills it in from the digests.
    """
    out = result.regions
    region_ids = out["region_code"].map(inputs.region_ids).to_numpy()
    return pd.DataFrame(
        {
            "run_id": run_id,
            "region_id": region_ids,
            "year": inputs.year,
            "basis": basis,
            "total": out["total"].to_numpy(),
            "grade": out["grade"].to_numpy(),
            "rank": out["rank"].to_numpy(),
            "rank_of": out["rank_of"].to_numpy(),
            "points": out["points"].to_numpy(),
            "max_points": out["max_points"].to_numpy(),
            "met": out["met"].to_numpy(),
            "not_met": out["not_met"].to_numpy(),
            "missing": out["missing"].to_numpy(),
            "vetoed": out["vetoed"].to_numpy(),
            "targets_digest": "",
        },
        columns=_REGION_SCORE_COLUMNS,
    )


_QUANTUM = {"actual": _Q4, "completion": _Q6, "points": _Q4, "total": _Q2, "max_points": _Q4}


def _frame_records(frame: pd.DataFrame) -> list[dict]:
    """The portable path (SQLite): the frame's rows as field values, floats back to Decimals."""
    records = []
    for row in frame.itertuples(index=False):
        values = row._asdict()
        for name, quantum in _QUANTUM.items():
            if name in values:
                values[name] = _dec(values[name], quantum)
        for name in ("target", "weight"):
            if name in values:
                values[name] = _exact_decimal(values[name])
        for name, value in values.items():
            if isinstance(value, np.generic):  # numpy scalars compare and store as plain values
                values[name] = value.item()
        records.append(values)
    return records


def _exact_decimal(value) -> Decimal:
    """A target value or weight as read (Decimal from the ORM, exact text from COPY)."""
    return value if isinstance(value, Decimal) else Decimal(str(value))


@dataclass(frozen=True)
class Changes:
    """What storing one result did to the stored rows of its scope."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.deleted


def _merge(
    model: type, frame: pd.DataFrame, stored: QuerySet, *, keys: tuple[str, ...], compared: tuple[str, ...]
) -> Changes:
    """Make the rows of `stored` (one scope of `model`) equal to `frame`, writing only differences.

    A row is identified by its `keys` columns. A stored row whose `compared` columns
    all equal the frame's keeps its id and is not written; a differing one is
    updated in place (every column of the frame, `run_id` included); stored rows
    missing from the frame are deleted and new ones inserted. Afterwards the scope
    holds exactly the frame's rows, as if it had been emptied and refilled.

    Why not delete and re-insert: re-inserting a key deleted in the same transaction
    makes PostgreSQL visit the dead row in the unique index for every new row (about
    3 s for a national basis of 180,000 target rows), while a re-run mostly finds
    nothing changed. Runs inside the caller's transaction.
    """
    if connection.vendor == "postgresql":
        return _merge_sql(model, frame, stored, keys=keys, compared=compared)
    return _merge_orm(model, frame, stored, keys=keys, compared=compared)


def _merge_sql(
    model: type, frame: pd.DataFrame, stored: QuerySet, *, keys: tuple[str, ...], compared: tuple[str, ...]
) -> Changes:
    """PostgreSQL: COPY the frame into a temporary table, find the differences in one
    full join, then UPDATE, DELETE and INSERT only those rows."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    new, diff = qn(f"qc_new_{model._meta.model_name}"), qn(f"qc_diff_{model._meta.model_name}")
    columns = list(frame.columns)
    plain = ", ".join(qn(c) for c in columns)
    from_diff = ", ".join(f"d.{qn(c)}" for c in columns)
    on = " AND ".join(f"t.{qn(k)} = n.{qn(k)}" for k in keys)
    differs = (
        f"({', '.join(f't.{qn(c)}' for c in compared)}) IS DISTINCT FROM "
        f"({', '.join(f'n.{qn(c)}' for c in compared)})"
    )
    # The scope's stored rows, by the ORM's own SQL (its filters on the region path etc.).
    stored_sql, stored_params = stored.order_by().values("id", *columns).query.sql_with_params()
    key = qn(keys[0])
    # The statements below are built from quoted model and column names only (S608).
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {new}, {diff}")
        # Same column types as the model's table (numeric scales round as a direct COPY would).
        cursor.execute(f"CREATE TEMP TABLE {new} AS SELECT {plain} FROM {table} WITH NO DATA")  # noqa: S608
        _copy_frame(new, frame)
        # Enough memory for the national scope's hash join (180,000 rows) in one batch.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            f"CREATE TEMP TABLE {diff} AS SELECT t.id AS old_id, {', '.join(f'n.{qn(c)}' for c in columns)} "  # noqa: S608
            f"FROM {new} n FULL JOIN ({stored_sql}) t ON {on} "
            f"WHERE t.id IS NULL OR n.{key} IS NULL OR {differs}",
            stored_params,
        )
        cursor.execute(
            f"UPDATE {table} t SET ({plain}) = ({from_diff}) FROM {diff} d "  # noqa: S608
            f"WHERE t.id = d.old_id AND d.{key} IS NOT NULL"
        )
        updated = cursor.rowcount
        cursor.execute(f"DELETE FROM {table} WHERE id IN (SELECT old_id FROM {diff} WHERE {key} IS NULL)")  # noqa: S608
        deleted = cursor.rowcount
        cursor.execute(f"INSERT INTO {table} ({plain}) SELECT {plain} FROM {diff} WHERE old_id IS NULL")  # noqa: S608
        inserted = cursor.rowcount
        cursor.execute(f"DROP TABLE {new}, {diff}")
    return Changes(inserted=inserted, updated=updated, deleted=deleted)


def _merge_orm(
    model: type, frame: pd.DataFrame, stored: QuerySet, *, keys: tuple[str, ...], compared: tuple[str, ...]
) -> Changes:
    """The portable path (SQLite): the same merge with the ORM, comparing Decimals."""
    columns = list(frame.columns)
    wanted = {tuple(r[k] for k in keys): r for r in _frame_records(frame)}
    changed, gone = [], []
    for row in stored.order_by().values("id", *columns).iterator(chunk_size=5000):
        record = wanted.pop(tuple(row[k] for k in keys), None)
        if record is None:
            gone.append(row["id"])
        elif any(row[c] != record[c] for c in compared):
            changed.append(model(id=row["id"], **record))
    names = [model._meta.get_field(c).name for c in columns if c not in keys]
    model.objects.bulk_update(changed, names, batch_size=500)
    for start in range(0, len(gone), 500):
        model.objects.filter(pk__in=gone[start : start + 500]).delete()
    model.objects.bulk_create([model(**r) for r in wanted.values()], batch_size=5000)
    return Changes(inserted=len(wanted), updated=len(changed), deleted=len(gone))


# A stored row keeps the run that last changed its values (a region's rank and
# rank_of included, which change with any sibling's score): `run_id` is written
# with a changed row but not compared.
_TARGET_SCORE_KEYS = ("region_id", "indicator_id", "year", "basis")
_TARGET_SCORE_COMPARED = tuple(
    c for c in _TARGET_SCORE_COLUMNS if c not in _TARGET_SCORE_KEYS and c != "run_id"
)
_REGION_SCORE_KEYS = ("region_id", "year", "basis")
_REGION_SCORE_COMPARED = tuple(
    c for c in _REGION_SCORE_COLUMNS if c not in _REGION_SCORE_KEYS and c != "run_id"
)


_DIGEST_SIZE = 16  # bytes: a 32-character hex digest
# Changing how rows are digested? Change this too: every stored digest then differs
# once, and the next run compares all rows (correct, only slower).
_DIGEST_PERSON = b"qc-targetscore-2"  # 2: the region row's own values are digested too
# The region row's values its digest covers: all it stores but the keys, the run, the
# digest itself, and the rank (`_store` compares rank and rank_of directly, because
# re-ranking the root's siblings after a scoped run changes them without a digest).
_REGION_DIGESTED = ("total", "grade", "points", "max_points", "met", "not_met", "missing", "vetoed")
_NULL_CELL = np.full(_DIGEST_SIZE, 0xFF, dtype=np.uint8)  # no digest of a value starts like this row


def _digest_cells(values: pd.Series) -> np.ndarray:
    """A column as an (n, width) uint8 matrix whose row i identifies value i exactly.

    Numbers and flags are their little-endian bytes (NaN and -0.0 made canonical);
    text, Decimal and None cells are the blake2b digest of their COPY text
    (`_copy_value`), computed once per distinct value.
    """
    categorical = isinstance(values.dtype, pd.CategoricalDtype)
    # Text (plain, str dtype or categorical), Decimal, None. A categorical column is
    # factorized by its codes (its categories are already distinct values).
    if categorical or values.dtype.kind not in "fiub":
        codes, uniques = pd.factorize(
            values if categorical else np.asarray(values, dtype=object), use_na_sentinel=True
        )
        hashed = b"".join(
            hashlib.blake2b(_copy_value(u).encode(), digest_size=_DIGEST_SIZE).digest() for u in uniques
        )
        table = np.frombuffer(hashed + _NULL_CELL.tobytes(), dtype=np.uint8).reshape(-1, _DIGEST_SIZE)
        return table[codes]
    array = values.to_numpy()
    if array.dtype.kind == "f":
        floats = array.astype("<f8")  # a copy
        floats[np.isnan(floats)] = np.nan
        floats[floats == 0] = 0.0
        return floats.view(np.uint8).reshape(-1, 8)
    if array.dtype.kind in "iu":
        return array.astype("<i8").view(np.uint8).reshape(-1, 8)
    return array.astype(np.uint8).reshape(-1, 1)  # bool


def _target_digests(
    frame: pd.DataFrame, shared: dict[str, np.ndarray] | None = None, regions: pd.DataFrame | None = None
) -> dict[int, str]:
    """Region id -> digest of that region's rows in `frame` (a `_target_score_frame`)
    and of its own row in `regions` (a `_region_score_frame`), when given.

    The digest covers each target row's indicator and every compared column, in the
    frame's order (the engine's: by indicator code within a region), then the
    region row's `_REGION_DIGESTED` values, so two runs give a region the same
    digest exactly when they would store the same rows for it (rank aside). blake2b
    with a 128-bit digest: telling two different sets of rows apart does not depend
    on luck in any practical sense.

    `shared`: column name -> `_digest_cells` of that column of `frame`, already
    computed (both bases store the same target, weight and indicator columns).
    """
    if frame.empty:
        return {}
    shared = shared or {}
    columns = ["indicator_id", *_TARGET_SCORE_COMPARED]
    cells = [shared[name] if name in shared else _digest_cells(frame[name]) for name in columns]
    if any(len(c) != len(frame) for c in cells):
        raise RuntimeError("scoring: shared digest cells do not match the target rows")
    layout = ",".join(f"{name}:{c.shape[1]}" for name, c in zip(columns, cells, strict=True))
    own_rows: dict[int, bytes] = {}
    if regions is not None:
        region_cells = [_digest_cells(regions[name]) for name in _REGION_DIGESTED]
        layout += ";" + ",".join(
            f"{n}:{c.shape[1]}" for n, c in zip(_REGION_DIGESTED, region_cells, strict=True)
        )
        own = np.ascontiguousarray(np.hstack(region_cells))
        own_rows = {rid: own[i].tobytes() for i, rid in enumerate(regions["region_id"].tolist())}
    matrix = np.ascontiguousarray(np.hstack(cells))
    region = frame["region_id"].to_numpy(dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, region[1:] != region[:-1]])
    ends = np.r_[starts[1:], len(region)]
    digests: dict[int, str] = {}
    head = layout.encode()
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        rid = int(region[start])
        if rid in digests:  # rows of one region not together: cannot digest by slices
            raise RuntimeError("scoring: target rows are not grouped by region")
        h = hashlib.blake2b(head, digest_size=_DIGEST_SIZE, person=_DIGEST_PERSON)
        h.update(matrix[start:end].tobytes())
        if regions is not None:
            h.update(b"|" + own_rows.get(rid, b"none"))
        digests[rid] = h.hexdigest()
    return digests


def _store(
    inputs: ScopeInputs, basis: str, result: scoring.ScoreResult, run: ScoreRun
) -> tuple[Changes, Changes]:
    """Replace the scope's stored scores of `basis` by `result`; (target, region) changes.

    Each region's row carries a digest of its target rows (`targets_digest`). Only
    the target rows of regions whose digest changed (or is new, or unknown) are
    compared and written; the others already hold exactly the rows this result
    would store. This relies on `_store` being the only writer of TargetScore rows
    and on writing them together with their region's row, in one transaction.
    """
    year, root = inputs.year, inputs.root
    scope: dict = {"year": year, "basis": basis}
    if root:
        scope["region__path__startswith"] = root.path
    # A plain str: an Enum member (Basis.SELF) would be written by its name.
    basis_value = str(basis)
    target_frame = _target_score_frame(inputs, basis_value, result, run.pk)
    region_frame = _region_score_frame(inputs, basis_value, result, run.pk)
    digests = _target_digests(target_frame, inputs.shared_digest_cells(), region_frame)
    region_ids = region_frame["region_id"].tolist()
    region_frame["targets_digest"] = [digests.get(r, "") for r in region_ids]
    stored_targets = TargetScore.objects.filter(**scope)
    stored_regions = RegionScore.objects.filter(**scope)
    # The engine gives every region with targets a total row and no other region
    # one; if that ever failed, compare every row rather than trust the digests.
    if digests.keys() == set(region_ids):
        stored = {
            r: (digest, (rank, rank_of))
            for r, digest, rank, rank_of in stored_regions.values_list(
                "region_id", "targets_digest", "rank", "rank_of"
            )
        }
        # Regions whose target rows may differ: a digest differs or is unknown (""),
        # or the region is stored but not in the result (its rows are to be deleted).
        dirty = {r for r, d in digests.items() if stored.get(r, ("",))[0] != d} | (
            stored.keys() - digests.keys()
        )
        # A region row may differ in those regions, or in its rank alone.
        ranks = zip(region_frame["rank"].tolist(), region_frame["rank_of"].tolist(), strict=True)
        reranked = {
            r for r, rank in zip(region_ids, ranks, strict=True) if r in stored and stored[r][1] != rank
        }
        if len(dirty) < len(digests):
            target_frame = target_frame[target_frame["region_id"].isin(dirty)]
            stored_targets = stored_targets.filter(region_id__in=sorted(dirty))
        if len(dirty | reranked) < len(digests):
            region_frame = region_frame[region_frame["region_id"].isin(dirty | reranked)]
            stored_regions = stored_regions.filter(region_id__in=sorted(dirty | reranked))
    targets = (
        _merge(
            TargetScore,
            target_frame,
            stored_targets,
            keys=_TARGET_SCORE_KEYS,
            compared=_TARGET_SCORE_COMPARED,
        )
        if len(target_frame) or stored_targets.exists()
        else Changes()
    )
    regions = (
        _merge(
            RegionScore,
            region_frame,
            stored_regions,
            keys=_REGION_SCORE_KEYS,
            compared=_REGION_SCORE_COMPARED,
        )
        if len(region_frame) or stored_regions.exists()
        else Changes()
    )
    if root is not None:
        _rerank_root_siblings(root, year, basis)
    return targets, regions


def engine_result(inputs: ScopeInputs, basis: str) -> scoring.ScoreResult:
    """The engine's result for one basis, sharing the work both bases have in common."""
    return scoring.score(
        inputs.figures(basis),
        # The same targets, already in the engine's output order (and with their ids,
        # which it ignores): it then has no rows to reorder.
        inputs.exact_targets(),
        inputs.items(basis),
        inputs.regions,
        indicators=inputs.indicators,
        memo=inputs.engine_memo,
        **_engine_params(inputs.scheme, basis),
    )


def basis_inputs_hash(inputs: ScopeInputs, basis: str) -> str:
    """The audit hash of one basis' inputs (the frames both bases share hashed once)."""
    arguments = _hash_arguments(
        inputs, inputs.figures(basis), inputs.items(basis), _engine_params(inputs.scheme, basis)
    )
    return scoring.inputs_hash(*arguments, sections=inputs.hash_sections)


def _hash_arguments(
    inputs: ScopeInputs, figures: pd.DataFrame | None, items: pd.DataFrame | None, params: dict | None
) -> tuple:
    """What the inputs hash covers, in its order (the positions key its kept sections)."""
    return (figures, inputs.targets, items, inputs.regions, inputs.indicators, params)


def _score_basis(inputs: ScopeInputs, basis: str, run: ScoreRun) -> RunSummary:
    """Engine + store for one basis, inside the caller's transaction."""
    started = time.perf_counter()
    result = engine_result(inputs, basis)
    targets, regions = _store(inputs, basis, result, run)
    run.region_rows, run.target_rows = len(result.regions), len(result.targets)
    run.inputs_hash = basis_inputs_hash(inputs, basis)
    run.status = ScoreRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["inputs_hash", "region_rows", "target_rows", "status", "finished_at"])
    grades = result.regions["grade"].value_counts().to_dict() if len(result.regions) else {}
    log.info(
        "scoring run %s (%s %s): target scores +%d ~%d -%d, region scores +%d ~%d -%d",
        run.pk, inputs.year, basis,
        targets.inserted, targets.updated, targets.deleted,
        regions.inserted, regions.updated, regions.deleted,
    )  # fmt: skip
    return RunSummary(
        run=run,
        seconds=time.perf_counter() - started,
        grades=dict(sorted(grades.items())),
        target_changes=targets,
    )


def compute_scores(
    *,
    year: int,
    region: Region | None = None,
    bases: Sequence[str] | None = None,
    trigger: str = "manual",
    user: AbstractBaseUser | None = None,
) -> list[RunSummary]:
    """Score `year` for `region` and everything below it (all regions when None).

    One ScoreRun per basis (both by default), created before the work starts so a
    failure stays on record. The inputs are read once; both bases are stored in
    one transaction, so self and verified results always come from the same
    inputs. On any error nothing is replaced, the runs are marked failed and the
    error is re-raised. Each summary's `seconds` covers that basis' engine and
    store; the shared load is counted in the first.
    """
    # A national run reads the figures on a second connection meanwhile (see
    # `load_inputs`), when called outside any transaction: everything the reads need
    # is then committed. For a province (205 regions) that gained nothing measurable,
    # and a county would only pay for the connection (about 4 ms).
    background = region is None and connection.vendor == "postgresql" and not connection.in_atomic_block
    chosen = tuple(dict.fromkeys(bases)) if bases else BASES
    for basis in chosen:
        if basis not in BASES:
            raise ValueError(f"未知的评分口径：{basis}（应为 self 或 verified）")
    who = user if user is not None and user.is_authenticated else None
    runs = [
        ScoreRun.objects.create(year=year, region=region, basis=b, trigger=trigger[:40], triggered_by=who)
        for b in chosen
    ]
    summaries: list[RunSummary] = []
    try:
        with transaction.atomic():
            load_started = time.perf_counter()
            for basis in sorted(chosen):  # a fixed order: two runs never wait on each other in a cycle
                _lock(year, basis)
            inputs = load_inputs(year=year, root=region, background=background)
            load_seconds = time.perf_counter() - load_started
            for basis, run in zip(chosen, runs, strict=True):
                summaries.append(_score_basis(inputs, basis, run))
            summaries[0].seconds += load_seconds
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if not transaction.get_connection().needs_rollback:
            ScoreRun.objects.filter(pk__in=[r.pk for r in runs]).update(
                status=ScoreRun.Status.FAILED, error=error, finished_at=timezone.now()
            )
        log.exception("scoring runs %s failed", [r.pk for r in runs])
        raise
    return summaries


# A national run takes seconds to minutes; a run still "running" after this long was
# killed with its worker (SIGKILL, OOM, machine restart) and will never finish.
STALE_RUN_AFTER = timedelta(hours=6)


def abandon_stale_runs(*, now: datetime | None = None) -> int:
    """Mark runs left "running" for longer than STALE_RUN_AFTER as failed; return how many.

    A killed worker cannot close its ScoreRun rows (their transaction was rolled
    back, so no scores of theirs were stored). The nightly task calls this, so the
    run list does not show them as running forever.
    """
    now = now or timezone.now()
    return ScoreRun.objects.filter(
        status=ScoreRun.Status.RUNNING, started_at__lt=now - STALE_RUN_AFTER
    ).update(
        status=ScoreRun.Status.FAILED,
        error="运行中断：超过 6 小时未完成（工作进程可能已被终止），本次运行未写入任何得分。",
        finished_at=now,
    )


def years_with_targets() -> list[int]:
    # order_by() drops Target's default ordering, which would otherwise defeat DISTINCT.
    return sorted(Target.objects.order_by().values_list("year", flat=True).distinct())


def rescore_scope_for(region: Region) -> Region:
    """The scope a change in `region` can affect: its province (the top of its path).

    A figure changes its region's score, every ancestor's `sum` roll-up and the
    ranks of siblings on each level up to the province, but nothing in another
    province's subtree except the province's own rank, which the scoped run
    re-ranks against its siblings.
    """
    top_code = region.path.strip("/").split("/")[0]
    if top_code == region.code:
        return region
    return Region.objects.get(code=top_code)


def score_rows_snapshot(*, year: int, region: Region | None = None) -> tuple[list[tuple], list[tuple]]:
    """The stored rows of a scope as plain tuples (no ids, no run): for comparisons."""
    scope: dict = {"year": year}
    if region is not None:
        scope["region__path__startswith"] = region.path
    regions = sorted(
        RegionScore.objects.filter(**scope).values_list(
            "region__code",
            "year",
            "basis",
            "total",
            "grade",
            "rank",
            "rank_of",
            "points",
            "max_points",
            "met",
            "not_met",
            "missing",
            "vetoed",
        )
    )
    targets = sorted(
        TargetScore.objects.filter(**scope).values_list(
            "region__code",
            "indicator__code",
            "year",
            "basis",
            "actual",
            "target",
            "comparator",
            "completion",
            "points",
            "weight",
            "status",
            "veto",
        )
    )
    return regions, targets
