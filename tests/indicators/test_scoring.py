"""The pure scoring engine (DESIGN §3): rules, edges, properties and a worked example.

No database and no Django: every test builds small data frames by hand and checks
the numbers the engine hands back against arithmetic written out here.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indicators.scoring import (
    REGION_COLUMNS,
    TARGET_COLUMNS,
    ScoreResult,
    inputs_hash,
    interpolate_milestones,
    prepare,
    prepare_sections,
    project_linear,
    score,
)

ROOT = Path(__file__).resolve().parents[2]
YEAR = 2015

# Hebei > Xingtai > two of its counties; a second city so siblings exist at two levels.
REGIONS = pd.DataFrame(
    [
        ("130000", None),  # 河北省
        ("130500", "130000"),  # 邢台市
        ("130521", "130500"),  # 邢台县
        ("130522", "130500"),  # 临城县
        ("130300", "130000"),  # 秦皇岛市
    ],
    columns=["region_code", "parent_code"],
)

INDICATORS = pd.DataFrame(
    [
        ("RATE", "none"),
        ("COUNT", "sum"),
        ("ACCIDENTS", "sum"),
        ("PQ_STD_COVERAGE", "none"),
        ("PQ_SAMPLING_PASS", "none"),
        ("AG_BRANDS_NEW", "sum"),
        ("EN_MAJOR_ACCIDENTS", "sum"),
        ("ENV_SOLID_WASTE_UTIL", "none"),
    ],
    columns=["indicator_code", "aggregation"],
)

FIGURE_COLUMNS = ["region_code", "indicator_code", "year", "value"]
TARGET_INPUT_COLUMNS = [
    "region_code",
    "indicator_code",
    "year",
    "comparator",
    "target",
    "weight",
    "rule",
    "rule_param",
    "veto",
]
ITEM_COLUMNS = ["region_code", "year", "item_code", "max_points", "points"]


def target(
    indicator: str = "RATE",
    value: float | Decimal = 100,
    *,
    region: str = "130500",
    comparator: str = ">=",
    weight: float | Decimal = 4,
    rule: str | None = "ratio",
    rule_param: float | None = None,
    veto: bool = False,
    year: int = YEAR,
) -> dict:
    return {
        "region_code": region,
        "indicator_code": indicator,
        "year": year,
        "comparator": comparator,
        "target": value,
        "weight": weight,
        "rule": rule,
        "rule_param": rule_param,
        "veto": veto,
    }


def figure(
    indicator: str, value: float | Decimal | None, *, region: str = "130500", year: int = YEAR
) -> dict:
    return {"region_code": region, "indicator_code": indicator, "year": year, "value": value}


def run(
    targets: list[dict],
    figures: list[dict],
    items: list[tuple] | None = None,
    *,
    regions: pd.DataFrame = REGIONS,
    **kwargs,
) -> ScoreResult:
    return score(
        pd.DataFrame(figures, columns=FIGURE_COLUMNS),
        pd.DataFrame(targets, columns=TARGET_INPUT_COLUMNS),
        None if items is None else pd.DataFrame(items, columns=ITEM_COLUMNS),
        regions,
        indicators=INDICATORS,
        **kwargs,
    )


def one_target(t: dict, actual: float | Decimal | None, **kwargs) -> tuple[dict, dict]:
    """Score a single target; return its target row and its region row as dicts."""
    figures = [] if actual is None else [figure(t["indicator_code"], actual, region=t["region_code"])]
    result = run([t], figures, **kwargs)
    assert len(result.targets) == 1
    assert len(result.regions) == 1
    return result.targets.iloc[0].to_dict(), result.regions.iloc[0].to_dict()


# --------------------------------------------------------------------------- ratio


def test_it_scores_ratio_as_weight_times_actual_over_target() -> None:
    row, region = one_target(target(value=98), 96)
    # c = 96 / 98 = 0.97959183…; points = 4 * c = 3.91836734…
    assert row["completion"] == 0.979592
    assert row["points"] == 3.9184
    assert row["status"] == "not_met"
    assert row["actual"] == 96.0
    # total = 100 * 3.91836734… / 4 = 97.959183… -> 97.96
    assert region["total"] == 97.96
    assert region["grade"] == "A"
    assert (region["met"], region["not_met"], region["missing"]) == (0, 1, 0)


def test_it_caps_completion_at_one_by_default() -> None:
    row, region = one_target(target(value=100), 110)
    assert row["completion"] == 1.1  # completion itself is not capped
    assert row["points"] == 4.0  # 4 * min(1.1, 1.0)
    assert row["status"] == "met"
    assert region["total"] == 100.0


def test_it_lets_a_scheme_raise_the_cap() -> None:
    row, region = one_target(target(value=100), 110, cap=1.2)
    assert row["points"] == 4.4  # 4 * min(1.1, 1.2)
    assert region["total"] == 110.0
    row, region = one_target(target(value=100), 150, cap=Decimal("1.2"))
    assert row["points"] == 4.8  # 4 * min(1.5, 1.2)
    assert region["total"] == 120.0
    assert region["grade"] == "A"


def test_it_rejects_a_cap_below_one() -> None:
    with pytest.raises(ValueError, match="cap"):
        one_target(target(), 100, cap=0.5)


def test_it_gives_full_completion_when_a_higher_target_is_zero_and_actual_is_not_negative() -> None:
    for actual in (0, 5):
        row, _ = one_target(target(value=0), actual)
        assert (row["completion"], row["points"], row["status"]) == (1.0, 4.0, "met")
    # DESIGN §3 defines c = 1 only for A >= 0; below zero nothing is earned.
    row, _ = one_target(target(value=0), -1)
    assert (row["completion"], row["points"], row["status"]) == (0.0, 0.0, "not_met")


def test_it_scores_an_actual_of_zero_against_a_positive_target_as_nothing() -> None:
    row, region = one_target(target(value=98), 0)
    assert (row["completion"], row["points"], row["status"]) == (0.0, 0.0, "not_met")
    assert region["total"] == 0.0
    assert region["grade"] == "D"


def test_it_scores_a_lower_is_better_target_of_zero_as_all_or_nothing() -> None:
    t = target("ACCIDENTS", 0, comparator="<=")
    row, _ = one_target(t, 0)
    assert (row["completion"], row["points"], row["status"]) == (1.0, 4.0, "met")
    row, _ = one_target(t, 2)  # T = 0 and A > T: c = 0
    assert (row["completion"], row["points"], row["status"]) == (0.0, 0.0, "not_met")


def test_it_scores_lower_is_better_above_target_as_target_over_actual() -> None:
    t = target("ACCIDENTS", 5, comparator="<=")
    row, region = one_target(t, 8)
    # c = T / A = 5 / 8 = 0.625; points = 4 * 0.625 = 2.5
    assert (row["completion"], row["points"], row["status"]) == (0.625, 2.5, "not_met")
    assert region["total"] == 62.5
    row, _ = one_target(t, 3)  # at or below the target: c = 1
    assert (row["completion"], row["points"], row["status"]) == (1.0, 4.0, "met")
    row, _ = one_target(t, 5)
    assert (row["completion"], row["points"], row["status"]) == (1.0, 4.0, "met")


def test_it_never_gives_negative_ratio_points_for_a_negative_actual() -> None:
    row, region = one_target(target(value=10), -5)
    assert row["completion"] == -0.5  # c = A / T as defined
    assert row["points"] == 0.0  # but the weight is the most a target can lose
    assert region["total"] == 0.0


# --------------------------------------------------------------------------- missing


def test_it_scores_a_missing_actual_as_zero_points_and_keeps_its_weight() -> None:
    result = run(
        [target("RATE", 98), target("PQ_SAMPLING_PASS", 98)],
        [figure("PQ_SAMPLING_PASS", 99)],
    )
    rows = result.targets.set_index("indicator_code")
    missing = rows.loc["RATE"]
    assert math.isnan(missing["actual"])
    assert math.isnan(missing["completion"])
    assert missing["points"] == 0.0
    assert missing["status"] == "missing"
    region = result.regions.iloc[0]
    # 4 of 8 possible points: 100 * 4 / 8 = 50
    assert (region["points"], region["max_points"], region["total"]) == (4.0, 8.0, 50.0)
    assert (region["met"], region["not_met"], region["missing"]) == (1, 0, 1)


def test_it_treats_a_none_or_nan_figure_value_as_missing() -> None:
    for value in (None, float("nan")):
        result = run([target("RATE", 98)], [figure("RATE", value)])
        assert result.targets.iloc[0]["status"] == "missing"


# --------------------------------------------------------------------------- threshold, deduct


def test_it_pays_the_whole_weight_or_nothing_under_the_threshold_rule() -> None:
    t = target(value=98, rule="threshold")
    row, _ = one_target(t, 98)
    assert (row["points"], row["status"]) == (4.0, "met")
    row, _ = one_target(t, 97.99)
    assert (row["points"], row["status"]) == (0.0, "not_met")
    assert row["completion"] == 0.999898  # still reported: 97.99 / 98
    t = target("ACCIDENTS", 1, comparator="<=", rule="threshold")
    assert one_target(t, 1)[0]["points"] == 4.0
    assert one_target(t, 2)[0]["points"] == 0.0


def test_it_deducts_points_per_unit_of_shortfall_down_to_zero() -> None:
    accidents = target("ACCIDENTS", 0, comparator="<=", rule="deduct", rule_param=1.5)
    row, _ = one_target(accidents, 0)
    assert (row["points"], row["status"]) == (4.0, "met")
    row, _ = one_target(accidents, 2)  # 4 - 1.5 * 2 = 1
    assert (row["points"], row["status"]) == (1.0, "not_met")
    row, _ = one_target(accidents, 3)  # 4 - 1.5 * 3 = -0.5 -> floored at 0
    assert row["points"] == 0.0

    rate = target(value=98, rule="deduct", rule_param=2)
    assert one_target(rate, 96.5)[0]["points"] == 1.0  # 4 - 2 * (98 - 96.5)
    assert one_target(rate, 99)[0]["points"] == 4.0  # over target: no shortfall, no cap bonus


def test_it_deducts_one_point_per_unit_when_deduct_has_no_parameter() -> None:
    row, _ = one_target(target(value=98, rule="deduct", rule_param=None), 96.75)
    assert row["points"] == 2.75  # 4 - 1 * 1.25


def test_it_defaults_a_blank_rule_to_ratio() -> None:
    row, _ = one_target(target(value=98, rule=None), 49)
    assert (row["rule"], row["points"]) == ("ratio", 2.0)


# --------------------------------------------------------------------------- veto


def test_it_forces_grade_d_for_a_failed_veto_target_but_keeps_the_total() -> None:
    result = run(
        [
            target("RATE", 100, weight=96),
            target("ACCIDENTS", 0, comparator="<=", veto=True),
        ],
        [figure("RATE", 100), figure("ACCIDENTS", 1)],
    )
    region = result.regions.iloc[0]
    # 96 of 100 points: 96.00 would be an A
    assert region["total"] == 96.0
    assert region["grade"] == "D"
    assert bool(region["vetoed"]) is True


def test_it_does_not_force_d_when_the_veto_target_is_missing_or_met() -> None:
    targets = [
        target("RATE", 100, weight=96),
        target("ACCIDENTS", 0, comparator="<=", veto=True),
    ]
    missing = run(targets, [figure("RATE", 100)]).regions.iloc[0]
    assert (missing["total"], missing["grade"], bool(missing["vetoed"])) == (96.0, "A", False)
    met = run(targets, [figure("RATE", 100), figure("ACCIDENTS", 0)]).regions.iloc[0]
    assert (met["total"], met["grade"], bool(met["vetoed"])) == (100.0, "A", False)


# --------------------------------------------------------------------------- grades, rounding


def test_it_grades_by_the_cut_offs_inclusive_at_each_boundary() -> None:
    # One target with weight 100 and T = 100 makes the total equal to the actual.
    expected = {100: "A", 90: "A", 89.99: "B", 80: "B", 79.99: "C", 60: "C", 59.99: "D", 0: "D"}
    for actual, grade in expected.items():
        _, region = one_target(target(value=100, weight=100), actual)
        assert (region["total"], region["grade"]) == (actual, grade)
    _, region = one_target(target(value=100, weight=100), 85, grade_cuts=(95, 85, 70))
    assert region["grade"] == "B"


def test_it_rounds_the_total_half_away_from_zero() -> None:
    result = run(
        [target("RATE", 100), target("PQ_SAMPLING_PASS", 100)],
        [figure("RATE", 100), figure("PQ_SAMPLING_PASS", 68.25)],
    )
    # points 4 + 4 * 0.6825 = 6.73 of 8: exactly 84.125. Python's round() and
    # banker's rounding give 84.12; half away from zero gives 84.13.
    assert round(84.125, 2) == 84.12
    assert result.regions.iloc[0]["total"] == 84.13


def test_it_rounds_the_exact_total_not_a_float_approximation() -> None:
    result = run(
        [target("RATE", 80, weight=10), target("PQ_SAMPLING_PASS", 25, weight=10)],
        [figure("RATE", 76.04), figure("PQ_SAMPLING_PASS", 16.33)],
    )
    # 10 * 76.04 / 80 = 9.505; 10 * 16.33 / 25 = 6.532; 100 * 16.037 / 20 = 80.185
    # exactly, which rounds to 80.19. The same sum in binary floats is
    # 80.18499999999999 and would round to 80.18.
    naive = 100 * (10 * 76.04 / 80 + 10 * 16.33 / 25) / 20
    assert round(naive, 2) == 80.18
    assert result.regions.iloc[0]["total"] == 80.19


def test_it_does_not_let_repeating_decimals_round_a_half_down() -> None:
    result = run(
        [
            target("RATE", 3, weight=1),
            target("PQ_STD_COVERAGE", 3, weight=1),
            target("ENV_SOLID_WASTE_UTIL", 3, weight=1),
            target("PQ_SAMPLING_PASS", 100, weight=5),
        ],
        [
            figure("RATE", 1),
            figure("PQ_STD_COVERAGE", 1),
            figure("ENV_SOLID_WASTE_UTIL", 1),
            figure("PQ_SAMPLING_PASS", 0.008),
        ],
    )
    # 1/3 + 1/3 + 1/3 + 5 * 0.00008 = 1.0004 of 8 points: exactly 12.505 -> 12.51,
    # although three truncated thirds sum to 0.999…9.
    assert result.regions.iloc[0]["total"] == 12.51


def test_it_grades_by_the_rounded_total() -> None:
    result = run(
        [target("RATE", 100, weight=100), target("PQ_SAMPLING_PASS", 100, weight=100)],
        [figure("RATE", 100), figure("PQ_SAMPLING_PASS", 79.99)],
    )
    # 100 * 179.99 / 200 = 89.995 -> 90.00, which is an A
    region = result.regions.iloc[0]
    assert (region["total"], region["grade"]) == (90.0, "A")


# --------------------------------------------------------------------------- ranking


def test_it_ranks_siblings_with_competition_ranking() -> None:
    counties = ["130501", "130502", "130503", "130504"]
    regions = pd.DataFrame(
        [("130500", None)] + [(code, "130500") for code in counties] + [("130599", "130000")],
        columns=["region_code", "parent_code"],
    )
    actuals = dict(zip(counties, [90, 80, 80, 70], strict=True))
    result = run(
        [target(value=100, weight=100, region=code) for code in [*counties, "130500", "130599"]],
        [figure("RATE", a, region=code) for code, a in actuals.items()]
        + [figure("RATE", 10, region="130500"), figure("RATE", 20, region="130599")],
        regions=regions,
    )
    ranks = result.regions.set_index("region_code")
    assert ranks.loc[counties, "total"].tolist() == [90.0, 80.0, 80.0, 70.0]
    assert ranks.loc[counties, "rank"].tolist() == [1, 2, 2, 4]
    assert ranks.loc[counties, "rank_of"].tolist() == [4, 4, 4, 4]
    # The city is ranked among its own siblings (parent None), not with its counties;
    # 130599's parent is outside the frame and it still ranks alone under it.
    assert (ranks.loc["130500", "rank"], ranks.loc["130500", "rank_of"]) == (1, 1)
    assert ranks.loc["130599", "parent_code"] == "130000"
    assert (ranks.loc["130599", "rank"], ranks.loc["130599", "rank_of"]) == (1, 1)


def test_it_ranks_each_year_separately() -> None:
    targets = [
        target(region=code, year=year, weight=100) for code in ("130521", "130522") for year in (2014, 2015)
    ]
    figures = [
        figure("RATE", 90, region="130521", year=2014),
        figure("RATE", 80, region="130522", year=2014),
        figure("RATE", 70, region="130521", year=2015),
        figure("RATE", 95, region="130522", year=2015),
    ]
    regions = run(targets, figures).regions.set_index(["year", "region_code"])
    assert regions.loc[(2014, "130521"), "rank"] == 1
    assert regions.loc[(2014, "130522"), "rank"] == 2
    assert regions.loc[(2015, "130521"), "rank"] == 2
    assert regions.loc[(2015, "130522"), "rank"] == 1


# --------------------------------------------------------------------------- empty, items


def test_it_gives_no_row_to_a_region_without_targets() -> None:
    result = run(
        [target(region="130521")],
        [figure("RATE", 100, region="130521"), figure("RATE", 50, region="130522")],
        items=[("130522", YEAR, "Q1", 10, 5)],
    )
    assert result.regions["region_code"].tolist() == ["130521"]
    assert result.targets["region_code"].tolist() == ["130521"]
    # a year without targets gets no row either
    assert result.regions["year"].tolist() == [YEAR]


def test_it_returns_empty_frames_with_all_columns_when_there_are_no_targets() -> None:
    result = run([], [])
    assert list(result.targets.columns) == TARGET_COLUMNS
    assert list(result.regions.columns) == REGION_COLUMNS
    assert result.targets.empty and result.regions.empty


def test_it_adds_qualitative_items_to_points_and_max() -> None:
    result = run(
        [target(value=100)],
        [figure("RATE", 100)],
        items=[
            ("130500", YEAR, "Q1", 6, 3),
            ("130500", YEAR, "Q2", 10, None),  # not yet scored: 0 awarded, 10 possible
            ("130500", YEAR - 1, "Q1", 6, 6),  # another year: ignored
        ],
    )
    region = result.regions.iloc[0]
    # (4 + 3 + 0) of (4 + 6 + 10) = 7 / 20 = 35 %
    assert (region["points"], region["max_points"], region["total"]) == (7.0, 20.0, 35.0)
    assert region["grade"] == "D"


def test_it_rejects_item_points_above_the_maximum() -> None:
    with pytest.raises(ValueError, match="outside"):
        run([target()], [figure("RATE", 100)], items=[("130500", YEAR, "Q1", 5, 6)])


def test_it_gives_a_zero_total_when_nothing_can_be_earned() -> None:
    _, region = one_target(target(weight=0), 100)
    assert (region["max_points"], region["total"], region["grade"]) == (0.0, 0.0, "D")


# --------------------------------------------------------------------------- roll-up


def test_it_rolls_a_sum_indicator_up_from_children_recursively() -> None:
    result = run(
        [target("COUNT", 10, region="130000"), target("COUNT", 10, region="130500")],
        [
            figure("COUNT", 3, region="130521"),
            figure("COUNT", 4, region="130522"),
            figure("COUNT", 2, region="130300"),
        ],
    )
    rows = result.targets.set_index("region_code")
    # 邢台市 = 3 + 4 = 7; 河北省 = 邢台市 (7, itself rolled up) + 秦皇岛市 (2) = 9
    assert rows.loc["130500", "actual"] == 7.0
    assert rows.loc["130500", "points"] == 2.8  # 4 * 7 / 10
    assert rows.loc["130000", "actual"] == 9.0
    assert bool(rows.loc["130000", "rolled_up"]) is True


def test_it_prefers_a_regions_own_figure_over_the_roll_up() -> None:
    result = run(
        [target("COUNT", 10, region="130000"), target("COUNT", 10, region="130500")],
        [
            figure("COUNT", 5, region="130500"),
            figure("COUNT", 3, region="130521"),
            figure("COUNT", 4, region="130522"),
        ],
    )
    rows = result.targets.set_index("region_code")
    assert rows.loc["130500", "actual"] == 5.0
    assert bool(rows.loc["130500", "rolled_up"]) is False
    assert rows.loc["130000", "actual"] == 5.0  # the city's own 5 wins over 3 + 4 below it too


def test_it_does_not_roll_up_none_indicators_or_empty_subtrees() -> None:
    result = run(
        [target("RATE", 10, region="130500"), target("COUNT", 10, region="130300")],
        [figure("RATE", 90, region="130521"), figure("COUNT", 3, region="130521")],
    )
    rows = result.targets.set_index("region_code")
    assert rows.loc["130500", "status"] == "missing"  # a rate is not a sum of rates
    assert rows.loc["130300", "status"] == "missing"  # no descendant has a figure


def test_it_rolls_up_decimals_without_float_noise() -> None:
    result = run(
        [target("COUNT", Decimal("0.3"), region="130500")],
        [figure("COUNT", 0.1, region="130521"), figure("COUNT", 0.2, region="130522")],
    )
    row = result.targets.iloc[0]
    # 0.1 + 0.2 is 0.30000000000000004 in floats, which would not meet 0.3
    assert (row["actual"], row["status"], row["completion"]) == (0.3, "met", 1.0)


# --------------------------------------------------------------------------- input handling


def test_it_accepts_decimal_and_float_inputs_alike() -> None:
    as_float = one_target(target(value=98.5, weight=4.5), 96.25)
    as_decimal = one_target(target(value=Decimal("98.5"), weight=Decimal("4.5")), Decimal("96.25"))
    assert as_float == as_decimal
    assert as_float[0]["points"] == 4.3972  # 4.5 * 96.25 / 98.5 = 4.39720812…


def test_it_reads_numeric_region_codes_as_codes() -> None:
    regions = pd.DataFrame({"region_code": [130500, 130521], "parent_code": [float("nan"), 130500.0]})
    result = score(
        pd.DataFrame([figure("COUNT", 3, region="130521")], columns=FIGURE_COLUMNS),
        pd.DataFrame([target("COUNT", 6, region="130500")], columns=TARGET_INPUT_COLUMNS),
        None,
        regions,
        indicators=INDICATORS,
    )
    assert result.targets.iloc[0]["actual"] == 3.0  # rolled up through the numeric parent code
    assert result.regions.iloc[0]["parent_code"] is None


def test_it_rejects_duplicate_targets_and_unknown_comparators() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        run([target(), target()], [])
    with pytest.raises(ValueError, match="comparator"):
        run([target(comparator=">")], [])
    with pytest.raises(ValueError, match="not in regions"):
        run([target(region="999999")], [])


def test_it_gives_the_same_rows_whatever_the_input_order() -> None:
    targets = [target(i, 10, region=r) for r in ("130521", "130522") for i in ("RATE", "COUNT")]
    figures = [
        figure("RATE", 9, region="130521"),
        figure("COUNT", 12, region="130521"),
        figure("RATE", 7, region="130522"),
    ]
    first = run(targets, figures)
    second = run(targets[::-1], figures[::-1])
    pd.testing.assert_frame_equal(first.targets, second.targets)
    pd.testing.assert_frame_equal(first.regions, second.regions)


def test_it_returns_the_documented_dtypes() -> None:
    result = run([target()], [figure("RATE", 99)])
    t, r = result.targets.dtypes, result.regions.dtypes
    assert list(result.targets.columns) == TARGET_COLUMNS
    assert list(result.regions.columns) == REGION_COLUMNS
    assert [str(t[c]) for c in ("year", "actual", "points", "veto")] == [
        "int64",
        "float64",
        "float64",
        "bool",
    ]
    assert [str(r[c]) for c in ("total", "rank", "rank_of", "vetoed")] == [
        "float64",
        "int64",
        "int64",
        "bool",
    ]
    assert result.targets.iloc[0]["basis"] == "self"
    assert run([target()], [], basis="verified").regions.iloc[0]["basis"] == "verified"


def test_the_engine_module_imports_no_django() -> None:
    code = "import sys, indicators.scoring; print(sorted(m for m in sys.modules if m.startswith('django')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- worked example


def xingtai_targets() -> dict[str, dict[str, str]]:
    with open(ROOT / "fixtures" / "xingtai_2015_targets.csv", encoding="utf-8-sig") as fh:
        return {row["indicator_code"]: row for row in csv.DictReader(fh)}


def test_it_scores_a_hand_computed_xingtai_2015_example() -> None:
    plan = xingtai_targets()
    codes = [
        "PQ_STD_COVERAGE",
        "PQ_SAMPLING_PASS",
        "AG_BRANDS_NEW",
        "EN_MAJOR_ACCIDENTS",
        "ENV_SOLID_WASTE_UTIL",
    ]
    # From the plan: >= 98, >= 98, >= 2, <= 0 (zero accidents), >= 70
    assert [(plan[c]["comparator"], plan[c]["target"]) for c in codes] == [
        (">=", "98"),
        (">=", "98"),
        (">=", "2"),
        ("<=", "0"),
        (">=", "70"),
    ]
    targets = [
        target(
            c,
            Decimal(plan[c]["target"]),
            region=plan[c]["region_code"],
            comparator=plan[c]["comparator"],
            weight=4,
            veto=c == "EN_MAJOR_ACCIDENTS",  # a major accident fails the whole assessment
        )
        for c in codes
    ]
    figures = [
        figure("PQ_STD_COVERAGE", 96),
        figure("PQ_SAMPLING_PASS", 98.5),
        # 邢台市 enters no AG_BRANDS_NEW of its own: 邢台县 1 + 临城县 0 = 1
        figure("AG_BRANDS_NEW", 1, region="130521"),
        figure("AG_BRANDS_NEW", 0, region="130522"),
        figure("EN_MAJOR_ACCIDENTS", 0),
        figure("ENV_SOLID_WASTE_UTIL", 63),
    ]
    result = run(targets, figures)
    rows = result.targets.set_index("indicator_code")

    # PQ_STD_COVERAGE:      c = 96 / 98 = 0.9795918…        4 * c = 3.9183673…  -> 3.9184
    # PQ_SAMPLING_PASS:     c = 98.5 / 98 = 1.0051020… capped at 1   4 * 1 = 4
    # AG_BRANDS_NEW:        c = 1 / 2 = 0.5                 4 * 0.5 = 2
    # EN_MAJOR_ACCIDENTS:   A = 0 <= T = 0, c = 1           4 * 1 = 4
    # ENV_SOLID_WASTE_UTIL: c = 63 / 70 = 0.9               4 * 0.9 = 3.6
    assert rows.loc[codes, "completion"].tolist() == [0.979592, 1.005102, 0.5, 1.0, 0.9]
    assert rows.loc[codes, "points"].tolist() == [3.9184, 4.0, 2.0, 4.0, 3.6]
    assert rows.loc[codes, "status"].tolist() == ["not_met", "met", "not_met", "met", "not_met"]
    assert rows.loc["AG_BRANDS_NEW", "actual"] == 1.0
    assert bool(rows.loc["AG_BRANDS_NEW", "rolled_up"]) is True

    # sum = 3.9183673469… + 4 + 2 + 4 + 3.6 = 17.5183673469…  of 5 * 4 = 20
    # total = 100 * 17.5183673469… / 20 = 87.5918367… -> 87.59 -> B (80 <= 87.59 < 90)
    region = result.regions.set_index("region_code").loc["130500"]
    assert region["points"] == 17.5184
    assert region["max_points"] == 20.0
    assert region["total"] == 87.59
    assert region["grade"] == "B"
    assert (region["met"], region["not_met"], region["missing"]) == (2, 3, 0)
    assert (region["rank"], region["rank_of"]) == (1, 1)
    assert bool(region["vetoed"]) is False

    # One major accident: that target scores 0 (T = 0, A = 1 -> c = 0) and its veto
    # fails: 100 * 13.5183673… / 20 = 67.5918… -> 67.59, a C by total, forced to D.
    figures[4] = figure("EN_MAJOR_ACCIDENTS", 1)
    vetoed = run(targets, figures).regions.iloc[0]
    assert (vetoed["total"], vetoed["grade"], bool(vetoed["vetoed"])) == (67.59, "D", True)


# --------------------------------------------------------------------------- properties

amounts = st.decimals(min_value=-50, max_value=300, places=2, allow_nan=False, allow_infinity=False)
targets_values = st.decimals(min_value=-10, max_value=200, places=2, allow_nan=False, allow_infinity=False)
weights = st.decimals(min_value=0, max_value=20, places=1, allow_nan=False, allow_infinity=False)
rules = st.sampled_from(["ratio", "threshold", "deduct"])
params = st.one_of(st.none(), st.decimals(min_value=0, max_value=5, places=2))


@st.composite
def target_specs(draw: st.DrawFn) -> tuple[dict, Decimal | None]:
    t = target(
        "X",
        draw(targets_values),
        comparator=draw(st.sampled_from([">=", "<="])),
        weight=draw(weights),
        rule=draw(rules),
        rule_param=draw(params),
        veto=draw(st.booleans()),
    )
    return t, draw(st.one_of(st.none(), amounts))


@st.composite
def item_specs(draw: st.DrawFn) -> tuple[Decimal, Decimal | None]:
    maximum = draw(st.decimals(min_value=0, max_value=10, places=1))
    points = draw(st.one_of(st.none(), st.decimals(min_value=0, max_value=maximum, places=1)))
    return maximum, points


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(target_specs(), min_size=1, max_size=8),
    items=st.lists(item_specs(), max_size=3),
    cap=st.sampled_from([1, Decimal("1.2"), 1.5, 2]),
)
def test_property_total_stays_within_zero_and_hundred_times_cap(specs, items, cap) -> None:
    targets, figures = [], []
    for i, (t, actual) in enumerate(specs):
        t["indicator_code"] = f"X{i}"
        targets.append(t)
        if actual is not None:
            figures.append(figure(f"X{i}", actual))
    indicators = pd.DataFrame(
        {"indicator_code": [t["indicator_code"] for t in targets], "aggregation": "none"}
    )
    result = score(
        pd.DataFrame(figures, columns=FIGURE_COLUMNS),
        pd.DataFrame(targets, columns=TARGET_INPUT_COLUMNS),
        pd.DataFrame(
            [("130500", YEAR, f"Q{i}", m, p) for i, (m, p) in enumerate(items)], columns=ITEM_COLUMNS
        ),
        REGIONS,
        indicators=indicators,
        cap=cap,
    )
    total = result.regions.iloc[0]["total"]
    assert 0 <= total <= 100 * float(cap)
    points, weights_ = result.targets["points"], result.targets["weight"]
    assert (points >= 0).all()
    assert (points <= weights_ * float(cap) + 1e-9).all()


def reference_total(specs: list[tuple[dict, Decimal | None]], cap: Fraction) -> Decimal:
    """DESIGN §3 again, independently, in exact fractions."""
    earned = possible = Fraction(0)
    for t, actual in specs:
        w, goal = Fraction(t["weight"]), Fraction(t["target"])
        possible += w
        if actual is None:
            continue
        a = Fraction(actual)
        higher = t["comparator"] == ">="
        met = a >= goal if higher else a <= goal
        if higher:
            c = a / goal if goal > 0 else Fraction(int(a >= 0))
        else:
            c = Fraction(1) if a <= goal else (goal / a if goal > 0 else Fraction(0))
        if t["rule"] == "ratio":
            earned += max(Fraction(0), w * min(c, cap))
        elif t["rule"] == "threshold":
            earned += w if met else 0
        else:
            k = Fraction(1) if t["rule_param"] is None else Fraction(t["rule_param"])
            earned += max(Fraction(0), w - k * (0 if met else abs(a - goal)))
    if possible == 0:
        return Decimal("0.00")
    cents = math.floor(100 * 100 * earned / possible + Fraction(1, 2))  # half up; total >= 0
    return Decimal(cents) / 100


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    specs=st.lists(target_specs(), min_size=1, max_size=8),
    cap=st.sampled_from([1, Decimal("1.2")]),
)
def test_property_total_matches_an_exact_reference_computation(specs, cap) -> None:
    targets, figures = [], []
    for i, (t, actual) in enumerate(specs):
        t["indicator_code"] = f"X{i}"
        targets.append(t)
        if actual is not None:
            figures.append(figure(f"X{i}", actual))
    indicators = pd.DataFrame(
        {"indicator_code": [t["indicator_code"] for t in targets], "aggregation": "none"}
    )
    result = score(
        pd.DataFrame(figures, columns=FIGURE_COLUMNS),
        pd.DataFrame(targets, columns=TARGET_INPUT_COLUMNS),
        None,
        REGIONS,
        indicators=indicators,
        cap=cap,
    )
    expected = reference_total(specs, Fraction(cap))
    assert Decimal(str(result.regions.iloc[0]["total"])) == expected


@settings(max_examples=300, deadline=None)
@given(
    t=targets_values,
    w=weights,
    rule=rules,
    k=params,
    a=amounts,
    b=amounts,
    cap=st.sampled_from([1, 1.2]),
)
def test_property_points_never_fall_as_a_higher_is_better_actual_rises(t, w, rule, k, a, b, cap) -> None:
    low, high = sorted([a, b])
    spec = target(value=t, weight=w, rule=rule, rule_param=k)
    low_row, _ = one_target(spec, low, cap=cap)
    high_row, _ = one_target(spec, high, cap=cap)
    assert low_row["points"] <= high_row["points"]


@settings(max_examples=100, deadline=None)
@given(
    regions=st.lists(
        st.tuples(st.sampled_from(["P1", "P2", None]), st.sampled_from([2014, 2015]), st.integers(0, 10)),
        min_size=1,
        max_size=25,
    )
)
def test_property_ranks_are_a_competition_ranking(regions) -> None:
    # Actuals are multiples of 10 out of 100, so ties are frequent.
    frame = pd.DataFrame(
        [(f"R{i:02d}", parent) for i, (parent, _, _) in enumerate(regions)],
        columns=["region_code", "parent_code"],
    )
    targets = [target(region=f"R{i:02d}", year=year, weight=1) for i, (_, year, _) in enumerate(regions)]
    figures = [
        figure("RATE", 10 * tenths, region=f"R{i:02d}", year=year)
        for i, (_, year, tenths) in enumerate(regions)
    ]
    result = run(targets, figures, regions=frame).regions
    assert len(result) == len(regions)
    for row in result.itertuples():
        siblings = result[
            (result["parent_code"].fillna("-") == (row.parent_code or "-")) & (result["year"] == row.year)
        ]
        assert row.rank == 1 + int((siblings["total"] > row.total).sum())
        assert row.rank_of == len(siblings)


@settings(max_examples=50, deadline=None)
@given(st.permutations(list(range(6))))
def test_property_input_row_order_changes_neither_scores_nor_hash(order) -> None:
    base_targets = [
        target(i, 10, region=r) for r in ("130521", "130522", "130500") for i in ("RATE", "COUNT")
    ]
    base_figures = [
        figure("RATE", 9, region="130521"),
        figure("COUNT", 12, region="130521"),
        figure("RATE", 7, region="130522"),
        figure("COUNT", 3, region="130522"),
        figure("RATE", 11, region="130500"),
        figure("PQ_QCI", 1, region="130500"),
    ]
    targets = [base_targets[i] for i in order]
    figures = [base_figures[i] for i in order]
    expected = run(base_targets, base_figures)
    actual = run(targets, figures)
    pd.testing.assert_frame_equal(expected.targets, actual.targets)
    pd.testing.assert_frame_equal(expected.regions, actual.regions)
    assert inputs_hash(pd.DataFrame(targets), pd.DataFrame(figures)) == inputs_hash(
        pd.DataFrame(base_targets), pd.DataFrame(base_figures)
    )


# --------------------------------------------------------------------------- projection, milestones


def test_it_projects_points_on_a_line_exactly_onto_it() -> None:
    assert project_linear([2011, 2012, 2013], [90, 92, 94], 2015) == 98.0


def test_it_projects_the_least_squares_line() -> None:
    # x̄ = 2012, ȳ = 2, slope = Σ(x-x̄)(y-ȳ) / Σ(x-x̄)² = ((-1)(-1) + 0 + (1)(0)) / 2 = 0.5
    # at 2015: 2 + 0.5 * 3 = 3.5
    assert project_linear([2011, 2012, 2013], [1, 3, 2], 2015) == 3.5


def test_it_projects_a_flat_series_to_its_value() -> None:
    assert project_linear([2011, 2013, 2014], [97.3, 97.3, 97.3], 2015) == 97.3


def test_it_cannot_project_from_fewer_than_two_distinct_years() -> None:
    assert project_linear([], [], 2015) is None
    assert project_linear([2013], [5], 2015) is None
    assert project_linear([2013, 2013], [5, 7], 2015) is None
    assert project_linear([2012, 2013], [5, None], 2015) is None  # missing values are dropped
    assert project_linear([2012, 2013, 2013], [4, 5, 7], 2015) == 10.0  # 4 -> mean 6: slope 2


def test_it_interpolates_milestones_linearly_to_the_horizon() -> None:
    assert interpolate_milestones(2010, 90, 2015, 98) == {
        2011: Decimal("91.6000"),
        2012: Decimal("93.2000"),
        2013: Decimal("94.8000"),
        2014: Decimal("96.4000"),
        2015: Decimal("98"),
    }


def test_it_rounds_milestones_half_up_to_four_places() -> None:
    assert interpolate_milestones(2012, 0, 2015, 1) == {
        2013: Decimal("0.3333"),
        2014: Decimal("0.6667"),
        2015: Decimal("1"),
    }
    # 0.00005 exactly: half up, not to even
    assert interpolate_milestones(2014, 0, 2016, Decimal("0.0001"))[2015] == Decimal("0.0001")


def test_it_uses_the_horizon_value_for_every_year_without_a_base_value() -> None:
    assert interpolate_milestones(2010, None, 2013, 2) == {
        2011: Decimal("2"),
        2012: Decimal("2"),
        2013: Decimal("2"),
    }


# --------------------------------------------------------------------------- hashing


def test_inputs_hash_ignores_row_and_column_order_but_not_values() -> None:
    frame = pd.DataFrame({"region_code": ["130521", "130522"], "value": [1.5, 2.0], "year": [2015, 2015]})
    shuffled = frame.iloc[::-1][["year", "value", "region_code"]]
    assert inputs_hash(frame) == inputs_hash(shuffled)
    changed = frame.assign(value=[1.5, 2.5])
    assert inputs_hash(frame) != inputs_hash(changed)
    assert len(inputs_hash(frame)) == 64


def test_inputs_hash_treats_equal_numbers_alike_and_keeps_argument_order() -> None:
    floats = pd.DataFrame({"value": [98.0, 0.1, None]})
    decimals = pd.DataFrame({"value": [Decimal("98.00"), Decimal("0.1"), None]})
    assert inputs_hash(floats) == inputs_hash(decimals)
    other = pd.DataFrame({"value": [1]})
    assert inputs_hash(floats, other) != inputs_hash(other, floats)
    assert inputs_hash(floats, None) != inputs_hash(floats)
    assert inputs_hash({"cap": 1.0, "basis": "self"}) != inputs_hash({"cap": 1.2, "basis": "self"})


def _pinned_frames() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    small = pd.DataFrame(
        {
            "region_code": ["130521", "130522", "130521"],
            "indicator_code": ["PQ_A", "PQ_A", "EN_B"],
            "year": [2015, 2015, 2015],
            "value": ["98.3000", None, "2"],
            "veto": [True, False, True],
        }
    )
    numbers = pd.DataFrame(
        {"target": [Decimal("98.30"), 98.3, 7], "weight": [Decimal("4"), Decimal("6.5"), None]}
    )
    # Six columns of 2,003 distinct values each: more rows than one packed sort key holds.
    wide = pd.DataFrame({f"c{k}": [f"{(i * (k + 7)) % 2003:04d}" for i in range(3000)] for k in range(6)})
    return small, numbers, wide


def test_inputs_hash_digests_stay_what_they_were() -> None:
    """The digest is compared across program versions: an assessment is signed off on
    one hash and published only if a new run gives the same, and report files are
    kept by it. These values were computed before the hash was made faster
    (session 5); any change to them must be deliberate."""
    small, numbers, wide = _pinned_frames()
    assert inputs_hash(small, numbers, {"cap": Decimal("1.2"), "basis": "self"}) == (
        "e9d977b2971b7a9abb590185fb2eb73da547d00c88d69fb27638315ab538e89f"
    )
    assert inputs_hash(wide) == "1a2aa7d8f73e43bb9bc76e91800b3d439ab41f67d42c7f1b8076f8fdde75049a"
    assert inputs_hash(small, None) == "3dbabe851bafb293ca9f6a58486cfc5e11d5a906287ad9bd0a87cbf9063c7d99"


def test_inputs_hash_of_a_categorical_column_is_that_of_its_text() -> None:
    small, _, wide = _pinned_frames()
    as_categories = small.assign(
        region_code=pd.Categorical(small["region_code"], categories=["130522", "130521", "139999"])
    )
    assert inputs_hash(as_categories, None) == inputs_hash(small, None)
    assert inputs_hash(wide.astype("category")) == inputs_hash(wide)


@given(
    st.lists(st.integers(1, 3000), min_size=1, max_size=6),
    st.integers(0, 40),
    st.randoms(use_true_random=False),
)
@settings(max_examples=60, deadline=None)
def test_the_hash_row_order_sorts_rows_as_lexsort_does(sizes, rows, rnd) -> None:
    import numpy as np

    from indicators.scoring import _row_order

    ranks = [np.array([rnd.randrange(size) for _ in range(rows)], dtype=np.int64) for size in sizes]
    matrix = np.column_stack(ranks) if rows else np.zeros((0, len(sizes)), dtype=np.int64)
    expected = matrix[np.lexsort(matrix.T[::-1])] if rows else matrix
    assert np.array_equal(matrix[_row_order(ranks, sizes)] if rows else matrix, expected)


def _two_bases() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    targets = pd.DataFrame(
        [
            target("RATE", 10, region="130521"),
            target("COUNT", 20, region="130521", rule="deduct", rule_param=2),
            target("RATE", 10, region="130522", rule="threshold", veto=True),
            target("COUNT", 20, region="130500"),
        ],
        columns=TARGET_INPUT_COLUMNS,
    )
    reported = pd.DataFrame(
        [
            figure("RATE", 9, region="130521"),
            figure("COUNT", 12, region="130521"),
            figure("RATE", 11, region="130522"),
        ],
        columns=FIGURE_COLUMNS,
    )
    approved = pd.DataFrame(
        [figure("RATE", 8, region="130521"), figure("COUNT", 7, region="130522")], columns=FIGURE_COLUMNS
    )
    return targets, reported, approved


def test_a_memo_shared_by_both_bases_gives_the_results_of_separate_calls() -> None:
    targets, reported, approved = _two_bases()
    memo: dict = {}
    for basis, figures in (("self", reported), ("verified", approved), ("self", reported)):
        shared = score(figures, targets, None, REGIONS, indicators=INDICATORS, basis=basis, memo=memo)
        alone = score(figures, targets.copy(), None, REGIONS, indicators=INDICATORS, basis=basis)
        pd.testing.assert_frame_equal(shared.targets, alone.targets)
        pd.testing.assert_frame_equal(shared.regions, alone.regions)
    assert any(key[0] == "target values" for key in memo)  # the memo was used


def test_a_memo_never_answers_for_another_frame() -> None:
    targets, reported, _ = _two_bases()
    memo: dict = {}
    score(reported, targets, None, REGIONS, indicators=INDICATORS, memo=memo)
    changed = targets.assign(target=[5, 20, 10, 20], weight=[1, 4, 4, 4])
    with_memo = score(reported, changed, None, REGIONS, indicators=INDICATORS, memo=memo)
    alone = score(reported, changed, None, REGIONS, indicators=INDICATORS)
    pd.testing.assert_frame_equal(with_memo.targets, alone.targets)
    assert (
        with_memo.targets["weight"].tolist()
        != score(reported, targets, None, REGIONS, indicators=INDICATORS).targets["weight"].tolist()
    )


def test_a_memo_does_not_keep_a_validation_error_from_being_raised_again() -> None:
    targets, reported, _ = _two_bases()
    bad = targets.assign(comparator=[">=", "=", ">=", ">="])
    memo: dict = {}
    for _ in range(2):
        with pytest.raises(ValueError, match="comparator"):
            score(reported, bad, None, REGIONS, indicators=INDICATORS, memo=memo)


def test_prepare_fills_the_memo_that_score_then_uses_unchanged() -> None:
    targets, reported, approved = _two_bases()
    memo: dict = {}
    prepare(memo, targets, REGIONS, indicators=INDICATORS)
    prepared = {key[0] for key in memo}
    assert prepared == {"regions", "indicators", "target codes", "target years", "target values"}
    kept = dict(memo)
    for basis, figures in (("self", reported), ("verified", approved)):
        shared = score(figures, targets, None, REGIONS, indicators=INDICATORS, basis=basis, memo=memo)
        alone = score(figures, targets.copy(), None, REGIONS, indicators=INDICATORS, basis=basis)
        pd.testing.assert_frame_equal(shared.targets, alone.targets)
        pd.testing.assert_frame_equal(shared.regions, alone.regions)
    assert all(memo[key] is kept[key] for key in kept)  # score found everything prepared


def test_prepare_raises_what_score_raises_for_malformed_targets() -> None:
    targets, _, _ = _two_bases()
    with pytest.raises(ValueError, match="comparator"):
        prepare({}, targets.assign(comparator=[">=", "=", ">=", ">="]), REGIONS, indicators=INDICATORS)
    with pytest.raises(ValueError, match="weight"):
        prepare({}, targets.drop(columns=["weight"]), REGIONS, indicators=INDICATORS)


def test_prepared_hash_sections_give_the_same_digest() -> None:
    targets, reported, _ = _two_bases()
    sections: dict = {}
    prepare_sections(sections, None, targets, None, REGIONS, INDICATORS)
    assert sorted(position for position, _ in sections) == [1, 3, 4]
    kept = dict(sections)
    args = (reported, targets, None, REGIONS, INDICATORS, {"basis": "self"})
    assert inputs_hash(*args, sections=sections) == inputs_hash(*args)
    assert all(sections[key] is kept[key] for key in kept)
