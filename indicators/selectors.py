"""Reads for data entry and review: the entry grid, the review queue, the completeness board, history.

Nothing here writes. Every list is already limited to what the user may read
(`accounts.policy`); callers still check the region they were asked about.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import policy
from accounts.policy import Action
from indicators.models import Evidence, Figure, Indicator, Region, ReportingPeriod, Target

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def default_year(today: dt.date | None = None) -> int:
    """Figures are reported for the year that has ended: last calendar year."""
    return (today or timezone.localdate()).year - 1


def readable_figures(user: AbstractBaseUser | policy.SystemActor) -> QuerySet[Figure]:
    """Every figure the user may read (their own subtree)."""
    if user is policy.SYSTEM or (getattr(user, "is_superuser", False) and getattr(user, "is_active", False)):
        return Figure.objects.all()
    home = policy.user_region(user)
    if home is None:
        return Figure.objects.none()
    return Figure.objects.filter(region__path__startswith=home.path)


# --- Derived sums ---------------------------------------------------------------


@dataclass(frozen=True)
class DerivedSum:
    """A `sum` indicator of a region that entered none: the sum of its children's values."""

    value: Decimal
    children_reporting: int  # children with a value (their own, or their own children's sum)
    children_total: int
    children_approved: int  # children whose own figure is approved


def derived_sums(*, region: Region, year: int) -> dict[int, DerivedSum]:
    """{indicator id: DerivedSum} for the `sum` indicators `region` has no figure for.

    A child that entered nothing contributes its own children's sum, so a
    province sees counties through cities. One query for the whole subtree.
    """
    sum_ids = set(
        Indicator.objects.filter(aggregation=Indicator.Aggregation.SUM).values_list("pk", flat=True)
    )
    subtree = list(
        Region.objects.filter(path__startswith=region.path)
        .exclude(pk=region.pk)
        .values_list("pk", "parent_id")
    )
    if not subtree or not sum_ids:
        return {}
    children: dict[int, list[int]] = defaultdict(list)
    for pk, parent_id in subtree:
        children[parent_id].append(pk)
    own: dict[tuple[int, int], tuple[Decimal, str]] = {}
    rows = Figure.objects.filter(
        year=year, indicator_id__in=sum_ids, region__path__startswith=region.path
    ).values_list("region_id", "indicator_id", "value", "status")
    for region_id, indicator_id, value, status in rows:
        own[(region_id, indicator_id)] = (value, status)

    memo: dict[tuple[int, int], Decimal | None] = {}

    def effective(region_id: int, indicator_id: int) -> Decimal | None:
        key = (region_id, indicator_id)
        if key in own:
            return own[key][0]
        if key not in memo:
            values = [effective(c, indicator_id) for c in children.get(region_id, [])]
            present = [v for v in values if v is not None]
            memo[key] = sum(present, Decimal(0)) if present else None
        return memo[key]

    result: dict[int, DerivedSum] = {}
    direct = children.get(region.pk, [])
    for indicator_id in sum_ids:
        if (region.pk, indicator_id) in own:
            continue
        values = [effective(c, indicator_id) for c in direct]
        present = [v for v in values if v is not None]
        if not present:
            continue
        approved = sum(
            1 for c in direct if own.get((c, indicator_id), (None, ""))[1] == Figure.Status.APPROVED
        )
        result[indicator_id] = DerivedSum(sum(present, Decimal(0)), len(present), len(direct), approved)
    return result


# --- Entry grid -----------------------------------------------------------------


@dataclass
class EntryRow:
    indicator: Indicator
    figure: Figure | None
    last_year: Figure | None
    target: Target | None
    derived: DerivedSum | None
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def is_derived_figure(self) -> bool:
        return self.figure is not None and self.figure.source == Figure.Source.DERIVED

    @property
    def is_open(self) -> bool:
        """Whether the region may still type into this row (given write permission)."""
        if self.figure is None:
            return True
        return not self.is_derived_figure and self.figure.status in (
            Figure.Status.DRAFT,
            Figure.Status.RETURNED,
        )

    @property
    def version(self) -> int:
        return self.figure.version if self.figure else 0


@dataclass
class EntryGroup:
    category: str
    label: str
    rows: list[EntryRow]


@dataclass
class EntryGrid:
    region: Region
    year: int
    groups: list[EntryGroup]

    @property
    def rows(self) -> list[EntryRow]:
        return [row for group in self.groups for row in group.rows]

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(Figure.Status.values, 0) | {"missing": 0, "derived": 0}
        for row in self.rows:
            if row.figure is not None:
                out[row.figure.status] += 1
            elif row.derived is not None:
                out["derived"] += 1
            else:
                out["missing"] += 1
        return out


def entry_grid(*, region: Region, year: int) -> EntryGrid:
    """Every indicator of the catalogue for (region, year), grouped by category.

    Each row carries this year's figure, last year's figure, this year's target
    (when one exists), the children's sum for `sum` indicators the region did
    not enter, and the evidence files. Four queries regardless of size.
    """
    indicators = list(Indicator.objects.order_by("sort_order", "code"))
    figures = {
        (f.indicator_id, f.year): f
        for f in Figure.objects.filter(region=region, year__in=[year, year - 1]).select_related(
            "entered_by", "approved_by"
        )
    }
    targets = {t.indicator_id: t for t in Target.objects.filter(region=region, year=year)}
    evidence: dict[int, list[Evidence]] = defaultdict(list)
    this_year_ids = [f.pk for (_, y), f in figures.items() if y == year]
    for ev in Evidence.objects.filter(figure_id__in=this_year_ids).order_by("uploaded_at"):
        evidence[ev.figure_id].append(ev)
    derived = derived_sums(region=region, year=year)
    by_category: dict[str, list[EntryRow]] = defaultdict(list)
    for ind in indicators:
        fig = figures.get((ind.pk, year))
        by_category[ind.category].append(
            EntryRow(
                indicator=ind,
                figure=fig,
                last_year=figures.get((ind.pk, year - 1)),
                target=targets.get(ind.pk),
                derived=derived.get(ind.pk) if fig is None else None,
                evidence=evidence.get(fig.pk, []) if fig else [],
            )
        )
    groups = [
        EntryGroup(value, str(label), by_category[value])
        for value, label in Indicator.Category.choices
        if by_category.get(value)
    ]
    return EntryGrid(region=region, year=year, groups=groups)


def entry_regions(user: AbstractBaseUser, current: Region | None = None) -> list[Region]:
    """Regions offered in the region picker: the user's own and those below it (cities only
    below a province, to keep the list short), plus the region being shown."""
    qs = policy.readable_regions(user)
    home = policy.user_region(user)
    if home is None:
        qs = qs.filter(level=Region.Level.PROVINCE)
    elif home.level == Region.Level.PROVINCE:
        qs = qs.filter(Q(pk=home.pk) | Q(parent=home))
    regions = list(qs.order_by("path"))
    if current is not None and current not in regions:
        regions.append(current)
    return regions


# --- Review queue ---------------------------------------------------------------


def review_queue(
    *, user: AbstractBaseUser, year: int | None = None, region: Region | None = None
) -> QuerySet[Figure]:
    """Submitted figures of the regions the user may approve, oldest submission first."""
    qs = Figure.objects.filter(
        status=Figure.Status.SUBMITTED, region__in=policy.regions_for(user, Action.APPROVE)
    )
    if year is not None:
        qs = qs.filter(year=year)
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs.select_related("region", "indicator", "entered_by").order_by(
        "submitted_at", "region__code", "indicator__sort_order"
    )


def last_year_values(figures: list[Figure]) -> dict[int, Decimal]:
    """{figure id: value of the same region and indicator a year earlier}, in one query."""
    if not figures:
        return {}
    keys = {(f.region_id, f.indicator_id, f.year - 1): f.pk for f in figures}
    rows = Figure.objects.filter(
        region_id__in={k[0] for k in keys},
        indicator_id__in={k[1] for k in keys},
        year__in={k[2] for k in keys},
    ).values_list("region_id", "indicator_id", "year", "value")
    return {keys[(r, i, y)]: v for r, i, y, v in rows if (r, i, y) in keys}


# --- Completeness board -----------------------------------------------------------


@dataclass
class CompletenessRow:
    region: Region
    expected: int
    missing: int
    draft: int
    submitted: int
    returned: int
    approved: int
    late_submissions: int  # figures submitted after the deadline
    late: bool  # past the deadline with figures still missing, draft or returned

    @property
    def done_percent(self) -> int:
        return round(100 * (self.submitted + self.approved) / self.expected) if self.expected else 100


@dataclass
class CompletenessBoard:
    region: Region
    year: int
    deadline: dt.date | None
    rows: list[CompletenessRow]

    @property
    def totals(self) -> dict[str, int]:
        keys = ("expected", "missing", "draft", "submitted", "returned", "approved", "late_submissions")
        return {k: sum(getattr(r, k) for r in self.rows) for k in keys} | {
            "late": sum(1 for r in self.rows if r.late)
        }


def reporting_deadline(*, region: Region, year: int) -> dt.date | None:
    """The deadline set for `region` and year, or by the nearest region above it."""
    codes = [code for code in region.path.strip("/").split("/") if code]
    periods = {
        p.region.code: p.deadline
        for p in ReportingPeriod.objects.filter(region__code__in=codes, year=year).select_related("region")
    }
    for code in reversed(codes):
        if code in periods:
            return periods[code]
    return None


def completeness_board(*, region: Region, year: int, today: dt.date | None = None) -> CompletenessBoard:
    """For each region directly below `region`: counts of figures by status, missing, late.

    A leaf region (county) must enter every indicator. A region with children
    must enter the `none` indicators; its `sum` indicators default to the sum
    of its children, so they count only when it entered them. Late means the
    deadline has passed and something is still missing, draft or returned.
    """
    today = today or timezone.localdate()
    deadline = reporting_deadline(region=region, year=year)
    children = list(Region.objects.filter(parent=region).order_by("code"))
    with_children = set(
        Region.objects.filter(parent__in=children).values_list("parent_id", flat=True).distinct()
    )
    n_all = Indicator.objects.count()
    n_none = Indicator.objects.filter(aggregation=Indicator.Aggregation.NONE).count()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    agg = (
        Figure.objects.filter(region__in=children, year=year)
        .values("region_id", "status", "indicator__aggregation")
        .annotate(n=Count("id"))
    )
    for row in agg:
        c = counts[row["region_id"]]
        c[row["status"]] += row["n"]
        c[f"agg_{row['indicator__aggregation']}"] += row["n"]
    late_subs: dict[int, int] = {}
    if deadline is not None:
        cutoff = timezone.make_aware(dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time.min))
        late_subs = dict(
            Figure.objects.filter(region__in=children, year=year, submitted_at__gte=cutoff)
            .values("region_id")
            .annotate(n=Count("id"))
            .values_list("region_id", "n")
        )
    rows = []
    for child in children:
        c = counts[child.pk]
        entered = sum(c[s] for s in Figure.Status.values)
        if child.pk in with_children:
            expected = n_none + c["agg_sum"]
            missing = n_none - c["agg_none"]
        else:
            expected = n_all
            missing = n_all - entered
        open_items = missing + c[Figure.Status.DRAFT] + c[Figure.Status.RETURNED]
        rows.append(
            CompletenessRow(
                region=child,
                expected=expected,
                missing=max(missing, 0),
                draft=c[Figure.Status.DRAFT],
                submitted=c[Figure.Status.SUBMITTED],
                returned=c[Figure.Status.RETURNED],
                approved=c[Figure.Status.APPROVED],
                late_submissions=late_subs.get(child.pk, 0),
                late=deadline is not None and today > deadline and open_items > 0,
            )
        )
    return CompletenessBoard(region=region, year=year, deadline=deadline, rows=rows)


# --- History ----------------------------------------------------------------------

HISTORY_FIELDS = (
    "value",
    "reported_value",
    "verified_value",
    "status",
    "note",
    "return_reason",
    "adjust_reason",
    "source",
)


@dataclass
class HistoryChange:
    field: str
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    id: int
    date: dt.datetime
    user: str
    kind: str  # created / changed / deleted
    reason: str
    version: int
    changes: list[HistoryChange]


def _display(fieldname: str, value: object) -> str:
    from indicators.services import format_value

    if value is None or value == "":
        return "—"
    if fieldname == "status":
        return str(Figure.Status(value).label) if value in Figure.Status.values else str(value)
    if fieldname == "source":
        return str(Figure.Source(value).label) if value in Figure.Source.values else str(value)
    if isinstance(value, Decimal):
        return format_value(value)
    return str(value)


# Why a figure changed, as stored in its history (Chinese, written by the services); shown in
# the reader's language. Reasons typed by people follow a fixed prefix and stay as typed.
_HISTORY_REASONS = (
    gettext_noop("新增填报"),
    gettext_noop("修改填报值"),
    gettext_noop("提交审核"),
    gettext_noop("审核通过"),
    gettext_noop("接口新增"),
    gettext_noop("接口修改"),
    gettext_noop("品牌奖项登记库变更，自动重算"),
)
_HISTORY_PREFIXES = (
    gettext_noop("核定调整：%(text)s"),
    gettext_noop("退回：%(text)s"),
    gettext_noop("重新打开：%(text)s"),
    gettext_noop("文件导入：%(text)s"),
    gettext_noop("现场核查调整：%(text)s"),
)


def history_reason(stored: str) -> str:
    """A stored history reason in the active language ('退回：缺少附件' -> 'Returned: 缺少附件')."""
    if stored in _HISTORY_REASONS:
        return _(stored)
    for msgid in _HISTORY_PREFIXES:
        prefix = msgid.split("%(text)s", 1)[0]
        if stored.startswith(prefix):
            return _(msgid) % {"text": stored[len(prefix) :]}
    return stored


def figure_history(*, figure: Figure) -> list[HistoryEntry]:
    """Every recorded state of the figure, oldest first: who, when, why, and old -> new per field."""
    records = list(figure.history.select_related("history_user").order_by("history_date", "history_id"))
    labels = {f: str(Figure._meta.get_field(f).verbose_name) for f in HISTORY_FIELDS}
    kinds = {"+": "created", "~": "changed", "-": "deleted"}
    out: list[HistoryEntry] = []
    previous = None
    for record in records:
        changes = []
        for name in HISTORY_FIELDS:
            new = getattr(record, name)
            old = getattr(previous, name) if previous is not None else None
            if previous is None and new in (None, ""):
                continue
            if previous is None or old != new:
                changes.append(HistoryChange(name, labels[name], _display(name, old), _display(name, new)))
        user = record.history_user
        out.append(
            HistoryEntry(
                id=record.history_id,
                date=record.history_date,
                user=(user.get_full_name() or user.get_username()) if user else _("系统"),
                kind=kinds.get(record.history_type, record.history_type),
                reason=history_reason(record.history_change_reason or ""),
                version=record.version,
                changes=changes,
            )
        )
        previous = record
    return out
