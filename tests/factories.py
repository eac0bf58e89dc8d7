"""factory_boy factories. Regions and indicators come from the real catalogue (`catalog` fixture)."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth.models import User

from accounts.models import Profile
from indicators.models import Figure, Indicator, Plan, Region, Target

PASSWORD = "Test-pass-2026!"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def make_user(region_code: str, *roles: str, username: str | None = None, **extra) -> User:
    """A user belonging to `region_code` with the given roles."""
    user = UserFactory(**({"username": username} if username else {}), **extra)
    Profile.objects.create(user=user, region=Region.objects.get(code=region_code), roles=list(roles))
    return user


class FigureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Figure

    region = factory.LazyFunction(lambda: Region.objects.get(code="130528"))
    indicator = factory.LazyFunction(lambda: Indicator.objects.get(code="PQ_SAMPLING_PASS"))
    year = 2015
    value = Decimal("97.5")
    reported_value = factory.SelfAttribute("value")


class PlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Plan

    name = factory.Sequence(lambda n: f"测试规划{n}")
    region = factory.LazyFunction(lambda: Region.objects.get(code="130500"))
    base_year = 2010
    start_year = 2011
    end_year = 2015


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    region = factory.LazyFunction(lambda: Region.objects.get(code="130500"))
    indicator = factory.LazyFunction(lambda: Indicator.objects.get(code="PQ_SAMPLING_PASS"))
    year = 2015
    comparator = ">="
    value = Decimal("98")
    weight = Decimal("4")
