"""Reads for the reports: every row a report prints, as frozen plain data.

Each function runs a fixed number of queries whatever the number of regions, and
returns dataclasses of str / int / Decimal / bool only, so the exporters can hash
exactly what they read (see exporters.base.digest_of) and render without touching
the database again.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import translation

from indicators.models import (
    Basis,
    Evidence,
    Indicator,
    ItemScore,
    Region,
    RegionScore,
    ScoringScheme,
    TargetScore,
)
from reports.errors import ReportError

log = logging.getLogger(__name__)

CATEGORY_ORDER = [c.value for c in Indicator.Category]


@dataclass(frozen=True)
class ScoreSummary:
    total: Decimal
    grade: str
    rank: int
    rank_of: int
    points: Decimal
    max_points: Decimal
    met: int
    not_met: int
    missing: int
    vetoed: bool


@dataclass(frozen=True)
class HistoryLine:
    year: int
    total: Decimal
    grade: str
    rank: int
    rank_of: int


@dataclass(frozen=True)
class TargetLine:
    category: str
    category_label: str
    indicator_code: str
    indicator_name: str
    unit: str
    kind: str
    actual: Decimal | None
    target: Decimal
    comparator: str
    completion: Decimal | None
    points: Decimal
    weight: Decimal
    status: str
    status_label: str
    veto: bool


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    label: str
    points: Decimal
    weight: Decimal

    @property
    def rate(self) -> Decimal | None:
        return self.points / self.weight if self.weight else None


@dataclass(frozen=True)
class ItemLine:
    code: str
    name: str
    max_points: Decimal
    self_points: Decimal | None
    verified_points: Decimal | None
    self_reason: str
    verified_reason: str

    @property
    def difference(self) -> Decimal | None:
        if self.self_points is None or self.verified_points is None:
            return None
        return self.verified_points - self.self_points


@dataclass(frozen=True)
class RankLine:
    region_code: str
    region_name: str
    total: Decimal
    grade: str
    rank: int
    rank_of: int
    met: int
    not_met: int
    missing: int
    vetoed: bool
    previous_total: Decimal | None
    previous_grade: str | None
    previous_rank: int | None

    @property
    def change(self) -> Decimal | None:
        """Total minus last year's total (same basis); None when there was no score."""
        return None if self.previous_total is None else self.total - self.previous_total

    @property
    def rank_change(self) -> int | None:
        """Places gained since last year (positive = moved up)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass(frozen=True)
class AwardLine:
    award_type: str
    level: str
    enterprise: str
    name: str
    region_name: str
    year_granted: int
    valid_until: int | None
    certificate_no: str
    revoked: bool


@dataclass(frozen=True)
class EvidenceLine:
    region_name: str
    indicator_code: str
    indicator_name: str
    original_name: str
    size: int | None
    sha256: str


@dataclass(frozen=True)
class AnnualReportData:
    region_code: str
    region_name: str
    region_level: str
    year: int
    basis: str
    basis_label: str
    scheme_name: str
    grade_cuts: tuple[Decimal, Decimal, Decimal]
    score: ScoreSummary
    previous: ScoreSummary | None
    history: tuple[HistoryLine, ...]  # every scored year up to `year`, same basis
    targets: tuple[TargetLine, ...]
    items: tuple[ItemLine, ...]
    children: tuple[RankLine, ...]
    awards: tuple[AwardLine, ...] | None  # None: the awards registry is not installed
    evidence: tuple[EvidenceLine, ...]

    @property
    def change(self) -> Decimal | None:
        return None if self.previous is None else self.score.total - self.previous.total

    @property
    def categories(self) -> list[tuple[CategoryTotal, list[TargetLine]]]:
        """Targets grouped by category in catalogue order, with each group's points."""
        groups: dict[str, list[TargetLine]] = {}
        for line in self.targets:
            groups.setdefault(line.category, []).append(line)
        out = []
        for category in sorted(groups, key=lambda c: CATEGORY_ORDER.index(c) if c in CATEGORY_ORDER else 99):
            lines = groups[category]
            total = CategoryTotal(
                category=category,
                label=lines[0].category_label,
                points=sum((t.points for t in lines), Decimal(0)),
                weight=sum((t.weight for t in lines), Decimal(0)),
            )
            out.append((total, lines))
        return out

    @property
    def item_points(self) -> tuple[Decimal, Decimal, Decimal]:
        """(max, self, verified) points of the qualitative items."""
        return (
            sum((i.max_points for i in self.items), Decimal(0)),
            sum((i.self_points or Decimal(0) for i in self.items), Decimal(0)),
            sum((i.verified_points or Decimal(0) for i in self.items), Decimal(0)),
        )


@dataclass(frozen=True)
class RankingNoticeData:
    region_code: str
    region_name: str
    year: int
    basis: str
    basis_label: str
    scheme_name: str
    grade_cuts: tuple[Decimal, Decimal, Decimal]
    rows: tuple[RankLine, ...]
    published: bool
    published_label: str  # e.g. "第 2 版，2016-07-01 发布"; empty when not published

    @property
    def grade_counts(self) -> dict[str, int]:
        counts = dict.fromkeys("ABCD", 0)
        for row in self.rows:
            counts[row.grade] = counts.get(row.grade, 0) + 1
        return counts


# --------------------------------------------------------------------------- helpers


def _scheme() -> tuple[str, tuple[Decimal, Decimal, Decimal]]:
    scheme = ScoringScheme.objects.filter(is_default=True).first()
    if scheme is None:
        return "", (Decimal("90"), Decimal("80"), Decimal("60"))
    return scheme.name, (scheme.grade_a_min, scheme.grade_b_min, scheme.grade_c_min)


def _summary(score: RegionScore) -> ScoreSummary:
    return ScoreSummary(
        total=score.total,
        grade=score.grade,
        rank=score.rank,
        rank_of=score.rank_of,
        points=score.points,
        max_points=score.max_points,
        met=score.met,
        not_met=score.not_met,
        missing=score.missing,
        vetoed=score.vetoed,
    )


def basis_label(basis: str) -> str:
    with translation.override("zh-hans"):
        return str(Basis(basis).label)


def rank_lines(current: list[Any], previous: dict[int, Any]) -> tuple[RankLine, ...]:
    """Score rows (RegionScore or a published copy) in rank order, with last year's beside them."""
    lines = []
    for s in sorted(current, key=lambda s: (s.rank, -s.total, s.region.code)):
        before = previous.get(s.region_id)
        lines.append(
            RankLine(
                region_code=s.region.code,
                region_name=s.region.name,
                total=s.total,
                grade=s.grade,
                rank=s.rank,
                rank_of=s.rank_of,
                met=s.met,
                not_met=s.not_met,
                missing=s.missing,
                vetoed=s.vetoed,
                previous_total=before.total if before else None,
                previous_grade=before.grade if before else None,
                previous_rank=before.rank if before else None,
            )
        )
    return tuple(lines)


def children_ranking(region: Region, year: int, basis: str) -> tuple[RankLine, ...]:
    """Live scores of the region's children in rank order, with last year's (2 queries)."""
    current = list(
        RegionScore.objects.filter(region__parent=region, year=year, basis=basis).select_related("region")
    )
    previous = {
        s.region_id: s
        for s in RegionScore.objects.filter(region__parent=region, year=year - 1, basis=basis).only(
            "region_id", "total", "grade", "rank"
        )
    }
    return rank_lines(current, previous)


def _file_sha256(field_file) -> tuple[str, int | None]:
    """Checksum and size of a stored file (item evidence has no stored checksum)."""
    try:
        digest = hashlib.sha256()
        size = 0
        with field_file.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size
    except OSError:
        return "（文件缺失）", None


def _evidence(region: Region, year: int, targets: tuple[TargetLine, ...]) -> tuple[EvidenceLine, ...]:
    """Evidence behind the report's numbers (2 queries + item files).

    The region's own figures of the year; where an actual was rolled up from the
    regions below (no own figure), the evidence of those regions' figures too.
    """
    own = Evidence.objects.filter(figure__region=region, figure__year=year)
    own_indicators = set(own.values_list("figure__indicator__code", flat=True))
    rolled = [t.indicator_code for t in targets if t.indicator_code not in own_indicators]
    cond = Q(figure__region=region, figure__year=year)
    if rolled:
        cond |= Q(
            figure__region__path__startswith=region.path,
            figure__year=year,
            figure__indicator__code__in=rolled,
        )
    rows = (
        Evidence.objects.filter(cond)
        .select_related("figure__region", "figure__indicator")
        .order_by("figure__indicator__sort_order", "figure__region__code", "original_name", "pk")
    )
    lines = [
        EvidenceLine(
            region_name=e.figure.region.name,
            indicator_code=e.figure.indicator.code,
            indicator_name=e.figure.indicator.name_zh,
            original_name=e.original_name,
            size=e.size,
            sha256=e.sha256,
        )
        for e in rows
    ]
    for item in (
        ItemScore.objects.filter(region=region, year=year)
        .exclude(evidence="")
        .select_related("item")
        .order_by("item__sort_order", "item__code")
    ):
        sha, size = _file_sha256(item.evidence)
        lines.append(
            EvidenceLine(
                region_name=region.name,
                indicator_code=item.item.code,
                indicator_name=item.item.name,
                original_name=item.evidence.name.rsplit("/", 1)[-1],
                size=size,
                sha256=sha,
            )
        )
    return tuple(lines)


def _awards(region: Region, year: int) -> tuple[AwardLine, ...] | None:
    """Grants made in `year` to enterprises in the region's subtree (None without the registry)."""
    try:
        from awards.models import Grant
    except ImportError:  # the awards registry is optional
        return None
    try:
        rows = (
            Grant.objects.filter(year_granted=year, enterprise__region__path__startswith=region.path)
            .select_related("award_type", "enterprise__region")
            .order_by("award_type__sort_order", "award_type__code", "enterprise__name", "name", "pk")
        )
        return tuple(
            AwardLine(
                award_type=g.award_type.name,
                level=str(g.award_type.get_level_display()),
                enterprise=g.enterprise.name,
                name=g.name,
                region_name=g.enterprise.region.name,
                year_granted=g.year_granted,
                valid_until=g.valid_until,
                certificate_no=g.certificate_no,
                revoked=g.revoked_on is not None,
            )
            for g in rows
        )
    except Exception:  # a registry still being migrated must not break every report
        log.exception("awards registry unreadable; the report omits the awards section")
        return None


# --------------------------------------------------------------------------- reports


def annual_report_data(region: Region, year: int, basis: str) -> AnnualReportData:
    """Everything the annual assessment report of (region, year, basis) prints (~10 queries)."""
    with translation.override("zh-hans"):
        scores = {s.year: s for s in RegionScore.objects.filter(region=region, year__lte=year, basis=basis)}
        if year not in scores:
            raise ReportError(
                f"{region.name}{year}年度尚无{basis_label(basis)}得分，请先完成评分计算后再生成报告。"
            )
        status_labels = dict(TargetScore.Status.choices)
        category_labels = dict(Indicator.Category.choices)
        targets = tuple(
            TargetLine(
                category=t.indicator.category,
                category_label=str(category_labels.get(t.indicator.category, t.indicator.category)),
                indicator_code=t.indicator.code,
                indicator_name=t.indicator.name_zh,
                unit=t.indicator.unit,
                kind=t.indicator.kind,
                actual=t.actual,
                target=t.target,
                comparator=t.comparator,
                completion=t.completion,
                points=t.points,
                weight=t.weight,
                status=t.status,
                status_label=str(status_labels.get(t.status, t.status)),
                veto=t.veto,
            )
            for t in TargetScore.objects.filter(region=region, year=year, basis=basis)
            .select_related("indicator")
            .order_by("indicator__sort_order", "indicator__code")
        )
        scheme_name, cuts = _scheme()
        items = tuple(
            ItemLine(
                code=s.item.code,
                name=s.item.name,
                max_points=s.item.max_points,
                self_points=s.self_points,
                verified_points=s.verified_points,
                self_reason=s.self_reason,
                verified_reason=s.verified_reason,
            )
            for s in ItemScore.objects.filter(region=region, year=year, item__scheme__is_default=True)
            .select_related("item")
            .order_by("item__sort_order", "item__code")
        )
        return AnnualReportData(
            region_code=region.code,
            region_name=region.name,
            region_level=region.level,
            year=year,
            basis=basis,
            basis_label=basis_label(basis),
            scheme_name=scheme_name,
            grade_cuts=cuts,
            score=_summary(scores[year]),
            previous=_summary(scores[year - 1]) if year - 1 in scores else None,
            history=tuple(
                HistoryLine(year=y, total=s.total, grade=s.grade, rank=s.rank, rank_of=s.rank_of)
                for y, s in sorted(scores.items())
            ),
            targets=targets,
            items=items,
            children=children_ranking(region, year, basis),
            awards=_awards(region, year),
            evidence=_evidence(region, year, targets),
        )


def _published_notice_rows(region: Region, year: int) -> tuple[tuple[RankLine, ...], str] | None:
    """Frozen results of a published assessment of `region` for `year`, if there is one."""
    from reports import published

    return published.published_ranking(region, year)


def ranking_notice_data(region: Region, year: int, basis: str) -> RankingNoticeData:
    """The county ranking notice (考核结果通报) of a city: published results when an
    assessment of the city and year is published, else the live scores of `basis`."""
    with translation.override("zh-hans"):
        if not Region.objects.filter(parent=region).exists():
            raise ReportError(f"{region.name}没有下级地区，无法生成考核结果通报。")
        published = _published_notice_rows(region, year)
        if published is not None:
            rows, label = published
            basis = Basis.VERIFIED
        else:
            rows, label = children_ranking(region, year, basis), ""
        if not rows:
            raise ReportError(
                f"{region.name}下级地区{year}年度尚无{basis_label(basis)}得分，请先完成评分计算后再生成通报。"
            )
        scheme_name, cuts = _scheme()
        return RankingNoticeData(
            region_code=region.code,
            region_name=region.name,
            year=year,
            basis=basis,
            basis_label=basis_label(basis),
            scheme_name=scheme_name,
            grade_cuts=cuts,
            rows=rows,
            published=published is not None,
            published_label=label,
        )
