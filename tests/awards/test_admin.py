"""Admin: registry read-only and scoped; award types edited by superusers through the service."""

import pytest
from django.contrib.auth.models import User

from awards import services
from awards.models import AwardType
from indicators.models import Figure, Indicator
from tests.awards.conftest import COUNTY_A, COUNTY_B
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(catalog):
    return User.objects.create_superuser("root", "r@example.invalid", "x-Very-long-pass-1")


def test_admin_pages_of_the_awards_app_load(client, root, award_types, make_enterprise):
    services.grant_create(
        user=None,
        award_type=award_types["LUBAN_PRIZE"],
        enterprise=make_enterprise(COUNTY_A),
        name="体育馆",
        year_granted=2016,
    )
    client.force_login(root)
    for model in ("awardtype", "enterprise", "grant", "qualityawardround", "application", "objection"):
        assert client.get(f"/admin/awards/{model}/").status_code == 200, model
    brand = award_types["PROV_TOP_BRAND"]
    assert client.get(f"/admin/awards/awardtype/{brand.pk}/change/").status_code == 200


def test_a_county_admin_sees_only_its_own_enterprises(client, award_types, make_enterprise):
    mine, theirs = make_enterprise(COUNTY_A, "宁晋厂"), make_enterprise(COUNTY_B, "隆尧厂")
    client.force_login(make_user(COUNTY_A, "admin", is_staff=True))
    body = client.get("/admin/awards/enterprise/").content.decode()
    assert mine.name in body and theirs.name not in body
    assert client.get(f"/admin/awards/enterprise/{mine.pk}/change/").status_code == 200  # view only
    assert client.post(f"/admin/awards/enterprise/{mine.pk}/change/", {"name": "改名"}).status_code == 403


def test_changing_a_types_indicator_in_the_admin_moves_its_counts(
    client, root, award_types, make_enterprise, django_capture_on_commit_callbacks
):
    brand = award_types["PROV_TOP_BRAND"]
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_create(
            user=None, award_type=brand, enterprise=make_enterprise(COUNTY_A), name="甲", year_granted=2015
        )
    value = lambda code: Figure.objects.get(region__code=COUNTY_A, indicator__code=code, year=2015).value  # noqa: E731
    assert value("BR_PROV_TOP_BRAND") == 1
    client.force_login(root)
    total = Indicator.objects.get(code="BR_PROV_FAMOUS_QUALITY_TOTAL")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/awards/awardtype/{brand.pk}/change/", {"validity_years": "4", "indicator": total.pk}
        )
    assert response.status_code == 302
    brand = AwardType.objects.get(pk=brand.pk)
    assert brand.validity_years == 4 and brand.indicator == total
    assert value("BR_PROV_TOP_BRAND") == 0
    assert value("BR_PROV_FAMOUS_QUALITY_TOTAL") == 1
