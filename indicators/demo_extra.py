"""Demo planning and scoring data, called by `seed_demo` after the Xingtai plan exists.

1. Milestones 2011–2014 of the Xingtai plan, interpolated from the 2010 actuals.
2. A county plan of 邢台市 (2011–2016): for each of its counties, 15 targets for
   2016 derived from the county's own 2010 value, and milestones 2011–2015
   interpolated from it — so counties can be compared and ranked.
3. Three qualitative items (评分细则) in the default scheme with self points for
   2011–2016 and verified points for 2011–2015 (2016 is not verified yet).
4. Scores of 2011–2016, both bases, so dashboards have results after `make run`.

Idempotent: every row is keyed; a second run creates nothing and only recomputes
the scores (which gives the same rows).
"""

from __future__ import annotations

import hashlib
import math
from decimal import ROUND_HALF_UP, Decimal

from simple_history.utils import bulk_create_with_history

from indicators.demo import XINGTAI_PLAN
from indicators.models import Indicator, ItemScore, Plan, QualitativeItem, Region, Target
from indicators.scoring_service import compute_scores, scheme_for_scoring
from indicators.targets import best_actuals, plan_generate_milestones

COUNTY_PLAN = "邢台市县（市、区）质量工作目标2011-2016"
SCORED_YEARS = range(2011, 2017)

# indicator code -> (weight, rule, rule_param, veto); weights add up to 100.
COUNTY_TARGETS: dict[str, tuple[int, str, str | None, bool]] = {
    "PQ_SAMPLING_PASS": (7, "threshold", None, False),
    "PQ_GRADE_RATE": (7, "ratio", None, False),
    "PQ_FOOD_PASS": (7, "ratio", None, False),
    "AG_CERTIFIED_PASS": (7, "threshold", None, False),
    "EN_ACCEPTANCE_PASS": (7, "threshold", None, False),
    "ENV_SOLID_WASTE_UTIL": (7, "ratio", None, False),
    "QM_ISO9000_RATE": (7, "ratio", None, False),
    "SV_CUSTOMER_SATISFACTION": (7, "ratio", None, False),
    "BR_PROV_TOP_BRAND": (6, "ratio", None, False),
    "QM_QMS_CERTIFICATES": (6, "ratio", None, False),
    "ST_LOCAL_STANDARDS": (6, "ratio", None, False),
    "AG_STD_ZONES": (6, "ratio", None, False),
    "QI_LOCAL_LABS": (6, "ratio", None, False),
    # The city's own accident target is the veto (邢政〔2012〕10号); counties lose 8 points.
    "EN_MAJOR_ACCIDENTS": (8, "threshold", None, False),
    "SF_EQUIPMENT_DEATH_RATE": (6, "deduct", "10", False),
}

DEMO_ITEMS = [
    # code, name, max points, guidance, evidence
    (
        "QL_LEADERSHIP",
        "质量工作组织领导",
        Decimal("4"),
        "成立质量强县工作领导小组并定期研究部署得满分；未召开专题会议扣 1 分。",
        "领导小组文件、会议纪要",
    ),
    (
        "QL_PUBLICITY",
        "质量宣传与培训",
        Decimal("3"),
        "开展“质量月”活动和质量培训，每缺一项扣 1 分。",
        "活动方案、培训签到表、照片",
    ),
    (
        "QL_CREDIT",
        "质量诚信体系建设",
        Decimal("3"),
        "建立企业质量信用档案并公开失信名单得满分。",
        "信用档案清单、公示截图",
    ),
]


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _horizon_value(indicator: Indicator, county: Region, base: Decimal | None) -> Decimal:
    """A 2016 target a county could plausibly set from its 2010 value."""
    u = _unit("county-target", county.code, indicator.code)
    if indicator.direction == Indicator.Direction.LOWER:
        return Decimal("0") if indicator.kind == Indicator.Kind.COUNT else Decimal("0.2")
    if indicator.kind == Indicator.Kind.COUNT:
        start = base if base is not None else Decimal(2)
        return Decimal(max(1, math.ceil(float(start) * (1.7 + 0.8 * u))))
    hi = indicator.max_value or Decimal(100)
    start = base if base is not None else hi * Decimal("0.8")
    value = start + (hi - start) * Decimal(str(0.55 + 0.35 * u))
    return min(hi, value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _county_plan(result) -> Plan:
    xingtai = Region.objects.get(code="130500")
    plan, created = Plan.objects.get_or_create(
        name=COUNTY_PLAN,
        defaults={
            "region": xingtai,
            "base_year": 2010,
            "start_year": 2011,
            "end_year": 2016,
            "description": "邢台市对所辖县（市、区）的质量工作目标考核（演示数据）",
        },
    )
    result.add("规划", int(created))
    counties = list(Region.objects.filter(parent=xingtai).order_by("code"))
    indicators = {i.code: i for i in Indicator.objects.filter(code__in=COUNTY_TARGETS)}
    base = best_actuals(regions=counties, indicator_codes=COUNTY_TARGETS, years=[2010])
    existing = set(
        Target.objects.filter(region__in=counties, year=plan.end_year).values_list(
            "region_id", "indicator__code"
        )
    )
    new = []
    for county in counties:
        for code, (weight, rule, param, veto) in COUNTY_TARGETS.items():
            if (county.pk, code) in existing:
                continue
            indicator = indicators[code]
            new.append(
                Target(
                    plan=plan,
                    region=county,
                    indicator=indicator,
                    year=plan.end_year,
                    comparator=indicator.default_comparator,
                    value=_horizon_value(indicator, county, base.get((county.code, code, 2010))),
                    weight=Decimal(weight),
                    rule=rule,
                    rule_param=Decimal(param) if param else None,
                    veto=veto,
                    note="演示目标",
                )
            )
    bulk_create_with_history(new, Target, batch_size=1000)
    result.add("区县目标", len(new))
    return plan


def _items(result) -> None:
    scheme = scheme_for_scoring()
    items = []
    for order, (code, name, max_points, guidance, evidence) in enumerate(DEMO_ITEMS, start=1):
        item, created = QualitativeItem.objects.get_or_create(
            scheme=scheme,
            code=code,
            defaults={
                "name": name,
                "max_points": max_points,
                "guidance": guidance,
                "evidence_required": evidence,
                "sort_order": order,
            },
        )
        result.add("定性评分项", int(created))
        items.append(item)
    counties = list(Region.objects.filter(parent__code="130500"))
    existing = set(ItemScore.objects.filter(item__in=items).values_list("item_id", "region_id", "year"))
    new = []
    half = Decimal("0.5")
    for county in counties:
        for year in SCORED_YEARS:
            for item in items:
                if (item.pk, county.pk, year) in existing:
                    continue
                u = _unit("item", county.code, item.code, year)
                self_points = (
                    item.max_points * Decimal(str(0.7 + 0.3 * u)) / half
                ).to_integral_value() * half
                cut = half * int(3 * _unit("verify", county.code, item.code, year))
                verified = max(Decimal(0), self_points - cut) if year <= 2015 else None
                new.append(
                    ItemScore(
                        item=item,
                        region=county,
                        year=year,
                        self_points=self_points,
                        self_reason="按评分标准自评（演示数据）",
                        verified_points=verified,
                        verified_reason=(
                            "现场核查核减" if verified is not None and verified < self_points else ""
                        ),
                    )
                )
    bulk_create_with_history(new, ItemScore, batch_size=1000)
    result.add("定性评分", len(new))


def seed_extra(result) -> None:
    xingtai_plan = Plan.objects.get(name=XINGTAI_PLAN)
    result.add("分解目标", plan_generate_milestones(plan=xingtai_plan).created)
    county_plan = _county_plan(result)
    result.add("分解目标", plan_generate_milestones(plan=county_plan).created)
    _items(result)
    runs = 0
    for year in SCORED_YEARS:
        runs += len(compute_scores(year=year, trigger="seed_demo"))
    result.add("评分运行", runs)
