"""Writes to the awards registry and the brand-count figures derived from it.

Registry services check the permission policy themselves (`user=None` means a
trusted system caller: management commands, the demo loader, Celery tasks), so
pages and the API get exactly the same rules. Every change to a grant enqueues,
after commit, a recompute of the derived figures it can affect: the grant's
region and all its ancestors, its indicator, every year from the year granted
to the current year (before and after the change, so an edit that shortens a
validity also fixes the years it no longer covers).

Derivation rules (DESIGN §2, issue 6):
- figure(region, indicator, year) = number of grants of the award types that
  count toward the indicator, held by enterprises in the region's subtree and
  valid at the end of the year (selectors.valid_in_year). Several award types
  may count toward one indicator; they are summed.
- A derived figure is approved, source `derived`, with value = reported =
  verified = the count, a link to the grants list in `source_ref` and the note
  DERIVED_NOTE. It is replaced idempotently: unchanged rows are not written.
- A figure someone entered (manual, import, seed, demo) is never overwritten;
  the clash is logged and reported in the result.
- A zero count creates no row (a region the registry does not cover keeps its
  right to enter the figure by hand) but updates an existing derived row to 0.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.policy import Action
from assessments.freeze import frozen_pairs
from awards.models import AwardType, Enterprise, Grant
from awards.selectors import grants_url, valid_in_year
from indicators.models import YEAR_MAX, YEAR_MIN, Figure, Indicator, Region
from quality_city.resilience import enqueue_or_run_inline

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

DERIVED_NOTE = "由品牌奖项登记库自动统计"


# --- scope of a recompute ------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """The derived figures a change can affect: regions x years x indicators."""

    region_ids: frozenset[int] = frozenset()
    years: frozenset[int] = frozenset()
    indicator_codes: frozenset[str] = frozenset()

    def __or__(self, other: Scope) -> Scope:
        return Scope(
            self.region_ids | other.region_ids,
            self.years | other.years,
            self.indicator_codes | other.indicator_codes,
        )

    def __bool__(self) -> bool:
        return bool(self.region_ids and self.years and self.indicator_codes)


def _ancestor_ids(path: str) -> frozenset[int]:
    codes = [c for c in path.split("/") if c]
    return frozenset(Region.objects.filter(code__in=codes).values_list("pk", flat=True))


def _years_from(year_granted: int) -> frozenset[int]:
    last = min(max(timezone.localdate().year, year_granted), YEAR_MAX)
    return frozenset(range(max(year_granted, YEAR_MIN), last + 1))


def grant_scope(grant: Grant) -> Scope:
    """The derived figures this grant (as stored now) counts in."""
    row = (
        Grant.objects.filter(pk=grant.pk)
        .values("enterprise__region__path", "award_type__indicator__code", "year_granted")
        .first()
    )
    if row is None or not row["award_type__indicator__code"]:
        return Scope()
    return Scope(
        _ancestor_ids(row["enterprise__region__path"]),
        _years_from(row["year_granted"]),
        frozenset([row["award_type__indicator__code"]]),
    )


def _scope_of_grants(grants) -> Scope:
    scope = Scope()
    for grant in grants:
        scope = scope | grant_scope(grant)
    return scope


def enqueue_recompute(scope: Scope) -> None:
    """Recompute `scope` in a Celery task once the current transaction commits."""
    if not scope:
        return
    from awards.tasks import recompute_award_figures

    args = (sorted(scope.region_ids), sorted(scope.years), sorted(scope.indicator_codes))
    transaction.on_commit(lambda: enqueue_or_run_inline(recompute_award_figures, args=args, swallow=True))


# --- enterprises -----------------------------------------------------------------------


def _check(user: User | None, region: Region) -> None:
    if user is not None:
        policy.check(user, Action.REGISTER_AWARDS, region)


@transaction.atomic
def enterprise_create(
    *, user: User | None, name: str, credit_code: str, region: Region, industry: str = "", note: str = ""
) -> Enterprise:
    """Register an enterprise after validating its credit code (GB 32100) and uniqueness."""
    _check(user, region)
    enterprise = Enterprise(name=name, credit_code=credit_code, region=region, industry=industry, note=note)
    enterprise.full_clean()
    enterprise.save()
    return enterprise


@transaction.atomic
def enterprise_update(*, user: User | None, enterprise: Enterprise, **fields) -> Enterprise:
    """Change an enterprise. Moving it to another region recomputes its grants' figures."""
    allowed = {"name", "credit_code", "region", "industry", "note"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    _check(user, enterprise.region)
    before = _scope_of_grants(enterprise.grants.all()) if "region" in fields else Scope()
    for name, value in fields.items():
        setattr(enterprise, name, value)
    _check(user, enterprise.region)
    enterprise.full_clean()
    enterprise.save()
    if "region" in fields:
        enqueue_recompute(before | _scope_of_grants(enterprise.grants.all()))
    return enterprise


# --- grants --------------------------------------------------------------------------


def _clean_grant(grant: Grant) -> None:
    errors: dict[str, list[str]] = {}
    if grant.year_granted is not None and not (YEAR_MIN <= grant.year_granted <= YEAR_MAX):
        errors["year_granted"] = [_("获得年度须在 %(min)s–%(max)s 之间") % {"min": YEAR_MIN, "max": YEAR_MAX}]
    elif grant.valid_until is not None and grant.valid_until < grant.year_granted:
        errors["valid_until"] = [
            _("有效期至 %(until)s 年早于获得年度 %(year)s 年")
            % {"until": grant.valid_until, "year": grant.year_granted}
        ]
    if errors:
        raise ValidationError(errors)
    grant.full_clean(validate_constraints=True)


@transaction.atomic
def grant_create(
    *,
    user: User | None,
    award_type: AwardType,
    enterprise: Enterprise,
    name: str,
    year_granted: int,
    valid_until: int | None = None,
    certificate_no: str = "",
    note: str = "",
    application=None,
    recompute: bool = True,
) -> Grant:
    """Register a grant. An empty `valid_until` follows the award type's validity
    (year granted + validity - 1; empty for types valid indefinitely). With
    `recompute=False` the caller (a bulk import) enqueues the recompute itself."""
    _check(user, enterprise.region)
    grant = Grant(
        award_type=award_type,
        enterprise=enterprise,
        name=name,
        year_granted=year_granted,
        valid_until=valid_until if valid_until is not None else award_type.default_valid_until(year_granted),
        certificate_no=certificate_no,
        note=note,
        application=application,
        created_by=user,
    )
    _clean_grant(grant)
    grant.save()
    if recompute:
        enqueue_recompute(grant_scope(grant))
    return grant


@transaction.atomic
def grant_update(*, user: User | None, grant: Grant, recompute: bool = True, **fields) -> Grant:
    """Change a grant; figures of the old and the new scope are recomputed."""
    allowed = {"award_type", "enterprise", "name", "year_granted", "valid_until", "certificate_no", "note"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)}")
    _check(user, grant.enterprise.region)
    before = grant_scope(grant)
    for name, value in fields.items():
        setattr(grant, name, value)
    if "valid_until" in fields and fields["valid_until"] is None:
        grant.valid_until = grant.award_type.default_valid_until(grant.year_granted)
    _check(user, grant.enterprise.region)
    _clean_grant(grant)
    grant.save()
    if recompute:
        enqueue_recompute(before | grant_scope(grant))
    return grant


@transaction.atomic
def grant_revoke(*, user: User | None, grant: Grant, revoked_on, reason: str) -> Grant:
    """Revoke a grant (撤销) on a date with a reason. It no longer counts in the year of
    revocation or later; earlier years keep it."""
    _check(user, grant.enterprise.region)
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if grant.revoked_on is not None:
        errors["revoked_on"] = [_("该授予已于 %(date)s 撤销") % {"date": grant.revoked_on}]
    elif revoked_on is None:
        errors["revoked_on"] = [_("请填写撤销日期")]
    elif revoked_on.year < grant.year_granted:
        errors["revoked_on"] = [
            _("撤销日期 %(date)s 早于获得年度 %(year)s 年") % {"date": revoked_on, "year": grant.year_granted}
        ]
    if not reason:
        errors["revoke_reason"] = [_("请填写撤销原因")]
    if errors:
        raise ValidationError(errors)
    grant.revoked_on = revoked_on
    grant.revoke_reason = reason
    grant.save(update_fields=["revoked_on", "revoke_reason", "updated_at"])
    enqueue_recompute(grant_scope(grant))
    return grant


@transaction.atomic
def award_type_update(
    *, user: User | None, award_type: AwardType, validity_years: int | None, indicator: Indicator | None
) -> AwardType:
    """Edit a type's validity and indicator (the national catalogue: superusers only).

    A new validity applies to grants registered afterwards; a grant keeps the
    `valid_until` of its certificate. A new indicator moves every grant of the
    type from the old indicator's derived figures to the new one's.
    """
    if user is not None and not getattr(user, "is_superuser", False):
        raise PermissionDenied(_("奖项类型属于全国目录，只有系统管理员可以修改"))
    old_indicator = award_type.indicator_id
    award_type.validity_years = validity_years
    award_type.indicator = indicator
    award_type.full_clean()
    award_type.save()
    if old_indicator != award_type.indicator_id:
        grants = list(award_type.grants.all())
        scope = _scope_of_grants(grants)
        old_code = Indicator.objects.filter(pk=old_indicator).values_list("code", flat=True).first()
        if old_code and grants:
            regions = frozenset().union(*(grant_scope(g).region_ids for g in grants))
            years = frozenset().union(*(grant_scope(g).years for g in grants))
            scope = scope | Scope(regions, years, frozenset([old_code]))
        enqueue_recompute(scope)
    return award_type


# --- derived figures ---------------------------------------------------------------


@dataclass
class DerivationResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text = f"推导数据：新增 {self.created}，更新 {self.updated}，未变 {self.unchanged}"
        if self.conflicts:
            text += f"；{len(self.conflicts)} 项已有人工数据未覆盖"
        return text

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": list(self.conflicts),
        }


def derived_counts(
    *, regions: list[Region], years: list[int], indicator_codes: list[str]
) -> dict[tuple[int, str, int], int]:
    """(region id, indicator code, year) -> number of grants valid at the end of the year
    in the region and its descendants, summed over the award types of the indicator."""
    counts: dict[tuple[int, str, int], int] = defaultdict(int)
    if not regions:
        return counts
    within = Q()
    for region in regions:
        within |= Q(enterprise__region__path__startswith=region.path)
    base = Grant.objects.filter(within, award_type__indicator__code__in=indicator_codes)
    for year in years:
        rows = base.filter(valid_in_year(year)).values_list(
            "award_type__indicator__code", "enterprise__region__path"
        )
        for code, path in rows:
            for region in regions:
                if path.startswith(region.path):
                    counts[(region.pk, code, year)] += 1
    return counts


@transaction.atomic
def derived_figures_recompute(
    *, region_ids: list[int], years: list[int], indicator_codes: list[str]
) -> DerivationResult:
    """Recompute the derived brand-count figures of regions x years x indicators.

    Steps: count the valid grants per cell; lock the existing figures of the
    cells; for each cell, skip (and report) a figure entered by people, leave an
    identical derived figure alone, update a different one (new version, history
    kept by simple-history), create a missing one when the count is positive.
    """
    result = DerivationResult()
    regions = list(Region.objects.filter(pk__in=region_ids).order_by("path"))
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=indicator_codes)}
    years = sorted(y for y in set(years) if YEAR_MIN <= y <= YEAR_MAX)
    if not regions or not indicators or not years:
        return result
    counts = derived_counts(regions=regions, years=years, indicator_codes=list(indicators))
    # Years of a published assessment are frozen (assessments.freeze): their figures stay as published.
    frozen = frozen_pairs((r.pk, y) for r in regions for y in years)
    existing = {
        (f.region_id, f.indicator.code, f.year): f
        for f in Figure.objects.select_for_update()
        .filter(region__in=regions, indicator__in=indicators.values(), year__in=years)
        .select_related("indicator")
    }
    now = timezone.now()
    for region in regions:
        for code, indicator in sorted(indicators.items()):
            for year in years:
                count = Decimal(counts.get((region.pk, code, year), 0))
                figure = existing.get((region.pk, code, year))
                ref = grants_url(region=region, indicator_code=code, year=year)
                if (region.pk, year) in frozen:
                    if (figure.value if figure is not None else Decimal(0)) != count:
                        result.conflicts.append(
                            f"{region.name} {code} {year} 年考核结果已发布，数据已冻结，未更新"
                        )
                    continue
                if figure is not None and figure.source != Figure.Source.DERIVED:
                    if count:
                        message = (
                            f"{region.name}（{region.code}）{code} {year} 年已有"
                            f"{figure.get_source_display()}数据 {figure.value.normalize():f}，"
                            f"登记库统计为 {count}，未覆盖"
                        )
                        logger.warning("derived figure conflict: %s", message)
                        result.conflicts.append(message)
                    continue
                if figure is None:
                    if not count:
                        continue
                    Figure.objects.create(
                        region=region,
                        indicator=indicator,
                        year=year,
                        value=count,
                        reported_value=count,
                        verified_value=count,
                        status=Figure.Status.APPROVED,
                        source=Figure.Source.DERIVED,
                        source_ref=ref,
                        note=DERIVED_NOTE,
                        approved_at=now,
                        submitted_at=now,
                    )
                    result.created += 1
                    continue
                same = (
                    figure.value == count
                    and figure.reported_value == count
                    and figure.verified_value == count
                    and figure.status == Figure.Status.APPROVED
                    and figure.source_ref == ref
                    and figure.note == DERIVED_NOTE
                )
                if same:
                    result.unchanged += 1
                    continue
                figure.value = figure.reported_value = figure.verified_value = count
                figure.status = Figure.Status.APPROVED
                figure.source_ref = ref
                figure.note = DERIVED_NOTE
                figure.approved_at = now
                figure.version += 1
                figure._change_reason = "品牌奖项登记库变更，自动重算"
                figure.save()
                result.updated += 1
    return result


def derived_figures_rebuild(*, region: Region | None = None) -> DerivationResult:
    """Recompute every derived figure the registry can produce (for the grants in
    `region`'s subtree, or all): the regions holding grants and their ancestors, every
    indicator with award types, from the earliest grant to this year."""
    grants = Grant.objects.filter(award_type__indicator__isnull=False)
    if region is not None:
        grants = grants.filter(enterprise__region__path__startswith=region.path)
    first = grants.aggregate(first=Min("year_granted"))["first"]
    if first is None:
        return DerivationResult()
    paths = set(grants.values_list("enterprise__region__path", flat=True).distinct())
    # Ancestors of `region` are included: their counts are always complete.
    codes = {c for p in paths for c in p.split("/") if c}
    region_ids = list(Region.objects.filter(code__in=codes).values_list("pk", flat=True))
    indicator_codes = list(grants.values_list("award_type__indicator__code", flat=True).distinct().order_by())
    return derived_figures_recompute(
        region_ids=region_ids, years=sorted(_years_from(first)), indicator_codes=indicator_codes
    )
