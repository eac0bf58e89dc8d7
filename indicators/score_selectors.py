"""Reads of stored scores for the score pages, the API and exports (no computing here).

Every number shown on the explain page comes from RegionScore / TargetScore rows
written by the last scoring run, so the page shows exactly what was published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Max, Q, QuerySet
from django.utils.translation import gettext as _

from indicators.models import (
    Basis,
    Indicator,
    ItemScore,
    Region,
    RegionScore,
    ScoreRun,
    Target,
    TargetScore,
)

BASES = (Basis.SELF, Basis.VERIFIED)


@dataclass
class BasisCell:
    """One target's stored result on one basis."""

    score: TargetScore

    @property
    def lost(self) -> Decimal:
        return max(Decimal(0), self.score.weight - self.score.points)

    @property
    def reason(self) -> str:
        s = self.score
        if s.status == TargetScore.Status.MISSING:
            text = _("缺报：无实际值，得 0 分")
        elif s.status == TargetScore.Status.NOT_MET:
            if s.comparator == ">=":
                text = _("未达标：实际值 %(actual)s 低于目标值 %(target)s")
            else:
                text = _("未达标：实际值 %(actual)s 高于目标值 %(target)s")
            text %= {"actual": _num(s.actual), "target": _num(s.target)}
        else:
            text = _("达标")
        if s.veto and s.status == TargetScore.Status.NOT_MET:
            text += _("；一票否决，等级降为 D")
        return text


@dataclass
class ExplainRow:
    indicator: Indicator
    target: Target | None
    cells: dict[str, BasisCell] = field(default_factory=dict)

    @property
    def self_cell(self) -> BasisCell | None:
        return self.cells.get(Basis.SELF)

    @property
    def verified_cell(self) -> BasisCell | None:
        return self.cells.get(Basis.VERIFIED)

    @property
    def difference(self) -> Decimal | None:
        """Self points minus verified points (positive: the self-assessment claimed more)."""
        if self.self_cell and self.verified_cell:
            return self.self_cell.score.points - self.verified_cell.score.points
        return None

    @property
    def actual_differs(self) -> bool:
        if self.self_cell and self.verified_cell:
            return self.self_cell.score.actual != self.verified_cell.score.actual
        return False


@dataclass
class Explanation:
    region: Region
    year: int
    totals: dict[str, RegionScore]
    rows: list[ExplainRow]
    items: list[ItemScore]
    runs: dict[str, ScoreRun]

    @property
    def total_difference(self) -> Decimal | None:
        if Basis.SELF in self.totals and Basis.VERIFIED in self.totals:
            return self.totals[Basis.SELF].total - self.totals[Basis.VERIFIED].total
        return None

    @property
    def lost_by_reason(self) -> dict[str, dict[str, Decimal]]:
        """Points lost per basis, split into missing / below target / (veto rows)."""
        out: dict[str, dict[str, Decimal]] = {}
        for basis in BASES:
            sums = {"missing": Decimal(0), "not_met": Decimal(0)}
            for row in self.rows:
                cell = row.cells.get(basis)
                if cell and cell.score.status in sums:
                    sums[cell.score.status] += cell.lost
            out[basis] = sums
        return out


def _num(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value.normalize():f}"


def explain(*, region: Region, year: int) -> Explanation:
    """The stored results of `region` in `year`, per target and both bases."""
    totals = {s.basis: s for s in RegionScore.objects.filter(region=region, year=year).select_related("run")}
    scores = TargetScore.objects.filter(region=region, year=year).select_related("indicator")
    targets = {t.indicator_id: t for t in Target.objects.filter(region=region, year=year)}
    rows: dict[int, ExplainRow] = {}
    for s in scores:
        row = rows.get(s.indicator_id)
        if row is None:
            row = rows[s.indicator_id] = ExplainRow(indicator=s.indicator, target=targets.get(s.indicator_id))
        row.cells[s.basis] = BasisCell(s)
    ordered = sorted(rows.values(), key=lambda r: (r.indicator.sort_order, r.indicator.code))
    items = list(
        ItemScore.objects.filter(region=region, year=year, item__scheme__is_default=True)
        .select_related("item")
        .order_by("item__sort_order", "item__code")
    )
    return Explanation(
        region=region,
        year=year,
        totals=totals,
        rows=ordered,
        items=items,
        runs=latest_runs_covering(region=region, year=year, bases=list(totals)),
    )


def latest_runs_covering(*, region: Region, year: int, bases: list[str]) -> dict[str, ScoreRun]:
    """Basis -> the latest finished run of `year` whose scope held `region`.

    A stored score names the run that last changed it; a later run that found the
    same values left it alone, so the latest run covering the region is asked for
    here: a national run, or a scoped run of the region or one of its ancestors.
    """
    codes = [code for code in region.path.strip("/").split("/") if code]
    covering = ScoreRun.objects.filter(year=year, status=ScoreRun.Status.DONE).filter(
        Q(region__isnull=True) | Q(region__code__in=codes)
    )
    latest: dict[str, ScoreRun] = {}
    for basis in bases:
        run = covering.filter(basis=basis).order_by("-started_at", "-pk").first()
        if run is not None:
            latest[basis] = run
    return latest


def scores_of_children(*, region: Region, year: int) -> list[dict]:
    """The region itself and its children with both bases side by side, best first."""
    regions = [region, *Region.objects.filter(parent=region).order_by("code")]
    by_region: dict[int, dict] = {r.pk: {"region": r, "self": None, "verified": None} for r in regions}
    for s in RegionScore.objects.filter(region__in=by_region.keys(), year=year):
        by_region[s.region_id][s.basis] = s
    me = by_region.pop(region.pk)
    children = [row for row in by_region.values() if row["self"] or row["verified"]]

    def order(row: dict):
        main = row["verified"] or row["self"]
        return (main.rank, row["region"].code)

    children.sort(key=order)
    for row in children:
        if row["self"] and row["verified"]:
            row["difference"] = row["self"].total - row["verified"].total
    return [me, *children] if (me["self"] or me["verified"]) else children


def scored_years(region: Region) -> list[int]:
    years = (
        RegionScore.objects.filter(region__path__startswith=region.path)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    targets = (
        Target.objects.filter(region__path__startswith=region.path)
        .order_by()
        .values_list("year", flat=True)
        .distinct()
    )
    return sorted(set(years) | set(targets), reverse=True)


def latest_year(region: Region) -> int | None:
    found = RegionScore.objects.filter(region__path__startswith=region.path).aggregate(y=Max("year"))["y"]
    if found is None:
        found = Target.objects.filter(region__path__startswith=region.path).aggregate(y=Max("year"))["y"]
    return found


def recent_runs(region: Region | None, limit: int = 10) -> QuerySet[ScoreRun]:
    qs = ScoreRun.objects.select_related("region", "triggered_by")
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path) | qs.filter(region__isnull=True)
    return qs.order_by("-started_at")[:limit]
