"""Who may read scores: the subtree today, widened by published assessments through one hook."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, User

from accounts import policy
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_unpublished_scores_are_readable_only_within_the_subtree(region):
    city, county, other = region("130500"), region("130528"), region("130300")
    leader = make_user("130500", "leader")
    assert policy.can_read_scores(leader, city, 2015)
    assert policy.can_read_scores(leader, county, 2015)
    assert not policy.can_read_scores(leader, other, 2015)
    assert not policy.can_read_scores(leader, region("130000"), 2015)
    county_leader = make_user("130528", "leader")
    assert not policy.can_read_scores(county_leader, city, 2015)
    assert not policy.can_read_scores(AnonymousUser(), county, 2015)
    with pytest.raises(policy.PermissionDenied):
        policy.check_read_scores(county_leader, city, 2015)


def test_the_published_hook_widens_reading_for_signed_in_users_only(region, monkeypatch):
    city = region("130500")
    calls = []

    def published(user, r, year):
        calls.append((user.username, r.code, year))
        return True

    monkeypatch.setattr(policy, "published_to", published)
    county_leader = make_user("130528", "leader", username="ningjin_l")
    assert policy.can_read_scores(county_leader, city, 2015)
    assert calls == [("ningjin_l", "130500", 2015)]
    assert not policy.can_read_scores(AnonymousUser(), city, 2015)


def test_a_superuser_reads_everything(region):
    root = User.objects.create_superuser("root_d", "r@example.invalid", "x-Very-long-pass-1")
    assert policy.can_read_scores(root, region("130300"), None)
