"""Demo data for `seed_demo`: 邢台市's published 2015 assessment of its counties (年度考核).

Runs after the scoring demo (county targets, item scores, approved 2015 figures)
exists. It builds the cycle as it happened in 2015–2016 — deadlines, each
county's filing, self-assessment (two counties late, one sent back once),
document review, two verification groups with findings for every value the
group cut, and the city's moves — with historical timestamps, then signs off
and publishes through the real services so the published version 1 is exactly
the engine's verified result. Idempotent: nothing happens when the assessment
already exists (it is frozen once published anyway).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db import transaction

from accounts import policy
from accounts.models import Profile, Role
from assessments import services
from assessments.models import (
    Assessment,
    AssessmentRegion,
    Finding,
    Stage,
    StageTransition,
    VerificationGroup,
)
from indicators.models import Figure, ItemScore, Region, Target

YEAR = 2015
CITY = "130500"
DEADLINES = {
    Stage.FILING: dt.date(2015, 8, 31),
    Stage.SELF: dt.date(2016, 1, 31),
    Stage.REVIEW: dt.date(2016, 2, 29),
    Stage.VERIFICATION: dt.date(2016, 3, 31),
    Stage.FINAL: dt.date(2016, 4, 15),
    Stage.PUBLISHED: dt.date(2016, 4, 30),
}
VERIFIERS = [
    # username, display name: reviewers of 邢台市 drawn into the verification groups
    ("xingtai_verifier1", "邢台市核查员（第一组）"),
    ("xingtai_verifier2", "邢台市核查员（第二组）"),
]
_TZ = ZoneInfo("Asia/Shanghai")


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=_TZ)


def _verifiers() -> list[User]:
    from indicators.demo import DEMO_PASSWORD

    city = Region.objects.get(code=CITY)
    users = []
    for username, display in VERIFIERS:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User.objects.create_user(username=username, password=DEMO_PASSWORD, first_name=display)
        Profile.objects.get_or_create(user=user, defaults={"region": city, "roles": [Role.REVIEWER]})
        users.append(user)
    return users


@transaction.atomic
def seed_assessment_demo(result) -> Assessment | None:
    """Create and publish 邢台市's 2015 county assessment (once)."""
    city = Region.objects.filter(code=CITY).first()
    if city is None or Assessment.objects.filter(assessing_region=city, year=YEAR).exists():
        return None
    counties = list(
        Region.objects.filter(
            parent=city, pk__in=Target.objects.filter(year=YEAR).values("region_id")
        ).order_by("code")
    )
    if not counties:
        return None  # the scoring demo did not give the counties 2015 targets
    coordinator = User.objects.filter(username="xingtai_reviewer").first() or policy.SYSTEM
    verifiers = _verifiers()
    assessment = services.assessment_create(
        actor=coordinator,
        assessing_region=city,
        year=YEAR,
        name="邢台市2015年度县级政府质量工作考核",
        deadlines=DEADLINES,
        regions=counties,
    )
    result.add("年度考核", 1)
    half = (len(counties) + 1) // 2
    groups = [
        VerificationGroup.objects.create(assessment=assessment, name="第一核查组", leader=verifiers[0]),
        VerificationGroup.objects.create(assessment=assessment, name="第二核查组", leader=verifiers[1]),
    ]
    groups[0].members.set([verifiers[0], coordinator] if isinstance(coordinator, User) else [verifiers[0]])
    groups[1].members.set([verifiers[1]])

    by = coordinator if isinstance(coordinator, User) else None
    name = by.get_full_name() or by.username if by else "系统"
    log: list[StageTransition] = []

    def move(kind, frm, to, when, region=None, who=None, who_name=None, reason="", late_days=0):
        log.append(
            StageTransition(
                assessment=assessment,
                region=region,
                kind=kind,
                from_stage=frm,
                to_stage=to,
                by=who,
                by_name=who_name or (who.get_full_name() or who.username if who else "系统"),
                at=when,
                reason=reason,
                late=late_days > 0,
                days_late=late_days,
            )
        )

    rows = {r.region_id: r for r in AssessmentRegion.objects.filter(assessment=assessment)}
    for i, county in enumerate(counties):
        row = rows[county.pk]
        staff = f"{county.name}填报员（演示）"
        filed = dt.date(2015, 8, 20 + i % 8)
        self_day = dt.date(2016, 1, 18 + i % 10)
        # Two counties sent their self-assessment in after the 31 January deadline.
        self_late = 3 + i if i in (2, 5) else 0
        if self_late:
            self_day = DEADLINES[Stage.SELF] + dt.timedelta(days=self_late)
        move(StageTransition.Kind.FILE, Stage.FILING, Stage.FILING, _at(filed), county, who_name=staff)
        move(
            StageTransition.Kind.ACCEPT,
            Stage.FILING,
            Stage.SELF,
            _at(dt.date(2015, 9, 2), 15),
            county,
            by,
            name,
        )
        if i == 1:  # one county was sent back once during document review
            move(
                StageTransition.Kind.SUBMIT_SELF,
                Stage.SELF,
                Stage.REVIEW,
                _at(dt.date(2016, 1, 20)),
                county,
                who_name=staff,
            )
            move(
                StageTransition.Kind.REVIEW_RETURN,
                Stage.REVIEW,
                Stage.SELF,
                _at(dt.date(2016, 2, 3)),
                county,
                by,
                name,
                reason="缺少产品质量监督抽查结果原件，请补充",
            )
            self_day = dt.date(2016, 2, 6)
            self_late = (self_day - DEADLINES[Stage.SELF]).days
            row.returns_count, row.return_reason = 1, "缺少产品质量监督抽查结果原件，请补充"
        move(
            StageTransition.Kind.SUBMIT_SELF,
            Stage.SELF,
            Stage.REVIEW,
            _at(self_day),
            county,
            who_name=staff,
            late_days=self_late,
        )
        move(
            StageTransition.Kind.REVIEW_PASS,
            Stage.REVIEW,
            Stage.VERIFICATION,
            _at(dt.date(2016, 2, 25)),
            county,
            by,
            name,
        )
        group = groups[0] if i < half else groups[1]
        verifier = verifiers[0] if i < half else verifiers[1]
        verified_on = dt.date(2016, 3, 7 + (i % half) * 2)
        move(
            StageTransition.Kind.VERIFY_DONE,
            Stage.VERIFICATION,
            Stage.FINAL,
            _at(verified_on, 17),
            county,
            verifier,
        )
        row.stage = Stage.FINAL
        row.group = group
        row.filed_at, row.targets_accepted_at, row.targets_accepted_by = (
            _at(filed),
            _at(dt.date(2015, 9, 2), 15),
            by,
        )
        row.self_submitted_at, row.self_late = _at(self_day), self_late > 0
        row.review_passed_at, row.review_passed_by = _at(dt.date(2016, 2, 25)), by
        row.verified_at, row.verified_by = _at(verified_on, 17), verifier
        row.save()
        _findings(row, group, verifier, _at(verified_on, 16))

    for frm, to, day in (
        (Stage.FILING, Stage.SELF, dt.date(2015, 9, 5)),
        (Stage.SELF, Stage.REVIEW, dt.date(2016, 2, 8)),
        (Stage.REVIEW, Stage.VERIFICATION, dt.date(2016, 3, 1)),
        (Stage.VERIFICATION, Stage.FINAL, dt.date(2016, 3, 30)),
    ):
        move(StageTransition.Kind.ADVANCE, frm, to, _at(day, 9), None, by, name)
    StageTransition.objects.bulk_create(log)
    assessment.stage = Stage.FINAL
    assessment.save(update_fields=["stage"])

    services.assessment_sign_off(actor=coordinator, assessment=assessment)
    publication = services.assessment_publish(
        actor=coordinator, assessment=assessment, title="关于邢台市2015年度县级政府质量工作考核结果的通报"
    )
    # Demo dates: sign-off and publication happened in April 2016.
    StageTransition.objects.filter(assessment=assessment, kind=StageTransition.Kind.SIGN_OFF).update(
        at=_at(dt.date(2016, 4, 12), 11), late=False, days_late=0
    )
    StageTransition.objects.filter(assessment=assessment, kind=StageTransition.Kind.PUBLISH).update(
        at=_at(dt.date(2016, 4, 26), 9), late=False, days_late=0
    )
    publication.published_at = _at(dt.date(2016, 4, 26), 9)
    publication.save(update_fields=["published_at"])
    Assessment.objects.filter(pk=assessment.pk).update(signed_off_at=_at(dt.date(2016, 4, 12), 11))
    result.add("考核通报", 1)
    return assessment


def _findings(row: AssessmentRegion, group: VerificationGroup, verifier: User, when: dt.datetime) -> None:
    """A finding for each targeted figure and item; the demo's verified values are the group's cuts."""
    targeted = set(Target.objects.filter(region=row.region, year=YEAR).values_list("indicator_id", flat=True))
    findings = []
    for figure in Figure.objects.filter(region=row.region, year=YEAR, indicator_id__in=targeted):
        adjusted = figure.verified_value is not None and figure.verified_value != figure.reported_value
        findings.append(
            Finding(
                assessment_region=row,
                group=group,
                indicator_id=figure.indicator_id,
                reported_value=figure.reported_value,
                adjusted_value=figure.verified_value,
                adjusted=adjusted,
                reason=(figure.adjust_reason or "现场核查核减") if adjusted else "",
                note="查阅原始记录，与填报一致" if not adjusted else "原始记录与填报不符",
                recorded_by=verifier,
                recorded_at=when,
            )
        )
    for score in ItemScore.objects.filter(region=row.region, year=YEAR, item__scheme=row.assessment.scheme):
        adjusted = score.verified_points is not None and score.verified_points != score.self_points
        findings.append(
            Finding(
                assessment_region=row,
                group=group,
                item_id=score.item_id,
                self_points=score.self_points,
                verified_points=score.verified_points,
                adjusted=adjusted,
                reason=(score.verified_reason or "现场核查核减") if adjusted else "",
                recorded_by=verifier,
                recorded_at=when,
            )
        )
    Finding.objects.bulk_create(findings)
