"""On-site verification: groups see and change only their own counties (pages, API, services)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessments import services
from assessments.models import Finding, Stage
from indicators import services as figure_services
from indicators.models import Figure, Indicator
from tests.assessments.conftest import JULU, NINGJIN, YEAR, item_score
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _url(cycle, code: str) -> str:
    return reverse("assessments:verification", args=[cycle.assessment.pk, code])


def _api(cycle, code: str) -> str:
    return f"/api/v1/assessments/{cycle.assessment.pk}/regions/{code}/findings/"


def _figure(code: str, indicator: str = "PQ_SAMPLING_PASS") -> Figure:
    return Figure.objects.get(region__code=code, indicator__code=indicator, year=YEAR)


def test_a_group_sees_its_own_county_and_not_another_on_the_page(cycle, client):
    cycle.to_verification()
    client.force_login(cycle.users["verifier_a"])
    own = client.get(_url(cycle, NINGJIN))
    assert own.status_code == 200
    assert (
        "第一核查组" in own.content.decode() and 'data-indicator="PQ_SAMPLING_PASS"' in own.content.decode()
    )
    other = client.get(_url(cycle, JULU))
    assert other.status_code == 403
    assert "不是巨鹿县的现场核查组成员" in other.content.decode()
    # The board links only the group's own county to a verification page.
    board = client.get(reverse("assessments:board", args=[cycle.assessment.pk])).content.decode()
    assert _url(cycle, NINGJIN) in board and _url(cycle, JULU) not in board


def test_a_group_cannot_change_another_county_on_the_page(cycle, client):
    cycle.to_verification()
    before = _figure(JULU)
    client.force_login(cycle.users["verifier_a"])
    response = client.post(
        _url(cycle, JULU), {"indicator": "PQ_SAMPLING_PASS", "value": "80", "reason": "核减", "note": ""}
    )
    assert response.status_code == 403
    after = _figure(JULU)
    assert (after.status, after.value, after.version) == (before.status, before.value, before.version)
    assert not Finding.objects.filter(assessment_region__region__code=JULU).exists()
    done = client.post(reverse("assessments:verification-done", args=[cycle.assessment.pk, JULU]))
    assert done.status_code == 403 and cycle.row(JULU).stage == Stage.VERIFICATION


def test_a_group_cannot_see_or_change_another_county_through_the_api(cycle, client):
    cycle.to_verification()
    client.force_login(cycle.users["verifier_a"])
    assert client.get(_api(cycle, NINGJIN)).status_code == 200
    seen = client.get(_api(cycle, JULU))
    assert seen.status_code == 403 and "不是巨鹿县的现场核查组成员" in seen.json()["detail"]
    changed = client.post(
        _api(cycle, JULU),
        {"indicator": "PQ_SAMPLING_PASS", "value": "80", "reason": "核减"},
        content_type="application/json",
    )
    assert changed.status_code == 403
    assert _figure(JULU).status == Figure.Status.SUBMITTED
    assert not Finding.objects.filter(assessment_region__region__code=JULU).exists()


def test_the_service_refuses_a_member_of_another_group(cycle):
    cycle.to_verification()
    with pytest.raises(PermissionDenied, match="现场核查组成员"):
        services.finding_record(
            actor=cycle.users["verifier_b"],
            row=cycle.row(NINGJIN),
            indicator=Indicator.objects.get(code="PQ_SAMPLING_PASS"),
        )
    with pytest.raises(PermissionDenied):
        services.county_verification_done(actor=cycle.users["verifier_b"], row=cycle.row(NINGJIN))


def test_a_group_records_an_adjustment_through_the_api_and_the_reported_value_is_kept(cycle, client):
    cycle.to_verification()
    client.force_login(cycle.users["verifier_b"])
    response = client.post(
        _api(cycle, JULU),
        {
            "indicator": "QM_QMS_CERTIFICATES",
            "value": "22",
            "reason": "3 张证书不在有效期",
            "note": "已现场查验",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    line = next(i for i in response.json()["indicators"] if i["indicator"] == "QM_QMS_CERTIFICATES")
    assert line["reported_value"] == "25.0000" and line["verified_value"] == "22.0000"
    assert line["finding"]["adjusted"] is True and line["finding"]["reason"] == "3 张证书不在有效期"
    figure = _figure(JULU, "QM_QMS_CERTIFICATES")
    assert (figure.reported_value, figure.verified_value, figure.adjust_reason, figure.approved_by) == (
        Decimal("25"),
        Decimal("22"),
        "3 张证书不在有效期",
        cycle.users["verifier_b"],
    )
    missing_reason = client.post(
        _api(cycle, JULU), {"indicator": "PQ_SAMPLING_PASS", "value": "90"}, content_type="application/json"
    )
    assert missing_reason.status_code == 400 and "须填写调整原因" in missing_reason.json()["detail"]
    assert _figure(JULU).status == Figure.Status.SUBMITTED


def test_a_group_adjusts_a_figure_the_reviewers_had_already_approved(cycle):
    cycle.to_verification()
    figure = _figure(NINGJIN)
    figure_services.figure_approve(
        actor=cycle.users["reviewer"], figure=figure, expected_version=figure.version
    )
    services.finding_record(
        actor=cycle.users["verifier_a"],
        row=cycle.row(NINGJIN),
        indicator=figure.indicator,
        adjusted_value="94",
        reason="抽检批次重复计算",
    )
    figure = _figure(NINGJIN)
    assert (figure.status, figure.reported_value, figure.verified_value, figure.value) == (
        Figure.Status.APPROVED,
        Decimal("96.5"),
        Decimal("94"),
        Decimal("94"),
    )
    latest = figure.history.first()
    assert (
        latest.history_user == cycle.users["verifier_a"]
        and "抽检批次重复计算" in latest.history_change_reason
    )


def test_verification_needs_every_target_and_item_verified_before_it_closes(cycle):
    cycle.to_verification()
    verifier = cycle.users["verifier_a"]
    services.finding_record(
        actor=verifier, row=cycle.row(NINGJIN), indicator=Indicator.objects.get(code="PQ_SAMPLING_PASS")
    )
    with pytest.raises(services.AssessmentError) as exc:
        services.county_verification_done(actor=verifier, row=cycle.row(NINGJIN))
    assert "未核定" in exc.value.message and "质量工作组织领导" in exc.value.message
    with pytest.raises(services.AssessmentError, match="须填写调整原因"):
        services.finding_record(actor=verifier, row=cycle.row(NINGJIN), item=cycle.item, verified_points="5")
    assert item_score(NINGJIN, cycle.item).verified_points is None
    with pytest.raises(services.AssessmentError, match="0 至 10"):
        services.finding_record(
            actor=verifier, row=cycle.row(NINGJIN), item=cycle.item, verified_points="11", reason="x"
        )


def test_the_citys_admin_supervises_every_verification_read_only(cycle, client):
    cycle.to_verification()
    client.force_login(cycle.users["admin"])
    page = client.get(_url(cycle, JULU))
    assert page.status_code == 200 and "只读" in page.content.decode()
    response = client.post(_url(cycle, JULU), {"indicator": "PQ_SAMPLING_PASS", "value": "", "reason": ""})
    assert response.status_code == 403
    assert _figure(JULU).status == Figure.Status.SUBMITTED


def test_a_group_member_must_be_allowed_to_verify_the_county(cycle):
    cycle.to_review()
    county_reviewer = make_user(JULU, "reviewer")  # may not verify its own county (only regions below)
    with pytest.raises(services.AssessmentError, match="无权核查巨鹿县"):
        services.group_save(
            actor=cycle.users["reviewer"],
            assessment=cycle.assessment,
            name="第三核查组",
            members=[county_reviewer],
            regions=[cycle.counties[JULU]],
        )
    group = services.group_save(
        actor=cycle.users["reviewer"],
        assessment=cycle.assessment,
        name="第三核查组",
        members=[cycle.users["verifier_a"]],
        regions=[cycle.counties[JULU]],
    )
    services.group_save(
        actor=cycle.users["reviewer"],
        assessment=cycle.assessment,
        name="第四核查组",
        members=[cycle.users["verifier_b"]],
        regions=[cycle.counties[JULU]],
    )
    # A county belongs to one group at a time: 巨鹿县 moved to the fourth group.
    assert cycle.row(JULU).group.name == "第四核查组"
    assert list(group.counties.all()) == []


def test_the_groups_page_lists_a_group_without_a_leader(cycle, client):
    """A leader is optional: the list shows "—" for it instead of failing to render."""
    services.group_save(
        actor=cycle.users["reviewer"],
        assessment=cycle.assessment,
        name="无带队核查组",
        members=[cycle.users["verifier_b"]],
        regions=[cycle.counties[JULU]],
    )
    client.force_login(cycle.users["reviewer"])
    response = client.get(reverse("assessments:groups", args=[cycle.assessment.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<td>无带队核查组</td><td>—</td>" in body
