"""Reads of the assessment cycle: the stage board, a county's sheet, verification, published results.

Nothing here writes. Callers check permissions through accounts.policy (the
board needs READ on the assessing region; verification sheets need
`policy.can_verify_county`; published results `can_read_publications`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import ngettext, ngettext_lazy

from accounts import policy
from accounts.policy import Action
from assessments.models import (
    STAGE_ORDER,
    Assessment,
    AssessmentRegion,
    Finding,
    Publication,
    PublishedRegionScore,
    PublishedTargetScore,
    Stage,
    StageDeadline,
    StageTransition,
    stage_index,
)
from indicators.models import Figure, ItemScore, QualitativeItem, Region, RegionScore, Target

# --- Who sees which assessment ------------------------------------------------------


def _home(user: Any) -> Region | None:
    return policy.user_region(user)


def is_member_of_assessing_region(user: Any, assessment: Assessment) -> bool:
    """A signed-in user whose region is the assessing region or lies below it."""
    if user is policy.SYSTEM or (getattr(user, "is_superuser", False) and getattr(user, "is_active", False)):
        return True
    home = _home(user)
    return home is not None and home.is_within(assessment.assessing_region)


def can_see_board(user: Any, assessment: Assessment) -> bool:
    """The stage board lists every county: the assessing region's own readers."""
    return policy.can(user, Action.READ, assessment.assessing_region)


def can_see_county(user: Any, row: AssessmentRegion) -> bool:
    return policy.can(user, Action.READ, row.region)


def can_read_publications(user: Any, assessment: Assessment) -> bool:
    """Published results: every signed-in user of the assessing region (DESIGN, issue 10 §5)."""
    return is_member_of_assessing_region(user, assessment)


def assessments_for(user: Any) -> QuerySet[Assessment]:
    """Assessments the user takes part in: of their region, above it (as a county) or below it."""
    qs = Assessment.objects.select_related("assessing_region", "scheme")
    if user is policy.SYSTEM or (getattr(user, "is_superuser", False) and getattr(user, "is_active", False)):
        return qs
    home = _home(user)
    if home is None:
        return qs.none()
    ancestors = _ancestor_paths(home.path)
    return qs.filter(
        Q(assessing_region__path__startswith=home.path) | Q(assessing_region__path__in=ancestors)
    )


def _ancestor_paths(path: str) -> list[str]:
    """'/130000/130500/130528/' -> ['/130000/', '/130000/130500/', '/130000/130500/130528/']."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


def visible_rows(user: Any, assessment: Assessment) -> list[AssessmentRegion]:
    """The covered counties the user may open (all for the city's readers, else their own)."""
    rows = list(assessment.covered.select_related("region", "group"))
    return [r for r in rows if can_see_county(user, r)]


def verifiable_rows(user: Any, assessment: Assessment) -> list[AssessmentRegion]:
    """The counties whose verification page the user may open."""
    rows = list(assessment.covered.select_related("region", "group", "assessment__assessing_region"))
    return [r for r in rows if policy.can_verify_county(user, r, write=False)]


# --- The stage board ------------------------------------------------------------------


@dataclass
class BoardRow:
    row: AssessmentRegion
    targets: int = 0
    sent_in: int = 0  # targeted figures submitted or approved
    approved: int = 0
    open_returns: int = 0  # returned figures of the year (DESIGN: returned with a reason)
    self_total: Decimal | None = None
    verified_total: Decimal | None = None
    verified_grade: str = ""
    late_notes: list[str] = field(default_factory=list)
    days_late: int = 0  # the worst: a late submission or a stage overdue right now

    @property
    def difference(self) -> Decimal | None:
        if self.self_total is None or self.verified_total is None:
            return None
        return self.verified_total - self.self_total

    @property
    def stage_label(self) -> str:
        return self.row.get_stage_display()


@dataclass
class Board:
    assessment: Assessment
    rows: list[BoardRow]
    deadlines: dict[str, dt.date]
    stages: list[dict]
    transitions: list[StageTransition]
    today: dt.date

    @property
    def late_count(self) -> int:
        return sum(1 for r in self.rows if r.days_late > 0)


def deadlines_of(assessment: Assessment) -> dict[str, dt.date]:
    return {d.stage: d.due_date for d in StageDeadline.objects.filter(assessment=assessment)}


def stage_steps(assessment: Assessment, deadlines: dict[str, dt.date] | None = None) -> list[dict]:
    """The six stages for the stepper: label, deadline, done / current / todo."""
    deadlines = deadlines if deadlines is not None else deadlines_of(assessment)
    current = stage_index(assessment.stage)
    steps = []
    for i, stage in enumerate(STAGE_ORDER):
        state = "done" if i < current else ("current" if i == current else "todo")
        if assessment.stage == Stage.PUBLISHED and stage == Stage.PUBLISHED:
            state = "done"
        steps.append(
            {"stage": stage, "label": Stage(stage).label, "due": deadlines.get(stage), "state": state}
        )
    return steps


def _county_lateness(
    row: AssessmentRegion,
    assessment: Assessment,
    deadlines: dict[str, dt.date],
    submitted_late: dict[tuple[int, str], int],
    today: dt.date,
) -> tuple[list[str], int]:
    notes: list[str] = []
    worst = 0
    for kind, late_text, flag in (
        (
            StageTransition.Kind.FILE,
            ngettext_lazy("目标备案逾期 %(days)s 天提交", "目标备案逾期 %(days)s 天提交", "days"),
            row.filing_late,
        ),
        (
            StageTransition.Kind.SUBMIT_SELF,
            ngettext_lazy("自评逾期 %(days)s 天提交", "自评逾期 %(days)s 天提交", "days"),
            row.self_late,
        ),
    ):
        days = submitted_late.get((row.region_id, kind), 0)
        if flag and days:
            notes.append(late_text % {"days": days})
            worst = max(worst, days)
    # A stage the city has opened, the county has not finished, and whose deadline has passed.
    waiting_on_county = (row.stage == Stage.FILING and row.filed_at is None) or row.stage == Stage.SELF
    due = deadlines.get(row.stage)
    if (
        waiting_on_county
        and due is not None
        and stage_index(assessment.stage) >= stage_index(row.stage)
        and today > due
    ):
        days = (today - due).days
        notes.append(
            ngettext("“%(stage)s”已超过截止日期 %(days)s 天", "“%(stage)s”已超过截止日期 %(days)s 天", days)
            % {"stage": row.get_stage_display(), "days": days}
        )
        worst = max(worst, days)
    return notes, worst


def stage_board(assessment: Assessment, *, today: dt.date | None = None) -> Board:
    """Each covered county: stage, lateness, open returns, figures sent in, self vs verified total."""
    today = today or timezone.localdate()
    year = assessment.year
    rows = list(assessment.covered.select_related("region", "group").order_by("region__code"))
    region_ids = [r.region_id for r in rows]
    deadlines = deadlines_of(assessment)

    targeted: set[tuple[int, int]] = set(
        Target.objects.filter(year=year, region_id__in=region_ids).values_list("region_id", "indicator_id")
    )
    target_counts: dict[int, int] = {}
    for region_id, _ in targeted:
        target_counts[region_id] = target_counts.get(region_id, 0) + 1
    sent_in: dict[int, int] = {}
    approved: dict[int, int] = {}
    open_returns: dict[int, int] = {}
    for region_id, indicator_id, status in Figure.objects.filter(
        region_id__in=region_ids, year=year
    ).values_list("region_id", "indicator_id", "status"):
        if status == Figure.Status.RETURNED:
            open_returns[region_id] = open_returns.get(region_id, 0) + 1
        if (region_id, indicator_id) not in targeted:
            continue
        if status in (Figure.Status.SUBMITTED, Figure.Status.APPROVED):
            sent_in[region_id] = sent_in.get(region_id, 0) + 1
        if status == Figure.Status.APPROVED:
            approved[region_id] = approved.get(region_id, 0) + 1
    scores: dict[tuple[int, str], RegionScore] = {
        (s.region_id, s.basis): s for s in RegionScore.objects.filter(year=year, region_id__in=region_ids)
    }
    submitted_late: dict[tuple[int, str], int] = {}
    for region_id, kind, days in (
        StageTransition.objects.filter(
            assessment=assessment,
            kind__in=[StageTransition.Kind.FILE, StageTransition.Kind.SUBMIT_SELF],
        )
        .order_by("at", "id")
        .values_list("region_id", "kind", "days_late")
    ):
        submitted_late[(region_id, kind)] = days  # the latest submission counts

    board_rows = []
    for row in rows:
        notes, worst = _county_lateness(row, assessment, deadlines, submitted_late, today)
        self_score = scores.get((row.region_id, "self"))
        verified_score = scores.get((row.region_id, "verified"))
        board_rows.append(
            BoardRow(
                row=row,
                targets=target_counts.get(row.region_id, 0),
                sent_in=sent_in.get(row.region_id, 0),
                approved=approved.get(row.region_id, 0),
                open_returns=open_returns.get(row.region_id, 0),
                self_total=self_score.total if self_score else None,
                verified_total=verified_score.total if verified_score else None,
                verified_grade=verified_score.grade if verified_score else "",
                late_notes=notes,
                days_late=worst,
            )
        )
    transitions = list(
        StageTransition.objects.filter(assessment=assessment)
        .select_related("region")
        .order_by("-at", "-id")[:50]
    )
    return Board(
        assessment=assessment,
        rows=board_rows,
        deadlines=deadlines,
        stages=stage_steps(assessment, deadlines),
        transitions=transitions,
        today=today,
    )


# --- One county -------------------------------------------------------------------------


@dataclass
class TargetLine:
    target: Target
    figure: Figure | None
    finding: Finding | None = None


@dataclass
class ItemLine:
    item: QualitativeItem
    score: ItemScore | None
    finding: Finding | None = None


@dataclass
class CountySheet:
    row: AssessmentRegion
    targets: list[TargetLine]
    items: list[ItemLine]
    transitions: list[StageTransition]
    open_returns: list[Figure]


def county_sheet(row: AssessmentRegion) -> CountySheet:
    """Targets with their figures and findings, items with scores and findings, the county's log."""
    year = row.assessment.year
    targets = list(
        Target.objects.filter(region=row.region, year=year)
        .select_related("indicator")
        .order_by("indicator__sort_order", "indicator__code")
    )
    figures = {
        f.indicator_id: f
        for f in Figure.objects.filter(region=row.region, year=year).select_related(
            "indicator", "approved_by"
        )
    }
    findings = list(Finding.objects.filter(assessment_region=row).select_related("recorded_by"))
    by_indicator = {f.indicator_id: f for f in findings if f.indicator_id}
    by_item = {f.item_id: f for f in findings if f.item_id}
    scores = {
        s.item_id: s
        for s in ItemScore.objects.filter(region=row.region, year=year, item__scheme=row.assessment.scheme)
    }
    items = list(QualitativeItem.objects.filter(scheme=row.assessment.scheme).order_by("sort_order", "code"))
    return CountySheet(
        row=row,
        targets=[
            TargetLine(t, figures.get(t.indicator_id), by_indicator.get(t.indicator_id)) for t in targets
        ],
        items=[ItemLine(i, scores.get(i.pk), by_item.get(i.pk)) for i in items],
        transitions=list(
            StageTransition.objects.filter(assessment=row.assessment, region=row.region).order_by("at", "id")
        ),
        open_returns=[f for f in figures.values() if f.status == Figure.Status.RETURNED],
    )


# --- Published results ----------------------------------------------------------------------


def publications_of(assessment: Assessment) -> list[Publication]:
    return list(
        Publication.objects.filter(assessment=assessment).select_related("published_by", "reopened_by")
    )


def publication(assessment: Assessment, version: int | None = None) -> Publication | None:
    """The given version, or the latest one."""
    qs = Publication.objects.filter(assessment=assessment)
    if version is not None:
        return qs.filter(version=version).first()
    return qs.order_by("-version").first()


@dataclass
class PublishedLine:
    verified: PublishedRegionScore
    self_score: PublishedRegionScore | None

    @property
    def difference(self) -> Decimal | None:
        return None if self.self_score is None else self.verified.total - self.self_score.total


def published_ranking(pub: Publication) -> list[PublishedLine]:
    """The published ranking (verified basis) with each region's self total next to it."""
    rows = list(PublishedRegionScore.objects.filter(publication=pub).select_related("region"))
    selfs = {r.region_id: r for r in rows if r.basis == "self"}
    verified = sorted((r for r in rows if r.basis == "verified"), key=lambda r: (r.rank, r.region.code))
    return [PublishedLine(v, selfs.get(v.region_id)) for v in verified]


def published_targets(
    pub: Publication, region: Region, basis: str = "verified"
) -> list[PublishedTargetScore]:
    return list(
        PublishedTargetScore.objects.filter(publication=pub, region=region, basis=basis)
        .select_related("indicator")
        .order_by("indicator__sort_order", "indicator__code")
    )


def latest_published_scores(*, assessing_region: Region, year: int) -> list[PublishedRegionScore]:
    """The verified ranking of the latest published version (for dashboards and the ranking notice)."""
    pub = (
        Publication.objects.filter(assessment__assessing_region=assessing_region, assessment__year=year)
        .order_by("-version")
        .first()
    )
    if pub is None:
        return []
    return [line.verified for line in published_ranking(pub)]


def frozen_attempts(assessment: Assessment, limit: int = 50) -> list:
    from assessments.models import FrozenAttempt

    return list(FrozenAttempt.objects.filter(assessment=assessment).select_related("region")[:limit])
