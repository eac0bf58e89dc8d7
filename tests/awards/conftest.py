"""Fixtures of the awards tests: award types, enterprises with valid credit codes,
a quality award round run by 邢台市's bureau and helpers that move an application
through its stages the legal way."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from awards import rounds
from awards.catalog import load_award_types
from awards.credit_code import make_credit_code
from awards.models import Application, AwardType, Enterprise, Stage
from tests.factories import make_user

CITY, COUNTY_A, COUNTY_B = "130500", "130528", "130525"  # 邢台市, 宁晋县, 隆尧县
OTHER_CITY, OTHER_COUNTY = "130300", "130302"  # 秦皇岛市, 海港区
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
NOTICE_START, NOTICE_END = dt.date(2025, 10, 1), dt.date(2025, 10, 7)


def credit_code(region_code: str, serial: int) -> str:
    """91 + division code + 'MA' + 7 digits + the computed check character."""
    return make_credit_code(f"91{region_code}MA{serial:07d}")


def pdf(name: str = "自评报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Test users need no slow password hashing (make_user sets a password for each).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_process(request):
    """Run the recompute task in-process even when REDIS_URL points Celery at a broker;
    tests marked `integration` use the real worker instead."""
    if "integration" in request.keywords:
        yield
        return
    from quality_city.celery import app

    saved = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture
def award_types(catalog) -> dict[str, AwardType]:
    load_award_types()
    return {t.code: t for t in AwardType.objects.all()}


_serial = iter(range(1, 10_000_000))


@pytest.fixture
def make_enterprise(region):
    def make(region_code: str, name: str | None = None) -> Enterprise:
        serial = next(_serial)
        return Enterprise.objects.create(
            name=name or f"测试企业{serial}",
            credit_code=credit_code(region_code, serial),
            region=region(region_code),
        )

    return make


@pytest.fixture
def bureau(catalog):
    """邢台市质量科: runs the city's quality award rounds."""
    return make_user(CITY, "reviewer", username="xt_bureau")


@pytest.fixture
def experts(catalog):
    """Three reviewers without roles: they see only what is assigned to them."""
    return [make_user(CITY, username=f"expert{i}") for i in (1, 2, 3)]


@pytest.fixture
def rnd(bureau, award_types, region):
    return rounds.round_create(
        user=bureau,
        region=region(CITY),
        name="邢台市第三届市长质量奖",
        year=2025,
        document_pass_mark=Decimal("500"),
        onsite_pass_mark=Decimal("550"),
    )


@pytest.fixture
def apply(rnd, bureau, make_enterprise):
    def make(
        region_code: str = COUNTY_A,
        category: str = Application.Category.ORGANISATION,
        applicant_name: str = "",
        report: bool = True,
    ) -> Application:
        return rounds.application_create(
            user=bureau,
            rnd=rnd,
            enterprise=make_enterprise(region_code),
            category=category,
            applicant_name=applicant_name,
            report=pdf() if report else None,
        )

    return make


def sheet(rnd_categories, total_share: float) -> dict[str, Decimal]:
    """Scores of every category at `total_share` of its maximum (whole points)."""
    return {c.code: Decimal(round(c.max_points * total_share)) for c in rnd_categories}


@pytest.fixture
def score_all(experts):
    """Assign the experts to a stage and have each submit a sheet with the given shares."""

    def run(application: Application, stage: str, shares: list[float]) -> None:
        from awards.models import ReviewAssignment

        categories = list(application.round.categories.all())
        for expert, share in zip(experts, shares, strict=False):
            assignment = ReviewAssignment.objects.filter(
                application=application, reviewer=expert, stage=stage
            ).first() or rounds.review_assign(
                user=None, application=application, reviewer=expert, stage=stage
            )
            rounds.review_submit(user=expert, assignment=assignment, scores=sheet(categories, share))

    return run


@pytest.fixture
def advance(bureau, score_all):
    """Move an application the legal way to `target` (scores above the pass marks)."""

    def run(application: Application, target: str) -> Application:
        path = {
            Stage.SUBMITTED: [],
            Stage.QUALIFICATION: [Stage.QUALIFICATION],
            Stage.DOCUMENT_REVIEW: [Stage.QUALIFICATION, Stage.DOCUMENT_REVIEW],
            Stage.ONSITE_REVIEW: [Stage.QUALIFICATION, Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW],
            Stage.PUBLIC_NOTICE: [
                Stage.QUALIFICATION,
                Stage.DOCUMENT_REVIEW,
                Stage.ONSITE_REVIEW,
                Stage.PUBLIC_NOTICE,
            ],
            Stage.AWARDED: [
                Stage.QUALIFICATION,
                Stage.DOCUMENT_REVIEW,
                Stage.ONSITE_REVIEW,
                Stage.PUBLIC_NOTICE,
                Stage.AWARDED,
            ],
            Stage.REJECTED: [Stage.QUALIFICATION, Stage.REJECTED],
        }[target]
        for step in path:
            if step == Stage.ONSITE_REVIEW:
                score_all(application, Stage.DOCUMENT_REVIEW, [0.8, 0.7, 0.75])
            if step == Stage.PUBLIC_NOTICE:
                score_all(application, Stage.ONSITE_REVIEW, [0.8, 0.7])
            application = rounds.application_transition(
                user=bureau,
                application=application,
                to_stage=step,
                note="未通过资格审查" if step == Stage.REJECTED else "",
                notice_start=NOTICE_START,
                notice_end=NOTICE_END,
                today=NOTICE_END + dt.timedelta(days=1),
            )
        return application

    return run
