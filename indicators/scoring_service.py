"""Scoring runs: load one year's inputs, call the pure engine, replace the stored results.

`compute_scores(year=..., region=..., bases=...)` is the only writer of RegionScore
and TargetScore. For each basis it:

1. takes a per-(year, basis) lock (PostgreSQL advisory lock; SQLite serialises
   writers anyway), so two runs over overlapping scopes cannot interleave;
2. loads the scope's targets, figures, qualitative item scores and region tree in
   a handful of queries and turns them into the engine's data frames;
3. calls `indicators.scoring.score` (DESIGN §3, no Django inside);
4. in ONE transaction deletes the scope's previous RegionScore / TargetScore rows,
   inserts the new ones, re-ranks the scope root among its siblings outside the
   scope, and closes the ScoreRun audit row (counts, inputs hash, end time).

Scope: `region=R` means R and every region below it; each region is ranked among
its own siblings. Without a region, every region that has targets that year.
Running the same scope twice gives identical rows (only `run` and ids change).

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

import hashlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
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
    figures_self: pd.DataFrame
    figures_verified: pd.DataFrame
    items_self: pd.DataFrame
    items_verified: pd.DataFrame
    regions: pd.DataFrame
    indicators: pd.DataFrame
    region_ids: dict[str, int]
    indicator_ids: dict[str, int]
    scheme: ScoringScheme
    _target_map: dict | None = field(default=None, init=False, repr=False, compare=False)

    def figures(self, basis: str) -> pd.DataFrame:
        return self.figures_self if basis == Basis.SELF else self.figures_verified

    def items(self, basis: str) -> pd.DataFrame:
        return self.items_self if basis == Basis.SELF else self.items_verified

    def target_map(self) -> dict[tuple[str, str], tuple[Decimal, Decimal]]:
        """{(region_code, indicator_code): (target value, weight)} as read, built once for both bases."""
        if self._target_map is None:
            self._target_map = {
                (r.region_code, r.indicator_code): (r.target, r.weight)
                for r in self.targets.itertuples(index=False)
            }
        return self._target_map


@dataclass
class RunSummary:
    """What one basis of a run did (printed by the command, returned by the task)."""

    run: ScoreRun
    seconds: float
    grades: dict[str, int] = field(default_factory=dict)

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
        }


def _dec(value: float | None, quantum: Decimal) -> Decimal | None:
    """The engine's float back to the Decimal it stands for (it returns quantised values)."""
    if value is None or pd.isna(value):
        return None
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def scheme_for_scoring() -> ScoringScheme:
    """The default scheme (created if the catalogue never made one)."""
    return ScoringScheme.objects.filter(is_default=True).first() or ensure_default_scheme()


def load_inputs(*, year: int, root: Region | None) -> ScopeInputs:
    """Read everything the engine needs for `year` in the scope (5 queries)."""
    scheme = scheme_for_scoring()
    in_scope: dict = {"region__path__startswith": root.path} if root else {}

    target_rows = list(
        Target.objects.filter(year=year, **in_scope).values_list(
            "region__code",
            "indicator__code",
            "year",
            "comparator",
            "value",
            "weight",
            "rule",
            "rule_param",
            "veto",
        )
    )
    targets = pd.DataFrame(
        target_rows,
        columns=[
            "region_code",
            "indicator_code",
            "year",
            "comparator",
            "target",
            "weight",
            "rule",
            "rule_param",
            "veto",
        ],
    )
    targeted = sorted(set(targets["indicator_code"]))

    # The region tree: the scope's subtree, or the whole country (a few thousand rows).
    region_qs = Region.objects.filter(path__startswith=root.path) if root else Region.objects.all()
    region_rows = list(region_qs.values_list("id", "code", "parent__code"))
    regions = pd.DataFrame([(c, p) for _, c, p in region_rows], columns=["region_code", "parent_code"])
    region_ids = {code: pk for pk, code, _ in region_rows}

    indicator_rows = list(Indicator.objects.values_list("id", "code", "aggregation"))
    indicators = pd.DataFrame(
        [(c, a) for _, c, a in indicator_rows], columns=["indicator_code", "aggregation"]
    )
    indicator_ids = {code: pk for pk, code, _ in indicator_rows}

    figure_rows = list(
        Figure.objects.filter(
            year=year, indicator__code__in=targeted, status__in=REPORTED_STATUSES, **in_scope
        ).values_list("region__code", "indicator__code", "year", "status", "reported_value", "verified_value")
    )
    fig_columns = ["region_code", "indicator_code", "year", "value"]
    figures_self = pd.DataFrame([(r, i, y, rep) for r, i, y, _, rep, _ in figure_rows], columns=fig_columns)
    figures_verified = pd.DataFrame(
        [(r, i, y, ver) for r, i, y, st, _, ver in figure_rows if st == Figure.Status.APPROVED],
        columns=fig_columns,
    )

    item_rows = list(
        ItemScore.objects.filter(year=year, item__scheme=scheme, **in_scope).values_list(
            "region__code", "year", "item__code", "item__max_points", "self_points", "verified_points"
        )
    )
    item_columns = ["region_code", "year", "item_code", "max_points", "points"]
    items_self = pd.DataFrame([(r, y, c, m, s) for r, y, c, m, s, _ in item_rows], columns=item_columns)
    items_verified = pd.DataFrame([(r, y, c, m, v) for r, y, c, m, _, v in item_rows], columns=item_columns)

    return ScopeInputs(
        year=year,
        root=root,
        targets=targets,
        figures_self=figures_self,
        figures_verified=figures_verified,
        items_self=items_self,
        items_verified=items_verified,
        regions=regions,
        indicators=indicators,
        region_ids=region_ids,
        indicator_ids=indicator_ids,
        scheme=scheme,
    )


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


def _copy_rows(model: type, columns: Sequence[str], rows) -> None:
    """Write `rows` (tuples in `columns` order) into `model`'s table with COPY FROM STDIN.

    PostgreSQL only; runs on Django's connection, so inside the caller's transaction.
    """
    qn = connection.ops.quote_name
    sql = f"COPY {qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


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
)


def _target_score_rows(inputs: ScopeInputs, basis: str, result: scoring.ScoreResult, run_id: int):
    """One tuple per result target, in `_TARGET_SCORE_COLUMNS` order, values as stored."""
    exact = inputs.target_map()
    region_ids, indicator_ids, year = inputs.region_ids, inputs.indicator_ids, inputs.year
    for r in result.targets.itertuples(index=False):
        # Target value and weight are copied from the inputs, so they are stored exactly.
        target_value, weight = exact[(r.region_code, r.indicator_code)]
        yield (
            run_id,
            region_ids[r.region_code],
            indicator_ids[r.indicator_code],
            year,
            basis,
            _dec(r.actual, _Q4),
            target_value,
            str(r.comparator),
            _dec(r.completion, _Q6),
            _dec(r.points, _Q4),
            weight,
            str(r.status),
            bool(r.veto),
        )


def _region_score_rows(inputs: ScopeInputs, basis: str, result: scoring.ScoreResult, run_id: int):
    """One tuple per result region, in `_REGION_SCORE_COLUMNS` order, values as stored."""
    region_ids, year = inputs.region_ids, inputs.year
    for r in result.regions.itertuples(index=False):
        yield (
            run_id,
            region_ids[r.region_code],
            year,
            basis,
            _dec(r.total, _Q2),
            str(r.grade),
            int(r.rank),
            int(r.rank_of),
            _dec(r.points, _Q4),
            _dec(r.max_points, _Q4),
            int(r.met),
            int(r.not_met),
            int(r.missing),
            bool(r.vetoed),
        )


def _store(inputs: ScopeInputs, basis: str, result: scoring.ScoreResult, run: ScoreRun) -> tuple[int, int]:
    year, root = inputs.year, inputs.root
    scope: dict = {"year": year, "basis": basis}
    if root:
        scope["region__path__startswith"] = root.path
    TargetScore.objects.filter(**scope).delete()
    RegionScore.objects.filter(**scope).delete()

    # A plain str: psycopg would write an Enum member (Basis.SELF) by its name.
    basis_value = str(basis)
    target_rows = _target_score_rows(inputs, basis_value, result, run.pk)
    region_rows = _region_score_rows(inputs, basis_value, result, run.pk)
    if connection.vendor == "postgresql":
        # COPY in the same transaction as the deletes above: the replace stays atomic.
        _copy_rows(TargetScore, _TARGET_SCORE_COLUMNS, target_rows)
        _copy_rows(RegionScore, _REGION_SCORE_COLUMNS, region_rows)
    else:
        TargetScore.objects.bulk_create(
            [TargetScore(**dict(zip(_TARGET_SCORE_COLUMNS, row, strict=True))) for row in target_rows],
            batch_size=5000,
        )
        RegionScore.objects.bulk_create(
            [RegionScore(**dict(zip(_REGION_SCORE_COLUMNS, row, strict=True))) for row in region_rows],
            batch_size=5000,
        )
    if root is not None:
        _rerank_root_siblings(root, year, basis)
    return len(result.regions), len(result.targets)


def _score_basis(inputs: ScopeInputs, basis: str, run: ScoreRun) -> RunSummary:
    """Engine + store for one basis, inside the caller's transaction."""
    started = time.perf_counter()
    figures, items = inputs.figures(basis), inputs.items(basis)
    params = _engine_params(inputs.scheme, basis)
    result = scoring.score(
        figures, inputs.targets, items, inputs.regions, indicators=inputs.indicators, **params
    )
    run.region_rows, run.target_rows = _store(inputs, basis, result, run)
    run.inputs_hash = scoring.inputs_hash(
        figures, inputs.targets, items, inputs.regions, inputs.indicators, params
    )
    run.status = ScoreRun.Status.DONE
    run.finished_at = timezone.now()
    run.save(update_fields=["inputs_hash", "region_rows", "target_rows", "status", "finished_at"])
    grades = result.regions["grade"].value_counts().to_dict() if len(result.regions) else {}
    return RunSummary(run=run, seconds=time.perf_counter() - started, grades=dict(sorted(grades.items())))


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
            inputs = load_inputs(year=year, root=region)
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
