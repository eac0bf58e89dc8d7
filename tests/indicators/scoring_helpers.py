"""Small builders shared by the scoring, target and export tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.models import Figure, Indicator, Plan, Region, Target


def D(value: str | int | float) -> Decimal:
    return Decimal(str(value))


def fig(
    region: str,
    indicator: str,
    year: int,
    reported: str | int | float,
    verified: str | int | float | None = None,
    status: str = Figure.Status.APPROVED,
) -> Figure:
    """A figure: approved at `verified` (default = reported), or submitted/draft at `reported`."""
    reported_d = D(reported)
    verified_d = (
        (D(verified) if verified is not None else reported_d) if status == Figure.Status.APPROVED else None
    )
    return Figure.objects.create(
        region=Region.objects.get(code=region),
        indicator=Indicator.objects.get(code=indicator),
        year=year,
        value=verified_d if verified_d is not None else reported_d,
        reported_value=reported_d,
        verified_value=verified_d,
        status=status,
    )


def tgt(
    region: str,
    indicator: str,
    year: int,
    value: str | int | float,
    *,
    weight: str | int = 4,
    comparator: str | None = None,
    rule: str = "ratio",
    rule_param: str | None = None,
    veto: bool = False,
    plan: Plan | None = None,
    is_milestone: bool = False,
) -> Target:
    ind = Indicator.objects.get(code=indicator)
    return Target.objects.create(
        region=Region.objects.get(code=region),
        indicator=ind,
        year=year,
        comparator=comparator or ind.default_comparator,
        value=D(value),
        weight=D(weight),
        rule=rule,
        rule_param=D(rule_param) if rule_param is not None else None,
        veto=veto,
        plan=plan,
        is_milestone=is_milestone,
    )


@pytest.fixture
def eager_celery():
    """Run tasks in-process even when REDIS_URL configures a real broker (the PostgreSQL run)."""
    from quality_city.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before
