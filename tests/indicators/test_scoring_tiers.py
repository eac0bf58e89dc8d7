"""The engine's fast tier (int64 + float64 with tie checks) against its Decimal tier.

`score()` computes most rows in numpy and sends a row or region to Decimal only when
a number does not fit the int64 tier or a rounding lies within float error of a tie.
`_force_exact=True` sends every row and region through Decimal, so the two must give
identical frames, to the last bit of every float, on any input.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from indicators.scoring import score
from tests.indicators.test_scoring import FIGURE_COLUMNS, TARGET_INPUT_COLUMNS

REGIONS = pd.DataFrame(
    [
        ("P", None),
        ("C1", "P"),
        ("C2", "P"),
        ("K1", "C1"),
        ("K2", "C1"),
        ("K3", "C2"),
    ],
    columns=["region_code", "parent_code"],
)
INDICATORS = pd.DataFrame(
    [("S1", "sum"), ("S2", "sum"), ("N1", "none"), ("N2", "none")],
    columns=["indicator_code", "aggregation"],
)
YEARS = [2023, 2024]

# Small whole numbers and halves make exact ties (x.xx5 totals, .5 points) common;
# long decimals and huge values do not fit the int64 tier and take the Decimal path.
small = st.decimals(min_value=-5, max_value=40, places=1, allow_nan=False, allow_infinity=False)
odd = st.sampled_from(
    [Decimal("0.1234565"), Decimal("3.00005"), Decimal("123456789012345.5"), Decimal("1E-7"), Decimal("7")]
)
values = st.one_of(small, small, small, odd)
weights = st.one_of(
    st.decimals(min_value=0, max_value=10, places=1), st.sampled_from([Decimal("0.00003"), Decimal("1E+12")])
)


@st.composite
def datasets(draw: st.DrawFn):
    figures, targets, items = [], [], []
    for region in REGIONS["region_code"]:
        for year in YEARS:
            for indicator in INDICATORS["indicator_code"]:
                if draw(st.integers(0, 3)) == 0:
                    value = draw(st.one_of(st.none(), values))
                    figures.append((region, indicator, year, value))
                if draw(st.booleans()):
                    targets.append(
                        (
                            region,
                            indicator,
                            year,
                            draw(st.sampled_from([">=", "<="])),
                            draw(values),
                            draw(weights),
                            draw(st.sampled_from(["ratio", "threshold", "deduct", None])),
                            draw(
                                st.one_of(
                                    st.none(),
                                    st.sampled_from([Decimal("0.5"), Decimal("2"), Decimal("0.00001")]),
                                )
                            ),
                            draw(st.booleans()),
                        )
                    )
            for code in draw(st.lists(st.sampled_from(["Q1", "Q2"]), unique=True)):
                maximum = draw(st.decimals(min_value=0, max_value=10, places=1))
                points = draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=maximum, places=2)))
                items.append((region, year, code, maximum, points))
    return (
        pd.DataFrame(figures, columns=FIGURE_COLUMNS),
        pd.DataFrame(
            targets,
            columns=TARGET_INPUT_COLUMNS,
        ),
        pd.DataFrame(items, columns=["region_code", "year", "item_code", "max_points", "points"]),
    )


def both(figures, targets, items, **kwargs):
    common = {"indicators": INDICATORS, **kwargs}
    fast = score(figures, targets, items, REGIONS, **common)
    exact = score(figures, targets, items, REGIONS, _force_exact=True, **common)
    return fast, exact


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(data=datasets(), cap=st.sampled_from([1, Decimal("1.2"), 2]))
def test_property_fast_tier_equals_the_decimal_tier(data, cap) -> None:
    figures, targets, items = data
    fast, exact = both(figures, targets, items, cap=cap)
    assert_frame_equal(fast.targets, exact.targets, check_exact=True)
    assert_frame_equal(fast.regions, exact.regions, check_exact=True)


def test_a_total_on_a_half_cent_tie_is_decided_in_decimal() -> None:
    # 1 of 8 points -> 12.5 %; 1/3 + ... style sums must not round a tie down.
    targets = pd.DataFrame(
        [
            ("K1", "N1", 2024, ">=", Decimal("8"), Decimal("1"), "ratio", None, False),
            ("K1", "N2", 2024, ">=", Decimal("3"), Decimal("7"), "threshold", None, False),
        ],
        columns=TARGET_INPUT_COLUMNS,
    )
    figures = pd.DataFrame(
        [("K1", "N1", 2024, Decimal("1")), ("K1", "N2", 2024, Decimal("2"))],
        columns=FIGURE_COLUMNS,
    )
    fast, exact = both(figures, targets, None)
    # 100 * 0.125 / 8 = 1.5625 -> 1.56; the row points 0.125 are exact in 4 places.
    assert fast.regions.loc[0, "total"] == 1.56
    assert fast.targets.loc[0, "points"] == 0.125
    assert_frame_equal(fast.regions, exact.regions, check_exact=True)


@pytest.mark.parametrize(
    ("actual", "target", "completion", "points"),
    [
        (Decimal("0.1234565"), Decimal("1"), 0.123457, 0.4938),  # completion tie at 6 places rounds up
        (Decimal("123456789012345.5"), Decimal("1E+14"), 1.234568, 4.0),  # beyond the int64 tier
        (Decimal("1"), Decimal("3"), 0.333333, 1.3333),
    ],
)
def test_rows_outside_the_fast_tier_keep_exact_rounding(actual, target, completion, points) -> None:
    targets = pd.DataFrame(
        [("K1", "N1", 2024, ">=", target, Decimal("4"), "ratio", None, False)],
        columns=TARGET_INPUT_COLUMNS,
    )
    figures = pd.DataFrame([("K1", "N1", 2024, actual)], columns=FIGURE_COLUMNS)
    fast, exact = both(figures, targets, None)
    assert fast.targets.loc[0, "completion"] == completion
    assert fast.targets.loc[0, "points"] == points
    assert_frame_equal(fast.targets, exact.targets, check_exact=True)
