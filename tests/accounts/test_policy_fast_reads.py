"""accounts.policy's hand-written reads give what the ORM reads they replaced give.

`_load_profile` stands for ``Profile.objects.select_related("region")``, and
`published_to` for `published_to_orm` below (the ORM query the policy asked before
issue 9's dashboard work, kept here only as the reference): same instances, same answers.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import policy
from accounts.models import Profile
from assessments.models import Assessment, AssessmentRegion, Stage
from indicators.models import Region, ScoringScheme
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def published_to_orm(user, region: Region, year: int | None) -> bool:
    """The ORM form of policy.published_to (formerly assessments.selectors.published_to_user)."""
    home = policy.user_region(user)
    if home is None:
        return False
    qs = AssessmentRegion.objects.filter(region=region, assessment__stage=Stage.PUBLISHED)
    if year is not None:
        qs = qs.filter(assessment__year=year)
    paths = qs.order_by().values_list("assessment__assessing_region__path", flat=True)
    return any(home.path.startswith(p) for p in paths)


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


def test_the_profile_is_the_instance_the_orm_builds(catalog):
    user = make_user("130528", "leader", "staff")
    Profile.objects.filter(user=user).update(phone="0319-<1>&2")
    loaded = policy._load_profile(user.pk)
    expected = Profile.objects.select_related("region").get(user=user)
    assert _fields(loaded) == _fields(expected)
    assert loaded.roles == ["leader", "staff"] and type(loaded.roles) is list
    assert _fields(loaded.region) == _fields(expected.region)
    assert type(loaded.region.longitude) is type(expected.region.longitude)
    assert (loaded._state.adding, loaded._state.db) == (False, expected._state.db)
    assert (loaded.region._state.adding, loaded.region._state.db) == (False, expected.region._state.db)


def test_a_user_without_a_profile_has_none_and_it_is_remembered():
    bare = User.objects.create_user("bare_fast", password="x-Long-pass-1")
    assert policy._load_profile(bare.pk) is None
    user = User.objects.get(pk=bare.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert policy.user_region(user) is None
        assert policy.roles_of(user) == set()
        assert not policy.can(user, policy.Action.READ, Region(code="x", path="/x/"))
    assert len(ctx.captured_queries) == 1


def _assessment(assessing: str, year: int, stage: str, covered: list[str]) -> Assessment:
    assessment = Assessment.objects.create(
        name=f"{assessing} {year}",
        assessing_region=Region.objects.get(code=assessing),
        scheme=ScoringScheme.objects.get(is_default=True),
        year=year,
        window_start=dt.date(year, 7, 1),
        window_end=dt.date(year + 1, 6, 30),
        stage=stage,
    )
    for code in covered:
        AssessmentRegion.objects.create(assessment=assessment, region=Region.objects.get(code=code))
    return assessment


def test_published_to_answers_as_the_orm_query_for_every_user_region_and_year(catalog):
    # 邢台市 published 2015 for two counties; its 2016 assessment is still under review;
    # 河北省 published its 2015 city ranking; 张家口市 published 2015 for one of its counties.
    _assessment("130500", 2015, Stage.PUBLISHED, ["130528", "130529"])
    _assessment("130500", 2016, Stage.REVIEW, ["130528"])
    _assessment("130000", 2015, Stage.PUBLISHED, ["130500", "130700"])
    _assessment("130700", 2015, Stage.PUBLISHED, ["130722"])
    users = {
        "city leader": make_user("130500", "leader"),
        "county staff": make_user("130528", "staff"),
        "other county leader": make_user("130531", "leader"),
        "province reviewer": make_user("130000", "reviewer"),
        "other city admin": make_user("130700", "admin"),
        "outsider": make_user("140500", "leader"),
        "no roles": make_user("130528"),
        "no profile": User.objects.create_user("bare_pub", password="x-Long-pass-1"),
        "anonymous": AnonymousUser(),
    }
    regions = [
        Region.objects.get(code=c) for c in ("130528", "130529", "130531", "130500", "130700", "130722")
    ]
    answers = set()
    for (name, user), region, year in itertools.product(users.items(), regions, (2015, 2016, 2014, None)):
        expected = published_to_orm(user, region, year)
        assert policy.published_to(user, region, year) is expected, (name, region.code, year)
        answers.add(expected)
    assert answers == {True, False}  # both answers occur
    assert policy.published_to(users["other county leader"], regions[0], 2015) is True
    assert policy.published_to(users["county staff"], regions[0], 2016) is False  # not published
    assert policy.published_to(users["outsider"], regions[0], None) is False


def test_published_to_is_one_query_and_none_without_a_region(catalog):
    _assessment("130500", 2015, Stage.PUBLISHED, ["130528"])
    leader = make_user("130531", "leader")
    county = Region.objects.get(code="130528")
    policy.user_region(leader)
    with CaptureQueriesContext(connection) as ctx:
        assert policy.published_to(leader, county, 2015) is True
    assert len(ctx.captured_queries) == 1
    with CaptureQueriesContext(connection) as ctx:
        assert policy.published_to(AnonymousUser(), county, 2015) is False
    assert ctx.captured_queries == []


def test_a_published_to_read_ahead_answers_as_published_to_for_every_user_region_and_year(catalog):
    """`published_to_read` + `remember_published_to` (the read a page sends with its own)
    give `can_read_scores` the answer its own query gives, once, without a query."""
    _assessment("130500", 2015, Stage.PUBLISHED, ["130528", "130529"])
    _assessment("130500", 2016, Stage.REVIEW, ["130528"])
    _assessment("130000", 2015, Stage.PUBLISHED, ["130500", "130700"])
    users = {
        "county staff": make_user("130528", "staff"),
        "other county leader": make_user("130531", "leader"),
        "city leader": make_user("130500", "leader"),
        "outsider": make_user("140500", "leader"),
        "no profile": User.objects.create_user("bare_ahead", password="x-Long-pass-1"),
        "anonymous": AnonymousUser(),
    }
    regions = [Region.objects.get(code=c) for c in ("130528", "130529", "130500", "130700", "130000")]
    answers, read_ahead = set(), 0
    for (name, user), region, year in itertools.product(users.items(), regions, (2015, 2016, None)):
        expected = policy.can_read_scores(user, region, year)
        # A fresh instance of the user, as a request has: nothing remembered on it yet.
        ahead = User.objects.get(pk=user.pk) if user.pk else AnonymousUser()
        read = policy.published_to_read(ahead, region, year)
        if read is not None:
            read_ahead += 1
            with connection.cursor() as cursor:
                cursor.execute(*read)
                policy.remember_published_to(ahead, region, year, cursor.fetchall())
        with CaptureQueriesContext(connection) as ctx:
            assert policy.can_read_scores(ahead, region, year) is expected, (name, region.code, year)
        assert ctx.captured_queries == [], (name, region.code, year)
        answers.add(expected)
        if read is not None:  # the kept answer served one question; the next one reads again
            with CaptureQueriesContext(connection) as ctx:
                assert policy.can_read_scores(ahead, region, year) is expected
            assert len(ctx.captured_queries) == 1
    assert answers == {True, False}
    assert read_ahead >= 10
