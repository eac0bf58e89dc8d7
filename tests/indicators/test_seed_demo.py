import csv
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from accounts.models import Profile
from indicators.demo import DEMO_NOTE, DEMO_PASSWORD, DEMO_USERS, SEED_CITIES, XINGTAI_PLAN
from indicators.models import Figure, Plan, Region, Target

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module inside a transaction that is rolled back afterwards."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo")
        yield
        transaction.set_rollback(True)


def _snapshot():
    return (
        sorted(Figure.objects.values_list("region__code", "indicator__code", "year", "value", "status")),
        Figure.history.count(),
        sorted(Target.objects.values_list("region__code", "indicator__code", "year", "value")),
        Plan.objects.count(),
        sorted(Profile.objects.values_list("user__username", "region__code")),
    )


def test_seed_demo_is_idempotent(seeded, db, capsys):
    before = _snapshot()
    call_command("seed_demo")
    assert _snapshot() == before
    assert "公开数据 0，演示数据 0" in capsys.readouterr().out


def test_every_real_figure_is_loaded_with_its_source(seeded, db):
    with (settings.BASE_DIR / "fixtures" / "seed_figures.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 47
    for row in rows:
        fig = Figure.objects.get(
            region__code=row["region_code"], indicator__code=row["indicator_code"], year=row["year"]
        )
        assert fig.value == Decimal(row["value"])
        assert fig.source == Figure.Source.SEED
        assert fig.source_ref == row["source"]
        assert row["source"] in fig.note


def test_demo_figures_are_marked_and_cover_the_seed_cities_counties(seeded, db):
    demo = Figure.objects.filter(source=Figure.Source.DEMO)
    assert demo.exclude(note=DEMO_NOTE).count() == 0
    for code in SEED_CITIES:
        counties = Region.objects.filter(parent__code=code)
        assert counties.count() >= 5
        for county in counties:
            assert demo.filter(region=county, year=2015).count() == 56
    # 张北县 is a real county of 张家口市.
    assert demo.filter(region__code="130722").exists()


def test_demo_values_lie_in_range(seeded, db):
    for fig in Figure.objects.filter(source=Figure.Source.DEMO).select_related("indicator")[:3000]:
        assert fig.indicator.value_errors(fig.value) == []


def test_the_xingtai_targets_are_loaded(seeded, db):
    plan = Plan.objects.get(name=XINGTAI_PLAN)
    assert plan.region.code == "130500"
    horizon = Target.objects.filter(plan=plan, year=2015, is_milestone=False)
    assert horizon.count() == 25
    assert horizon.get(indicator__code="PQ_SAMPLING_PASS").value == Decimal("98")
    assert horizon.get(indicator__code="BR_PROV_FAMOUS_TM").value == Decimal("310")
    assert horizon.get(indicator__code="EN_MAJOR_ACCIDENTS").comparator == "<="


def test_demo_users_exist_for_each_role(seeded, db):
    for username, code, roles, _ in DEMO_USERS:
        profile = Profile.objects.get(user__username=username)
        assert profile.region.code == code
        assert profile.roles == list(roles)
        assert profile.user.check_password(DEMO_PASSWORD)
    roles_xingtai = {r for u, c, rs, _ in DEMO_USERS if c == "130500" for r in rs}
    assert roles_xingtai == {"staff", "reviewer", "leader", "admin"}
