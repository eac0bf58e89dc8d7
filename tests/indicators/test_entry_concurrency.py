"""Real concurrent writes on PostgreSQL: two transactions racing on one figure (row locks)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from accounts.policy import SYSTEM
from indicators import services
from indicators.models import Figure, Indicator, Region
from tests.factories import make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def race(fn_a, fn_b) -> list:
    """Run both functions at once in their own threads and connections; return results or errors."""
    barrier = threading.Barrier(2)
    out: list = [None, None]

    def run(i, fn):
        try:
            barrier.wait()
            out[i] = fn()
        except Exception as exc:
            out[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate((fn_a, fn_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return out


def test_two_simultaneous_saves_of_the_same_version_one_wins_one_conflicts(catalog):
    region = Region.objects.get(code="130528")
    indicator = Indicator.objects.get(code="PQ_SAMPLING_PASS")
    a, b = make_user("130528", "staff"), make_user("130528", "staff")
    fig = services.figure_save(
        actor=SYSTEM, region=region, indicator=indicator, year=2025, value="95", expected_version=None
    )

    def save(user, value):
        return lambda: services.figure_save(
            actor=user,
            region=region,
            indicator=indicator,
            year=2025,
            value=value,
            expected_version=fig.version,
        )

    results = race(save(a, "96"), save(b, "97"))
    winners = [r for r in results if isinstance(r, Figure)]
    losers = [r for r in results if isinstance(r, services.ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, results
    stored = Figure.objects.get()
    assert stored.value == winners[0].value and stored.version == 2
    assert losers[0].current.value == winners[0].value
    assert [h.value for h in stored.history.order_by("history_date")] == [Decimal("95"), winners[0].value]


def test_two_simultaneous_creates_one_wins_one_conflicts(catalog):
    region = Region.objects.get(code="130528")
    indicator = Indicator.objects.get(code="PQ_FOOD_PASS")

    def create(value):
        return lambda: services.figure_save(
            actor=SYSTEM, region=region, indicator=indicator, year=2025, value=value, expected_version=0
        )

    results = race(create("90"), create("91"))
    assert sum(isinstance(r, Figure) for r in results) == 1, results
    assert sum(isinstance(r, services.ConflictError) for r in results) == 1, results
    assert Figure.objects.count() == 1
