"""The scoring engine of DESIGN §3: data frames in, data frames out, no Django.

Everything here is a pure function of its arguments. It never imports Django (not
even through ``indicators/__init__``), so it can be unit-tested without a database,
run in a Celery worker, a notebook or a benchmark, and an independent re-implementation
of DESIGN §3 can be compared against it number for number.

Arithmetic is done in :class:`decimal.Decimal` (inputs are converted with
``Decimal(str(x))``, so ``0.1`` means one tenth, not the nearest binary float) and
only the final, already-quantised numbers are handed back as ``float64``. Every
float in the output is the float nearest to a Decimal with at most 4 (points),
6 (completion) or 2 (total) decimals, so ``Decimal(str(x))`` recovers that Decimal
exactly.

Public API
----------
``score(figures, targets, items, regions, *, indicators, cap, grade_cuts, basis)``
    -> :class:`ScoreResult` (per-target rows and per-region totals, grades, ranks).
``project_linear(years, values, horizon)``
    least-squares projection for the "at risk" list.
``interpolate_milestones(base_year, base_value, horizon_year, horizon_value)``
    yearly milestone targets between a base year and a plan's horizon.
``inputs_hash(*frames)``
    a row-order-independent sha256 of the inputs, recorded with each scoring run.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "BASES",
    "COMPARATORS",
    "DEFAULT_DEDUCT_POINTS_PER_UNIT",
    "REGION_COLUMNS",
    "RULES",
    "TARGET_COLUMNS",
    "ScoreResult",
    "inputs_hash",
    "interpolate_milestones",
    "project_linear",
    "score",
]

BASES = ("self", "verified")
COMPARATORS = (">=", "<=")
RULES = ("ratio", "threshold", "deduct")
AGGREGATIONS = ("sum", "none")

# A deduct target without a rule_param loses one point per unit of shortfall; a
# missing k must not silently mean "no deduction at all", which would turn the
# rule into "always full marks".
DEFAULT_DEDUCT_POINTS_PER_UNIT = Decimal(1)

TARGET_COLUMNS = [
    "region_code",
    "indicator_code",
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
    "rule",
    "rolled_up",
]

REGION_COLUMNS = [
    "region_code",
    "parent_code",
    "year",
    "basis",
    "points",
    "max_points",
    "total",
    "grade",
    "rank",
    "rank_of",
    "met",
    "not_met",
    "missing",
    "vetoed",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
_Q_POINTS = Decimal("0.0001")
_Q_COMPLETION = Decimal("0.000001")
_Q_TOTAL = Decimal("0.01")
# Division results carry 40 significant digits. A sum such as 1/3 + 1/3 + 1/3 then
# comes out as 0.999…9, not 1, and a total that is exactly x.xx5 could round down.
# Rounding to 20 decimals first removes that noise; an exact total can only lie
# within 1e-20 of a half-cent without being on it if its denominator exceeds 1e18,
# which weights and targets with a few decimals cannot produce.
_Q_GUARD = Decimal("1E-20")
_CONTEXT = Context(prec=40, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class ScoreResult:
    """The output of :func:`score`.

    ``targets`` — one row per input target (sorted by region_code, year, indicator_code):

    ============== ======= ==========================================================
    region_code    object  str
    indicator_code object  str
    year           int64
    basis          object  "self" or "verified", as passed to :func:`score`
    actual         float64 own figure, else the sum roll-up; NaN when missing
    target         float64
    comparator     object  ">=" (higher is better) or "<=" (lower is better)
    completion     float64 rounded half-up to 6 decimals; NaN when missing
    points         float64 rounded half-up to 4 decimals; 0 when missing
    weight         float64
    status         object  "met", "not_met" or "missing"
    veto           bool
    rule           object  "ratio", "threshold" or "deduct" (extra column)
    rolled_up      bool    actual is the sum of descendants' figures (extra column)
    ============== ======= ==========================================================

    ``regions`` — one row per (region, year) with at least one target (sorted by
    year, region_code):

    ============ ======= ============================================================
    region_code  object  str
    parent_code  object  str as given in ``regions`` (None for a root)
    year         int64
    basis        object
    points       float64 target points + item points, 4 decimals
    max_points   float64 target weights + item max points
    total        float64 100 * points / max_points, half away from zero, 2 decimals
    grade        object  "A", "B", "C" or "D"
    rank         int64   competition rank (1, 2, 2, 4) among same-parent siblings
    rank_of      int64   number of scored siblings (including itself)
    met          int64   targets met
    not_met      int64   targets not met
    missing      int64   targets without an actual
    vetoed       bool    a veto target with an actual is not met (grade forced to D)
    ============ ======= ============================================================

    The total, grade and rank are computed from unrounded Decimal points; the
    4-decimal ``points`` are for display and may not add up to the total in the
    last digit.
    """

    targets: pd.DataFrame
    regions: pd.DataFrame


# --------------------------------------------------------------------------- inputs


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, Decimal):
        return value.is_nan()
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return False


def _to_decimal(value: Any, what: str) -> Decimal | None:
    """A finite Decimal for ``value``; None when it is missing (None, NaN, NA, "")."""
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{what}: expected a number, got the boolean {value!r}")
    if isinstance(value, Decimal):
        dec = value
    elif isinstance(value, (int, np.integer)):
        dec = Decimal(int(value))
    elif isinstance(value, (float, np.floating)):
        # str() of a float is its shortest round-tripping form: 98.3 -> "98.3".
        dec = Decimal(str(float(value)))
    elif isinstance(value, str):
        if not value.strip():
            return None
        try:
            dec = Decimal(value.strip())
        except ArithmeticError as exc:
            raise ValueError(f"{what}: not a number: {value!r}") from exc
        if dec.is_nan():
            return None
    else:
        raise ValueError(f"{what}: expected a number, got {type(value).__name__} {value!r}")
    if not dec.is_finite():
        raise ValueError(f"{what}: not a finite number: {value!r}")
    return dec


def _by_distinct(series: pd.Series, convert: Any) -> list[Any]:
    """``convert`` applied to each cell, calling it once per distinct value.

    Codes, years, weights and targets repeat a lot across ~180k rows; converting
    the distinct values only keeps the per-cell Python work off the hot path.
    Missing cells (None / NaN) are passed to ``convert`` as None.
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    table = np.empty(len(uniques) + 1, dtype=object)
    table[: len(uniques)] = [convert(u) for u in uniques]
    if (codes < 0).any():
        table[-1] = convert(None)  # code -1 (missing) indexes the last slot
    return table[codes].tolist()


def _decimal_column(series: pd.Series, what: str) -> list[Decimal | None]:
    return _by_distinct(series, lambda value: _to_decimal(value, what))


def _required_decimal(value: Any, what: str) -> Decimal:
    dec = _to_decimal(value, what)
    if dec is None:
        raise ValueError(f"{what}: a value is missing")
    return dec


def _weight(value: Any, what: str) -> Decimal:
    dec = _required_decimal(value, what)
    if dec < 0:
        raise ValueError(f"{what}: must be >= 0, got {value!r}")
    return dec


def _code_text(value: Any) -> str:
    # A code column with a gap is read as float64 (130500.0); the code is "130500".
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value).strip()


def _str_column(series: pd.Series, what: str) -> list[str]:
    def convert(value: Any) -> str:
        if _is_missing(value):
            raise ValueError(f"{what}: a value is missing")
        return _code_text(value)

    return _by_distinct(series, convert)


def _optional_str_column(series: pd.Series) -> list[str | None]:
    def convert(value: Any) -> str | None:
        if _is_missing(value):
            return None
        return _code_text(value) or None

    return _by_distinct(series, convert)


def _int_column(series: pd.Series, what: str) -> list[int]:
    def convert(value: Any) -> int:
        dec = _to_decimal(value, what)
        if dec is None or dec != dec.to_integral_value():
            raise ValueError(f"{what}: expected a whole number, got {value!r}")
        return int(dec)

    return _by_distinct(series, convert)


def _bool_column(series: pd.Series, what: str) -> list[bool]:
    def convert(value: Any) -> bool:
        if _is_missing(value):
            return False
        if isinstance(value, str):
            text = value.strip().lower()
            if text in {"1", "true", "t", "yes", "y"}:
                return True
            if text in {"0", "false", "f", "no", "n", ""}:
                return False
            raise ValueError(f"{what}: not a yes/no value: {value!r}")
        return bool(value)

    return _by_distinct(series, convert)


def _require(frame: pd.DataFrame, name: str, columns: Iterable[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {type(frame).__name__}")
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise ValueError(f"{name} lacks column(s): {', '.join(absent)}")


def _column_or(frame: pd.DataFrame, column: str, default: Any) -> pd.Series:
    if column in frame.columns:
        return frame[column]
    return pd.Series([default] * len(frame), index=frame.index, dtype=object)


def _region_tree(regions: pd.DataFrame) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """parent and children maps; children only lists regions present in the frame."""
    _require(regions, "regions", ["region_code", "parent_code"])
    codes = _str_column(regions["region_code"], "regions.region_code")
    parents = _optional_str_column(regions["parent_code"])
    parent_of: dict[str, str | None] = {}
    for code, parent in zip(codes, parents, strict=True):
        if code in parent_of:
            raise ValueError(f"regions: region_code {code} is listed twice")
        parent_of[code] = parent
    children: dict[str, list[str]] = defaultdict(list)
    for code, parent in parent_of.items():
        if parent is not None and parent in parent_of:
            children[parent].append(code)
    # A cycle would make the recursive roll-up loop forever; refuse it up front.
    settled: set[str] = set()
    for code in parent_of:
        path: set[str] = set()
        node: str | None = code
        while node is not None and node in parent_of and node not in settled:
            if node in path:
                raise ValueError(f"regions: parent_code forms a cycle through {node}")
            path.add(node)
            node = parent_of[node]
        settled |= path
    return parent_of, dict(children)


# --------------------------------------------------------------------------- scoring


def _completion(actual: Decimal, target: Decimal, higher: bool) -> Decimal:
    if higher:
        if target > 0:
            return actual / target
        return _ONE if actual >= 0 else _ZERO
    if actual <= target:
        return _ONE
    # DESIGN §3 says "0 when T = 0"; a negative T is treated the same way, because
    # T / A would then be negative or above 1 for an actual that missed the target.
    return target / actual if target > 0 else _ZERO


def _grade(total: Decimal, cuts: tuple[Decimal, Decimal, Decimal]) -> str:
    if total >= cuts[0]:
        return "A"
    if total >= cuts[1]:
        return "B"
    if total >= cuts[2]:
        return "C"
    return "D"


def score(
    figures: pd.DataFrame,
    targets: pd.DataFrame,
    items: pd.DataFrame | None,
    regions: pd.DataFrame,
    *,
    indicators: pd.DataFrame,
    cap: Decimal | float = 1.0,
    grade_cuts: Sequence[Decimal | float] = (90, 80, 60),
    basis: str = "self",
) -> ScoreResult:
    """Score every target and every (region, year) exactly as DESIGN §3 says.

    Inputs (extra columns are ignored):

    - ``figures``: ``region_code, indicator_code, year, value`` — the actuals of this
      basis (reported values for ``self``, approved values for ``verified``). A
      None/NaN value counts as no figure. At most one row per key.
    - ``targets``: ``region_code, indicator_code, year, comparator, target, weight``
      and optionally ``rule`` (missing -> ``ratio``), ``rule_param`` (points per unit
      for ``deduct``; missing -> 1), ``veto`` (missing -> False). One row per key.
    - ``items``: None or ``region_code, year, item_code, max_points, points`` — the
      qualitative items with the points of this basis (None/NaN -> 0 awarded, the
      max still counts). Items of a (region, year) without targets are ignored.
    - ``regions``: ``region_code, parent_code`` for every target region and all of
      their descendants (the roll-up walks down this tree; ranking groups by it).
    - ``indicators``: ``indicator_code, aggregation`` (``sum`` or ``none``) for every
      targeted indicator.

    Invariants the result keeps:

    - a ``sum`` indicator without an own figure takes the sum of its children's
      actuals, recursively; an own figure always wins; ``none`` never rolls up;
    - a missing actual scores 0 points with status ``missing`` and NaN completion;
    - target points lie in [0, weight * cap] (``ratio`` points are floored at 0, so a
      negative actual cannot cost more than the weight); item points lie in
      [0, max_points]; hence 0 <= total <= 100 * cap;
    - for a ``>=`` target, points never fall as the actual rises (any rule);
    - total is rounded half away from zero to 2 decimals from the exact value; grade
      and rank use that rounded total; a failed veto target forces grade D;
    - ranks are competition ranks among regions with the same parent and year.

    Raises ValueError on malformed input (missing columns, duplicate keys, unknown
    comparator / rule / aggregation, negative weights, item points outside
    [0, max_points], a target region absent from ``regions``, cap < 1, ...).
    """
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, got {basis!r}")
    cap_dec = _to_decimal(cap, "cap")
    if cap_dec is None or cap_dec < 1:
        # A cap below 1 would pay less than the full weight for a met ratio target
        # while threshold and deduct pay it in full; no scheme means that.
        raise ValueError(f"cap must be a number >= 1, got {cap!r}")
    if len(grade_cuts) != 3:
        raise ValueError("grade_cuts must give the A, B and C cut-offs")
    cuts = tuple(_to_decimal(c, "grade_cuts") for c in grade_cuts)
    if any(c is None for c in cuts) or not cuts[0] >= cuts[1] >= cuts[2]:  # type: ignore[operator]
        raise ValueError(f"grade_cuts must be three descending numbers, got {grade_cuts!r}")
    cuts_dec: tuple[Decimal, Decimal, Decimal] = cuts  # type: ignore[assignment]

    _require(figures, "figures", ["region_code", "indicator_code", "year", "value"])
    _require(
        targets,
        "targets",
        ["region_code", "indicator_code", "year", "comparator", "target", "weight"],
    )
    _require(indicators, "indicators", ["indicator_code", "aggregation"])
    parent_of, children = _region_tree(regions)

    aggregation: dict[str, str] = {}
    for code, agg in zip(
        _str_column(indicators["indicator_code"], "indicators.indicator_code"),
        _str_column(indicators["aggregation"], "indicators.aggregation"),
        strict=True,
    ):
        if agg not in AGGREGATIONS:
            raise ValueError(f"indicators: aggregation of {code} must be sum or none, not {agg!r}")
        aggregation[code] = agg

    with localcontext(_CONTEXT):
        own = _own_figures(figures)
        target_columns, region_acc = _score_targets(targets, own, aggregation, parent_of, children, cap_dec)
        _add_items(items, region_acc)
        region_rows = _region_rows(region_acc, parent_of, cuts_dec)

    targets_out = _targets_frame(target_columns, basis)
    regions_out = _regions_frame(region_rows, basis)
    return ScoreResult(targets=targets_out, regions=regions_out)


def _own_figures(figures: pd.DataFrame) -> dict[tuple[str, str, int], Decimal]:
    keys = list(
        zip(
            _str_column(figures["region_code"], "figures.region_code"),
            _str_column(figures["indicator_code"], "figures.indicator_code"),
            _int_column(figures["year"], "figures.year"),
            strict=True,
        )
    )
    values = _decimal_column(figures["value"], "figures.value")
    own: dict[tuple[str, str, int], Decimal] = {}
    seen: set[tuple[str, str, int]] = set()
    for key, value in zip(keys, values, strict=True):
        if key in seen:
            raise ValueError(f"figures: more than one row for {key}")
        seen.add(key)
        if value is not None:
            own[key] = value
    return own


@dataclass
class _RegionAcc:
    points: Decimal = _ZERO
    max_points: Decimal = _ZERO
    met: int = 0
    not_met: int = 0
    missing: int = 0
    vetoed: bool = False


def _check_comparator(value: Any) -> str:
    if value not in COMPARATORS:
        raise ValueError(f"targets.comparator must be >= or <=, not {value!r}")
    return value


def _check_rule(value: str | None) -> str:
    rule = value or "ratio"
    if rule not in RULES:
        raise ValueError(f"targets.rule must be one of {RULES}, not {value!r}")
    return rule


def _score_targets(
    targets: pd.DataFrame,
    own: dict[tuple[str, str, int], Decimal],
    aggregation: dict[str, str],
    parent_of: dict[str, str | None],
    children: dict[str, list[str]],
    cap: Decimal,
) -> tuple[dict[str, list], dict[tuple[str, int], _RegionAcc]]:
    # Validation runs once per distinct value, so the per-target loop below does
    # arithmetic only; that loop is what has to stay fast for ~180k targets.
    region_codes = _str_column(targets["region_code"], "targets.region_code")
    indicator_codes = _str_column(targets["indicator_code"], "targets.indicator_code")
    years = _int_column(targets["year"], "targets.year")
    comparators = _by_distinct(
        pd.Series(_str_column(targets["comparator"], "targets.comparator"), dtype=object),
        _check_comparator,
    )
    target_values = _by_distinct(targets["target"], lambda v: _required_decimal(v, "targets.target"))
    weights = _by_distinct(targets["weight"], lambda v: _weight(v, "targets.weight"))
    # float(Decimal) is slow; these two columns have few distinct values.
    target_floats = _by_distinct(targets["target"], lambda v: float(_required_decimal(v, "targets.target")))
    weight_floats = _by_distinct(targets["weight"], lambda v: float(_weight(v, "targets.weight")))
    rules = _by_distinct(
        pd.Series(_optional_str_column(_column_or(targets, "rule", None)), dtype=object),
        _check_rule,
    )
    params = _decimal_column(_column_or(targets, "rule_param", None), "targets.rule_param")
    vetoes = _bool_column(_column_or(targets, "veto", False), "targets.veto")

    unknown_regions = sorted(set(region_codes) - parent_of.keys())
    if unknown_regions:
        raise ValueError(f"targets: region(s) not in regions: {', '.join(unknown_regions[:20])}")
    unknown_indicators = sorted(set(indicator_codes) - aggregation.keys())
    if unknown_indicators:
        raise ValueError(f"targets: indicator(s) not in indicators: {', '.join(unknown_indicators[:20])}")

    rolled: dict[tuple[str, str, int], Decimal | None] = {}

    def actual_of(region: str, indicator: str, year: int) -> Decimal | None:
        key = (region, indicator, year)
        value = own.get(key)
        if value is not None:
            return value
        if key in rolled:
            return rolled[key]
        total: Decimal | None = None
        for child in children.get(region, ()):
            child_value = actual_of(child, indicator, year)
            if child_value is not None:
                total = child_value if total is None else total + child_value
        rolled[key] = total
        return total

    actuals: list[Decimal | None] = []
    completions: list[Decimal | None] = []
    points_out: list[Decimal] = []
    statuses: list[str] = []
    rolled_ups: list[bool] = []
    acc: dict[tuple[str, int], _RegionAcc] = {}
    seen: set[tuple[str, str, int]] = set()
    for i, key in enumerate(zip(region_codes, indicator_codes, years, strict=True)):
        if key in seen:
            raise ValueError(f"targets row {i + 1}: duplicate target {key}")
        seen.add(key)
        region, indicator, year = key
        rule = rules[i]
        weight = weights[i]

        if aggregation[indicator] == "sum":
            actual = actual_of(region, indicator, year)
            rolled_up = actual is not None and key not in own
        else:
            actual = own.get(key)
            rolled_up = False

        region_acc = acc.get((region, year))
        if region_acc is None:
            region_acc = acc[(region, year)] = _RegionAcc()
        region_acc.max_points += weight

        if actual is None:
            status = "missing"
            completion = None
            points = _ZERO
            region_acc.missing += 1
        else:
            target = target_values[i]
            higher = comparators[i] == ">="
            met = actual >= target if higher else actual <= target
            completion = _completion(actual, target, higher)
            if rule == "ratio":
                points = weight * min(completion, cap)
                if points < 0:
                    points = _ZERO
            elif rule == "threshold":
                points = weight if met else _ZERO
            else:
                k = params[i]
                if k is None:
                    k = DEFAULT_DEDUCT_POINTS_PER_UNIT
                elif k < 0:
                    raise ValueError(f"targets row {i + 1}: deduct rule_param {k} is negative")
                shortfall = _ZERO if met else abs(actual - target)
                points = max(_ZERO, weight - k * shortfall)
            if met:
                status = "met"
                region_acc.met += 1
            else:
                status = "not_met"
                region_acc.not_met += 1
                if vetoes[i]:
                    region_acc.vetoed = True
            completion = completion.quantize(_Q_COMPLETION, ROUND_HALF_UP)
        region_acc.points += points

        actuals.append(actual)
        completions.append(completion)
        points_out.append(points.quantize(_Q_POINTS, ROUND_HALF_UP))
        statuses.append(status)
        rolled_ups.append(rolled_up)

    columns = {
        "region_code": region_codes,
        "indicator_code": indicator_codes,
        "year": years,
        "actual": actuals,
        "target": target_floats,
        "comparator": comparators,
        "completion": completions,
        "points": points_out,
        "weight": weight_floats,
        "status": statuses,
        "veto": vetoes,
        "rule": rules,
        "rolled_up": rolled_ups,
    }
    return columns, acc


def _add_items(items: pd.DataFrame | None, acc: dict[tuple[str, int], _RegionAcc]) -> None:
    if items is None or len(items) == 0:
        return
    _require(items, "items", ["region_code", "year", "item_code", "max_points", "points"])
    regions = _str_column(items["region_code"], "items.region_code")
    years = _int_column(items["year"], "items.year")
    codes = _str_column(items["item_code"], "items.item_code")
    maxima = _decimal_column(items["max_points"], "items.max_points")
    awarded = _decimal_column(items["points"], "items.points")
    seen: set[tuple[str, int, str]] = set()
    for region, year, code, max_points, points in zip(regions, years, codes, maxima, awarded, strict=True):
        where = f"items ({region}, {year}, {code})"
        if (region, year, code) in seen:
            raise ValueError(f"{where}: duplicate item")
        seen.add((region, year, code))
        if max_points is None or max_points < 0:
            raise ValueError(f"{where}: max_points must be a number >= 0")
        points = points if points is not None else _ZERO
        if not _ZERO <= points <= max_points:
            raise ValueError(f"{where}: points {points} outside [0, {max_points}]")
        region_acc = acc.get((region, year))
        if region_acc is None:
            # DESIGN §3: a region with no target in a year has no score that year.
            continue
        region_acc.points += points
        region_acc.max_points += max_points


def _region_rows(
    acc: dict[tuple[str, int], _RegionAcc],
    parent_of: dict[str, str | None],
    cuts: tuple[Decimal, Decimal, Decimal],
) -> list[tuple]:
    rows = []
    groups: dict[tuple[str | None, int], list[int]] = defaultdict(list)
    for (region, year), a in acc.items():
        if a.max_points > 0:
            exact = _HUNDRED * a.points / a.max_points
            total = exact.quantize(_Q_GUARD, ROUND_HALF_EVEN).quantize(_Q_TOTAL, ROUND_HALF_UP)
        else:
            total = _ZERO.quantize(_Q_TOTAL)
        grade = "D" if a.vetoed else _grade(total, cuts)
        # Siblings share the parent code whether or not the parent itself is in
        # scope (scoring one city's subtree still ranks the city under its province).
        parent = parent_of.get(region)
        # Ranking compares whole hundredths as ints: exact, and immune to float ties.
        groups[(parent, year)].append(int(total * 100))
        rows.append(
            [
                region,
                parent,
                year,
                a.points.quantize(_Q_POINTS, ROUND_HALF_UP),
                a.max_points,
                total,
                grade,
                None,
                None,
                a.met,
                a.not_met,
                a.missing,
                a.vetoed,
            ]
        )
    # Competition ranking: 1 + the number of siblings with a strictly higher total.
    ranks: dict[tuple[str | None, int], tuple[dict[int, int], int]] = {}
    for group, cents in groups.items():
        first_rank: dict[int, int] = {}
        for position, value in enumerate(sorted(cents, reverse=True), start=1):
            first_rank.setdefault(value, position)
        ranks[group] = (first_rank, len(cents))
    for row in rows:
        first_rank, size = ranks[(row[1], row[2])]
        row[7] = first_rank[int(row[5] * 100)]
        row[8] = size
    return rows


def _float_or_nan(values: list[Decimal | None]) -> np.ndarray:
    return np.array([np.nan if v is None else float(v) for v in values], dtype="float64")


def _targets_frame(columns: dict[str, list], basis: str) -> pd.DataFrame:
    n = len(columns["region_code"])
    frame = pd.DataFrame(
        {
            "region_code": pd.Series(columns["region_code"], dtype=object),
            "indicator_code": pd.Series(columns["indicator_code"], dtype=object),
            "year": pd.Series(columns["year"], dtype="int64"),
            "basis": pd.Series([basis] * n, dtype=object),
            "actual": _float_or_nan(columns["actual"]),
            "target": np.array(columns["target"], dtype="float64"),
            "comparator": pd.Series(columns["comparator"], dtype=object),
            "completion": _float_or_nan(columns["completion"]),
            "points": _float_or_nan(columns["points"]),
            "weight": np.array(columns["weight"], dtype="float64"),
            "status": pd.Series(columns["status"], dtype=object),
            "veto": pd.Series(columns["veto"], dtype=bool),
            "rule": pd.Series(columns["rule"], dtype=object),
            "rolled_up": pd.Series(columns["rolled_up"], dtype=bool),
        },
        columns=TARGET_COLUMNS,
    )
    return frame.sort_values(["region_code", "year", "indicator_code"], kind="mergesort", ignore_index=True)


def _regions_frame(rows: list[list], basis: str) -> pd.DataFrame:
    cols = list(zip(*rows, strict=True)) if rows else [()] * 13
    frame = pd.DataFrame(
        {
            "region_code": pd.Series(cols[0], dtype=object),
            "parent_code": pd.Series(cols[1], dtype=object),
            "year": pd.Series(cols[2], dtype="int64"),
            "basis": pd.Series([basis] * len(rows), dtype=object),
            "points": _float_or_nan(cols[3]),
            "max_points": _float_or_nan(cols[4]),
            "total": _float_or_nan(cols[5]),
            "grade": pd.Series(cols[6], dtype=object),
            "rank": pd.Series(cols[7], dtype="int64"),
            "rank_of": pd.Series(cols[8], dtype="int64"),
            "met": pd.Series(cols[9], dtype="int64"),
            "not_met": pd.Series(cols[10], dtype="int64"),
            "missing": pd.Series(cols[11], dtype="int64"),
            "vetoed": pd.Series(cols[12], dtype=bool),
        },
        columns=REGION_COLUMNS,
    )
    return frame.sort_values(["year", "region_code"], kind="mergesort", ignore_index=True)


# --------------------------------------------------------------------------- planning


def project_linear(years: list[int], values: list[float], horizon: int) -> float | None:
    """The value at ``horizon`` of the least-squares line through (year, value).

    Pairs whose value is None/NaN are dropped. Returns None when fewer than two
    distinct years remain (no line is determined). The fit is done in exact rational
    arithmetic, so points on a line project exactly onto it and a flat series
    (all values equal) projects to exactly that value — the mean.
    """
    if len(years) != len(values):
        raise ValueError("years and values must have the same length")
    points = [
        (Fraction(int(y)), Fraction(dec))
        for y, v in zip(years, values, strict=True)
        if (dec := _to_decimal(v, "values")) is not None
    ]
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    return float(mean_y + slope * (Fraction(int(horizon)) - mean_x))


def interpolate_milestones(
    base_year: int,
    base_value: Decimal | float | None,
    horizon_year: int,
    horizon_value: Decimal | float,
) -> dict[int, Decimal]:
    """Milestone targets for every year base_year+1 .. horizon_year (inclusive).

    Year y gets base + (horizon - base) * (y - base_year) / (horizon_year - base_year),
    rounded half up to 4 decimals; the horizon year gets ``horizon_value`` exactly
    (as ``Decimal(str(horizon_value))``, not re-rounded). Without a base value
    (None/NaN) every year gets the horizon value. base_year == horizon_year gives {}.
    """
    base_year, horizon_year = int(base_year), int(horizon_year)
    if horizon_year < base_year:
        raise ValueError("horizon_year must not be before base_year")
    end = _to_decimal(horizon_value, "horizon_value")
    if end is None:
        raise ValueError("horizon_value is required")
    start = _to_decimal(base_value, "base_value")
    out: dict[int, Decimal] = {}
    span = horizon_year - base_year
    for year in range(base_year + 1, horizon_year + 1):
        if start is None or year == horizon_year:
            out[year] = end
        else:
            # Fraction keeps the step exact, so rounding happens once, at the end.
            exact = Fraction(start) + (Fraction(end) - Fraction(start)) * (year - base_year) / span
            with localcontext(_CONTEXT):
                value = Decimal(exact.numerator) / Decimal(exact.denominator)
                out[year] = value.quantize(_Q_GUARD, ROUND_HALF_EVEN).quantize(_Q_POINTS, ROUND_HALF_UP)
    return out


# --------------------------------------------------------------------------- hashing


def _canonical(value: Any) -> str:
    """A type-tagged, length-prefixed text for one cell.

    Numbers of any type that are equal get the same text (98 == 98.0 ==
    Decimal("98.00") -> "n:98"), because pd.factorize merges equal values and the
    hash must not depend on which of them came first.
    """
    if _is_missing(value):
        return "~"
    if isinstance(value, (bool, np.bool_)):
        text = "n:1" if value else "n:0"
    elif isinstance(value, (int, np.integer, float, np.floating, Decimal)):
        dec = Decimal(int(value)) if isinstance(value, (int, np.integer)) else None
        if dec is None:
            dec = value if isinstance(value, Decimal) else Decimal(str(float(value)))
        if not dec.is_finite():
            text = f"n:{dec}"
        elif dec == 0:
            text = "n:0"
        else:
            digits = format(dec, "f")
            if "." in digits:
                digits = digits.rstrip("0").rstrip(".")
            text = f"n:{digits}"
    elif isinstance(value, str):
        text = f"s:{value}"
    else:
        text = f"o:{type(value).__name__}:{value}"
    return f"{len(text)}|{text}"


def inputs_hash(*frames: pd.DataFrame | Mapping[str, Any] | None) -> str:
    """sha256 hex digest of the inputs, independent of row and column order.

    Each argument is a DataFrame, a mapping (hashed as a one-row frame — handy for
    parameters such as cap, grade cut-offs and basis) or None. The index is ignored;
    argument order matters. Equal numbers hash equal whatever their type.
    """
    digest = hashlib.sha256()
    for position, frame in enumerate(frames):
        if frame is None:
            digest.update(f"#{position}:none\n".encode())
            continue
        if isinstance(frame, Mapping):
            frame = pd.DataFrame([dict(frame)])
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"inputs_hash takes DataFrames, mappings or None, not {type(frame)}")
        columns = sorted(str(c) for c in frame.columns)
        if len(set(columns)) != len(columns):
            raise ValueError("inputs_hash: duplicate column names")
        by_name = {str(c): c for c in frame.columns}
        digest.update(f"#{position}:{len(frame)}:{len(columns)}\n".encode())
        for name in columns:
            digest.update(_canonical(name).encode())
        digest.update(b"\n")
        texts = []
        for name in columns:
            codes, uniques = pd.factorize(frame[by_name[name]], use_na_sentinel=True)
            canon = [_canonical(u) for u in uniques]
            null = _canonical(None)
            texts.append([canon[c] if c >= 0 else null for c in codes.tolist()])
        rows = sorted("".join(parts) for parts in zip(*texts, strict=True)) if texts else []
        for row in rows:
            digest.update(row.encode())
            digest.update(b"\n")
    return digest.hexdigest()
