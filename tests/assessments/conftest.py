"""A two-county assessment of 邢台市 (宁晋县 130528, 巨鹿县 130529) and helpers to drive it.

`cycle` builds the people, targets, an item and the assessment (2015, window
around today so deadlines can be put before or after "now"); its methods move
the counties through each stage with the real services, as the users would.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from django.utils import timezone

from assessments import freeze, services
from assessments.models import Assessment, AssessmentRegion, Stage
from indicators import services as figure_services
from indicators.models import Figure, Indicator, ItemScore, QualitativeItem, Region, ScoringScheme, Target
from tests.factories import make_user

YEAR = 2015
CITY = "130500"
NINGJIN = "130528"
JULU = "130529"

# indicator -> (comparator, target, weight); reported values per county below.
TARGETS = {
    "PQ_SAMPLING_PASS": (">=", Decimal("95"), Decimal("40")),
    "QM_QMS_CERTIFICATES": (">=", Decimal("20"), Decimal("30")),
    "EN_MAJOR_ACCIDENTS": ("<=", Decimal("0"), Decimal("20")),
}
REPORTED = {
    NINGJIN: {"PQ_SAMPLING_PASS": "96.5", "QM_QMS_CERTIFICATES": "18", "EN_MAJOR_ACCIDENTS": "0"},
    JULU: {"PQ_SAMPLING_PASS": "93", "QM_QMS_CERTIFICATES": "25", "EN_MAJOR_ACCIDENTS": "0"},
}
ITEM_MAX = Decimal("10")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Seven users per test: hash their passwords cheaply (login still checks them)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_pending_attempts():
    """A rolled-back test must not leave unsettled audit rows for the next one."""
    freeze.reset_pending()
    yield
    freeze.reset_pending()


@dataclass
class Cycle:
    assessment: Assessment
    city: Region
    counties: dict[str, Region]
    users: dict[str, object]
    item: QualitativeItem
    figures: dict[tuple[str, str], Figure] = field(default_factory=dict)

    def row(self, code: str) -> AssessmentRegion:
        return AssessmentRegion.objects.select_related("assessment", "region", "group").get(
            assessment=self.assessment, region__code=code
        )

    def refresh(self) -> Assessment:
        self.assessment.refresh_from_db()
        return self.assessment

    # -- stage helpers, each done by the user who does it in real life --------------

    def staff(self, code: str):
        return self.users[f"staff_{code}"]

    def file_and_accept(self) -> None:
        for code in self.counties:
            services.county_file_targets(actor=self.staff(code), row=self.row(code))
            services.county_accept_targets(actor=self.users["reviewer"], row=self.row(code))
        services.assessment_advance(
            actor=self.users["reviewer"], assessment=self.assessment, to_stage=Stage.SELF
        )

    def enter_figures(self, code: str, submit: bool = True) -> None:
        region = self.counties[code]
        for ind_code, value in REPORTED[code].items():
            indicator = Indicator.objects.get(code=ind_code)
            figure = figure_services.figure_save(
                actor=self.staff(code),
                region=region,
                indicator=indicator,
                year=YEAR,
                value=value,
                expected_version=None,
            )
            if submit:
                figure = figure_services.figure_submit(
                    actor=self.staff(code), figure=figure, expected_version=figure.version
                )
            self.figures[(code, ind_code)] = figure

    def self_assess(self, code: str, points: str = "9") -> None:
        self.enter_figures(code)
        services.item_self_score(
            actor=self.staff(code),
            row=self.row(code),
            item=self.item,
            points=points,
            reason="领导小组已成立，定期研究",
        )
        services.county_submit_self(actor=self.staff(code), row=self.row(code))

    def to_review(self) -> None:
        self.file_and_accept()
        for code in self.counties:
            self.self_assess(code)
        services.assessment_advance(
            actor=self.users["reviewer"], assessment=self.assessment, to_stage=Stage.REVIEW
        )

    def assign_groups(self) -> None:
        services.group_save(
            actor=self.users["reviewer"],
            assessment=self.assessment,
            name="第一核查组",
            members=[self.users["verifier_a"]],
            leader=self.users["verifier_a"],
            regions=[self.counties[NINGJIN]],
        )
        services.group_save(
            actor=self.users["reviewer"],
            assessment=self.assessment,
            name="第二核查组",
            members=[self.users["verifier_b"]],
            regions=[self.counties[JULU]],
        )

    def to_verification(self) -> None:
        self.to_review()
        for code in self.counties:
            services.county_review_pass(actor=self.users["reviewer"], row=self.row(code))
        self.assign_groups()
        services.assessment_advance(
            actor=self.users["reviewer"], assessment=self.assessment, to_stage=Stage.VERIFICATION
        )

    def verify(
        self, code: str, adjust: dict[str, tuple[str, str]] | None = None, item_points: str = "9"
    ) -> None:
        """The county's group confirms every figure (or adjusts some), scores the item, closes."""
        verifier = self.users["verifier_a" if code == NINGJIN else "verifier_b"]
        adjust = adjust or {}
        for ind_code in TARGETS:
            value, reason = adjust.get(ind_code, ("", ""))
            services.finding_record(
                actor=verifier,
                row=self.row(code),
                indicator=Indicator.objects.get(code=ind_code),
                adjusted_value=value,
                reason=reason,
            )
        reason = "" if item_points == "9" else "会议纪要不全，核减"
        services.finding_record(
            actor=verifier, row=self.row(code), item=self.item, verified_points=item_points, reason=reason
        )
        services.county_verification_done(actor=verifier, row=self.row(code))

    def to_final(self) -> None:
        self.to_verification()
        self.verify(NINGJIN, adjust={"QM_QMS_CERTIFICATES": ("16", "2 张证书已过期")}, item_points="7")
        self.verify(JULU)
        services.assessment_advance(
            actor=self.users["reviewer"], assessment=self.assessment, to_stage=Stage.FINAL
        )

    def publish(self):
        self.to_final()
        services.assessment_sign_off(actor=self.users["reviewer"], assessment=self.assessment)
        return services.assessment_publish(actor=self.users["reviewer"], assessment=self.assessment)


@pytest.fixture
def cycle(catalog) -> Cycle:
    city = Region.objects.get(code=CITY)
    counties = {code: Region.objects.get(code=code) for code in (NINGJIN, JULU)}
    users = {
        "reviewer": make_user(CITY, "reviewer", username="xt_quality"),  # 质量科: runs the cycle
        "verifier_a": make_user(CITY, "reviewer", username="xt_verifier_a", first_name="核查员甲"),
        "verifier_b": make_user(CITY, "reviewer", username="xt_verifier_b", first_name="核查员乙"),
        "admin": make_user(CITY, "admin", username="xt_admin"),
        "leader": make_user(CITY, "leader", username="xt_leader"),
        f"staff_{NINGJIN}": make_user(NINGJIN, "staff", username="nj_staff"),
        f"staff_{JULU}": make_user(JULU, "staff", username="jl_staff"),
    }
    for region in counties.values():
        for code, (comparator, value, weight) in TARGETS.items():
            Target.objects.create(
                region=region,
                indicator=Indicator.objects.get(code=code),
                year=YEAR,
                comparator=comparator,
                value=value,
                weight=weight,
                veto=code == "EN_MAJOR_ACCIDENTS",
            )
    scheme = ScoringScheme.objects.get(is_default=True)
    item = QualitativeItem.objects.create(
        scheme=scheme, code="QL_TEST_LEADERSHIP", name="质量工作组织领导", max_points=ITEM_MAX
    )
    today = timezone.localdate()
    assessment = services.assessment_create(
        actor=users["reviewer"],
        assessing_region=city,
        year=YEAR,
        regions=list(counties.values()),
        window_start=today - dt.timedelta(days=120),
        window_end=today + dt.timedelta(days=240),
        deadlines={Stage.FILING: today + dt.timedelta(days=10), Stage.SELF: today + dt.timedelta(days=40)},
    )
    return Cycle(assessment=assessment, city=city, counties=counties, users=users, item=item)


def item_score(code: str, item: QualitativeItem) -> ItemScore:
    return ItemScore.objects.get(region__code=code, item=item, year=YEAR)
