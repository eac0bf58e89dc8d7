"""accounts.policy's answers without a query: the same answers as the querysets they stand for."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import policy
from accounts.policy import SYSTEM, Action
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _users() -> dict[str, object]:
    """Users of every kind: roles at a city and at a county (no region below it), the
    superuser, an inactive superuser with a profile, no profile, inactive, anonymous, SYSTEM."""
    users: dict[str, object] = {}
    for role in ("staff", "reviewer", "leader", "admin"):
        users[f"city {role}"] = make_user("130500", role)
        users[f"county {role}"] = make_user("130528", role)
    users["city reviewer+staff"] = make_user("130500", "reviewer", "staff")
    users["no roles"] = make_user("130500")
    users["superuser"] = User.objects.create_superuser("root_p", "r@example.invalid", "x-Very-long-pass-1")
    sleeping_root = make_user("130500", "leader", is_superuser=True)
    sleeping_root.is_active = False
    sleeping_root.save()
    users["inactive superuser with a profile"] = sleeping_root
    users["no profile"] = User.objects.create_user("bare_p", password="x-Long-pass-1")
    inactive = make_user("130500", "admin")
    inactive.is_active = False
    inactive.save()
    users["inactive admin"] = inactive
    users["anonymous"] = AnonymousUser()
    users["system"] = SYSTEM
    return users


def test_reads_any_region_is_readable_regions_exists(catalog):
    for name, user in _users().items():
        assert policy.reads_any_region(user) is policy.readable_regions(user).exists(), name


def test_acts_on_any_region_is_regions_for_exists(catalog):
    users = _users()
    for action in Action:
        for name, user in users.items():
            assert policy.acts_on_any_region(user, action) is policy.regions_for(user, action).exists(), (
                name,
                action,
            )
    # The rule "below" depends on the data: a county has nothing below it, a city has.
    assert policy.acts_on_any_region(users["city reviewer"], Action.APPROVE)
    assert not policy.acts_on_any_region(users["county reviewer"], Action.APPROVE)


def test_the_navigation_flags_of_a_leader_need_no_query(catalog):
    leader = make_user("130500", "leader")
    policy.user_region(leader)  # the profile, as the page's permission check loads it
    with CaptureQueriesContext(connection) as ctx:
        flags = (
            policy.reads_any_region(leader),
            policy.acts_on_any_region(leader, Action.IMPORT),
            policy.acts_on_any_region(leader, Action.APPROVE),
        )
    assert flags == (True, False, False)
    assert ctx.captured_queries == []


def test_the_profile_and_its_region_come_in_one_query_and_are_kept(catalog):
    user = User.objects.get(pk=make_user("130528", "leader").pk)  # nothing cached
    with CaptureQueriesContext(connection) as ctx:
        home = policy.user_region(user)
        assert policy.can(user, Action.READ, home)
        assert policy.roles_of(user) == {"leader"}
    assert len(ctx.captured_queries) == 1
    assert home.code == "130528"
    assert user.profile.region is home  # cached where `user.profile` looks
    assert user.profile.user is user


def test_a_user_without_a_profile_is_looked_up_once(region):
    bare = User.objects.create_user("bare_q", password="x-Long-pass-1")
    city = region("130500")
    with CaptureQueriesContext(connection) as ctx:
        assert policy.user_region(bare) is None
        assert policy.roles_of(bare) == set()
        assert not policy.can(bare, Action.READ, city)
        with pytest.raises(User.profile.RelatedObjectDoesNotExist):
            bare.profile  # noqa: B018 (Django's own answer, from the cache)
    assert len(ctx.captured_queries) == 1
