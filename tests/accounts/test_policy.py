"""accounts.policy: the one answer to "may user U do action A on region R?"."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied

from accounts import policy
from accounts.policy import SYSTEM, Action
from indicators.models import Figure, Indicator, Region
from tests.factories import make_user

pytestmark = pytest.mark.django_db

# 邢台市 user against: own, child county, sibling city, parent province, another province's city.
TARGETS = {"own": "130500", "child": "130528", "sibling": "130300", "parent": "130000", "unrelated": "210700"}
EXPECTED = {
    # role: action: relations where allowed
    "staff": {
        Action.READ: {"own", "child"},
        Action.CREATE: {"own"},
        Action.UPDATE: {"own"},
        Action.SUBMIT: {"own"},
        Action.IMPORT: {"own"},
        Action.APPROVE: set(),
        Action.RETURN: set(),
        Action.REOPEN: set(),
    },
    "reviewer": {
        Action.READ: {"own", "child"},
        Action.CREATE: set(),
        Action.UPDATE: set(),
        Action.SUBMIT: set(),
        Action.IMPORT: set(),
        Action.APPROVE: {"child"},
        Action.RETURN: {"child"},
        Action.REOPEN: {"child"},
    },
    "leader": {
        Action.READ: {"own", "child"},
        **{a: set() for a in (Action.CREATE, Action.UPDATE, Action.SUBMIT, Action.IMPORT)},
        **{a: set() for a in (Action.APPROVE, Action.RETURN, Action.REOPEN)},
    },
    "admin": {
        Action.READ: {"own", "child"},
        Action.CREATE: {"own", "child"},
        Action.UPDATE: {"own", "child"},
        Action.SUBMIT: {"own", "child"},
        Action.IMPORT: {"own", "child"},
        Action.APPROVE: {"child"},
        Action.RETURN: {"child"},
        Action.REOPEN: {"child"},
    },
}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_can_matches_the_matrix(catalog, role):
    user = make_user("130500", role)
    for action, allowed in EXPECTED[role].items():
        for relation, code in TARGETS.items():
            region = Region.objects.get(code=code)
            assert policy.can(user, action, region) is (relation in allowed), (role, action, relation)
            assert (region in policy.regions_for(user, action)) is (relation in allowed), (
                role,
                action,
                relation,
            )


def test_readable_regions_is_the_users_subtree(catalog):
    user = make_user("130500", "leader")
    codes = set(policy.readable_regions(user).values_list("code", flat=True))
    assert codes == set(
        Region.objects.filter(path__startswith="/130000/130500/").values_list("code", flat=True)
    )


def test_nobody_without_a_profile_an_inactive_user_or_an_anonymous_visitor_may_do_anything(catalog):
    region = Region.objects.get(code="130500")
    bare = User.objects.create_user("bare", password="x-Long-pass-1")
    inactive = make_user("130500", "admin")
    inactive.is_active = False
    inactive.save()
    for who in (bare, inactive, AnonymousUser()):
        assert not policy.can(who, Action.READ, region)
        assert not policy.regions_for(who, Action.READ).exists()
    assert not policy.readable_regions(AnonymousUser()).exists()


def test_the_system_actor_may_do_everything(catalog):
    region = Region.objects.get(code="210700")
    assert all(policy.can(SYSTEM, a, region) for a in Action)
    assert policy.readable_regions(SYSTEM).count() == Region.objects.count()


def test_check_figure_refuses_self_approval_with_a_reason(catalog):
    user = make_user("130500", "reviewer", "admin")
    fig = Figure.objects.create(
        region=Region.objects.get(code="130528"),
        indicator=Indicator.objects.get(code="PQ_QCI"),
        year=2025,
        value=80,
        reported_value=80,
        status="submitted",
        entered_by=user,
    )
    assert policy.can(user, Action.APPROVE, fig.region)
    assert not policy.can_figure(user, Action.APPROVE, fig)
    assert policy.can_figure(user, Action.RETURN, fig)
    with pytest.raises(PermissionDenied, match="不能审核自己填报的数据"):
        policy.check_figure(user, Action.APPROVE, fig)
    fig.entered_by = make_user("130528", "staff")
    policy.check_figure(user, Action.APPROVE, fig)


def test_refusals_follow_the_active_language(catalog):
    from django.utils import translation

    staff = make_user("130528", "staff")
    other = Region.objects.get(code="130521")
    with pytest.raises(PermissionDenied, match=f"无权对“{other.name}”执行此操作"):
        policy.check(staff, Action.UPDATE, other)
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        policy.check(staff, Action.UPDATE, other)
    assert str(refused.value) == f"You may not do this for “{other.name}”"
    with translation.override("en"), pytest.raises(PermissionDenied) as refused:
        policy.check_read_scores(staff, other, 2015)
    assert str(refused.value) == f"You may not view the assessment results of “{other.name}”"
