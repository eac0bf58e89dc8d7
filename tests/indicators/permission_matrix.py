"""The permission matrix of issue 3, written out independently of accounts.policy.

A user of 邢台市 (130500, a city) with one role, against regions in each relation
to theirs, for each action on figures. Pages and API tests both use it.
"""

from __future__ import annotations

from decimal import Decimal

from accounts.policy import SYSTEM
from indicators import services
from indicators.models import Figure, Indicator, Region

HOME = "130500"  # 邢台市
RELATIONS = {
    "own": "130500",  # 邢台市
    "child": "130528",  # 宁晋县, a county of 邢台市
    "sibling": "130300",  # 秦皇岛市, another city of 河北省
    "parent": "130000",  # 河北省
    "unrelated": "210700",  # 锦州市, 辽宁省
}
ROLES = ["staff", "reviewer", "leader", "admin"]
ACTIONS = ["read", "create", "update", "submit", "approve", "return"]
YEAR = 2025
EXISTING = "PQ_SAMPLING_PASS"  # the figure prepared for read/update/submit/approve/return
NEW = "PQ_FOOD_PASS"  # the figure a create makes

BOTH = {"own", "child"}
ALLOWED: dict[str, dict[str, set[str]]] = {
    "staff": {
        "read": BOTH,
        "create": {"own"},
        "update": {"own"},
        "submit": {"own"},
        "approve": set(),
        "return": set(),
    },
    "reviewer": {
        "read": BOTH,
        "create": set(),
        "update": set(),
        "submit": set(),
        "approve": {"child"},
        "return": {"child"},
    },
    "leader": {
        "read": BOTH,
        "create": set(),
        "update": set(),
        "submit": set(),
        "approve": set(),
        "return": set(),
    },
    "admin": {
        "read": BOTH,
        "create": BOTH,
        "update": BOTH,
        "submit": BOTH,
        "approve": {"child"},
        "return": {"child"},
    },
}
CASES = [(role, relation, action) for role in ROLES for relation in RELATIONS for action in ACTIONS]


def case_id(case: tuple[str, str, str]) -> str:
    return "-".join(case)


def prepare(action: str, code: str) -> Figure:
    """The figure the action works on, entered by nobody in particular (the system)."""
    region = Region.objects.get(code=code)
    fig = services.figure_save(
        actor=SYSTEM,
        region=region,
        indicator=Indicator.objects.get(code=EXISTING),
        year=YEAR,
        value="97.5",
        expected_version=None,
    )
    if action in {"approve", "return"}:
        fig = services.figure_submit(actor=SYSTEM, figure=fig, expected_version=fig.version)
    return fig


def snapshot() -> tuple:
    rows = Figure.objects.order_by("pk").values_list(
        "pk", "region__code", "indicator__code", "value", "status", "version"
    )
    return tuple(rows), Figure.history.count()


def assert_done(action: str, code: str, fig: Figure) -> None:
    """The database shows the allowed action happened."""
    if action == "read":
        return
    if action == "create":
        assert Figure.objects.get(region__code=code, indicator__code=NEW, year=YEAR).value == Decimal("95")
        return
    fig.refresh_from_db()
    expected = {
        "update": ("draft", Decimal("96")),
        "submit": ("submitted", Decimal("97.5")),
        "approve": ("approved", Decimal("97.5")),
        "return": ("returned", Decimal("97.5")),
    }[action]
    assert (fig.status, fig.value) == expected
