"""seed_demo publishes 邢台市's 2015 county assessment; a second run changes nothing."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import transaction

from assessments import freeze
from assessments.models import (
    Assessment,
    Finding,
    FrozenAttempt,
    PublishedRegionScore,
    Stage,
    StageTransition,
)
from indicators.models import Region, RegionScore

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo")
        yield
        transaction.set_rollback(True)


def test_seed_demo_publishes_xingtais_2015_assessment(seeded, db):
    assessment = Assessment.objects.get(assessing_region__code="130500", year=2015)
    assert (assessment.stage, assessment.version) == (Stage.PUBLISHED, 1)
    counties = set(Region.objects.filter(parent__code="130500").values_list("code", flat=True))
    covered = set(assessment.covered.values_list("region__code", flat=True))
    assert covered and covered <= counties
    assert set(assessment.covered.values_list("stage", flat=True)) == {Stage.PUBLISHED}
    assert assessment.groups.count() == 2 and all(r.group_id for r in assessment.covered.all())
    # The published ranking is the engine's verified result for those counties.
    publication = assessment.publications.get()
    published = dict(
        PublishedRegionScore.objects.filter(publication=publication, basis="verified").values_list(
            "region__code", "total"
        )
    )
    live = dict(
        RegionScore.objects.filter(year=2015, basis="verified", region__code__in=covered).values_list(
            "region__code", "total"
        )
    )
    assert published == live and len(published) == len(covered)
    ranks = sorted(
        PublishedRegionScore.objects.filter(publication=publication, basis="verified").values_list(
            "rank", flat=True
        )
    )
    assert ranks[0] == 1 and ranks[-1] <= len(covered)
    # History as it happened: late self-assessments, one return, findings for the cuts.
    assert StageTransition.objects.filter(assessment=assessment, kind="submit_self", late=True).count() >= 2
    assert StageTransition.objects.filter(assessment=assessment, kind="review_return").count() == 1
    assert not StageTransition.objects.filter(
        assessment=assessment, kind__in=["sign_off", "publish"], late=True
    )
    assert Finding.objects.filter(assessment_region__assessment=assessment, adjusted=True).exists()
    assert freeze.is_frozen(region_id=Region.objects.get(code="130528").pk, year=2015)
    assert not freeze.is_frozen(region_id=Region.objects.get(code="130528").pk, year=2016)


def test_seed_demo_runs_again_without_touching_the_published_assessment(seeded, db):
    before = sorted(PublishedRegionScore.objects.values_list("region__code", "basis", "total"))
    call_command("seed_demo")
    assert Assessment.objects.filter(assessing_region__code="130500", year=2015).count() == 1
    assert sorted(PublishedRegionScore.objects.values_list("region__code", "basis", "total")) == before
    assert not FrozenAttempt.objects.exists()
