"""Awarding registers a municipal quality award grant that flows into QM_MUNICIPAL_QUALITY_AWARD."""

import datetime as dt

import pytest

from awards import rounds
from awards.models import Application, Grant, Stage
from indicators.models import Figure
from tests.awards.conftest import CITY, COUNTY_A, NOTICE_END

pytestmark = pytest.mark.django_db

AFTER_NOTICE = NOTICE_END + dt.timedelta(days=1)


def municipal(code, year=2025):
    figure = Figure.objects.filter(
        region__code=code, indicator__code="QM_MUNICIPAL_QUALITY_AWARD", year=year
    ).first()
    return figure and figure.value


def test_awarding_creates_the_grant_and_updates_the_derived_figure(
    apply, advance, bureau, django_capture_on_commit_callbacks
):
    application = advance(apply(COUNTY_A), Stage.PUBLIC_NOTICE)
    assert municipal(COUNTY_A) is None
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        rounds.application_transition(
            user=bureau, application=application, to_stage=Stage.AWARDED, today=AFTER_NOTICE
        )
    assert len(callbacks) == 1
    grant = Grant.objects.get(application=application)
    assert grant.award_type.code == "MUNICIPAL_QUALITY_AWARD_ORG"
    assert (grant.enterprise, grant.year_granted, grant.valid_until) == (application.enterprise, 2025, None)
    assert grant.name == "邢台市第三届市长质量奖" and grant.created_by == bureau
    assert municipal(COUNTY_A) == 1 and municipal(CITY) == 1
    assert municipal(CITY, 2026) == 1  # the award has no end: it keeps counting
    figure = Figure.objects.get(region__code=CITY, indicator__code="QM_MUNICIPAL_QUALITY_AWARD", year=2025)
    assert figure.source == Figure.Source.DERIVED


def test_a_second_award_adds_to_the_city_count(apply, advance, bureau, django_capture_on_commit_callbacks):
    first = advance(apply(COUNTY_A), Stage.PUBLIC_NOTICE)
    second = advance(apply("130525"), Stage.PUBLIC_NOTICE)
    with django_capture_on_commit_callbacks(execute=True):
        for application in (first, second):
            rounds.application_transition(
                user=bureau, application=application, to_stage=Stage.AWARDED, today=AFTER_NOTICE
            )
    assert (municipal(COUNTY_A), municipal("130525"), municipal(CITY)) == (1, 1, 2)


def test_individual_and_nomination_prizes_do_not_count_as_enterprises(
    apply, advance, bureau, django_capture_on_commit_callbacks
):
    person = advance(
        apply(category=Application.Category.INDIVIDUAL, applicant_name="王师傅"), Stage.PUBLIC_NOTICE
    )
    nominee = advance(apply(), Stage.PUBLIC_NOTICE)
    with django_capture_on_commit_callbacks(execute=True):
        rounds.application_transition(
            user=bureau, application=person, to_stage=Stage.AWARDED, today=AFTER_NOTICE
        )
        rounds.application_transition(
            user=bureau, application=nominee, to_stage=Stage.AWARDED, nomination=True, today=AFTER_NOTICE
        )
    assert Grant.objects.get(application=person).award_type.code == "MUNICIPAL_QUALITY_AWARD_INDIVIDUAL"
    assert Grant.objects.get(application=person).name == "王师傅（邢台市第三届市长质量奖）"
    assert Grant.objects.get(application=nominee).award_type.code == "MUNICIPAL_QUALITY_AWARD_NOMINATION"
    assert municipal(CITY) is None


def test_a_rejected_application_creates_no_grant(apply, advance, bureau):
    application = advance(apply(), Stage.PUBLIC_NOTICE)
    rounds.application_transition(
        user=bureau, application=application, to_stage=Stage.REJECTED, note="异议成立"
    )
    assert not Grant.objects.exists()
