"""Test data for the dashboards: regions, figures, plans, targets and precomputed scores.

The dashboards only read scores, so these helpers write RegionScore / TargetScore
rows directly (with a ScoreRun as their audit parent), computed from the figures
and targets they create by the default rule of DESIGN §3 (ratio, cap 1, grades
90/80/60, competition ranks among siblings). Tests then read the expected numbers
back from these rows, never from literals.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from indicators.models import (
    Figure,
    Indicator,
    Plan,
    Region,
    RegionScore,
    ScoreRun,
    Target,
    TargetScore,
)

INDICATORS = [
    "PQ_SAMPLING_PASS",
    "PQ_GRADE_RATE",
    "AG_CERTIFIED_PASS",
    "EN_MAJOR_ACCIDENTS",
    "BR_CHINA_TOP_BRAND",
    "BR_PROV_TOP_BRAND",
    "QM_MUNICIPAL_QUALITY_AWARD",
    "QI_INVESTMENT",
]
YEARS = range(2010, 2016)
BASE_YEAR, HORIZON = 2010, 2015
Q4 = Decimal("0.0001")


def unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def make_tree(n_counties: int, prefix: str = "99") -> tuple[Region, Region, list[Region]]:
    """A synthetic province `{prefix}0000` with one city and `n_counties` counties (codes no real region uses)."""
    prov = Region.objects.create(
        code=f"{prefix}0000", name=f"测试省{prefix}", level="province", path=f"/{prefix}0000/"
    )
    city = Region.objects.create(
        code=f"{prefix}0100",
        name=f"测试市{prefix}",
        level="city",
        parent=prov,
        path=f"/{prefix}0000/{prefix}0100/",
        longitude=Decimal("115.000000"),
        latitude=Decimal("37.000000"),
    )
    counties = Region.objects.bulk_create(
        [
            Region(
                code=f"{prefix}01{i:02d}",
                name=f"测试{i}县",
                level="county",
                parent=city,
                path=f"/{prefix}0000/{prefix}0100/{prefix}01{i:02d}/",
                longitude=Decimal(str(round(114.3 + 1.4 * unit("lon", prefix, i), 6))),
                latitude=Decimal(str(round(36.6 + 1.0 * unit("lat", prefix, i), 6))),
            )
            for i in range(1, n_counties + 1)
        ]
    )
    return prov, city, counties


def demo_like_value(ind: Indicator, region: Region, year: int) -> Decimal:
    u = unit(ind.code, region.code, year)
    progress = (year - BASE_YEAR) / (HORIZON - BASE_YEAR)
    if ind.direction == Indicator.Direction.LOWER:
        return Decimal(int(u < 0.12))
    if ind.kind == Indicator.Kind.RATE:
        start = 84 + 8 * unit(ind.code, region.code)
        return Decimal(str(round(min(100.0, start + (8 + 4 * u) * progress), 2)))
    if ind.kind == Indicator.Kind.AMOUNT:
        return Decimal(str(round(300 + 900 * progress + 200 * u, 1)))
    base = 1 + 6 * unit(ind.code, region.code)
    return Decimal(int(base * (1 + progress) + 2 * u))


def add_figures(
    regions: list[Region], indicators: list[Indicator], years=YEARS, *, adjust_share: float = 0.15
) -> list[Figure]:
    """Approved figures; a county's verified value is sometimes cut on verification.

    A city enters no `sum` indicator, so its actual rolls up from its counties.
    """
    rows = []
    for r in regions:
        for ind in indicators:
            if r.level != Region.Level.COUNTY and ind.aggregation == Indicator.Aggregation.SUM:
                continue
            for y in years:
                reported = demo_like_value(ind, r, y)
                verified = reported
                if (
                    r.level == Region.Level.COUNTY
                    and unit("adj", r.code, ind.code, y) < adjust_share
                    and reported > 0
                ):
                    step = Decimal(1) if ind.kind == Indicator.Kind.COUNT else Decimal("1.5")
                    verified = max(Decimal(0), reported - step)
                rows.append(
                    Figure(
                        region=r,
                        indicator=ind,
                        year=y,
                        value=verified,
                        reported_value=reported,
                        verified_value=verified,
                        status=Figure.Status.APPROVED,
                        source=Figure.Source.DEMO,
                        adjust_reason="现场核查核减" if verified != reported else "",
                    )
                )
    return Figure.objects.bulk_create(rows, batch_size=2000)


def approved_figures(region: Region, indicator: Indicator, values: dict[int, str]) -> None:
    """Approved figures of one region and indicator by year, reported = verified = value."""
    rows = []
    for year, v in values.items():
        value = Decimal(v)
        rows.append(
            Figure(
                region=region,
                indicator=indicator,
                year=year,
                value=value,
                reported_value=value,
                verified_value=value,
                status=Figure.Status.APPROVED,
            )
        )
    Figure.objects.bulk_create(rows)


def add_plan_targets(regions: list[Region], indicators: list[Indicator], *, tag: str = "") -> None:
    """A 2011–2015 plan per region: a horizon target per indicator and interpolated milestones."""
    base = {
        (f.region_id, f.indicator_id): f.verified_value
        for f in Figure.objects.filter(region__in=regions, indicator__in=indicators, year=BASE_YEAR)
    }
    rows = []
    for r in regions:
        plan = Plan.objects.create(
            name=f"{r.name}（{r.code}）{tag}质量强市2011-2015",
            region=r,
            base_year=BASE_YEAR,
            start_year=2011,
            end_year=HORIZON,
        )
        for ind in indicators:
            b = base.get((r.pk, ind.pk))
            if ind.direction == Indicator.Direction.LOWER:
                goal = Decimal(0)
            elif ind.kind == Indicator.Kind.RATE:
                goal = Decimal(str(96 + 3 * round(unit("goal", r.code, ind.code), 2)))
            elif b is not None:
                goal = (b * Decimal("1.8")).quantize(Decimal(1))
            else:
                goal = Decimal(10)
            comparator = ind.default_comparator
            for y in range(BASE_YEAR + 1, HORIZON + 1):
                if y == HORIZON or b is None:
                    value = goal
                else:
                    value = (b + (goal - b) * (y - BASE_YEAR) / (HORIZON - BASE_YEAR)).quantize(
                        Q4, ROUND_HALF_UP
                    )
                rows.append(
                    Target(
                        plan=plan,
                        region=r,
                        indicator=ind,
                        year=y,
                        comparator=comparator,
                        value=value,
                        weight=Decimal(4 if ind.kind == Indicator.Kind.RATE else 3),
                        veto=ind.code == "EN_MAJOR_ACCIDENTS",
                        is_milestone=y != HORIZON,
                    )
                )
    Target.objects.bulk_create(rows, batch_size=2000)


def _actuals(regions: list[Region], indicators: list[Indicator], year: int, basis: str) -> dict:
    """Own figure, else the sum over children (one level is enough for these trees)."""
    figs = Figure.objects.filter(indicator__in=indicators, year=year).filter(
        region__path__startswith=min((r.path for r in regions), key=len)
    )
    own = {}
    for f in figs:
        v = f.reported_value if basis == "self" else f.verified_value
        own[(f.region_id, f.indicator_id)] = v
    sums: dict = defaultdict(Decimal)
    parents = {
        r.pk: r.parent_id
        for r in Region.objects.filter(path__startswith=min((r.path for r in regions), key=len))
    }
    for (rid, iid), v in own.items():
        p = parents.get(rid)
        if p is not None:
            sums[(p, iid)] += v
    by_id = {i.pk: i for i in indicators}
    out = {}
    for r in regions:
        for ind in indicators:
            key = (r.pk, ind.pk)
            if key in own:
                out[key] = own[key]
            elif by_id[ind.pk].aggregation == Indicator.Aggregation.SUM and key in sums:
                out[key] = sums[key]
    return out


def _grade(total: Decimal) -> str:
    return "A" if total >= 90 else "B" if total >= 80 else "C" if total >= 60 else "D"


def add_scores(regions: list[Region], years=(2014, 2015), bases=("self", "verified")) -> ScoreRun:
    """TargetScore and RegionScore rows for every region with targets, by the default rule."""
    indicators = list(Indicator.objects.filter(target__region__in=regions).distinct())
    run = ScoreRun.objects.create(year=max(years), basis="verified", trigger="test", status="done")
    ts_rows, rs_rows = [], []
    for year in years:
        targets = list(Target.objects.filter(region__in=regions, year=year).select_related("indicator"))
        for basis in bases:
            actual = _actuals(regions, indicators, year, basis)
            per_region: dict[int, dict] = {}
            for t in targets:
                a = actual.get((t.region_id, t.indicator_id))
                higher = t.comparator == ">="
                if a is None:
                    c, pts, status = None, Decimal(0), "missing"
                else:
                    if higher:
                        c = a / t.value if t.value > 0 else Decimal(1)
                    else:
                        c = Decimal(1) if a <= t.value else (t.value / a if t.value > 0 else Decimal(0))
                    pts = (t.weight * min(c, Decimal(1))).quantize(Q4, ROUND_HALF_UP)
                    status = "met" if (a >= t.value if higher else a <= t.value) else "not_met"
                acc = per_region.setdefault(
                    t.region_id,
                    {
                        "pts": Decimal(0),
                        "max": Decimal(0),
                        "met": 0,
                        "not_met": 0,
                        "missing": 0,
                        "veto": False,
                    },
                )
                acc["pts"] += pts
                acc["max"] += t.weight
                acc[status] += 1
                acc["veto"] |= t.veto and status == "not_met"
                ts_rows.append(
                    TargetScore(
                        run=run,
                        region_id=t.region_id,
                        indicator_id=t.indicator_id,
                        year=year,
                        basis=basis,
                        actual=a,
                        target=t.value,
                        comparator=t.comparator,
                        completion=None if c is None else c.quantize(Decimal("0.000001"), ROUND_HALF_UP),
                        points=pts,
                        weight=t.weight,
                        status=status,
                        veto=t.veto,
                    )
                )
            by_parent: dict = defaultdict(list)
            region_by_id = {r.pk: r for r in regions}
            for rid, acc in per_region.items():
                total = (100 * acc["pts"] / acc["max"]).quantize(Decimal("0.01"), ROUND_HALF_UP)
                acc["total"] = total
                by_parent[region_by_id[rid].parent_id].append(rid)
            for sibs in by_parent.values():
                ordered = sorted(sibs, key=lambda rid: -per_region[rid]["total"])
                for rid in sibs:
                    acc = per_region[rid]
                    rank = 1 + sum(1 for o in ordered if per_region[o]["total"] > acc["total"])
                    rs_rows.append(
                        RegionScore(
                            run=run,
                            region_id=rid,
                            year=year,
                            basis=basis,
                            total=acc["total"],
                            grade="D" if acc["veto"] else _grade(acc["total"]),
                            rank=rank,
                            rank_of=len(sibs),
                            points=acc["pts"],
                            max_points=acc["max"],
                            met=acc["met"],
                            not_met=acc["not_met"],
                            missing=acc["missing"],
                            vetoed=acc["veto"],
                        )
                    )
    TargetScore.objects.bulk_create(ts_rows, batch_size=2000)
    RegionScore.objects.bulk_create(rs_rows, batch_size=2000)
    return run


def build_city(n_counties: int, prefix: str = "99") -> dict:
    """A synthetic city with `n_counties` counties, figures 2010–2015, plans, targets, scores 2014–2015."""
    prov, city, counties = make_tree(n_counties, prefix)
    indicators = list(Indicator.objects.filter(code__in=INDICATORS))
    add_figures([city, *counties], indicators)
    add_plan_targets([city, *counties], indicators)
    add_scores([city, *counties])
    return {"province": prov, "city": city, "counties": counties, "indicators": indicators}


def build_province(
    n_cities: int, prefix: str = "95", counties_per_city: int = 2
) -> tuple[Region, list[Region]]:
    """A synthetic province with `n_cities` cities (each with a few counties), all scored."""
    prov = Region.objects.create(
        code=f"{prefix}0000", name=f"测试省{prefix}", level="province", path=f"/{prefix}0000/"
    )
    cities, counties = [], []
    for i in range(1, n_cities + 1):
        code = f"{prefix}{i:02d}00"
        c = Region.objects.create(
            code=code,
            name=f"测试{i}市",
            level="city",
            parent=prov,
            path=f"/{prefix}0000/{code}/",
            longitude=Decimal(str(round(113 + 3 * unit("lon", code), 6))),
            latitude=Decimal(str(round(36 + 2 * unit("lat", code), 6))),
        )
        cities.append(c)
        for j in range(1, counties_per_city + 1):
            kc = f"{prefix}{i:02d}{j:02d}"
            counties.append(
                Region.objects.create(
                    code=kc,
                    name=f"测试{i}市{j}县",
                    level="county",
                    parent=c,
                    path=f"/{prefix}0000/{code}/{kc}/",
                )
            )
    indicators = list(Indicator.objects.filter(code__in=INDICATORS))
    add_figures([*cities, *counties], indicators)
    add_plan_targets(cities, indicators, tag=prefix)
    add_scores(cities)
    return prov, cities
