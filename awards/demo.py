"""Demo data of the awards registry, called at the end of `seed_demo`.

- Fictional enterprises (names marked 演示) in three counties of each seed city,
  with valid credit codes computed by awards.credit_code.
- Brand and award grants from 2017 on (after the demo figures of 2010-2016, so
  derived counts never clash with them), one of them revoked mid-year.
- The derived brand-count figures of those grants.
- One round of 邢台市's mayor's quality award in progress: applications at
  several stages, three expert reviewers (users without roles, who see only
  the applications assigned to them) and their score sheets.

Idempotent: enterprises are keyed by credit code, grants by their unique key,
the round by name; a second run writes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.models import Profile
from awards import rounds
from awards.catalog import load_award_types
from awards.credit_code import CHARSET, make_credit_code
from awards.models import (
    Application,
    ApplicationFile,
    AwardType,
    Enterprise,
    Grant,
    QualityAwardRound,
    ReviewAssignment,
    Stage,
)
from awards.services import derived_figures_rebuild
from indicators.demo import DEMO_PASSWORD, SEED_CITIES, _unit
from indicators.models import Region

COUNTIES_PER_CITY = 3
ENTERPRISES_PER_COUNTY = 2
GRANT_YEARS = range(2017, 2025)
ROUND_NAME = "邢台市第三届市长质量奖（演示）"
ROUND_YEAR = 2025
EXPERTS = [
    ("xingtai_expert1", "质量奖评审专家甲"),
    ("xingtai_expert2", "质量奖评审专家乙"),
    ("xingtai_expert3", "质量奖评审专家丙"),
]
TRADES = [
    ("机械制造", "C"),
    ("食品", "C"),
    ("建设工程", "E"),
    ("商贸", "F"),
    ("酒业", "C"),
    ("农业科技", "A"),
]
BRAND_TYPES = [
    "CHINA_TOP_BRAND",
    "CHINA_WELL_KNOWN_TM",
    "PROV_TOP_BRAND",
    "PROV_TOP_BRAND",
    "PROV_QUALITY_PRODUCT",
    "PROV_QUALITY_PRODUCT",
    "PROV_SERVICE_BRAND",
    "PROV_FAMOUS_TM",
    "GI_PROTECTED",
    "PROV_TIME_HONORED",
    "PROV_QUALITY_AWARD_ORG",
    "LUBAN_PRIZE",
]


def demo_credit_code(county_code: str, serial: int) -> str:
    """91 (enterprise, company) + the county's division code + 'MA' + 7 characters + check."""
    digest = hashlib.sha256(f"{county_code}-{serial}".encode()).digest()
    body = "".join(CHARSET[b % len(CHARSET)] for b in digest[:7])
    return make_credit_code(f"91{county_code}MA{body}")


def _enterprises(result) -> list[Enterprise]:
    out: list[Enterprise] = []
    created = 0
    for city_code in SEED_CITIES:
        counties = Region.objects.filter(parent__code=city_code).order_by("code")[:COUNTIES_PER_CITY]
        for county in counties:
            short = county.name.removesuffix("县").removesuffix("区").removesuffix("市")
            for serial in range(ENTERPRISES_PER_COUNTY):
                trade, industry = TRADES[int(_unit("trade", county.code, serial) * len(TRADES))]
                enterprise, was_created = Enterprise.objects.get_or_create(
                    credit_code=demo_credit_code(county.code, serial),
                    defaults={
                        "name": f"{short}演示{trade}有限公司{'' if serial == 0 else serial + 1}",
                        "region": county,
                        "industry": industry,
                        "note": "演示数据",
                    },
                )
                created += int(was_created)
                out.append(enterprise)
    result.add("演示企业", created)
    return out


def _grants(result, enterprises: list[Enterprise]) -> None:
    types = {t.code: t for t in AwardType.objects.all()}
    created = 0
    for enterprise in enterprises:
        count = 1 + int(_unit("grants", enterprise.credit_code) * 3)
        for i in range(count):
            code = BRAND_TYPES[int(_unit("type", enterprise.credit_code, i) * len(BRAND_TYPES))]
            award_type = types[code]
            year = GRANT_YEARS.start + int(_unit("year", enterprise.credit_code, i) * len(GRANT_YEARS))
            name = f"{enterprise.name.split('演示')[0]}{award_type.name}{i + 1}号"
            grant, was_created = Grant.objects.get_or_create(
                award_type=award_type,
                enterprise=enterprise,
                name=name,
                year_granted=year,
                defaults={
                    "valid_until": award_type.default_valid_until(year),
                    "certificate_no": f"演示-{year}-{enterprise.pk:04d}-{i + 1}",
                    "note": "演示数据",
                },
            )
            created += int(was_created)
            # One provincial brand is revoked mid-year, to show revocation in the counts.
            if was_created and i == 0 and _unit("revoke", enterprise.credit_code) < 0.12:
                grant.revoked_on = dt.date(min(year + 1, GRANT_YEARS.stop - 1), 6, 30)
                grant.revoke_reason = "产品质量监督抽查不合格，撤销称号（演示）"
                grant.save(update_fields=["revoked_on", "revoke_reason"])
    result.add("品牌奖项授予", created)


def _experts() -> list[User]:
    xingtai = Region.objects.get(code="130500")
    users = []
    for username, display in EXPERTS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD, first_name=display)
        Profile.objects.get_or_create(user=user, defaults={"region": xingtai, "roles": []})
        users.append(user)
    return users


def _demo_report(application: Application) -> None:
    data = (
        b"%PDF-1.4\n% demo self-assessment report\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    digest = hashlib.sha256(data).hexdigest()
    path = f"awards/{digest[:2]}/{digest}.pdf"
    if not default_storage.exists(path):
        default_storage.save(path, ContentFile(data))
    ApplicationFile.objects.create(
        application=application,
        kind=ApplicationFile.Kind.REPORT,
        file=path,
        original_name="自评报告（演示）.pdf",
        content_type="application/pdf",
        size=len(data),
        sha256=digest,
    )


def _sheet(user: User, application: Application, stage: str, level: float) -> None:
    """A score sheet at `level` (0-1) of each category's maximum, varied per reviewer."""
    assignment = ReviewAssignment.objects.get(application=application, reviewer=user, stage=stage)
    scores = {}
    for category in application.round.categories.all():
        u = _unit("score", user.username, application.pk, stage, category.code)
        share = min(1.0, max(0.0, level + 0.1 * (u - 0.5)))
        scores[category.code] = Decimal(str(round(category.max_points * share)))
    rounds.review_submit(user=user, assignment=assignment, scores=scores)


def _round(result, enterprises: list[Enterprise]) -> None:
    if QualityAwardRound.objects.filter(name=ROUND_NAME).exists():
        return
    xingtai = Region.objects.get(code="130500")
    rnd = rounds.round_create(
        user=None,
        region=xingtai,
        name=ROUND_NAME,
        year=ROUND_YEAR,
        eligibility=(
            "在邢台市行政区域内依法登记注册满三年；实施卓越绩效管理模式（GB/T 19580）两年以上；"
            "近三年未发生重大质量、安全、环境事故；主要经济、质量指标处于同行业领先水平。"
        ),
    )
    experts = _experts()
    candidates = [e for e in enterprises if e.region.parent_id == xingtai.pk]
    plan = [
        # (enterprise, category, applicant, target stage, document level, on-site level)
        (candidates[0], Application.Category.ORGANISATION, "", Stage.ONSITE_REVIEW, 0.78, 0.74),
        (candidates[1], Application.Category.ORGANISATION, "", Stage.ONSITE_REVIEW, 0.71, None),
        (candidates[2], Application.Category.ORGANISATION, "", Stage.DOCUMENT_REVIEW, 0.66, None),
        (candidates[3], Application.Category.ORGANISATION, "", Stage.QUALIFICATION, None, None),
        (candidates[0], Application.Category.INDIVIDUAL, "王质量（演示）", Stage.SUBMITTED, None, None),
    ]
    for enterprise, category, applicant, target, doc_level, onsite_level in plan:
        application = rounds.application_create(
            user=None, rnd=rnd, enterprise=enterprise, category=category, applicant_name=applicant
        )
        if target == Stage.SUBMITTED:
            continue
        _demo_report(application)
        rounds.application_transition(user=None, application=application, to_stage=Stage.QUALIFICATION)
        if target == Stage.QUALIFICATION:
            continue
        rounds.application_transition(
            user=None, application=application, to_stage=Stage.DOCUMENT_REVIEW, note="资格审查通过"
        )
        for expert in experts:
            rounds.review_assign(
                user=None, application=application, reviewer=expert, stage=Stage.DOCUMENT_REVIEW
            )
        if doc_level is not None:
            for expert in experts:
                _sheet(expert, application, Stage.DOCUMENT_REVIEW, doc_level)
        if target == Stage.DOCUMENT_REVIEW:
            continue
        rounds.application_transition(
            user=None, application=application, to_stage=Stage.ONSITE_REVIEW, note="材料评审达到合格分"
        )
        for expert in experts[:2]:
            rounds.review_assign(
                user=None, application=application, reviewer=expert, stage=Stage.ONSITE_REVIEW
            )
        if onsite_level is not None:
            _sheet(experts[0], application, Stage.ONSITE_REVIEW, onsite_level)
    result.add("质量奖评审", 1)


def seed_awards(result) -> None:
    """Award types, enterprises, grants, their derived figures and a round in progress."""
    load_award_types()
    enterprises = _enterprises(result)
    _grants(result, enterprises)
    derived = derived_figures_rebuild()
    result.add("品牌推导数据", derived.created + derived.updated)
    _round(result, enterprises)
