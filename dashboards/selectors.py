"""Reads for the leader dashboards.

Every function here runs a fixed number of queries whatever the number of regions
it covers (no per-row lookups: related rows come through joins, ``select_related``
or ``values``), so a page built from them stays bounded from a 5-county city to a
province. Pages read precomputed scores (RegionScore, TargetScore); they never
score on request. Roll-ups of ``sum`` indicators follow the scoring rule of
DESIGN §3: a region's own figure wins, otherwise the sum of its children's.

The reads of every overview and comparison request (the region, its children, the
family's scores, target scores, horizon targets and the figures behind them) are
hand-written SELECTs run through :func:`_fetch`, which types their values as the
ORM would; the rest use the ORM.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Case, Count, F, Field, Q, Subquery, Sum, Value, When

from accounts import policy
from indicators.models import VALUE_PLACES, Figure, Indicator, Plan, Region, RegionScore, Target, TargetScore
from quality_city.typed_rows import column_converters, typed_row

# Which figure value a basis reads: `self` is what the region reported (drafts are
# not reported yet), `verified` is the approved, possibly adjusted value, and
# `effective` is the value in force (verified once approved, reported before).
FIELD_FOR_BASIS = {"self": "reported", "verified": "verified"}

# Award-like brand indicators for the brands chart until the awards registry
# (issue 6) exists. Category `brand` minus the counts that are not awards
# (trademarks registered, patents, a total of other rows, an output share), plus
# the quality awards and the Luban Prize, which the awards registry also grants.
NOT_AWARDS = ("BR_REGISTERED_TM", "BR_INVENTION_PATENTS", "BR_PROV_FAMOUS_QUALITY_TOTAL")
EXTRA_AWARDS = (
    "QM_NATIONAL_QUALITY_AWARD",
    "QM_PROVINCIAL_QUALITY_AWARD",
    "QM_MUNICIPAL_QUALITY_AWARD",
    "EN_LUBAN_AWARDS",
)


# --------------------------------------------------------------------------- hand-written reads


def _fields(model, *names: str) -> tuple[Field, ...]:
    return tuple(model._meta.get_field(n) for n in names)


def _fetch(sql: str, params: Sequence, fields: tuple[Field | None, ...]) -> list[tuple]:
    """The rows of a hand-written SELECT whose columns are `fields`, typed as the ORM types them.

    The reads every overview and comparison makes on each request are a few plain
    SELECTs; building them through the ORM (lookups, joins, compilation) takes longer
    than PostgreSQL takes to answer them. The SQL is portable (``%s`` placeholders,
    no vendor functions) and the ORM's converters turn SQLite's numbers into the same
    Decimals and booleans; PostgreSQL needs none.
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = column_converters(connection, fields)
    if not converters:
        return rows
    return [tuple(typed_row(row, converters, connection)) for row in rows]


def _fetch_batch(statements: Sequence[tuple[str, Sequence, tuple[Field | None, ...]]]) -> list[list[tuple]]:
    """The rows of several hand-written SELECTs that do not depend on each other, each
    typed as :func:`_fetch` types it.

    On PostgreSQL they go in one round trip: Django's psycopg cursor binds parameters
    on the client, so the statements travel as one query string and each result is
    read with ``nextset()`` (each statement is still planned and run on its own).
    SQLite, and a PostgreSQL connection set up for server-side binding, run them one
    after the other.
    """
    if (
        len(statements) < 2
        or connection.vendor != "postgresql"
        or connection.settings_dict.get("OPTIONS", {}).get("server_side_binding")
    ):
        return [_fetch(sql, params, fields) for sql, params, fields in statements]
    results = []
    with connection.cursor() as cursor:
        cursor.execute(
            "; ".join(sql for sql, _, _ in statements), [p for _, params, _ in statements for p in params]
        )
        for index, (_, _, fields) in enumerate(statements):
            if index:
                cursor.nextset()
            rows = cursor.fetchall()
            converters = column_converters(connection, fields)
            results.append(
                [tuple(typed_row(row, converters, connection)) for row in rows] if converters else rows
            )
    return results


def _placeholders(values: Sequence) -> str:
    return ", ".join(["%s"] * len(values))


# --------------------------------------------------------------------------- regions

_REGION_FIELDS = tuple(Region._meta.concrete_fields)
_REGION_COLUMNS = [f.column for f in _REGION_FIELDS]
# The region and the two levels above it (province > city > county): the page's
# breadcrumbs need the ancestors, and one join is cheaper than a second query.
_REGION_CHAIN_COLUMNS = ", ".join(f"{t}.{c}" for t in ("r", "p", "g") for c in _REGION_COLUMNS)
_REGION_CHAIN_JOINS = (
    " FROM indicators_region r LEFT JOIN indicators_region p ON p.id = r.parent_id"
    " LEFT JOIN indicators_region g ON g.id = p.parent_id"
)
_REGION_CHAIN_SQL = f"SELECT {_REGION_CHAIN_COLUMNS}{_REGION_CHAIN_JOINS} WHERE r.code = %s"


def region_by_code(code: str, user=None, *, family_scores: bool = False) -> Region | None:
    """The region, with its parent and grandparent loaded (``region.parent.parent``).

    With a signed-in `user` whose profile the permission policy has not read yet, the
    same query brings the profile along (``policy.profile_join``) and hands it to the
    policy: the page's permission check then needs no query of its own. With
    `family_scores`, the rows :func:`family_scores` reads for the region come in the same
    round trip (a score page reads them next; a refused request just drops them).
    """
    user_id = policy.profile_to_load(user) if user is not None else None
    n = len(_REGION_FIELDS)
    if user_id is None:
        read = (_REGION_CHAIN_SQL, [code], _REGION_FIELDS * 3)
    else:
        columns, joins, width = policy.profile_join()
        sql = f"SELECT {_REGION_CHAIN_COLUMNS}, {columns}{_REGION_CHAIN_JOINS}{joins} WHERE r.code = %s"
        read = (sql, [user_id, code], _REGION_FIELDS * 3 + (None,) * width)
    if family_scores:
        rows, family = _fetch_batch([read, (_FAMILY_SCORES_BY_CODE_SQL, [code, code], _SCORE_LINE_FIELDS)])
    else:
        rows, family = _fetch(*read), None
    if rows and user_id is not None:
        policy.remember_profile(user, rows[0][3 * n :])
    if not rows:
        return None
    names = [f.attname for f in _REGION_FIELDS]
    chain = [
        Region.from_db(connection.alias, names, rows[0][i * n : (i + 1) * n])
        if rows[0][i * n] is not None
        else None
        for i in range(3)
    ]
    region, parent, grandparent = chain
    if parent is not None:
        region.parent = parent
        if grandparent is not None:
            parent.parent = grandparent
    if family is not None:
        setattr(region, _FAMILY_ROWS_ATTR, family)
    return region


def ancestors(region: Region) -> list[Region]:
    """The regions above `region`, top first, from the materialised path (the loaded
    parents when :func:`region_by_code` fetched them, else one query)."""
    codes = [c for c in region.path.strip("/").split("/") if c and c != region.code]
    if not codes:
        return []
    found: dict[str, Region] = {}
    node = region
    while Region.parent.is_cached(node) and node.parent is not None:
        node = node.parent
        found[node.code] = node
    missing = [c for c in codes if c not in found]
    if missing:
        found.update((r.code, r) for r in Region.objects.filter(code__in=missing))
    return [found[c] for c in codes if c in found]


_CHILDREN_SQL = (
    f"SELECT {', '.join(_REGION_COLUMNS)} FROM indicators_region WHERE parent_id = %s ORDER BY code"  # noqa: S608 (column names)
)


def children(region: Region) -> list[Region]:
    """The regions directly below `region`, by code."""
    names = [f.attname for f in _REGION_FIELDS]
    return [
        Region.from_db(connection.alias, names, row)
        for row in _fetch(_CHILDREN_SQL, [region.pk], _REGION_FIELDS)
    ]


def indicators(category: str | None = None) -> list[Indicator]:
    qs = Indicator.objects.all()
    if category:
        qs = qs.filter(category=category)
    return list(qs.order_by("sort_order", "code"))


# --------------------------------------------------------------------------- scores


@dataclass(frozen=True)
class ScoreYears:
    """Which years and bases have scores, for the region itself and for its children.

    Each maps year -> {basis: has data}, where "has data" means at least one target
    had an actual: a verified run over a year nobody has verified yet scores every
    target as missing, and that is not the result a leader should land on.
    """

    own: dict[int, dict[str, bool]]
    children: dict[int, dict[str, bool]]


def score_years(region: Region) -> ScoreYears:
    # `region_id IN (the region and its children)` lets PostgreSQL read the few rows
    # through the region index; an OR across the join to the region table scans them all.
    family = Region.objects.filter(Q(pk=region.pk) | Q(parent=region)).values("id")
    rows = (
        RegionScore.objects.filter(region_id__in=Subquery(family))
        .annotate(own=Case(When(region_id=region.pk, then=Value(True)), default=Value(False)))
        .values("own", "year", "basis")
        .annotate(present=Sum(F("met") + F("not_met")))
        .values_list("own", "year", "basis", "present")
    )
    own: dict[int, dict[str, bool]] = defaultdict(dict)
    kids: dict[int, dict[str, bool]] = defaultdict(dict)
    for is_own, year, basis, present in rows:
        (own if is_own else kids)[year][basis] = bool(present)
    return ScoreYears(dict(own), dict(kids))


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """The columns of a RegionScore a page shows (no model instance)."""

    region_id: int
    year: int
    basis: str
    total: Decimal
    grade: str
    rank: int
    rank_of: int
    met: int
    not_met: int
    missing: int
    vetoed: bool


_SCORE_LINE_FIELDS = _fields(
    RegionScore,
    "region",
    "year",
    "basis",
    "total",
    "grade",
    "rank",
    "rank_of",
    "met",
    "not_met",
    "missing",
    "vetoed",
)
_SCORE_LINE_COLUMNS = (
    "rs.region_id, rs.year, rs.basis, rs.total, rs.grade, rs.rank, rs.rank_of, rs.met, rs.not_met,"
    " rs.missing, rs.vetoed"
)
# The region's rows, then its children's through the parent index: with `region_id IN
# (subquery)` or an OR in one join, PostgreSQL may hash the whole score table instead.
_FAMILY_SCORES_SQL = (
    f"SELECT {_SCORE_LINE_COLUMNS} FROM indicators_regionscore rs WHERE rs.region_id = %s"  # noqa: S608 (constants)
    f" UNION ALL SELECT {_SCORE_LINE_COLUMNS} FROM indicators_regionscore rs"
    " JOIN indicators_region r ON r.id = rs.region_id WHERE r.parent_id = %s"
)


# The same rows by the region's code, for the region's own round trip (region_by_code).
_FAMILY_SCORES_BY_CODE_SQL = (
    f"SELECT {_SCORE_LINE_COLUMNS} FROM indicators_regionscore rs"  # noqa: S608 (constants)
    " WHERE rs.region_id = (SELECT id FROM indicators_region WHERE code = %s)"
    f" UNION ALL SELECT {_SCORE_LINE_COLUMNS} FROM indicators_regionscore rs"
    " JOIN indicators_region r ON r.id = rs.region_id"
    " WHERE r.parent_id = (SELECT id FROM indicators_region WHERE code = %s)"
)
# Where region_by_code(..., family_scores=True) leaves the rows on the region it returns.
_FAMILY_ROWS_ATTR = "_qc_family_score_rows"


def family_scores(region: Region) -> tuple[ScoreYears, dict[tuple[int, int, str], ScoreLine]]:
    """:func:`score_years` and every RegionScore of the region and its children, keyed
    like :func:`region_scores`, from one query (an overview and a comparison need both;
    a family is a few dozen regions times the assessed years and two bases), or from the
    rows read with the region (taken once: a second call reads again)."""
    own: dict[int, dict[str, bool]] = defaultdict(dict)
    kids: dict[int, dict[str, bool]] = defaultdict(dict)
    lines: dict[tuple[int, int, str], ScoreLine] = {}
    rows = region.__dict__.pop(_FAMILY_ROWS_ATTR, None)
    if rows is None:
        rows = _fetch(_FAMILY_SCORES_SQL, [region.pk, region.pk], _SCORE_LINE_FIELDS)
    for row in rows:
        line = ScoreLine(*row)
        lines[(line.region_id, line.year, line.basis)] = line
        # "Has data": some target had an actual (met + not met > 0), as score_years sums it.
        side = own if line.region_id == region.pk else kids
        side[line.year][line.basis] = side[line.year].get(line.basis, False) or bool(line.met + line.not_met)
    return ScoreYears(dict(own), dict(kids)), lines


def region_scores(
    region_ids: Iterable[int], years: Sequence[int], bases: Sequence[str]
) -> dict[tuple[int, int, str], RegionScore]:
    """RegionScore rows keyed by (region_id, year, basis)."""
    rows = RegionScore.objects.filter(
        region_id__in=list(region_ids), year__in=list(years), basis__in=list(bases)
    )
    return {(r.region_id, r.year, r.basis): r for r in rows}


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One TargetScore with the indicator columns a page shows (no model instances:
    an overview reads one per target on every request)."""

    region_id: int
    code: str
    name_zh: str
    name_en: str
    unit: str
    category: str
    sort_order: int
    actual: Decimal | None
    target: Decimal | None
    comparator: str
    completion: Decimal | None
    points: Decimal
    weight: Decimal
    status: str
    veto: bool


_TARGET_SCORE_FIELDS = (
    TargetScore._meta.get_field("region"),
    *_fields(Indicator, "code", "name_zh", "name_en", "unit", "category", "sort_order"),
    *_fields(
        TargetScore, "actual", "target", "comparator", "completion", "points", "weight", "status", "veto"
    ),
)
# The numbers as floats (None for the converter): a comparison only draws and formats
# them, and PostgreSQL's float8 is the float of the decimal, as float(Decimal) gives.
_TARGET_SCORE_ROW_FIELDS = (
    TargetScore._meta.get_field("region"),
    None,
    None,
    TargetScore._meta.get_field("comparator"),
    None,
    TargetScore._meta.get_field("status"),
    *_fields(Indicator, "code", "name_zh", "unit"),  # the name read: name_zh or name_en (both text)
)


def _target_score_sql(columns: str, region_ids: Sequence[int], category: str | None) -> str:
    return (
        f"SELECT {columns} FROM indicators_targetscore ts"  # noqa: S608 (constants and placeholders)
        " JOIN indicators_indicator i ON i.id = ts.indicator_id"
        f" WHERE ts.region_id IN ({_placeholders(region_ids)}) AND ts.year = %s AND ts.basis = %s"
        + (" AND i.category = %s" if category else "")
        + " ORDER BY i.sort_order, i.code, ts.region_id"
    )


def target_scores(
    region_ids: Iterable[int], year: int, basis: str, category: str | None = None
) -> list[ScoreRow]:
    """TargetScore rows of the regions for one year and basis, with their indicator, in catalogue order."""
    ids = list(region_ids)
    if not ids:
        return []
    return [ScoreRow(*row) for row in _fetch(*_target_score_read(ids, year, basis, category))]


def _target_score_read(
    ids: list[int], year: int, basis: str, category: str | None = None
) -> tuple[str, list, tuple[Field, ...]]:
    sql = _target_score_sql(
        "ts.region_id, i.code, i.name_zh, i.name_en, i.unit, i.category, i.sort_order, ts.actual, ts.target,"
        " ts.comparator, ts.completion, ts.points, ts.weight, ts.status, ts.veto",
        ids,
        category,
    )
    return sql, [*ids, year, basis, *([category] if category else [])], _TARGET_SCORE_FIELDS


def target_score_rows(
    region_ids: Iterable[int], year: int, basis: str, category: str | None = None, *, english: bool = False
) -> list[tuple]:
    """The same rows as :func:`target_scores` as plain tuples (region_id, actual,
    target, comparator, completion, status, indicator code, name, unit), the
    numbers as floats: a comparison page reads one per indicator and county (a
    thousand for a 20-county city) and only draws and formats them. The name is the
    indicator's `name_en` when `english`, else its `name_zh`: the page shows one, and
    a thousand rows need not carry both."""
    ids = list(region_ids)
    if not ids:
        return []
    sql = _target_score_sql(
        "ts.region_id, CAST(ts.actual AS DOUBLE PRECISION), CAST(ts.target AS DOUBLE PRECISION),"
        " ts.comparator, CAST(ts.completion AS DOUBLE PRECISION), ts.status, i.code,"
        f" {'i.name_en' if english else 'i.name_zh'}, i.unit",
        ids,
        category,
    )
    return _fetch(sql, [*ids, year, basis, *([category] if category else [])], _TARGET_SCORE_ROW_FIELDS)


# --------------------------------------------------------------------------- figures


def _value_of(field: str, reported: Decimal, verified: Decimal | None, status: str) -> Decimal | None:
    if field == "reported":
        return None if status == Figure.Status.DRAFT else reported
    if field == "verified":
        return verified if status == Figure.Status.APPROVED else None
    # effective
    if status == Figure.Status.APPROVED and verified is not None:
        return verified
    return None if status == Figure.Status.DRAFT else reported


def rolled_up_values(
    region: Region,
    indicator_list: Sequence[Indicator | IndicatorRef],
    *,
    field: str,
    years: Sequence[int] | None = None,
    with_children: bool = False,
) -> dict[tuple[str, int, int], Decimal]:
    """Actuals keyed by (region code, indicator id, year) for `region` (and its children).

    A `sum` indicator without an own figure takes the sum of its children's values,
    recursively (the scoring rule); a `none` indicator is only ever the region's own
    figure. With `years` given and without the children, the region's own figures are
    read first (one query by the (region, indicator, year) index) and the subtree only
    for the (indicator, year) pairs of `sum` indicators that have no own value; at
    national scale every region reports its own, so nothing is rolled up. Otherwise
    one query over the subtree.
    """
    if not indicator_list:
        return {}
    if years is not None and not with_children:
        return _own_then_rolled_up(region, indicator_list, field=field, years=years)
    return _rolled_up_over_subtree(
        region, indicator_list, field=field, years=years, with_children=with_children
    )


# The value a basis reads (`_value_of`) worked out by PostgreSQL: one number per figure
# instead of both values and the status.
_DRAFT, _APPROVED = Figure.Status.DRAFT.value, Figure.Status.APPROVED.value
_OWN_VALUE = {
    "reported": ("reported_value", f"status <> '{_DRAFT}'"),
    "verified": ("verified_value", f"status = '{_APPROVED}' AND verified_value IS NOT NULL"),
    "effective": (
        f"CASE WHEN status = '{_APPROVED}' AND verified_value IS NOT NULL THEN verified_value"
        " ELSE reported_value END",
        f"status <> '{_DRAFT}'",
    ),
}
# Typed as the reported value: all three are the same kind of decimal column.
_OWN_VALUE_FIELDS = _fields(Figure, "indicator", "year", "reported_value")


def _own_values_sql(field: str, first_year: str = "%s") -> str:
    """The region's figures of a span of years as (indicator id, year, value), the value
    the basis reads; rows without one are left out. Parameters: region id, the first
    year (unless `first_year` is given as SQL), the last year."""
    value, condition = _OWN_VALUE[field]
    return (
        f"SELECT indicator_id, year, {value} FROM indicators_figure"  # noqa: S608 (constants)
        f" WHERE region_id = %s AND year >= {first_year} AND year <= %s AND {condition}"
    )


def _own_then_rolled_up(
    region: Region,
    indicator_list: Sequence[Indicator | IndicatorRef],
    *,
    field: str,
    years: Sequence[int],
    rows: list[tuple] | None = None,
) -> dict[tuple[str, int, int], Decimal]:
    """`rows`: the region's own values of a span that covers `years` (read when not given)."""
    years = list(years)
    if not years:
        return {}
    ids, wanted = {i.pk for i in indicator_list}, set(years)
    # The region's figures of the span, filtered here: long IN lists cost PostgreSQL more
    # to plan than the few rows of other indicators cost to read.
    if rows is None:
        rows = _fetch(_own_values_sql(field), [region.pk, min(years), max(years)], _OWN_VALUE_FIELDS)
    code = region.code
    out: dict[tuple[str, int, int], Decimal] = {
        (code, indicator_id, year): value
        for indicator_id, year, value in rows
        if indicator_id in ids and year in wanted
    }
    missing = [
        (i, year)
        for i in indicator_list
        if i.aggregation == Indicator.Aggregation.SUM
        for year in years
        if (region.code, i.pk, year) not in out
    ]
    if missing:
        rolled = _rolled_up_over_subtree(
            region,
            list({i.pk: i for i, _ in missing}.values()),
            field=field,
            years=sorted({year for _, year in missing}),
            with_children=False,
        )
        for i, year in missing:
            key = (region.code, i.pk, year)
            if key in rolled:
                out[key] = rolled[key]
    return out


def _rolled_up_over_subtree(
    region: Region,
    indicator_list: Sequence[Indicator | IndicatorRef],
    *,
    field: str,
    years: Sequence[int] | None,
    with_children: bool,
) -> dict[tuple[str, int, int], Decimal]:
    sum_ids = [i.pk for i in indicator_list if i.aggregation == Indicator.Aggregation.SUM]
    none_ids = [i.pk for i in indicator_list if i.aggregation != Indicator.Aggregation.SUM]
    # The subtree's regions first (served by the path index), then the figures by
    # region id: an OR across the join to the region table would make PostgreSQL
    # scan every figure in the country.
    own_q = Q(pk=region.pk) | Q(parent=region) if with_children else Q(pk=region.pk)
    region_rows = Region.objects.filter(Q(path__startswith=region.path) | own_q).values_list(
        "id", "path", "parent_id"
    )
    path_of: dict[int, str] = {}
    subtree_ids: list[int] = []
    own_ids: list[int] = []
    for pk, path, parent_id in region_rows.order_by():
        path_of[pk] = path
        if path.startswith(region.path):
            subtree_ids.append(pk)
        if pk == region.pk or (with_children and parent_id == region.pk):
            own_ids.append(pk)
    cond = Q(indicator_id__in=sum_ids, region_id__in=subtree_ids) | Q(
        indicator_id__in=none_ids, region_id__in=own_ids
    )
    qs = Figure.objects.filter(cond)
    if years is not None:
        qs = qs.filter(year__in=list(years))
    rows = (
        (path_of[region_id], indicator_id, year, reported, verified, status)
        for region_id, indicator_id, year, reported, verified, status in qs.order_by().values_list(
            "region_id", "indicator_id", "year", "reported_value", "verified_value", "status"
        )
    )

    own_value: dict[tuple[str, int, int], Decimal] = {}
    kids: dict[str, set[str]] = defaultdict(set)
    for path, indicator_id, year, reported, verified, status in rows:
        chain = path.strip("/").split("/")
        for parent, child in itertools.pairwise(chain):
            kids[parent].add(child)
        value = _value_of(field, reported, verified, status)
        if value is not None:
            own_value[(chain[-1], indicator_id, year)] = value

    keys = {(ind, yr) for (_, ind, yr) in own_value}
    sum_set = set(sum_ids)
    memo: dict[tuple[str, int, int], Decimal | None] = {}

    def value(code: str, ind: int, yr: int) -> Decimal | None:
        key = (code, ind, yr)
        if key in memo:
            return memo[key]
        result = own_value.get(key)
        if result is None and ind in sum_set:
            parts = [v for c in kids.get(code, ()) if (v := value(c, ind, yr)) is not None]
            result = sum(parts, Decimal(0)) if parts else None
        memo[key] = result
        return result

    targets_codes = [region.code]
    if with_children:
        targets_codes += sorted(kids.get(region.code, set()))
    out: dict[tuple[str, int, int], Decimal] = {}
    for code in targets_codes:
        for ind, yr in keys:
            v = value(code, ind, yr)
            if v is not None:
                out[(code, ind, yr)] = v
    return out


# --------------------------------------------------------------------------- at risk


def _shortest_decimal(value: float) -> tuple[int, int]:
    """(y, places) with y / 10**places the shortest decimal that reads back as `value`:
    ``Decimal(str(value))`` as a fraction, not reduced, read from ``repr`` (a finite
    float's repr is that decimal: "98.31", "-0.5", "1e-05", "1.5e+16")."""
    mantissa, _, exponent = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    places = len(fraction) - (int(exponent) if exponent else 0)
    if places >= 0:
        return int(whole + fraction), places
    return int(whole + fraction) * 10**-places, 0


@functools.lru_cache(maxsize=256)
def _line_weights(xs: tuple[int, ...], horizon: int, places: int) -> tuple[tuple[int, ...], int] | None:
    """(W, Q) with the least-squares line's value at `horizon` = sum(W_i * Y_i) / Q for the
    values y_i = Y_i / 10**places at the years `xs`: with D = n·Sxx − Sx², the value is
    (Sy·D + (n·Sxy − Sx·Sy)·(n·h − Sx)) / (n·D), which per point is
    W_i = D + (n·x_i − Sx)·(n·h − Sx) over Q = n·D·10**places. None under two distinct
    years. Worked out once per set of years, horizon and places."""
    n = len(xs)
    if len(set(xs)) < 2:
        return None
    sx = sum(xs)
    d = n * sum(x * x for x in xs) - sx * sx
    t = n * horizon - sx
    return tuple(d + (n * x - sx) * t for x in xs), n * d * 10**places


def linear_projection(years: Sequence[int], values: Sequence[float], horizon: int) -> float | None:
    """`indicators.scoring.project_linear` for finite values, in integer arithmetic.

    The same exact least-squares line (each float read as its shortest decimal, as
    `project_linear` reads it), so the same float comes out; without the
    normalisation of a Fraction at every step it is some 20 times faster, which
    counts with one projection per horizon target on every overview. The values are
    brought to a common denominator 10**places and the line's value at the horizon is
    a sum of integer weights times them (:func:`_line_weights`); the one integer
    division rounds the exact quotient once.
    """
    if len(years) != len(values):
        raise ValueError("years and values must have the same length")
    points = [
        (int(x), _shortest_decimal(float(v)))
        for x, v in zip(years, values, strict=True)
        if v is not None and not math.isnan(v)
    ]
    xs = tuple(x for x, _ in points)
    if len(set(xs)) < 2:
        return None
    top = max(places for _, (_, places) in points)
    weights, denominator = _line_weights(xs, int(horizon), top)
    return (
        sum(w * y * 10 ** (top - places) for w, (_, (y, places)) in zip(weights, points, strict=True))
        / denominator
    )


# A decimal of at most 15 significant digits is the shortest decimal of its float, so
# its exact value is what linear_projection reads from that float.
_EXACT_IN_FLOAT = 10**15


def decimal_projection(years: Sequence[int], values: Sequence[Decimal], horizon: int) -> float | None:
    """``linear_projection(years, [float(v) for v in values], horizon)``, read from the decimals.

    A stored figure has at most four decimal places; with at most 15 significant digits
    its float's shortest decimal is the decimal itself, so the exact line through the
    decimals is the line linear_projection draws, and the one division rounds it to the
    same float. The weights of a set of years are worked out once. Any other value (more
    digits or places, not a Decimal, NaN) goes through linear_projection itself.
    """
    scaled = []
    for v in values:
        if type(v) is not Decimal or not v.is_finite():
            return linear_projection(years, [float(v) for v in values], horizon)
        y = v.scaleb(VALUE_PLACES)
        i = int(y)
        if i != y or not -_EXACT_IN_FLOAT < i < _EXACT_IN_FLOAT:
            return linear_projection(years, [float(v) for v in values], horizon)
        scaled.append(i)
    line = _line_weights(tuple(int(x) for x in years), int(horizon), VALUE_PLACES)
    if line is None:
        return None
    weights, denominator = line
    return sum(w * y for w, y in zip(weights, scaled, strict=True)) / denominator


@dataclass(frozen=True, slots=True)
class IndicatorRef:
    """The indicator columns the at-risk list and the roll-up read (`pk` as on a model)."""

    pk: int
    code: str
    name_zh: str
    name_en: str
    unit: str
    category: str
    aggregation: str


@dataclass(frozen=True, slots=True)
class HorizonTarget:
    """A target at the horizon of its plan, with the plan's name and base year."""

    indicator_id: int
    indicator: IndicatorRef
    year: int
    comparator: str
    value: Decimal
    plan_name: str
    base_year: int


@dataclass(frozen=True)
class Projection:
    """A horizon target and where the least-squares line through the actuals puts it."""

    target: HorizonTarget
    years: tuple[int, ...]
    values: tuple[float, ...]
    projected: float | None
    at_risk: bool

    @property
    def gap(self) -> float | None:
        if self.projected is None:
            return None
        return self.projected - float(self.target.value)


_HORIZON_TARGET_FIELDS = (
    Target._meta.get_field("indicator"),
    *_fields(Indicator, "code", "name_zh", "name_en", "unit", "category", "aggregation"),
    *_fields(Target, "year", "comparator", "value", "plan"),
)
_HORIZON_TARGET_SQL = (
    "SELECT t.indicator_id, i.code, i.name_zh, i.name_en, i.unit, i.category, i.aggregation, t.year,"
    " t.comparator, t.value, t.plan_id FROM indicators_target t JOIN indicators_indicator i ON i.id = t.indicator_id"
    " WHERE t.region_id = %s AND t.year > %s AND t.plan_id IS NOT NULL ORDER BY t.year, i.sort_order, i.code"
)


_PLAN_FIELDS = _fields(Plan, "id", "name", "base_year", "end_year")
# The region's own plans that end after the year: the plans of its horizon targets,
# read in the same round trip (a target may also hang on a plan of a region above it,
# read by id afterwards). Joined to the targets instead, PostgreSQL hashes every plan
# in the country to match one region's few.
_REGION_PLANS_SQL = (
    "SELECT id, name, base_year, end_year FROM indicators_plan WHERE region_id = %s AND end_year > %s"
)

# The region's own values since the earliest base year of those plans (parameters: the
# region, the region and the year for the plans, the year).
_OWN_VALUES_SINCE_PLANS_SQL = {
    field: _own_values_sql(field, first_year=f"(SELECT min(base_year) FROM ({_REGION_PLANS_SQL}) p)")  # noqa: S608
    for field in _OWN_VALUE
}


def horizon_targets(region: Region, after_year: int) -> list[HorizonTarget]:
    """Targets at the horizon of a plan (year = plan end year) still ahead after `after_year`,
    in catalogue order within a year (plain rows: one per target on every overview)."""
    rows, plan_rows = _fetch_batch(
        [
            (_HORIZON_TARGET_SQL, [region.pk, after_year], _HORIZON_TARGET_FIELDS),
            (_REGION_PLANS_SQL, [region.pk, after_year], _PLAN_FIELDS),
        ]
    )
    return _horizon_targets(rows, plan_rows)


def _horizon_targets(rows: list[tuple], plan_rows: list[tuple]) -> list[HorizonTarget]:
    plans = {pk: (name, base_year, end_year) for pk, name, base_year, end_year in plan_rows}
    others = sorted({row[-1] for row in rows} - plans.keys())
    if others:
        plans.update(
            (pk, (name, base_year, end_year))
            for pk, name, base_year, end_year in _fetch(
                f"SELECT id, name, base_year, end_year FROM indicators_plan WHERE id IN ({_placeholders(others)})",  # noqa: S608
                others,
                _PLAN_FIELDS,
            )
        )
    out = []
    for ind, code, name_zh, name_en, unit, category, aggregation, year, comparator, value, plan_id in rows:
        plan_name, base_year, end_year = plans[plan_id]
        if year == end_year:
            out.append(
                HorizonTarget(
                    ind,
                    IndicatorRef(ind, code, name_zh, name_en, unit, category, aggregation),
                    year,
                    comparator,
                    value,
                    plan_name,
                    base_year,
                )
            )
    return out


def projections(region: Region, year: int, basis: str) -> list[Projection]:
    """Every horizon target of `region` after `year`, projected from the actuals up to `year`.

    The line runs through the years from the plan's base year to `year` that have an
    actual (the region's own or rolled up); with fewer than two such years there is
    no projection. A target is at risk when the projected value misses it. A
    horizon in `year` itself is not projected: its actual is known and scored.

    The horizon targets, the region's plans and its own actuals since the earliest base
    year of those plans come in one round trip; the actuals are read again only when a
    target hangs on a plan of a region above (its base year may be earlier).
    """
    return _projections(region, year, basis, *_fetch_batch(_projection_reads(region, year, basis)))


def overview_reads(
    region: Region, year: int, basis: str, extra: Sequence[tuple[str, Sequence]] = ()
) -> tuple[list[ScoreRow], list[Projection], list[list[tuple]]]:
    """:func:`target_scores` of the region, :func:`projections` and the rows of the `extra`
    (sql, params) reads (untyped: the permission policy's), in one round trip."""
    scores, *reads = _fetch_batch(
        [
            _target_score_read([region.pk], year, basis),
            *_projection_reads(region, year, basis),
            *((sql, params, ()) for sql, params in extra),
        ]
    )
    projected = _projections(region, year, basis, *reads[:3])
    return [ScoreRow(*row) for row in scores], projected, reads[3:]


def _projection_reads(region: Region, year: int, basis: str) -> list[tuple[str, list, tuple]]:
    return [
        (_HORIZON_TARGET_SQL, [region.pk, year], _HORIZON_TARGET_FIELDS),
        (_REGION_PLANS_SQL, [region.pk, year], _PLAN_FIELDS),
        (
            _OWN_VALUES_SINCE_PLANS_SQL[FIELD_FOR_BASIS[basis]],
            [region.pk, region.pk, year, year],
            _OWN_VALUE_FIELDS,
        ),
    ]


def _projections(
    region: Region,
    year: int,
    basis: str,
    rows: list[tuple],
    plan_rows: list[tuple],
    own_rows: list[tuple] | None,
) -> list[Projection]:
    field = FIELD_FOR_BASIS[basis]
    targets = _horizon_targets(rows, plan_rows)
    if not targets:
        return []
    first = min(t.base_year for t in targets)
    if first < min((base_year for _, _, base_year, _ in plan_rows), default=first + 1):
        own_rows = None  # read for the whole span by _own_then_rolled_up
    inds = list({t.indicator_id: t.indicator for t in targets}.values())
    values = _own_then_rolled_up(region, inds, field=field, years=range(first, year + 1), rows=own_rows)
    by_indicator: dict[int, list[tuple[int, Decimal]]] = defaultdict(list)
    for (_code, ind, yr), v in values.items():
        by_indicator[ind].append((yr, v))
    for series in by_indicator.values():
        series.sort()  # once per indicator (a year appears once), not per target
    out = []
    for t in targets:
        first_year, last_year = t.base_year, min(year, t.year)
        series = [(yr, v) for yr, v in by_indicator.get(t.indicator_id, ()) if first_year <= yr <= last_year]
        ys = tuple(y for y, _ in series)
        projected = decimal_projection(ys, [v for _, v in series], t.year) if series else None
        vs = tuple(float(v) for _, v in series)
        target_value = float(t.value)
        at_risk = projected is not None and (
            projected < target_value if t.comparator == ">=" else projected > target_value
        )
        out.append(Projection(t, ys, vs, projected, at_risk))
    return out


# --------------------------------------------------------------------------- trend


def indicator_targets(region_ids: Iterable[int], indicator: Indicator, years: Sequence[int] | None = None):
    qs = Target.objects.filter(region_id__in=list(region_ids), indicator=indicator).select_related("plan")
    if years is not None:
        qs = qs.filter(year__in=list(years))
    return list(qs.order_by("region_id", "year"))


def targeted_indicator_ids(region: Region) -> set[int]:
    """Indicators the region has any target for (they come first in the trend page's list)."""
    return set(Target.objects.filter(region=region).values_list("indicator_id", flat=True).distinct())


def indicator_figures(region: Region, indicator: Indicator) -> dict[int, Figure]:
    """The region's own figures of one indicator, by year (status and source for the table)."""
    return {f.year: f for f in Figure.objects.filter(region=region, indicator=indicator).order_by("year")}


# --------------------------------------------------------------------------- brands


def award_indicators() -> list[Indicator]:
    """The award types counted on the brands page (to be read from the awards registry later)."""
    return list(
        Indicator.objects.filter(
            Q(category=Indicator.Category.BRAND, kind=Indicator.Kind.COUNT) | Q(code__in=EXTRA_AWARDS)
        )
        .exclude(code__in=NOT_AWARDS)
        .order_by("sort_order", "code")
    )


def award_counts(region: Region, years: Sequence[int] | None = None) -> list[tuple[str, Indicator, int, int]]:
    """(region code, award type, year, count) for `region` and its children.

    Reads the brand figures in force (verified once approved). When the awards
    registry exists this becomes "grants valid at the end of the year", with the
    same return shape, so the page and its CSV stay as they are.
    """
    inds = award_indicators()
    by_id = {i.pk: i for i in inds}
    values = rolled_up_values(region, inds, field="effective", years=years, with_children=True)
    return sorted(
        ((code, by_id[ind], yr, int(v)) for (code, ind, yr), v in values.items()),
        key=lambda r: (r[0], r[2], r[1].sort_order, r[1].code),
    )


def years_with_figures(region: Region) -> list[int]:
    return sorted(
        Figure.objects.filter(Q(region=region) | Q(region__parent=region))
        .values_list("year", flat=True)
        .distinct()
    )


# --------------------------------------------------------------------------- self vs verified


def adjusted_figures(region: Region, year: int, category: str | None = None) -> list[dict]:
    """Approved figures below `region` whose verified value differs from the reported one."""
    qs = (
        Figure.objects.filter(
            region__path__startswith=region.path,
            year=year,
            status=Figure.Status.APPROVED,
            verified_value__isnull=False,
        )
        .exclude(region=region)
        .exclude(verified_value=F("reported_value"))
    )
    if category:
        qs = qs.filter(indicator__category=category)
    return list(
        qs.values(
            "region__code",
            "region__name",
            "region__path",
            "indicator__code",
            "indicator__name_zh",
            "indicator__name_en",
            "indicator__unit",
            "indicator__kind",
            "indicator__category",
            "indicator__sort_order",
            "reported_value",
            "verified_value",
            "adjust_reason",
        ).order_by("region__code", "indicator__sort_order", "indicator__code")
    )


def approved_counts(region: Region, year: int, category: str | None = None) -> dict[str, int]:
    """Number of approved figures per region path below `region` in `year`."""
    qs = Figure.objects.filter(
        region__path__startswith=region.path, year=year, status=Figure.Status.APPROVED
    ).exclude(region=region)
    if category:
        qs = qs.filter(indicator__category=category)
    return dict(qs.values_list("region__path").annotate(n=Count("id")).values_list("region__path", "n"))
