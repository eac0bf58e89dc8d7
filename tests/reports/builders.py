"""Scored test data for the reports: a city, its counties, targets, approved figures,
qualitative items, evidence and grants, scored by the real scoring service.

Values are deterministic (a hash of region, indicator and year), so every run
produces the same totals. Two counties get identical figures and targets, so they
tie and must share a rank.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from indicators.models import (
    Evidence,
    Figure,
    Indicator,
    ItemScore,
    QualitativeItem,
    Region,
    ScoringScheme,
    Target,
)
from indicators.scoring_service import compute_scores

# Indicators of several categories and kinds (rates and counts).
INDICATORS = [
    "PQ_SAMPLING_PASS",
    "PQ_GRADE_RATE",
    "PQ_STD_COVERAGE",
    "PQ_SUPERIOR_RATE",
]


def _unit(*parts: object) -> float:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


@dataclass
class ScoredCity:
    city: Region
    counties: list[Region]
    tied: tuple[str, str]  # two county codes with equal totals
    year: int


def indicator_codes(n: int = 12) -> list[str]:
    """`n` rate / count indicators spread over the categories (catalogue order)."""
    chosen: list[str] = list(INDICATORS)
    for ind in Indicator.objects.exclude(code__in=chosen).order_by("category", "sort_order"):
        if len(chosen) >= n:
            break
        usable = ind.kind in (Indicator.Kind.RATE, Indicator.Kind.COUNT)
        higher = ind.direction == Indicator.Direction.HIGHER
        prefix = ind.code.split("_")[0]
        if usable and higher and sum(1 for c in chosen if c.split("_")[0] == prefix) < 2:
            chosen.append(ind.code)
    return chosen[:n]


def _value(ind: Indicator, key: str, year: int) -> Decimal:
    u = _unit(ind.code, key, year)
    if ind.kind == Indicator.Kind.RATE:
        hi = float(ind.max_value or 100)
        return Decimal(str(round(hi * (0.80 + 0.19 * u), 2)))
    return Decimal(int(3 + 10 * u))


def _target(ind: Indicator, year: int) -> Decimal:
    if ind.kind == Indicator.Kind.RATE:
        return Decimal(str(round(float(ind.max_value or 100) * (0.90 + 0.005 * (year % 5)), 2)))
    return Decimal(8)


def build_scored_city(
    *,
    city_code: str = "130500",
    years: tuple[int, ...] = (2014, 2015),
    n_indicators: int = 12,
    n_counties: int | None = None,
    with_items: bool = True,
    with_evidence: bool = True,
    with_awards: bool = True,
) -> ScoredCity:
    city = Region.objects.get(code=city_code)
    counties = list(Region.objects.filter(parent=city).order_by("code"))
    if n_counties is not None:
        counties = counties[:n_counties]
    indicators = list(Indicator.objects.filter(code__in=indicator_codes(n_indicators)))
    tied = (counties[0].code, counties[1].code)
    now = timezone.now()
    targets, figures = [], []
    for year in years:
        for region in [city, *counties]:
            # The tied pair share their figures: same key for both.
            key = tied[0] if region.code in tied else region.code
            for i, ind in enumerate(indicators):
                targets.append(
                    Target(
                        region=region,
                        indicator=ind,
                        year=year,
                        comparator=">=",
                        value=_target(ind, year),
                        weight=Decimal(6 if i % 3 == 0 else 4),
                        veto=False,
                    )
                )
                # A county misses one indicator each year, for a `missing` status.
                if region != city and (i + year + int(key[-2:])) % 11 == 0:
                    continue
                value = _value(ind, key, year)
                figures.append(
                    Figure(
                        region=region,
                        indicator=ind,
                        year=year,
                        value=value,
                        reported_value=value + (Decimal("0.5") if ind.kind == Indicator.Kind.RATE else 0),
                        verified_value=value,
                        status=Figure.Status.APPROVED,
                        approved_at=now,
                        submitted_at=now,
                        source=Figure.Source.IMPORT,
                    )
                )
    Target.objects.bulk_create(targets)
    Figure.objects.bulk_create(figures)

    year = max(years)
    if with_items:
        scheme = ScoringScheme.objects.get(is_default=True)
        for n, (code, name, max_points) in enumerate(
            [
                ("QI_LEADERSHIP", "组织领导：成立质量强市工作领导小组，定期研究部署", Decimal(5)),
                ("QI_PLANNING", "规划实施：制定并落实质量发展规划和年度计划", Decimal(5)),
                ("QI_PUBLICITY", "宣传培训：开展质量月等宣传活动和质量培训", Decimal(4)),
            ]
        ):
            item, _ = QualitativeItem.objects.get_or_create(
                scheme=scheme, code=code, defaults={"name": name, "max_points": max_points, "sort_order": n}
            )
            for region in [city, *counties]:
                for y in years:
                    self_points = max_points - Decimal(n) * Decimal("0.5")
                    ItemScore.objects.create(
                        item=item,
                        region=region,
                        year=y,
                        self_points=self_points,
                        self_reason="已按要求完成",
                        verified_points=self_points - (Decimal(1) if n == 1 else 0),
                        verified_reason="核查发现部分材料不完整，核减1分" if n == 1 else "",
                    )
    if with_evidence:
        fig = Figure.objects.filter(region=city, year=year).order_by("indicator__sort_order").first()
        for n in range(2):
            content = f"佐证材料 {n} {city.name} {year}".encode()
            sha = hashlib.sha256(content).hexdigest()
            ev = Evidence(
                figure=fig,
                original_name=f"{year}年{fig.indicator.name_zh}佐证材料{n + 1}.pdf",
                content_type="application/pdf",
                size=len(content),
                sha256=sha,
            )
            ev.file.save(f"e{n}.pdf", ContentFile(content), save=False)
            ev.save()
    if with_awards:
        _grants(city, counties, year)
    for y in sorted(years):
        compute_scores(year=y, region=city, trigger="test")
    return ScoredCity(city=city, counties=counties, tied=tied, year=year)


def _grants(city: Region, counties: list[Region], year: int) -> None:
    from awards.credit_code import make_credit_code
    from awards.models import AwardType, Enterprise, Grant

    brand, _ = AwardType.objects.get_or_create(
        code="TEST_PROV_BRAND",
        defaults={
            "name": "河北省名牌产品",
            "level": "provincial",
            "kind": "product_brand",
            "validity_years": 3,
        },
    )
    for n, county in enumerate(counties[:3]):
        ent = Enterprise.objects.create(
            name=f"{county.name}测试机械有限公司",
            credit_code=make_credit_code(f"91{county.code}MA0TEXT{n:02d}"),
            region=county,
        )
        Grant.objects.create(
            award_type=brand,
            enterprise=ent,
            name=f"测试牌{n + 1}号产品",
            year_granted=year,
            valid_until=year + 2,
        )
