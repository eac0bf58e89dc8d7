"""A worked example on the real Xingtai 2015 targets, computed by hand, checked through the DB.

邢台市质量兴市实施方案（邢政〔2012〕10号）sets 25 targets for 2015; seed_demo gives
each weight 4 (sum 100) and makes the major-accident target a veto. Below, every
target's points are written out from DESIGN §3 (ratio rule, cap 1.0):
points = 4 * min(A / T, 1). The figures are stored as approved figures, scored by
`compute_scores` (the service), and read back from RegionScore / TargetScore.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from django.conf import settings

from indicators.models import Figure, Plan, Region, RegionScore, Target, TargetScore
from indicators.scoring_service import compute_scores
from tests.indicators.scoring_helpers import D, fig, tgt

pytestmark = pytest.mark.django_db

XT, XT_COUNTY, LINCHENG = "130500", "130521", "130522"

# indicator: (target, actual or None, expected points, status) — the hand computation.
EXPECTED = {
    "PQ_STD_COVERAGE": (98, 99, "4", "met"),  # 99/98 = 1.0102 -> capped at 1 -> 4 * 1 = 4
    "PQ_INTL_STD_ADOPTION": (90, 81, "3.6", "not_met"),  # 81/90 = 0.9 -> 4 * 0.9 = 3.6
    "PQ_GRADE_RATE": (85, 85, "4", "met"),  # 85/85 = 1 (A = T is met) -> 4
    "PQ_SUPERIOR_RATE": (45, 36, "3.2", "not_met"),  # 36/45 = 0.8 -> 3.2
    # PQ_SAMPLING_PASS differs by basis, see below.
    "AG_CERTIFIED_PASS": (100, "99.125", "3.965", "not_met"),  # 99.125/100 = 0.99125 -> 3.965
    "AG_STD_ZONES_NEW": (2, None, "4", "met"),  # sum: no city figure; counties 1 + 2 = 3; 3/2 capped -> 4
    "AG_BRANDS_NEW": (2, 1, "2", "not_met"),  # own figure 1 wins over the counties' 5; 1/2 -> 2
    "EN_ACCEPTANCE_PASS": (100, 100, "4", "met"),  # 100/100 -> 4
    "EN_MAJOR_ACCIDENTS": (0, None, "4", "met"),  # <= 0, veto; counties 0 + 0 = 0 <= 0 -> c = 1 -> 4
    "EN_LUBAN_AWARDS": (2, 1, "2", "not_met"),  # 1/2 -> 2
    "SV_LOCAL_STANDARDS": (25, 20, "3.2", "not_met"),  # 20/25 = 0.8 -> 3.2
    "SV_STD_PILOTS": (15, 12, "3.2", "not_met"),  # 12/15 = 0.8 -> 3.2
    "ENV_CIRCULAR_NATIONAL": (3, 3, "4", "met"),  # 3/3 -> 4
    "ENV_CIRCULAR_PROVINCIAL": (10, 7, "2.8", "not_met"),  # 7/10 -> 2.8
    "ENV_SOLID_WASTE_UTIL": (70, 63, "3.6", "not_met"),  # 63/70 = 0.9 -> 3.6
    "QM_NATIONAL_QUALITY_AWARD": (2, None, "0", "missing"),  # no figure anywhere -> 0, missing
    "QM_PROVINCIAL_QUALITY_AWARD": (5, 4, "3.2", "not_met"),  # 4/5 -> 3.2
    "QM_MUNICIPAL_QUALITY_AWARD": (15, 9, "2.4", "not_met"),  # 9/15 = 0.6 -> 2.4
    "QM_ISO9000_RATE": (80, 72, "3.6", "not_met"),  # 72/80 = 0.9 -> 3.6
    "BR_CHINA_TOP_BRAND": (10, 8, "3.2", "not_met"),  # 8/10 -> 3.2
    "BR_CHINA_WELL_KNOWN_TM": (20, 13, "2.6", "not_met"),  # 13/20 = 0.65 -> 2.6
    "BR_PROV_FAMOUS_QUALITY_TOTAL": (200, 150, "3", "not_met"),  # 150/200 = 0.75 -> 3
    "BR_PROV_SERVICE_BRAND": (15, None, "0", "missing"),  # no figure -> 0, missing
    "BR_PROV_FAMOUS_TM": (310, 279, "3.6", "not_met"),  # 279/310 = 0.9 -> 3.6
}
# Sum of the 24 rows above:
#   4 + 3.6 + 4 + 3.2 + 3.965 + 4 + 2 + 4 + 4 + 2 + 3.2 + 3.2 + 4 + 2.8 + 3.6
#   + 0 + 3.2 + 2.4 + 3.6 + 3.2 + 2.6 + 3 + 0 + 3.6 = 73.165
# PQ_SAMPLING_PASS >= 98:
#   self:     reported 98.5 -> 98.5/98 > 1 -> 4          -> 73.165 + 4    = 77.165
#   verified: approved 96.04 -> 96.04/98 = 0.98 -> 3.92   -> 73.165 + 3.92 = 77.085
# total = 100 * points / 100 (weights 25 * 4), rounded half away from zero:
#   self 77.165 -> 77.17, verified 77.085 -> 77.09 (float arithmetic would give 77.16 / 77.08)
# grade: 60 <= total < 80 -> C. 秦皇岛市 (sibling under 河北省): 97/98 * 4 -> 98.98, rank 1;
# 邢台市 rank 2 of 2.


@pytest.fixture
def xingtai(catalog):
    xt = Region.objects.get(code=XT)
    plan = Plan.objects.create(
        name="邢台市质量兴市2011-2015", region=xt, base_year=2010, start_year=2011, end_year=2015
    )
    path = settings.BASE_DIR / "fixtures" / "xingtai_2015_targets.csv"
    with path.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 25
    for row in rows:
        tgt(
            XT,
            row["indicator_code"],
            2015,
            row["target"],
            weight=4,
            comparator=row["comparator"],
            veto=row["indicator_code"] == "EN_MAJOR_ACCIDENTS",
            plan=plan,
        )
    for code, (_, actual, _, _) in EXPECTED.items():
        if actual is not None:
            fig(XT, code, 2015, actual)
    fig(XT, "PQ_SAMPLING_PASS", 2015, "98.5", verified="96.04")  # adjusted on site
    fig(XT_COUNTY, "AG_STD_ZONES_NEW", 2015, 1)
    fig(LINCHENG, "AG_STD_ZONES_NEW", 2015, 2)
    fig(XT_COUNTY, "AG_BRANDS_NEW", 2015, 5)  # ignored: the city entered its own figure
    fig(XT_COUNTY, "EN_MAJOR_ACCIDENTS", 2015, 0)
    fig(LINCHENG, "EN_MAJOR_ACCIDENTS", 2015, 0)
    tgt("130300", "PQ_SAMPLING_PASS", 2015, 98)
    fig("130300", "PQ_SAMPLING_PASS", 2015, 97)
    return xt


def test_the_xingtai_2015_targets_score_as_computed_by_hand(xingtai):
    assert Target.objects.filter(region=xingtai, year=2015).count() == 25
    compute_scores(year=2015, region=Region.objects.get(code="130000"))

    for basis in ("self", "verified"):
        for code, (target, _, points, status) in EXPECTED.items():
            row = TargetScore.objects.get(region=xingtai, indicator__code=code, year=2015, basis=basis)
            assert row.target == D(target), code
            assert row.points == D(points), (code, basis)
            assert row.status == status, (code, basis)
    rolled = TargetScore.objects.get(region=xingtai, indicator__code="AG_STD_ZONES_NEW", basis="verified")
    assert rolled.actual == D(3)

    sampling = {
        s.basis: s for s in TargetScore.objects.filter(region=xingtai, indicator__code="PQ_SAMPLING_PASS")
    }
    assert (sampling["self"].actual, sampling["self"].points, sampling["self"].status) == (
        D("98.5"),
        D(4),
        "met",
    )
    assert sampling["verified"].completion == D("0.98")
    assert (sampling["verified"].points, sampling["verified"].status) == (D("3.92"), "not_met")

    self_score = RegionScore.objects.get(region=xingtai, year=2015, basis="self")
    verified = RegionScore.objects.get(region=xingtai, year=2015, basis="verified")
    assert (self_score.points, self_score.max_points) == (D("77.165"), D(100))
    assert (self_score.total, self_score.grade) == (Decimal("77.17"), "C")
    assert (verified.points, verified.total, verified.grade) == (D("77.085"), Decimal("77.09"), "C")
    assert (verified.met, verified.not_met, verified.missing) == (6, 17, 2)
    assert (verified.rank, verified.rank_of) == (2, 2)
    qhd = RegionScore.objects.get(region__code="130300", year=2015, basis="verified")
    assert (qhd.total, qhd.rank) == (Decimal("98.98"), 1)  # 100 * 4 * 97/98 / 4 = 98.979.. -> 98.98


def test_one_approved_accident_in_a_county_vetoes_xingtai_to_d_and_keeps_the_total(xingtai):
    Figure.objects.filter(region__code=LINCHENG, indicator__code="EN_MAJOR_ACCIDENTS").update(
        reported_value=1, verified_value=1, value=1
    )
    compute_scores(year=2015, region=xingtai)
    accident = TargetScore.objects.get(region=xingtai, indicator__code="EN_MAJOR_ACCIDENTS", basis="verified")
    # Rolled up: 0 + 1 = 1 > 0 -> not met; lower-is-better with T = 0 -> c = 0 -> 0 points.
    assert (accident.actual, accident.completion, accident.points) == (D(1), D(0), D(0))
    verified = RegionScore.objects.get(region=xingtai, year=2015, basis="verified")
    # 77.085 - 4 = 73.085 -> 73.09 (kept), but the failed veto forces D.
    assert (verified.total, verified.grade, verified.vetoed) == (Decimal("73.09"), "D", True)
