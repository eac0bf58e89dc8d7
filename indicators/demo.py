"""Demo data for `seed_demo`: five seed cities, their counties, real and demo figures, users.

Idempotent: every row is keyed (figures by region/indicator/year, users by
username, the plan by name); a second run creates nothing and never overwrites
a figure that already exists — demo data must not clobber real entries.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import Profile, Role
from indicators.catalog import FIXTURES, ensure_default_scheme, load_catalog, load_regions
from indicators.models import Figure, Indicator, Plan, Region, Target

# The five cities of the seed texts (shared/seeds/).
SEED_CITIES = {
    "130300": "秦皇岛市",
    "130500": "邢台市",
    "130700": "张家口市",
    "140500": "晋城市",
    "210700": "锦州市",
}
DEMO_YEARS = range(2010, 2017)  # the Xingtai plan's base year 2010 to Zhangjiakou's 2016
DEMO_NOTE = "演示数据"
DEMO_PASSWORD = "Demo-2026!"  # noqa: S105 — a published demo password, listed in README.md
DEMO_COUNTY = "130528"  # 宁晋县, a county of 邢台市
PENDING_COUNTIES = {"130528", "130525"}  # 宁晋县, 隆尧县: 2016 figures submitted, not yet approved
XINGTAI_PLAN = "邢台市质量兴市2011-2015"

DEMO_USERS = [
    # username, region code, roles, display name
    ("hebei_reviewer", "130000", [Role.REVIEWER], "河北省审核员"),
    ("xingtai_staff", "130500", [Role.STAFF], "邢台市填报员"),
    ("xingtai_reviewer", "130500", [Role.REVIEWER], "邢台市审核员"),
    ("xingtai_leader", "130500", [Role.LEADER], "邢台市领导"),
    ("xingtai_admin", "130500", [Role.ADMIN], "邢台市管理员"),
    ("ningjin_staff", DEMO_COUNTY, [Role.STAFF], "宁晋县填报员"),
    ("ningjin_reviewer", DEMO_COUNTY, [Role.REVIEWER], "宁晋县审核员"),
    ("ningjin_leader", DEMO_COUNTY, [Role.LEADER], "宁晋县领导"),
    ("ningjin_admin", DEMO_COUNTY, [Role.ADMIN], "宁晋县管理员"),
]


@dataclass
class SeedResult:
    created: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, n: int) -> None:
        self.created[key] = self.created.get(key, 0) + n

    def __str__(self) -> str:
        return "，".join(f"{k} {v}" for k, v in self.created.items()) or "无新增"


def _unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (stable across runs and machines)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def demo_value(indicator: Indicator, region: Region, year: int) -> Decimal:
    """A plausible value that improves over the years; counties smaller than cities."""
    u = _unit(indicator.code, region.code, year)
    progress = (year - DEMO_YEARS.start) / (DEMO_YEARS.stop - DEMO_YEARS.start)
    scale = 1 if region.level == Region.Level.COUNTY else 6
    if indicator.kind in (Indicator.Kind.RATE, Indicator.Kind.INDEX):
        if indicator.direction == Indicator.Direction.LOWER:
            value = Decimal(str(round(0.6 * (1 - progress) * u, 2)))
        else:
            hi = float(indicator.max_value or 100)
            value = Decimal(str(round(min(hi, hi * (0.78 + 0.17 * progress + 0.06 * u)), 2)))
    elif indicator.direction == Indicator.Direction.LOWER:
        # Accidents are rare: with ~20 counties rolling up, a city should mostly see none.
        value = Decimal(int(u < 0.01))
    else:
        base = 1 + 12 * _unit(indicator.code, region.code)
        value = Decimal(int(scale * base * (0.6 + 0.8 * progress) + 3 * u))
    if indicator.min_value is not None:
        value = max(value, indicator.min_value)
    if indicator.max_value is not None:
        value = min(value, indicator.max_value)
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _ensure_users(result: SeedResult) -> dict[str, User]:
    users: dict[str, User] = {}
    regions = {r.code: r for r in Region.objects.filter(code__in={u[1] for u in DEMO_USERS})}
    for username, code, roles, display in DEMO_USERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=display,
                is_staff=Role.ADMIN in roles,
            )
            result.add("用户", 1)
        Profile.objects.get_or_create(user=user, defaults={"region": regions[code], "roles": list(roles)})
        users[username] = user
    if not User.objects.filter(username="admin").exists():
        User.objects.create_superuser("admin", "admin@example.invalid", DEMO_PASSWORD)
        result.add("用户", 1)
    return users


def _seed_figures(result: SeedResult, reviewer: User) -> None:
    indicators = {i.code: i for i in Indicator.objects.all()}
    existing = set(Figure.objects.values_list("region__code", "indicator__code", "year"))
    regions = {r.code: r for r in Region.objects.all()}
    now = timezone.now()
    new: list[Figure] = []
    with (FIXTURES / "seed_figures.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["region_code"], row["indicator_code"], int(row["year"]))
            if key in existing:
                continue
            value = Decimal(row["value"])
            note = row["note"] or ""
            new.append(
                Figure(
                    region=regions[key[0]],
                    indicator=indicators[key[1]],
                    year=key[2],
                    value=value,
                    reported_value=value,
                    verified_value=value,
                    status=Figure.Status.APPROVED,
                    source=Figure.Source.SEED,
                    source_ref=row["source"],
                    note=f"来源：{row['source']}" + (f"；{note}" if note else ""),
                    approved_at=now,
                )
            )
            existing.add(key)
    bulk_create_with_history(new, Figure, batch_size=2000)
    result.add("公开数据", len(new))

    new = []
    for city_code in SEED_CITIES:
        city = regions[city_code]
        counties = [r for r in regions.values() if r.parent_id == city.pk]
        for region in [city, *counties]:
            for indicator in indicators.values():
                # A city's `sum` indicators roll up from its counties unless it enters its own.
                if region.level == Region.Level.CITY and indicator.aggregation == Indicator.Aggregation.SUM:
                    continue
                for year in DEMO_YEARS:
                    key = (region.code, indicator.code, year)
                    if key in existing:
                        continue
                    reported = demo_value(indicator, region, year)
                    verified = reported
                    # A few counties over-report a little, so self vs verified differ.
                    if region.level == Region.Level.COUNTY and _unit("adjust", *key) < 0.05 and reported > 0:
                        step = Decimal("1") if indicator.kind == Indicator.Kind.COUNT else Decimal("0.5")
                        verified = max(Decimal(0), reported - step)
                    # 2016 is the year under review: two counties' figures still await approval.
                    approved = year <= 2015 or region.code not in PENDING_COUNTIES
                    new.append(
                        Figure(
                            region=region,
                            indicator=indicator,
                            year=year,
                            value=verified if approved else reported,
                            reported_value=reported,
                            verified_value=verified if approved else None,
                            status=Figure.Status.APPROVED if approved else Figure.Status.SUBMITTED,
                            adjust_reason="现场核查核减" if approved and verified != reported else "",
                            source=Figure.Source.DEMO,
                            note=DEMO_NOTE,
                            approved_by=reviewer if approved else None,
                            approved_at=now if approved else None,
                            submitted_at=now,
                        )
                    )
    bulk_create_with_history(new, Figure, batch_size=2000)
    result.add("演示数据", len(new))


def _seed_xingtai_plan(result: SeedResult) -> None:
    """The real 2015 horizon targets of 邢政〔2012〕10号, weight 4 each (25 targets = 100)."""
    xingtai = Region.objects.get(code="130500")
    plan, created = Plan.objects.get_or_create(
        name=XINGTAI_PLAN,
        defaults={
            "region": xingtai,
            "base_year": 2010,
            "start_year": 2011,
            "end_year": 2015,
            "document": "邢政〔2012〕10号",
            "description": "邢台市质量兴市实施方案（2011—2015年）主要目标",
        },
    )
    result.add("规划", int(created))
    indicators = {i.code: i for i in Indicator.objects.all()}
    existing = set(Target.objects.filter(region=xingtai).values_list("indicator__code", "year"))
    new = []
    with (FIXTURES / "xingtai_2015_targets.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["indicator_code"], int(row["target_year"]))
            if key in existing:
                continue
            new.append(
                Target(
                    plan=plan,
                    region=xingtai,
                    indicator=indicators[key[0]],
                    year=key[1],
                    comparator=row["comparator"],
                    value=Decimal(row["target"]),
                    weight=Decimal("4"),
                    veto=key[0] == "EN_MAJOR_ACCIDENTS",
                    note=row["note"],
                )
            )
    bulk_create_with_history(new, Target, batch_size=500)
    result.add("目标", len(new))


@transaction.atomic
def seed_demo() -> SeedResult:
    """Load regions and catalogue if needed, then users, real figures, demo figures, the plan."""
    result = SeedResult()
    if not Region.objects.filter(code="130500").exists():
        load_regions()
    if Indicator.objects.count() == 0:
        load_catalog()
    ensure_default_scheme()
    users = _ensure_users(result)
    _seed_figures(result, users["xingtai_reviewer"])
    _seed_xingtai_plan(result)
    # These modules import this one's constants, so they are imported here.
    from assessments.demo import seed_assessment_demo
    from awards.demo import seed_awards
    from indicators.demo_extra import seed_extra

    # Milestones, county targets, items and scores; then the awards registry;
    # then 邢台市's published 2015 county assessment, which needs the scores.
    seed_extra(result)
    seed_awards(result)
    seed_assessment_demo(result)
    return result
