"""The one permission policy: "may user U do action A on region R?".

Pages, the API, imports, exports, reports and the admin all ask this module;
no other code decides who may touch which region. The rules (DESIGN §5):

- Nobody reads or writes outside the subtree of their own region.
- staff     enter, update and submit figures of their own region only.
- reviewer  approve / return / adjust / reopen figures and verify items of the
            regions strictly below theirs; run scoring and publish for their subtree.
- leader    read everything in their subtree.
- admin     everything in their subtree (catalogue, plans, targets, users).
- superuser everything everywhere.
- SYSTEM    the command line and scheduled jobs (`import_figures`, derivations):
            everything everywhere, recorded as nobody's user.
- Published results widen reading: a published assessment's scores are readable by
  the assessing region's users (`published_to`), and a ranking notice made from
  published results by every user below the notice's region
  (`can_download_report`): the counties receive their city's 通报.

Segregation of duties: nobody approves a figure they entered themselves
(`check_figure`), whatever their roles.
"""

from __future__ import annotations

import functools
from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext

from accounts.models import Role
from quality_city.typed_rows import column_converters, typed_row

if TYPE_CHECKING:
    from collections.abc import Sequence

    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from indicators.models import Figure, Region


class Action(StrEnum):
    READ = "read"
    CREATE = "create"
    UPDATE = "update"
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    REOPEN = "reopen"
    VERIFY = "verify"  # verified points of qualitative items, on-site findings
    SCORE = "score"  # run scoring
    PUBLISH = "publish"
    MANAGE = "manage"  # plans, targets, schemes, catalogue, users
    EXPORT = "export"
    IMPORT = "import"
    REGISTER_AWARDS = (
        "register_awards"  # awards registry: enterprises and grants (create, edit, revoke, import)
    )
    RUN_AWARD_ROUND = "run_award_round"  # quality award rounds: stages, reviewers, objections, awarding


class SystemActor:
    """The actor of management commands and scheduled jobs (never produced by a request)."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None

    def __repr__(self) -> str:
        return "SYSTEM"

    def __str__(self) -> str:
        return "系统"


SYSTEM = SystemActor()

# Which roles may take an action, and where: "own" = the user's own region only,
# "below" = strictly below it, "subtree" = own region and everything below.
_RULES: dict[Action, list[tuple[str, str]]] = {
    Action.READ: [
        (Role.STAFF, "subtree"),
        (Role.REVIEWER, "subtree"),
        (Role.LEADER, "subtree"),
        (Role.ADMIN, "subtree"),
    ],
    Action.EXPORT: [
        (Role.STAFF, "subtree"),
        (Role.REVIEWER, "subtree"),
        (Role.LEADER, "subtree"),
        (Role.ADMIN, "subtree"),
    ],
    Action.CREATE: [(Role.STAFF, "own"), (Role.ADMIN, "subtree")],
    Action.UPDATE: [(Role.STAFF, "own"), (Role.ADMIN, "subtree")],
    Action.SUBMIT: [(Role.STAFF, "own"), (Role.ADMIN, "subtree")],
    Action.IMPORT: [(Role.STAFF, "own"), (Role.ADMIN, "subtree")],
    Action.APPROVE: [(Role.REVIEWER, "below"), (Role.ADMIN, "below")],
    Action.RETURN: [(Role.REVIEWER, "below"), (Role.ADMIN, "below")],
    Action.REOPEN: [(Role.REVIEWER, "below"), (Role.ADMIN, "below")],
    Action.VERIFY: [(Role.REVIEWER, "below"), (Role.ADMIN, "below")],
    Action.SCORE: [(Role.REVIEWER, "subtree"), (Role.ADMIN, "subtree")],
    Action.PUBLISH: [(Role.REVIEWER, "subtree"), (Role.ADMIN, "subtree")],
    Action.MANAGE: [(Role.ADMIN, "subtree")],
    # The city bureau keeps the registry of its whole subtree; a county keeps its own.
    Action.REGISTER_AWARDS: [(Role.STAFF, "subtree"), (Role.REVIEWER, "subtree"), (Role.ADMIN, "subtree")],
    # The bureau organising a round (质量科) runs it; assigned reviewers only score (awards.selectors).
    Action.RUN_AWARD_ROUND: [(Role.REVIEWER, "subtree"), (Role.ADMIN, "subtree")],
}


def _profile(user: AbstractBaseUser | AnonymousUser):
    if not getattr(user, "is_authenticated", False):
        return None
    descriptor = getattr(user.__class__, "profile", None)
    if descriptor is not None and not descriptor.is_cached(user):
        # Every check reads the profile's region: load both in one query and cache the
        # profile on the user as `user.profile` would (None too: Django caches a miss).
        _remember(user, _load_profile(user.pk))
    try:
        return user.profile  # type: ignore[union-attr]
    except Exception:  # RelatedObjectDoesNotExist: a user without a region has no rights
        return None


def _remember(user, profile) -> None:
    if profile is None:
        user.__class__.profile.related.set_cached_value(user, None)
    else:
        user.profile = profile  # type: ignore[union-attr]


def _load_profile(user_id: int):
    """``Profile.objects.select_related("region").filter(user_id=user_id).first()``, as a
    hand-written SELECT: every request of a signed-in user asks the policy at least once,
    and building the ORM query took three times as long as PostgreSQL takes to answer it.
    Values are typed by the fields' own database converters (the roles' JSON), so the
    instances are those the ORM builds (tests/accounts/test_policy_fast_reads.py)."""
    from django.db import connection

    from accounts.models import Profile
    from indicators.models import Region

    columns, _fields = _profile_columns()
    sql = (
        f"SELECT {columns} FROM {Profile._meta.db_table} pf"  # noqa: S608 (names from the models' _meta)
        f" JOIN {Region._meta.db_table} pfr ON pfr.id = pf.{Profile._meta.get_field('region').column}"
        f" WHERE pf.{Profile._meta.get_field('user').column} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    return None if row is None else _profile_from_row(row)


@functools.cache
def _profile_columns() -> tuple[str, tuple]:
    """The SELECT columns of a profile (alias ``pf``) and its region (``pfr``), and their fields."""
    from accounts.models import Profile
    from indicators.models import Region

    pf, rf = Profile._meta.concrete_fields, Region._meta.concrete_fields
    columns = ", ".join([f"pf.{f.column}" for f in pf] + [f"pfr.{f.column}" for f in rf])
    return columns, (*pf, *rf)


def _profile_from_row(row):
    """The Profile (its region loaded) of `row`, read by :func:`_profile_columns`; None when
    the row has no profile (a LEFT JOIN that found none)."""
    from django.db import connection

    from accounts.models import Profile
    from indicators.models import Region

    if row[0] is None:
        return None
    _columns, fields = _profile_columns()
    values = typed_row(row, column_converters(connection, fields), connection)
    n = len(Profile._meta.concrete_fields)
    profile = Profile.from_db(connection.alias, [f.attname for f in fields[:n]], values[:n])
    profile.region = Region.from_db(connection.alias, [f.attname for f in fields[n:]], values[n:])
    return profile


def profile_to_load(user: AbstractBaseUser | AnonymousUser) -> int | None:
    """The id of a signed-in user whose profile the policy has not loaded yet, else None.

    A page whose first query reads a row anyway can bring the profile along
    (:func:`profile_join`, :func:`remember_profile`) and spare the policy its own query.
    """
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return None
    descriptor = getattr(user.__class__, "profile", None)
    if descriptor is None or descriptor.is_cached(user):
        return None
    return user.pk


def profile_join() -> tuple[str, str, int]:
    """SELECT columns and LEFT JOINs that add a user's profile and its region to another
    query's row (the joins take the user id as their one %s parameter), and the number
    of columns; hand the row's values of those columns to :func:`remember_profile`."""
    from accounts.models import Profile
    from indicators.models import Region

    columns, fields = _profile_columns()
    joins = (
        f" LEFT JOIN {Profile._meta.db_table} pf ON pf.{Profile._meta.get_field('user').column} = %s"
        f" LEFT JOIN {Region._meta.db_table} pfr ON pfr.id = pf.{Profile._meta.get_field('region').column}"
    )
    return columns, joins, len(fields)


def remember_profile(user: AbstractBaseUser | AnonymousUser, values) -> None:
    """Keep on `user` the profile read through :func:`profile_join` (all None: the user
    has none), exactly as the policy's own query would have loaded it."""
    _remember(user, _profile_from_row(values))


def user_region(user: AbstractBaseUser | AnonymousUser) -> Region | None:
    profile = _profile(user)
    return profile.region if profile else None


def roles_of(user: AbstractBaseUser | AnonymousUser) -> set[str]:
    profile = _profile(user)
    return set(profile.roles) if profile else set()


def _where_holds(where: str, home: Region, region: Region) -> bool:
    if where == "own":
        return region.pk == home.pk
    if where == "below":
        return region.pk != home.pk and region.is_within(home)
    return region.is_within(home)


def can(user: AbstractBaseUser | AnonymousUser, action: Action | str, region: Region) -> bool:
    """May `user` take `action` on data of `region`?"""
    if user is SYSTEM:
        return True
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    profile = _profile(user)
    if profile is None:
        return False
    action = Action(action)
    return any(
        role in profile.roles and _where_holds(where, profile.region, region)
        for role, where in _RULES[action]
    )


def check(user: AbstractBaseUser | AnonymousUser, action: Action | str, region: Region) -> None:
    """Raise PermissionDenied unless `can(user, action, region)`."""
    if not can(user, action, region):
        raise PermissionDenied(gettext("无权对“%(region)s”执行此操作") % {"region": region.name})


def published_to(user: AbstractBaseUser | AnonymousUser, region: Region, year: int | None) -> bool:
    """Is `region`'s result for `year` part of a published assessment `user` may read?

    Hook for published assessments (issue 10): the results of a published assessment
    (通报) are visible to every signed-in user of the assessing city or province, so
    a county leader can see the county ranking of their city once it is published.
    "Currently published" only: a reopened assessment's live scores are being
    corrected (its earlier versions stay readable on the assessment's results page).
    """
    home = user_region(user)
    if home is None:
        return False
    known = getattr(user, _PUBLISHED_ATTR, {}).pop((region.pk, year), None)
    if known is not None:  # read ahead with the page's own reads, for this one question
        return known
    # Hand-written (`_published_to_sql`): every score page asks this for each ancestor crumb
    # the user cannot READ, and building the three-table ORM query took longer than
    # PostgreSQL takes to answer it (tests/accounts/test_policy_fast_reads.py checks it against
    # the ORM query it replaced).
    from django.db import connection

    sql, params = _published_to_read(region, year)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        paths = [row[0] for row in cursor.fetchall()]
    return any(home.path.startswith(p) for p in paths)


# Answers of `published_to` read ahead by a page (`published_to_read`), kept on the user
# object of the request as its profile is: {(region id, year): bool}. Each answers one
# question: a second one reads again (a user object may outlive the request, in a test
# or a job, and an assessment may be published or reopened meanwhile).
_PUBLISHED_ATTR = "_qc_published_to"


def _published_to_read(region: Region, year: int | None) -> tuple[str, list]:
    from assessments.models import Stage

    params = [region.pk, Stage.PUBLISHED.value]
    if year is not None:
        params.append(year)
    return _published_to_sql(year is not None), params


def published_to_read(
    user: AbstractBaseUser | AnonymousUser, region: Region, year: int | None
) -> tuple[str, list] | None:
    """The SELECT (sql, params) behind ``can_read_scores(user, region, year)``, when that
    answer needs one; None when the policy answers without a query.

    A page that sends several reads in one round trip can send this one with them and
    hand its rows to :func:`remember_published_to`; the policy then answers from them.
    The rule stays here: only the query travels with the page's own.
    """
    if can(user, Action.READ, region) or not getattr(user, "is_authenticated", False):
        return None
    if user_region(user) is None:
        return None
    known = getattr(user, _PUBLISHED_ATTR, {})
    if (region.pk, year) in known:
        return None
    return _published_to_read(region, year)


def remember_published_to(
    user: AbstractBaseUser | AnonymousUser, region: Region, year: int | None, rows: Sequence[Sequence]
) -> None:
    """Keep the answer of :func:`published_to` from the rows of :func:`published_to_read`."""
    home = user_region(user)
    answer = home is not None and any(home.path.startswith(row[0]) for row in rows)
    known = getattr(user, _PUBLISHED_ATTR, None)
    if known is None:
        known = {}
        setattr(user, _PUBLISHED_ATTR, known)
    known[(region.pk, year)] = answer


@functools.cache
def _published_to_sql(with_year: bool) -> str:
    """The assessing regions' paths of the published assessments covering a region (and year)."""
    from assessments.models import Assessment, AssessmentRegion
    from indicators.models import Region

    def col(model, name: str) -> str:
        return model._meta.get_field(name).column

    a, ar, r = Assessment._meta.db_table, AssessmentRegion._meta.db_table, Region._meta.db_table
    return (
        f"SELECT r.{col(Region, 'path')} FROM {ar} ar"  # noqa: S608 (names from the models' _meta)
        f" JOIN {a} a ON a.id = ar.{col(AssessmentRegion, 'assessment')}"
        f" JOIN {r} r ON r.id = a.{col(Assessment, 'assessing_region')}"
        f" WHERE ar.{col(AssessmentRegion, 'region')} = %s AND a.{col(Assessment, 'stage')} = %s"
        + (f" AND a.{col(Assessment, 'year')} = %s" if with_year else "")
    )


def can_verify_county(
    user: AbstractBaseUser | AnonymousUser | SystemActor, assessment_region, *, write: bool = True
) -> bool:
    """On-site verification (现场核查) of one county in one assessment (assessments.AssessmentRegion).

    A verification group sees and changes only the counties assigned to it: the
    user needs VERIFY on the county AND membership of the county's group.
    Superusers and SYSTEM may always; the assessing region's admins may read
    (supervise) every county's verification without being in a group.
    """
    if user is SYSTEM:
        return True
    if not can(user, Action.VERIFY, assessment_region.region):
        return False
    if getattr(user, "is_superuser", False):
        return True
    group = assessment_region.group
    if group is not None and group.members.filter(pk=user.pk).exists():
        return True
    return not write and can(user, Action.MANAGE, assessment_region.assessment.assessing_region)


def can_reopen_assessment(user: AbstractBaseUser | AnonymousUser | SystemActor, region: Region) -> bool:
    """Reopening a published assessment (a correction after 通报) is for admins only."""
    if user is SYSTEM:
        return True
    return can(user, Action.MANAGE, region) and (
        getattr(user, "is_superuser", False) or Role.ADMIN in roles_of(user)
    )


def can_read_scores(user: AbstractBaseUser | AnonymousUser, region: Region, year: int | None = None) -> bool:
    """May `user` read the scores (total, grade, rank, target points) of `region` in `year`?

    Unpublished scores: only within the user's own subtree (the READ rule).
    Published results widen this through :func:`published_to`; dashboards, exports
    and the API ask only this function, so that is the one place to change.
    """
    return can(user, Action.READ, region) or (
        getattr(user, "is_authenticated", False) and published_to(user, region, year)
    )


def check_read_scores(
    user: AbstractBaseUser | AnonymousUser, region: Region, year: int | None = None
) -> None:
    """Raise PermissionDenied unless `can_read_scores(user, region, year)`."""
    if not can_read_scores(user, region, year):
        raise PermissionDenied(gettext("无权查看“%(region)s”的考核结果") % {"region": region.name})


def readable_regions(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Region]:
    """Every region the user may read: their own subtree (all regions for a superuser)."""
    from indicators.models import Region

    if user is SYSTEM:
        return Region.objects.all()
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return Region.objects.all()
    home = user_region(user)
    if home is None:
        return Region.objects.none()
    return Region.objects.filter(path__startswith=home.path)


def reads_any_region(user: AbstractBaseUser | AnonymousUser) -> bool:
    """``readable_regions(user).exists()``, without a query when the answer is known:
    a user with a region reads at least that region."""
    from indicators.models import Region

    if user is SYSTEM or (getattr(user, "is_superuser", False) and getattr(user, "is_active", False)):
        return Region.objects.exists()
    return user_region(user) is not None


def acts_on_any_region(user: AbstractBaseUser | AnonymousUser, action: Action | str) -> bool:
    """``regions_for(user, action).exists()``, without the query (or the queryset) when the
    user's roles decide it: a rule covering their own region means at least that region,
    no rule at all means none (the site navigation asks this on every page)."""
    profile = _profile(user)
    if profile is not None and getattr(user, "is_active", False):
        held = [where for role, where in _RULES[Action(action)] if role in profile.roles]
        if any(where in ("own", "subtree") for where in held):
            return True  # at least the user's own region
        if not held and not getattr(user, "is_superuser", False):
            return False  # regions_for unites nothing: Region.objects.none()
    return regions_for(user, action).exists()


def regions_for(user: AbstractBaseUser | AnonymousUser, action: Action | str) -> QuerySet[Region]:
    """Every region on which the user may take `action` (a queryset, for filtering lists)."""
    from indicators.models import Region

    if user is SYSTEM:
        return Region.objects.all()
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return Region.objects.none()
    if getattr(user, "is_superuser", False):
        return Region.objects.all()
    profile = _profile(user)
    if profile is None:
        return Region.objects.none()
    home = profile.region
    qs = Region.objects.none()
    for role, where in _RULES[Action(action)]:
        if role not in profile.roles:
            continue
        if where == "own":
            qs = qs | Region.objects.filter(pk=home.pk)
        elif where == "below":
            qs = qs | Region.objects.filter(path__startswith=home.path).exclude(pk=home.pk)
        else:
            qs = qs | Region.objects.filter(path__startswith=home.path)
    return qs


# A ranking notice (考核结果通报) built from published results is sent to the regions it
# ranks: users below the notice's region may download it, not request or regenerate it.
_NOTICE_KIND = "ranking_notice"


def can_download_report(user: AbstractBaseUser | AnonymousUser, artifact) -> bool:
    """May `user` download the report artefact `artifact` (reports.ReportArtifact)?

    EXPORT on the artefact's region; or the artefact is a ranking notice made from
    published results and the user's own region lies below the notice's region (a
    county reading its city's 通报). A draft notice (unpublished scores, 草稿
    watermark) and annual reports stay with EXPORT.
    """
    if can(user, Action.EXPORT, artifact.region):
        return True
    if artifact.kind != _NOTICE_KIND or not artifact.published:
        return False
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    home = user_region(user)
    return home is not None and home.pk != artifact.region_id and home.is_within(artifact.region)


def downloadable_reports_filter(user: AbstractBaseUser | AnonymousUser) -> Q:
    """A filter on ReportArtifact for the artefacts `can_download_report` allows (lists)."""
    exportable = Q(region__in=regions_for(user, Action.EXPORT))
    home = user_region(user) if getattr(user, "is_active", False) else None
    if home is None:
        return exportable
    above = [code for code in home.path.strip("/").split("/") if code and code != home.code]
    return exportable | Q(kind=_NOTICE_KIND, published=True, region__code__in=above)


def is_own_entry(user: AbstractBaseUser | AnonymousUser | SystemActor, figure: Figure) -> bool:
    """Did `user` enter `figure` (the last person who saved its reported value)?"""
    if user is SYSTEM or getattr(user, "pk", None) is None:
        return False
    return figure.entered_by_id is not None and figure.entered_by_id == user.pk


def can_figure(
    user: AbstractBaseUser | AnonymousUser | SystemActor, action: Action | str, figure: Figure
) -> bool:
    """May `user` take `action` on this figure: the region rule plus segregation of duties."""
    action = Action(action)
    if not can(user, action, figure.region):
        return False
    return not (action == Action.APPROVE and is_own_entry(user, figure))


def check_figure(
    user: AbstractBaseUser | AnonymousUser | SystemActor, action: Action | str, figure: Figure
) -> None:
    """Raise PermissionDenied (with the reason in Chinese) unless `can_figure(...)`."""
    check(user, action, figure.region)
    if Action(action) == Action.APPROVE and is_own_entry(user, figure):
        raise PermissionDenied(gettext("不能审核自己填报的数据，请由其他审核员审核"))
