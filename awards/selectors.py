"""Reads of the awards registry and of quality award rounds, always scoped by the policy.

Every object a page or the API shows is fetched here through a `get_x_for_user`
helper that raises 404 when the user may not see it at all and 403 when they
may see it but not take the requested action.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.policy import Action
from awards.models import (
    SCORED_STAGES,
    Application,
    AwardType,
    Enterprise,
    Grant,
    QualityAwardRound,
    ReviewAssignment,
    Stage,
)
from indicators.models import Region

TWO_PLACES = Decimal("0.01")


# --- registry ------------------------------------------------------------------------


def valid_in_year(year: int, prefix: str = "") -> Q:
    """Grants valid at the end of `year`: granted in or before it, validity not ended,
    not revoked on or before 31 December (a revocation during the year removes it
    from that year's count)."""
    p = prefix
    return (
        Q(**{f"{p}year_granted__lte": year})
        & (Q(**{f"{p}valid_until__isnull": True}) | Q(**{f"{p}valid_until__gte": year}))
        & (Q(**{f"{p}revoked_on__isnull": True}) | Q(**{f"{p}revoked_on__gt": dt.date(year, 12, 31)}))
    )


def grants_url(*, region: Region, indicator_code: str, year: int) -> str:
    """The grants list behind a derived figure (stored in Figure.source_ref)."""
    query = urlencode({"region": region.code, "indicator": indicator_code, "year": year})
    return f"{reverse('awards:grant_list')}?{query}"


def _region_in(user, code: str | None) -> Region | None:
    """The region `code` if the user may read it; 404 otherwise (nothing leaks)."""
    if not code:
        return None
    region = policy.readable_regions(user).filter(code=code).first()
    if region is None:
        raise Http404(_("无此地区或无权查看"))
    return region


def _subtree_q(user, region: Region | None, prefix: str) -> Q:
    """Rows in `region`'s subtree, or in everything the user may read."""
    if region is not None:
        return Q(**{f"{prefix}path__startswith": region.path})
    if getattr(user, "is_superuser", False):
        return Q()
    home = policy.user_region(user)
    if home is None:
        return Q(pk__in=[])
    return Q(**{f"{prefix}path__startswith": home.path})


@dataclass
class GrantFilters:
    region: str | None = None  # region code: the region and everything below it
    indicator: str | None = None  # indicator code the award type counts toward
    award_type: str | None = None  # award type code
    level: str | None = None
    year: int | None = None  # valid at the end of that year
    status: str | None = None  # valid / expired / revoked (today)
    q: str | None = None  # enterprise name, credit code or grant name


def grant_list(*, user, filters: GrantFilters | None = None) -> QuerySet[Grant]:
    """Grants the user may read, filtered. With region+indicator+year it lists exactly
    the grants counted in that derived figure."""
    f = filters or GrantFilters()
    region = _region_in(user, f.region)
    qs = Grant.objects.filter(_subtree_q(user, region, "enterprise__region__")).select_related(
        "award_type", "award_type__indicator", "enterprise", "enterprise__region"
    )
    if f.indicator:
        qs = qs.filter(award_type__indicator__code=f.indicator)
    if f.award_type:
        qs = qs.filter(award_type__code=f.award_type)
    if f.level:
        qs = qs.filter(award_type__level=f.level)
    if f.year:
        qs = qs.filter(valid_in_year(int(f.year)))
    if f.status:
        today = timezone.localdate()
        if f.status == "revoked":
            qs = qs.filter(revoked_on__isnull=False)
        elif f.status == "expired":
            qs = qs.filter(revoked_on__isnull=True, valid_until__lt=today.year)
        elif f.status == "valid":
            qs = qs.filter(revoked_on__isnull=True).filter(
                Q(valid_until__isnull=True) | Q(valid_until__gte=today.year)
            )
    if f.q:
        qs = qs.filter(
            Q(enterprise__name__icontains=f.q)
            | Q(enterprise__credit_code__iexact=f.q)
            | Q(name__icontains=f.q)
            | Q(certificate_no__icontains=f.q)
        )
    return qs.order_by("-year_granted", "award_type__sort_order", "enterprise__name", "pk")


def enterprise_list(
    *, user, region: str | None = None, q: str | None = None, industry: str | None = None
) -> QuerySet[Enterprise]:
    qs = Enterprise.objects.filter(_subtree_q(user, _region_in(user, region), "region__")).select_related(
        "region"
    )
    if industry:
        qs = qs.filter(industry=industry)
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(credit_code__iexact=q))
    return qs.order_by("region__code", "name")


def award_type_list() -> QuerySet[AwardType]:
    return AwardType.objects.select_related("indicator").order_by("sort_order", "code")


def get_enterprise_for_user(user, pk: int, action: Action = Action.READ) -> Enterprise:
    enterprise = Enterprise.objects.select_related("region").filter(pk=pk).first()
    if enterprise is None or not policy.can(user, Action.READ, enterprise.region):
        raise Http404(_("无此企业或无权查看"))
    policy.check(user, action, enterprise.region)
    return enterprise


def get_grant_for_user(user, pk: int, action: Action = Action.READ) -> Grant:
    grant = (
        Grant.objects.select_related("award_type", "enterprise", "enterprise__region").filter(pk=pk).first()
    )
    if grant is None or not policy.can(user, Action.READ, grant.enterprise.region):
        raise Http404(_("无此授予记录或无权查看"))
    policy.check(user, action, grant.enterprise.region)
    return grant


# --- quality award rounds ---------------------------------------------------------


@dataclass(frozen=True)
class ApplicationAccess:
    """What one user may do with one application.

    manage    the bureau running the round (policy RUN_AWARD_ROUND on its region)
    stages    the scored stages the user is assigned to as a reviewer
    public    the application is in or past its public notice and the user may
              read the round's region: the summary and scores become visible
    """

    manage: bool = False
    stages: frozenset[str] = field(default_factory=frozenset)
    public: bool = False

    @property
    def visible(self) -> bool:
        return self.manage or bool(self.stages) or self.public

    @property
    def files(self) -> bool:
        """Reports and evidence stay with the bureau and the assigned reviewers."""
        return self.manage or bool(self.stages)


def application_access(user, application: Application, today: dt.date | None = None) -> ApplicationAccess:
    region = application.round.region
    stages = frozenset(
        ReviewAssignment.objects.filter(application=application, reviewer_id=user.pk).values_list(
            "stage", flat=True
        )
    )
    return ApplicationAccess(
        manage=policy.can(user, Action.RUN_AWARD_ROUND, region),
        stages=stages if getattr(user, "is_authenticated", False) else frozenset(),
        public=application.published(today) and policy.can(user, Action.READ, region),
    )


def get_round_for_user(user, pk: int, manage: bool = False) -> QualityAwardRound:
    """A round the user may see: the bureau, readers of its region, or a reviewer assigned in it."""
    rnd = QualityAwardRound.objects.select_related("region").filter(pk=pk).first()
    if rnd is None:
        raise Http404(_("无此评审"))
    may_run = policy.can(user, Action.RUN_AWARD_ROUND, rnd.region)
    sees = (
        may_run
        or policy.can(user, Action.READ, rnd.region)
        or ReviewAssignment.objects.filter(application__round=rnd, reviewer_id=user.pk).exists()
    )
    if not sees:
        raise Http404(_("无此评审"))
    if manage and not may_run:
        raise PermissionDenied(_("只有组织评审的质量主管部门可以执行此操作"))
    return rnd


def get_application_for_user(
    user, pk: int, manage: bool = False, today: dt.date | None = None
) -> tuple[Application, ApplicationAccess]:
    application = (
        Application.objects.select_related("round", "round__region", "enterprise", "enterprise__region")
        .filter(pk=pk)
        .first()
    )
    if application is None:
        raise Http404(_("无此申报"))
    access = application_access(user, application, today)
    if not access.visible:
        raise Http404(_("无此申报"))
    if manage and not access.manage:
        raise PermissionDenied(_("只有组织评审的质量主管部门可以执行此操作"))
    return application, access


def round_list(*, user) -> QuerySet[QualityAwardRound]:
    """Rounds whose region the user may read, plus rounds where they review."""
    readable = policy.readable_regions(user)
    reviewing = ReviewAssignment.objects.filter(reviewer_id=user.pk).values("application__round")
    return (
        QualityAwardRound.objects.filter(Q(region__in=readable) | Q(pk__in=reviewing))
        .select_related("region")
        .order_by("-year", "name")
    )


def applications_visible(
    *, user, rnd: QualityAwardRound, today: dt.date | None = None
) -> QuerySet[Application]:
    """The bureau sees every application; readers see only published ones (公示 begun);
    a reviewer sees the ones assigned to them."""
    today = today or timezone.localdate()
    qs = Application.objects.filter(round=rnd).select_related("enterprise", "enterprise__region")
    if policy.can(user, Action.RUN_AWARD_ROUND, rnd.region):
        return qs
    visible = Q(pk__in=ReviewAssignment.objects.filter(reviewer_id=user.pk).values("application"))
    if policy.can(user, Action.READ, rnd.region):
        visible |= Q(notice_start__isnull=False, notice_start__lte=today)
    return qs.filter(visible)


def my_assignments(*, user) -> QuerySet[ReviewAssignment]:
    return (
        ReviewAssignment.objects.filter(reviewer_id=user.pk)
        .select_related("application", "application__round", "application__enterprise")
        .order_by("-application__round__year", "application__pk", "stage")
    )


@dataclass(frozen=True)
class StageScore:
    """Mean of the submitted reviewers' totals at one stage (None when nobody scored)."""

    mean: Decimal | None
    submitted: int
    assigned: int

    @property
    def complete(self) -> bool:
        return self.assigned > 0 and self.submitted == self.assigned


def mean(values: list[Decimal]) -> Decimal | None:
    if not values:
        return None
    return (sum(values, Decimal(0)) / len(values)).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def stage_scores(application_ids: list[int], stage: str) -> dict[int, StageScore]:
    """StageScore per application for one scored stage (one query)."""
    totals: dict[int, list[Decimal]] = defaultdict(list)
    assigned: dict[int, int] = defaultdict(int)
    for app_id, total, submitted_at in ReviewAssignment.objects.filter(
        application_id__in=application_ids, stage=stage
    ).values_list("application_id", "total", "submitted_at"):
        assigned[app_id] += 1
        if submitted_at is not None and total is not None:
            totals[app_id].append(total)
    return {
        app_id: StageScore(mean(totals.get(app_id, [])), len(totals.get(app_id, [])), assigned[app_id])
        for app_id in application_ids
    }


@dataclass
class RankedApplication:
    application: Application
    scores: dict[str, StageScore]
    rank: int | None = None  # within its round and category, by the ranking stage's mean
    rank_of: int = 0
    scores_hidden: bool = False  # a reviewer's own application before the public notice


def competition_ranks(values: list[Decimal | None]) -> list[int | None]:
    """1, 2, 2, 4: equal values share a rank, the next rank is skipped; None is unranked."""
    ranked = sorted((v for v in values if v is not None), reverse=True)
    first = {}
    for i, v in enumerate(ranked, start=1):
        first.setdefault(v, i)
    return [first[v] if v is not None else None for v in values]


def round_ranking(applications: list[Application], stage: str | None = None) -> list[RankedApplication]:
    """Applicants ranked within each category by the mean reviewers' total of `stage`
    (default: on-site review once anyone has an on-site score, else document review).
    Returned ordered by category, then rank (unranked last)."""
    ids = [a.pk for a in applications]
    per_stage = {s.value: stage_scores(ids, s.value) for s in SCORED_STAGES}
    if stage is None:
        has_onsite = any(s.mean is not None for s in per_stage[Stage.ONSITE_REVIEW].values())
        stage = Stage.ONSITE_REVIEW if has_onsite else Stage.DOCUMENT_REVIEW
    rows = [RankedApplication(a, {s: per_stage[s][a.pk] for s in per_stage}) for a in applications]
    by_category: dict[str, list[RankedApplication]] = defaultdict(list)
    for row in rows:
        by_category[row.application.category].append(row)
    out: list[RankedApplication] = []
    for category in sorted(by_category):
        group = by_category[category]
        ranks = competition_ranks([r.scores[stage].mean for r in group])
        ranked_count = sum(1 for r in ranks if r is not None)
        for row, rank in zip(group, ranks, strict=True):
            row.rank, row.rank_of = rank, ranked_count
        group.sort(key=lambda r: (r.rank is None, r.rank or 0, r.application.pk))
        out.extend(group)
    return out


def round_ranking_for_user(
    *, user, rnd: QualityAwardRound, stage: str | None = None, today: dt.date | None = None
) -> list[RankedApplication]:
    """The ranking a user may see. The bureau ranks every application. Anyone else sees
    scores and ranks only among published applications (公示 begun); a reviewer's other
    assigned applications follow, unranked and without scores (reviewers score blind)."""
    visible = list(applications_visible(user=user, rnd=rnd, today=today))
    if policy.can(user, Action.RUN_AWARD_ROUND, rnd.region):
        return round_ranking(visible, stage)
    published = [a for a in visible if a.published(today)]
    private = [a for a in visible if not a.published(today)]
    empty = StageScore(None, 0, 0)
    return round_ranking(published, stage) + [
        RankedApplication(a, {s.value: empty for s in SCORED_STAGES}, scores_hidden=True) for a in private
    ]
