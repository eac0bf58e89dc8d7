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
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
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
    "prepare",
    "prepare_sections",
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
    if type(value) is str:  # the common case (COPY text): the same steps as below, fewer checks
        text = value.strip()
        if not text:
            return None
        try:
            dec = Decimal(text)
        except ArithmeticError as exc:
            raise ValueError(f"{what}: not a number: {value!r}") from exc
        if dec.is_nan():
            return None
        if not dec.is_finite():
            raise ValueError(f"{what}: not a finite number: {value!r}")
        return dec
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


def _int_array(series: pd.Series, what: str) -> np.ndarray:
    """`_int_column` as an int64 array; an integer column is taken as it is."""
    if series.dtype.kind == "i" and not isinstance(series.dtype, pd.CategoricalDtype):
        return series.to_numpy(dtype=np.int64)
    return np.array(_int_column(series, what), dtype=np.int64)


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
    memo: MutableMapping | None = None,
    _force_exact: bool = False,
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

    ``memo``: an optional dict the caller keeps between calls that share input
    frames (e.g. both bases of one run share ``targets``, ``regions`` and
    ``indicators``). What the engine reads from such a frame (the region tree, the
    targets' parsed columns) is then worked out once; the result is the same as
    without it. The frames must not be changed in between.
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
    parent_of, children = _memoized(memo, "regions", regions, lambda: _region_tree(regions))
    aggregation = _memoized(memo, "indicators", indicators, lambda: _aggregations(indicators))

    with localcontext(_CONTEXT):
        return _score_frames(
            figures,
            targets,
            items,
            aggregation,
            parent_of,
            children,
            cap_dec,
            cuts_dec,
            basis,
            _force_exact,
            memo,
        )


def _memoized(memo: MutableMapping | None, kind: str, frame: pd.DataFrame, build: Any) -> Any:
    """``build()``, kept in ``memo`` for this very frame object (see ``score``)."""
    if memo is None:
        return build()
    key = (kind, id(frame))
    hit = memo.get(key)
    # The memo keeps the frame itself, so its id cannot be reused by another.
    if hit is None or hit[0] is not frame:
        hit = memo[key] = (frame, build())
    return hit[1]


def prepare(
    memo: MutableMapping, targets: pd.DataFrame, regions: pd.DataFrame, *, indicators: pd.DataFrame
) -> None:
    """Fill ``memo`` with what ``score`` works out from these shared frames.

    ``score(..., memo=memo)`` with the same frame objects then finds it there. A
    caller that reads its figures last can do this work while they arrive. Raises
    the ValueError ``score`` would for malformed targets, regions or indicators.
    """
    _require(targets, "targets", ["region_code", "indicator_code", "year", "comparator", "target", "weight"])
    _require(indicators, "indicators", ["indicator_code", "aggregation"])
    _memoized(memo, "regions", regions, lambda: _region_tree(regions))
    _memoized(memo, "indicators", indicators, lambda: _aggregations(indicators))
    _target_codes(memo, targets)
    _target_years(memo, targets)
    with localcontext(_CONTEXT):
        _target_parsed(memo, targets)


def _target_codes(memo: MutableMapping | None, targets: pd.DataFrame) -> tuple[Any, Any]:
    return _memoized(
        memo,
        "target codes",
        targets,
        lambda: (
            _code_texts(targets["region_code"], "targets.region_code"),
            _code_texts(targets["indicator_code"], "targets.indicator_code"),
        ),
    )


def _target_years(memo: MutableMapping | None, targets: pd.DataFrame) -> np.ndarray:
    return _memoized(memo, "target years", targets, lambda: _int_array(targets["year"], "targets.year"))


def _target_parsed(memo: MutableMapping | None, targets: pd.DataFrame) -> Any:
    return _memoized(memo, "target values", targets, lambda: _target_values(targets))


def _aggregations(indicators: pd.DataFrame) -> dict[str, str]:
    aggregation: dict[str, str] = {}
    for code, agg in zip(
        _str_column(indicators["indicator_code"], "indicators.indicator_code"),
        _str_column(indicators["aggregation"], "indicators.aggregation"),
        strict=True,
    ):
        if agg not in AGGREGATIONS:
            raise ValueError(f"indicators: aggregation of {code} must be sum or none, not {agg!r}")
        aggregation[code] = agg
    return aggregation


# The engine works in two tiers. Numbers with at most 4 decimals and below 2^53 in
# units of 1e-4 (every value the database can hold below 9e11, which is every real
# indicator) are scaled to int64: comparisons, sums of weights, roll-ups of whole
# figures and the deduct rule are then exact integer arithmetic, and only the ratio
# rule divides in float64. Float64 is correctly rounded, so a float result differs
# from the exact one by a few units in the 16th digit; the result is rounded to 4
# (points), 6 (completion) or 2 (total) decimals straight from the float unless it
# lies so close to a rounding tie that this error could matter (within 1e-12
# relative), in which case the row or region is recomputed in Decimal. A number the
# int64 tier cannot hold sends its row, and its region, to Decimal too. The output
# is therefore the same as an all-Decimal computation, which tests check by forcing
# every row through the Decimal path (``_force_exact``).
_SCALE = 10_000
_SCALE_PLACES = 4
_INT_LIMIT = 2**53
_REL_TOL = 1e-12


def _scaled(dec: Decimal | None) -> int | None:
    """``dec`` in units of 1e-4 when that is a whole number below 2^53; else None."""
    if dec is None:
        return None
    shifted = dec.scaleb(_SCALE_PLACES)
    if shifted != shifted.to_integral_value():
        return None
    n = int(shifted)
    return n if -_INT_LIMIT < n < _INT_LIMIT else None


@dataclass
class _Numbers:
    """One numeric column: Decimals (None when missing) and their int64 tier."""

    decimals: np.ndarray  # object: Decimal | None
    ints: np.ndarray  # int64 units of 1e-4 (0 where not ``fast``)
    fast: np.ndarray  # bool: present and held exactly by ``ints``
    present: np.ndarray  # bool
    floats: np.ndarray  # float64: the nearest float to each Decimal (NaN where missing)


def _numbers(series: pd.Series, convert: Any) -> _Numbers:
    """``convert`` (-> Decimal | None) once per distinct value, then spread to every row."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    converted = [convert(value) for value in uniques]
    # The last slot stands for missing cells (code -1); converted only when there are some.
    converted.append(convert(None) if (codes < 0).any() else None)
    scaled = [_scaled(dec) for dec in converted]
    decimals = np.empty(len(converted), dtype=object)
    decimals[:] = converted
    present = np.fromiter((dec is not None for dec in converted), dtype=bool, count=len(converted))
    floats = np.fromiter(
        (np.nan if dec is None else float(dec) for dec in converted), dtype=np.float64, count=len(converted)
    )
    fast = np.fromiter((n is not None for n in scaled), dtype=bool, count=len(scaled))
    ints = np.fromiter((0 if n is None else n for n in scaled), dtype=np.int64, count=len(scaled))
    return _Numbers(decimals[codes], ints[codes], fast[codes], present[codes], floats[codes])


def _code_texts(series: pd.Series, what: str) -> tuple[np.ndarray, list[str]]:
    """A code column factorized: (row -> distinct value, each distinct value's text).

    Only the distinct values are turned into text (130500.0 -> "130500").
    """
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    if (codes < 0).any():
        raise ValueError(f"{what}: a value is missing")
    return codes, [_code_text(u) for u in uniques]


def _code_columns(*parts: tuple[np.ndarray, list[str]]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Code columns (each as `_code_texts` gives it) as positions in one sorted
    vocabulary of their texts.

    The rows then carry ints, which join, sort and group in numpy. Positions follow
    the texts' sort order, so sorting by position sorts by code.
    """
    vocabulary = np.array(sorted(set().union(*(texts for _, texts in parts))), dtype=object)
    index = pd.Index(vocabulary, dtype=object)
    positions = [
        index.get_indexer(pd.Index(texts, dtype=object)).astype(np.int64)[codes]
        if len(codes)
        else np.zeros(0, np.int64)
        for codes, texts in parts
    ]
    return vocabulary, positions


def _target_values(
    targets: pd.DataFrame,
) -> tuple[np.ndarray, _Numbers, _Numbers, np.ndarray, _Numbers, np.ndarray]:
    """The targets' comparators, target values, weights, rules, rule parameters and
    veto flags, validated (the same for every basis)."""
    comparators = np.array(
        _by_distinct(
            pd.Series(_str_column(targets["comparator"], "targets.comparator"), dtype=object),
            _check_comparator,
        ),
        dtype=object,
    )
    t_num = _numbers(targets["target"], lambda v: _required_decimal(v, "targets.target"))
    w_num = _numbers(targets["weight"], lambda v: _weight(v, "targets.weight"))
    rules = np.array(
        _by_distinct(
            pd.Series(_optional_str_column(_column_or(targets, "rule", None)), dtype=object),
            _check_rule,
        ),
        dtype=object,
    )
    k_num = _numbers(
        _column_or(targets, "rule_param", None),
        lambda v: (
            _to_decimal(v, "targets.rule_param") if not _is_missing(v) else DEFAULT_DEDUCT_POINTS_PER_UNIT
        ),
    )
    vetoes = np.array(_bool_column(_column_or(targets, "veto", False), "targets.veto"), dtype=bool)
    return comparators, t_num, w_num, rules, k_num, vetoes


def _first_duplicate(keys: np.ndarray) -> int | None:
    hits = np.flatnonzero(pd.Series(keys).duplicated().to_numpy()) if len(keys) else []
    return int(hits[0]) if len(hits) else None


def _exact_row(
    actual: Decimal, target: Decimal, weight: Decimal, higher: bool, rule: str, k: Decimal, cap: Decimal
) -> tuple[Decimal, Decimal, bool]:
    """(completion, points, met) of one target with an actual, in Decimal (unrounded)."""
    met = actual >= target if higher else actual <= target
    completion = _completion(actual, target, higher)
    if rule == "ratio":
        points = weight * min(completion, cap)
        if points < 0:
            points = _ZERO
    elif rule == "threshold":
        points = weight if met else _ZERO
    else:
        shortfall = _ZERO if met else abs(actual - target)
        points = max(_ZERO, weight - k * shortfall)
    return completion, points, met


def _round_half_up(x: np.ndarray, tol_abs: float) -> tuple[np.ndarray, np.ndarray]:
    """Half-away-from-zero rounding of floats to integers, and where it is unsafe.

    Unsafe: NaN/inf, beyond 2^53, or within the float error of a .5 tie.
    """
    magnitude = np.abs(x)
    with np.errstate(invalid="ignore"):
        floor = np.floor(magnitude)
        frac = magnitude - floor
        rounded = np.where(frac >= 0.5, floor + 1, floor)
        unsafe = (
            ~np.isfinite(x)
            | (magnitude >= _INT_LIMIT)
            | (np.abs(frac - 0.5) <= np.maximum(tol_abs, magnitude * _REL_TOL))
        )
    rounded = np.where(unsafe, 0.0, np.copysign(rounded, x))
    return rounded.astype(np.int64), unsafe


def _score_frames(
    figures: pd.DataFrame,
    targets: pd.DataFrame,
    items: pd.DataFrame | None,
    aggregation: dict[str, str],
    parent_of: dict[str, str | None],
    children: dict[str, list[str]],
    cap: Decimal,
    cuts: tuple[Decimal, Decimal, Decimal],
    basis: str,
    force_exact: bool,
    memo: MutableMapping | None = None,
) -> ScoreResult:
    # ---------------------------------------------------------------- keys
    fig_region_texts = _code_texts(figures["region_code"], "figures.region_code")
    fig_indicator_texts = _code_texts(figures["indicator_code"], "figures.indicator_code")
    tgt_region_texts, tgt_indicator_texts = _target_codes(memo, targets)
    region_vocab, (fig_r, tgt_r) = _code_columns(fig_region_texts, tgt_region_texts)
    indicator_vocab, (fig_i, tgt_i) = _code_columns(fig_indicator_texts, tgt_indicator_texts)
    fig_years = _int_array(figures["year"], "figures.year")
    years = _target_years(memo, targets)
    n = len(years)
    all_years = np.concatenate([fig_years, years])
    first_year = int(all_years.min()) if len(all_years) else 0
    year_span = int(all_years.max()) - first_year + 1 if len(all_years) else 1
    n_indicators = max(len(indicator_vocab), 1)

    def key_of(r: np.ndarray, i: np.ndarray, y: np.ndarray) -> np.ndarray:
        return (r * n_indicators + i) * year_span + (y - first_year)

    def code_key(r: int, i: int, y: int) -> tuple[str, str, int]:
        return (region_vocab[r], indicator_vocab[i], int(y))

    # ---------------------------------------------------------------- figures
    fig_key = key_of(fig_r, fig_i, fig_years)
    dup = _first_duplicate(fig_key)
    if dup is not None:
        raise ValueError(f"figures: more than one row for {code_key(fig_r[dup], fig_i[dup], fig_years[dup])}")
    fig_values = _numbers(figures["value"], lambda v: _to_decimal(v, "figures.value"))

    # ---------------------------------------------------------------- targets
    tgt_key = key_of(tgt_r, tgt_i, years)
    dup = _first_duplicate(tgt_key)
    if dup is not None:
        key = code_key(tgt_r[dup], tgt_i[dup], years[dup])
        raise ValueError(f"targets row {dup + 1}: duplicate target {key}")
    comparators, t_num, w_num, rules, k_num, vetoes = _target_parsed(memo, targets)

    used_regions = region_vocab[np.unique(tgt_r)].tolist() if n else []
    unknown_regions = sorted(set(used_regions) - parent_of.keys())
    if unknown_regions:
        raise ValueError(f"targets: region(s) not in regions: {', '.join(unknown_regions[:20])}")
    used_indicators = indicator_vocab[np.unique(tgt_i)].tolist() if n else []
    unknown_indicators = sorted(set(used_indicators) - aggregation.keys())
    if unknown_indicators:
        raise ValueError(f"targets: indicator(s) not in indicators: {', '.join(unknown_indicators[:20])}")
    regions = region_vocab[tgt_r] if n else np.array([], dtype=object)
    indicators = indicator_vocab[tgt_i] if n else np.array([], dtype=object)

    # ---------------------------------------------------------------- actuals
    if len(fig_key) and n:
        position = pd.Index(fig_key).get_indexer(tgt_key)
    else:
        position = np.full(n, -1, dtype=np.int64)
    found = position >= 0
    safe_pos = np.where(found, position, 0)
    has_own = found & (fig_values.present[safe_pos] if len(fig_key) else False)
    a_dec = np.empty(n, dtype=object)
    a_int = np.zeros(n, dtype=np.int64)
    a_fast = np.zeros(n, dtype=bool)
    if len(fig_key):
        a_dec[has_own] = fig_values.decimals[safe_pos[has_own]]
        a_int[has_own] = fig_values.ints[safe_pos[has_own]]
        a_fast[has_own] = fig_values.fast[safe_pos[has_own]]
    present = has_own.copy()
    rolled_up = np.zeros(n, dtype=bool)
    sums = np.array([aggregation.get(code) == "sum" for code in indicator_vocab.tolist()], dtype=bool)
    is_sum = sums[tgt_i] if n else np.zeros(0, bool)
    need_roll = np.flatnonzero(~has_own & is_sum)
    if len(need_roll):
        # Own figures of the indicators that roll up somewhere (others are never asked for).
        rolling = np.flatnonzero(fig_values.present & np.isin(fig_i, tgt_i[need_roll]))
        own: dict[tuple[str, str, int], Decimal] = {
            code_key(r, i, y): v
            for r, i, y, v in zip(
                fig_r[rolling].tolist(),
                fig_i[rolling].tolist(),
                fig_years[rolling].tolist(),
                fig_values.decimals[rolling].tolist(),
                strict=True,
            )
        }
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

        for i in need_roll.tolist():
            value = actual_of(regions[i], indicators[i], int(years[i]))
            if value is not None:
                a_dec[i], present[i], rolled_up[i] = value, True, True
                scaled = _scaled(value)
                if scaled is not None:
                    a_int[i], a_fast[i] = scaled, True

    # ---------------------------------------------------------------- target rows
    higher = comparators == ">="
    is_ratio, is_threshold = rules == "ratio", rules == "threshold"
    is_deduct = ~(is_ratio | is_threshold)
    deducting = np.flatnonzero(present & is_deduct)
    bad_k = [i for i in deducting.tolist() if k_num.decimals[i] is not None and k_num.decimals[i] < 0]
    if bad_k:
        i = bad_k[0]
        raise ValueError(f"targets row {i + 1}: deduct rule_param {k_num.decimals[i]} is negative")

    A, T, W, K = a_int, t_num.ints, w_num.ints, k_num.ints
    met = np.where(higher, A >= T, A <= T)
    Af, Tf, Wf = A.astype(np.float64), T.astype(np.float64), W.astype(np.float64)
    cap_f = float(cap)
    with np.errstate(divide="ignore", invalid="ignore"):
        completion = np.where(
            higher,
            np.where(T > 0, Af / Tf, np.where(A >= 0, 1.0, 0.0)),
            np.where(A <= T, 1.0, np.where(T > 0, Tf / Af, 0.0)),
        )
        ratio_points = np.maximum(Wf * np.minimum(completion, cap_f), 0.0)
    shortfall = np.where(met, 0, np.abs(A - T))
    deduct_ok = np.abs(K.astype(np.float64) * shortfall.astype(np.float64)) < 2.0**62
    deduct_e8 = np.maximum(W * _SCALE - np.where(is_deduct & deduct_ok, K * shortfall, 0), 0)
    # points in units of 1e-4, unrounded (float) and rounded (int)
    points_float = np.where(
        is_ratio, ratio_points, np.where(is_threshold, np.where(met, Wf, 0.0), deduct_e8 / _SCALE)
    )
    ratio_q, ratio_unsafe = _round_half_up(ratio_points, 1e-6)
    points_q = np.where(
        is_ratio, ratio_q, np.where(is_threshold, np.where(met, W, 0), (deduct_e8 + _SCALE // 2) // _SCALE)
    )
    completion_q, completion_unsafe = _round_half_up(completion * 1e6, 1e-6)

    fast = present & a_fast & t_num.fast & w_num.fast & np.where(is_deduct, k_num.fast & deduct_ok, True)
    exact_rows = present & (~fast | (is_ratio & ratio_unsafe) | completion_unsafe)
    if force_exact:
        exact_rows = present.copy()
    points_float = np.where(present, points_float, 0.0)
    points_q = np.where(present, points_q, 0)

    completion_out = np.where(present, completion_q / 1e6, np.nan)
    points_out = points_q / _SCALE
    completion_dec: dict[int, Decimal] = {}
    points_dec: dict[int, Decimal] = {}
    for i in np.flatnonzero(exact_rows).tolist():
        c, p, m = _exact_row(
            a_dec[i], t_num.decimals[i], w_num.decimals[i], bool(higher[i]), rules[i], k_num.decimals[i], cap
        )
        completion_dec[i], points_dec[i], met[i] = c, p, m
        completion_out[i] = float(c.quantize(_Q_COMPLETION, ROUND_HALF_UP))
        points_out[i] = float(p.quantize(_Q_POINTS, ROUND_HALF_UP))
    actual_out = np.where(a_fast, a_int / _SCALE, np.nan)
    for i in np.flatnonzero(present & ~a_fast).tolist():
        actual_out[i] = float(a_dec[i])

    # ---------------------------------------------------------------- regions
    group_key = tgt_r * year_span + (years - first_year)
    group_u, group = np.unique(group_key, return_inverse=True)
    group = group.reshape(-1)
    g_count = len(group_u)
    g_region = region_vocab[group_u // year_span] if g_count else np.array([], dtype=object)
    g_year = (group_u % year_span + first_year).astype(np.int64) if g_count else np.array([], dtype=np.int64)
    status_present = present & met, present & ~met, ~present
    g_met = np.bincount(group, weights=status_present[0], minlength=g_count).astype(np.int64)
    g_not_met = np.bincount(group, weights=status_present[1], minlength=g_count).astype(np.int64)
    g_missing = np.bincount(group, weights=status_present[2], minlength=g_count).astype(np.int64)
    g_vetoed = np.bincount(group, weights=present & ~met & vetoes, minlength=g_count) > 0
    g_points = np.bincount(group, weights=points_float, minlength=g_count)
    g_max = np.bincount(group, weights=W.astype(np.float64), minlength=g_count)  # exact below 2^53
    g_exact = np.zeros(g_count, dtype=bool)
    # Rows outside the int64 tier have no float points: their regions are summed in
    # Decimal. (A row whose own rounding was a tie has accurate float points.)
    g_exact[np.unique(group[(present & ~fast) | ~w_num.fast])] = True
    g_items: dict[int, list[tuple[Decimal, Decimal]]] = defaultdict(list)
    if items is not None and len(items):
        where_group = {
            (r, int(y)): g for g, (r, y) in enumerate(zip(g_region.tolist(), g_year.tolist(), strict=True))
        }
        for region, year, max_points, points in _item_rows(items):
            g = where_group.get((region, year))
            if g is None:
                continue  # DESIGN §3: a region with no target in a year has no score that year.
            g_items[g].append((max_points, points))
            p_int, m_int = _scaled(points), _scaled(max_points)
            if p_int is None or m_int is None:
                g_exact[g] = True
            else:
                g_points[g] += p_int
                g_max[g] += m_int
    g_max_int = g_max.astype(np.int64)
    with np.errstate(divide="ignore", invalid="ignore"):
        cents, cents_unsafe = _round_half_up(np.where(g_max > 0, g_points * _SCALE / g_max, 0.0), 1e-7)
    g_points_q, g_points_unsafe = _round_half_up(g_points, 1e-6)
    g_exact |= cents_unsafe | g_points_unsafe | (g_max >= _INT_LIMIT)
    if force_exact:
        g_exact[:] = True
    g_points_out = g_points_q / _SCALE
    g_max_out = g_max_int / _SCALE
    if g_exact.any():
        order = np.argsort(group, kind="stable")
        bounds = np.searchsorted(group[order], np.arange(g_count + 1))
        for g in np.flatnonzero(g_exact).tolist():
            earned = possible = _ZERO
            for i in order[bounds[g] : bounds[g + 1]].tolist():
                possible += w_num.decimals[i]
                if not present[i]:
                    continue
                if i not in points_dec:
                    c, p, m = _exact_row(
                        a_dec[i],
                        t_num.decimals[i],
                        w_num.decimals[i],
                        bool(higher[i]),
                        rules[i],
                        k_num.decimals[i],
                        cap,
                    )
                    points_dec[i] = p
                earned += points_dec[i]
            for max_points, points in g_items.get(g, ()):
                earned += points
                possible += max_points
            if possible > 0:
                exact_total = _HUNDRED * earned / possible
                total = exact_total.quantize(_Q_GUARD, ROUND_HALF_EVEN).quantize(_Q_TOTAL, ROUND_HALF_UP)
            else:
                total = _ZERO
            cents[g] = int(total * 100)
            g_points_out[g] = float(earned.quantize(_Q_POINTS, ROUND_HALF_UP))
            g_max_out[g] = float(possible)

    cut_cents = [int((c * 100).to_integral_value(rounding="ROUND_CEILING")) for c in cuts]
    grades = np.where(
        cents >= cut_cents[0],
        "A",
        np.where(cents >= cut_cents[1], "B", np.where(cents >= cut_cents[2], "C", "D")),
    ).astype(object)
    grades[g_vetoed] = "D"
    # Siblings share the parent code whether or not the parent itself is in scope
    # (scoring one city's subtree still ranks the city under its province).
    g_parent = np.array([parent_of.get(code) for code in g_region.tolist()], dtype=object)
    rank_frame = pd.DataFrame(
        {"parent": np.where(pd.isna(g_parent), "\0", g_parent), "year": g_year, "cents": cents}
    )
    by_sibling = rank_frame.groupby(["parent", "year"], sort=False)["cents"]
    g_rank = (
        by_sibling.rank(method="min", ascending=False).to_numpy(dtype=np.int64)
        if g_count
        else np.zeros(0, np.int64)
    )
    g_rank_of = by_sibling.transform("size").to_numpy(dtype=np.int64) if g_count else np.zeros(0, np.int64)

    # Three shared str objects, not one new str per row: later steps hash the column.
    status = np.array(["missing", "met", "not_met"], dtype=object)[np.where(~present, 0, np.where(met, 1, 2))]
    targets_out = pd.DataFrame(
        {
            "region_code": pd.Series(regions, dtype=object),
            "indicator_code": pd.Series(indicators, dtype=object),
            "year": pd.Series(years, dtype="int64"),
            "basis": pd.Series(np.full(n, basis, dtype=object), dtype=object),
            "actual": actual_out.astype("float64"),
            "target": t_num.floats,
            "comparator": pd.Series(comparators, dtype=object),
            "completion": completion_out.astype("float64"),
            "points": points_out.astype("float64"),
            "weight": w_num.floats,
            "status": pd.Series(status, dtype=object),
            "veto": pd.Series(vetoes, dtype=bool),
            "rule": pd.Series(rules, dtype=object),
            "rolled_up": pd.Series(rolled_up, dtype=bool),
        },
        columns=TARGET_COLUMNS,
    )
    if n:
        order = np.lexsort((tgt_i, years, tgt_r))
        if not np.array_equal(order, np.arange(n)):  # targets given in this order need no copy
            targets_out = targets_out.take(order).reset_index(drop=True)
    regions_out = pd.DataFrame(
        {
            "region_code": pd.Series(g_region, dtype=object),
            "parent_code": pd.Series(g_parent, dtype=object),
            "year": pd.Series(g_year, dtype="int64"),
            "basis": pd.Series([basis] * g_count, dtype=object),
            "points": g_points_out.astype("float64"),
            "max_points": g_max_out.astype("float64"),
            "total": (cents / 100).astype("float64"),
            "grade": pd.Series(grades, dtype=object),
            "rank": pd.Series(g_rank, dtype="int64"),
            "rank_of": pd.Series(g_rank_of, dtype="int64"),
            "met": pd.Series(g_met, dtype="int64"),
            "not_met": pd.Series(g_not_met, dtype="int64"),
            "missing": pd.Series(g_missing, dtype="int64"),
            "vetoed": pd.Series(g_vetoed, dtype=bool),
        },
        columns=REGION_COLUMNS,
    )
    if g_count:
        regions_out = regions_out.take(np.lexsort((group_u // year_span, g_year))).reset_index(drop=True)
    return ScoreResult(targets=targets_out, regions=regions_out)


def _check_comparator(value: Any) -> str:
    if value not in COMPARATORS:
        raise ValueError(f"targets.comparator must be >= or <=, not {value!r}")
    return value


def _check_rule(value: str | None) -> str:
    rule = value or "ratio"
    if rule not in RULES:
        raise ValueError(f"targets.rule must be one of {RULES}, not {value!r}")
    return rule


def _item_rows(items: pd.DataFrame) -> list[tuple[str, int, Decimal, Decimal]]:
    """Validated (region, year, max_points, points) per item; None points count as 0."""
    _require(items, "items", ["region_code", "year", "item_code", "max_points", "points"])
    regions = _str_column(items["region_code"], "items.region_code")
    years = _int_column(items["year"], "items.year")
    codes = _str_column(items["item_code"], "items.item_code")
    maxima = _decimal_column(items["max_points"], "items.max_points")
    awarded = _decimal_column(items["points"], "items.points")
    seen: set[tuple[str, int, str]] = set()
    rows = []
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
        rows.append((region, year, max_points, points))
    return rows


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


def inputs_hash(
    *frames: pd.DataFrame | Mapping[str, Any] | None,
    sections: MutableMapping[tuple[int, int], tuple[pd.DataFrame, bytes]] | None = None,
) -> str:
    """sha256 hex digest of the inputs, independent of row and column order.

    Each argument is a DataFrame, a mapping (hashed as a one-row frame — handy for
    parameters such as cap, grade cut-offs and basis) or None. The index is ignored;
    argument order matters. Equal numbers hash equal whatever their type.

    ``sections``: an optional dict the caller keeps between calls, where the text
    hashed for each DataFrame argument is kept by (position, frame). Hashing the
    same frame object at the same position again (e.g. a year's targets for the
    second basis) then reuses it; the digest is the same as without the dict. The
    frames must not be changed in between.
    """
    digest = hashlib.sha256()
    for position, frame in enumerate(frames):
        if isinstance(frame, pd.DataFrame) and sections is not None:
            digest.update(_kept_section(sections, position, frame))
        else:
            digest.update(_frame_section(position, frame))
    return digest.hexdigest()


def prepare_sections(
    sections: MutableMapping[tuple[int, int], tuple[pd.DataFrame, bytes]],
    *frames: pd.DataFrame | None,
) -> None:
    """Fill ``sections`` for the DataFrame arguments (at their positions) without hashing.

    ``inputs_hash(*args, sections=sections)`` later finds them there when the same
    frame objects sit at the same positions; pass None for the others.
    """
    for position, frame in enumerate(frames):
        if isinstance(frame, pd.DataFrame):
            _kept_section(sections, position, frame)


def _kept_section(
    sections: MutableMapping[tuple[int, int], tuple[pd.DataFrame, bytes]], position: int, frame: pd.DataFrame
) -> bytes:
    key = (position, id(frame))
    cached = sections.get(key)
    # The dict keeps the frame itself, so its id cannot be reused by another.
    if cached is None or cached[0] is not frame:
        cached = sections[key] = (frame, _frame_section(position, frame))
    return cached[1]


def _frame_section(position: int, frame: pd.DataFrame | Mapping[str, Any] | None) -> bytes:
    """The text `inputs_hash` hashes for the argument at `position`."""
    if frame is None:
        return f"#{position}:none\n".encode()
    if isinstance(frame, Mapping):
        frame = pd.DataFrame([dict(frame)])
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"inputs_hash takes DataFrames, mappings or None, not {type(frame)}")
    columns = sorted(str(c) for c in frame.columns)
    if len(set(columns)) != len(columns):
        raise ValueError("inputs_hash: duplicate column names")
    by_name = {str(c): c for c in frame.columns}
    parts = [f"#{position}:{len(frame)}:{len(columns)}\n".encode()]
    parts.extend(_canonical(name).encode() for name in columns)
    parts.append(b"\n")
    # Each column: its distinct values' canonical texts, sorted (the vocabulary),
    # and every cell as the rank of its text in that vocabulary. The rows of
    # ranks are then sorted, so neither row order nor which of several equal
    # numbers came first changes the digest; vocabulary + rows fix the values.
    ranks, sizes = [], []
    for name in columns:
        codes, uniques = pd.factorize(frame[by_name[name]], use_na_sentinel=True)
        canon = [*_canonical_texts(uniques), _canonical(None)]
        vocabulary = sorted(set(canon))
        rank_of = {text: rank for rank, text in enumerate(vocabulary)}
        parts.append(f"{len(vocabulary)}\n".encode())
        parts.append("".join(vocabulary).encode())
        ranks.append(np.array([rank_of[text] for text in canon], dtype="<i8")[codes])
        sizes.append(len(vocabulary))
    if ranks and len(frame):
        matrix = np.column_stack(ranks)[_row_order(ranks, sizes)]
        parts.append(np.ascontiguousarray(matrix, dtype="<i8").tobytes())
    return b"".join(parts)


def _canonical_texts(uniques: Any) -> list[str]:
    """`_canonical` of each value; plain str values (most code and COPY text columns) directly."""
    values = uniques.tolist() if hasattr(uniques, "tolist") else list(uniques)
    if all(type(value) is str for value in values):
        return [f"{len(value) + 2}|s:{value}" for value in values]  # = _canonical(value)
    return [_canonical(value) for value in values]


def _row_order(ranks: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    """The order that sorts the rows of the rank columns by column 0, then 1, ...

    The same order as ``np.lexsort`` of the columns (last key first), with fewer
    keys: consecutive columns are packed into one int64 (mixed radix, each column's
    ranks lie in [0, its vocabulary size)) while the product of sizes stays below
    2**62, so a national frame usually sorts on a single key.
    """
    keys: list[np.ndarray] = []
    key: np.ndarray | None = None
    span = 1
    for column, size in zip(ranks, sizes, strict=True):
        size = max(size, 1)
        if key is not None and span * size < 2**62:
            key = key * size + column
            span *= size
        else:
            if key is not None:
                keys.append(key)
            key, span = column.astype(np.int64), size
    if key is not None:
        keys.append(key)
    if len(keys) == 1:
        return np.argsort(keys[0], kind="stable")
    return np.lexsort(keys[::-1])
