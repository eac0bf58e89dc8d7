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
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from accounts.models import Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from indicators.models import Region


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
}


def _profile(user: AbstractBaseUser | AnonymousUser):
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.profile  # type: ignore[union-attr]
    except Exception:  # RelatedObjectDoesNotExist: a user without a region has no rights
        return None


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
        raise PermissionDenied(f"无权对“{region.name}”执行此操作")


def readable_regions(user: AbstractBaseUser | AnonymousUser) -> QuerySet[Region]:
    """Every region the user may read: their own subtree (all regions for a superuser)."""
    from indicators.models import Region

    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return Region.objects.all()
    home = user_region(user)
    if home is None:
        return Region.objects.none()
    return Region.objects.filter(path__startswith=home.path)


def regions_for(user: AbstractBaseUser | AnonymousUser, action: Action | str) -> QuerySet[Region]:
    """Every region on which the user may take `action` (a queryset, for filtering lists)."""
    from indicators.models import Region

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
