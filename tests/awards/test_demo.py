"""Demo data of the registry: valid credit codes, idempotent, a round in progress for 邢台市."""

import pytest
from django.urls import reverse

from awards.credit_code import credit_code_errors
from awards.demo import EXPERTS, ROUND_NAME, seed_awards
from awards.models import Application, Enterprise, Grant, QualityAwardRound, ReviewAssignment, Stage
from indicators.demo import SEED_CITIES, SeedResult
from indicators.models import Figure

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(catalog, settings):
    result = SeedResult()
    seed_awards(result)
    return result


def _snapshot():
    return (
        sorted(Enterprise.objects.values_list("credit_code", "name", "region__code")),
        sorted(
            Grant.objects.values_list(
                "award_type__code", "enterprise__credit_code", "name", "year_granted", "revoked_on"
            )
        ),
        sorted(Figure.objects.values_list("region__code", "indicator__code", "year", "value", "version")),
        Figure.history.count(),
        sorted(Application.objects.values_list("applicant_name", "stage")),
        ReviewAssignment.objects.filter(submitted_at__isnull=False).count(),
    )


def test_demo_enterprises_have_valid_codes_in_the_seed_cities_counties(seeded):
    enterprises = list(Enterprise.objects.select_related("region__parent"))
    assert len(enterprises) == len(SEED_CITIES) * 3 * 2
    for enterprise in enterprises:
        assert credit_code_errors(enterprise.credit_code) == []
        assert enterprise.credit_code[2:8] == enterprise.region.code
        assert enterprise.region.parent.code in SEED_CITIES
        assert "演示" in enterprise.name


def test_demo_grants_derive_figures_after_the_demo_years(seeded):
    assert Grant.objects.count() >= len(SEED_CITIES) * 6
    assert Grant.objects.filter(revoked_on__isnull=False).exists()
    assert not Grant.objects.filter(year_granted__lt=2017).exists()
    derived = Figure.objects.filter(source=Figure.Source.DERIVED)
    assert derived.exists() and not derived.filter(year__lt=2017).exists()
    assert seeded.created["品牌推导数据"] == derived.count()


def test_seeding_twice_writes_nothing(seeded):
    before = _snapshot()
    again = SeedResult()
    seed_awards(again)
    assert _snapshot() == before
    assert again.created["演示企业"] == again.created["品牌奖项授予"] == again.created["品牌推导数据"] == 0


def test_a_round_is_in_progress_for_xingtai(seeded, client):
    rnd = QualityAwardRound.objects.get(name=ROUND_NAME)
    assert rnd.region.code == "130500" and rnd.max_total == 1000
    stages = sorted(Application.objects.filter(round=rnd).values_list("stage", flat=True))
    assert stages == sorted(
        [
            Stage.ONSITE_REVIEW,
            Stage.ONSITE_REVIEW,
            Stage.DOCUMENT_REVIEW,
            Stage.QUALIFICATION,
            Stage.SUBMITTED,
        ]
    )
    expert = ReviewAssignment.objects.filter(reviewer__username=EXPERTS[2][0]).first().reviewer
    client.force_login(expert)
    visible = client.get(reverse("awards:round_detail", args=[rnd.pk])).context["ranking"]
    assigned = set(ReviewAssignment.objects.filter(reviewer=expert).values_list("application", flat=True))
    assert {row.application.pk for row in visible} == assigned
    assert len(assigned) == 3  # the three applications past qualification
