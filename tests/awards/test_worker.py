"""The recompute runs in the real Celery worker once the grant's transaction commits."""

import time

import pytest
from django.db import transaction

from awards import services
from awards.catalog import load_award_types
from awards.models import AwardType, Enterprise
from indicators.models import Figure, Region
from tests.awards.conftest import COUNTY_A, credit_code

pytestmark = pytest.mark.integration


@pytest.mark.django_db(transaction=True)
def test_a_committed_grant_is_counted_by_the_worker(celery_worker_process, catalog):
    load_award_types()
    with transaction.atomic():
        enterprise = Enterprise.objects.create(
            name="宁晋电缆集团",
            credit_code=credit_code(COUNTY_A, 1),
            region=Region.objects.get(code=COUNTY_A),
        )
        services.grant_create(
            user=None,
            award_type=AwardType.objects.get(code="CHINA_TOP_BRAND"),
            enterprise=enterprise,
            name="宁晋牌电缆",
            year_granted=2015,
        )
        # Nothing is enqueued before the commit.
        assert not Figure.objects.filter(source=Figure.Source.DERIVED).exists()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        figure = Figure.objects.filter(
            region__code="130500", indicator__code="BR_CHINA_TOP_BRAND", year=2016
        ).first()
        if figure is not None:
            break
        time.sleep(0.5)
    assert figure is not None, "the worker did not write the derived figure within 60 s"
    assert figure.value == 1 and figure.source == Figure.Source.DERIVED
    assert (
        Figure.objects.get(region__code=COUNTY_A, indicator__code="BR_CHINA_TOP_BRAND", year=2017).value == 1
    )
    assert not Figure.objects.filter(
        region__code=COUNTY_A, indicator__code="BR_CHINA_TOP_BRAND", year=2018
    ).exists()
