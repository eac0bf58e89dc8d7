"""Pages of the quality award rounds: create, edit the table, apply, assign, score, move, object."""

import datetime as dt

import pytest
from django.urls import reverse

from awards.models import Application, ApplicationFile, Objection, QualityAwardRound, ReviewAssignment, Stage
from tests.awards.conftest import CITY, COUNTY_A, NOTICE_END, pdf
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def flashed(response) -> list[str]:
    """Messages shown on the page a POST redirected to (posted with follow=True)."""
    return [str(m) for m in response.context["messages"]]


def test_the_bureau_creates_a_round_with_the_default_table(client, bureau, award_types):
    client.force_login(bureau)
    response = client.post(
        reverse("awards:round_create"),
        {
            "region": CITY,
            "name": "邢台市第四届市长质量奖",
            "year": 2026,
            "eligibility": "实施卓越绩效管理两年以上",
            "document_pass_mark": "500",
            "onsite_pass_mark": "550",
        },
    )
    rnd = QualityAwardRound.objects.get(name="邢台市第四届市长质量奖")
    assert response.status_code == 302 and response["Location"] == reverse(
        "awards:round_detail", args=[rnd.pk]
    )
    assert rnd.max_total == 1000 and rnd.created_by == bureau
    assert "总分 1000" in client.get(response["Location"]).content.decode()


def test_others_cannot_create_rounds(client, catalog):
    client.force_login(make_user(CITY, "staff"))
    assert client.get(reverse("awards:round_create")).status_code == 403


def test_the_table_is_edited_on_the_round_page(client, bureau, rnd):
    client.force_login(bureau)
    page = client.get(reverse("awards:round_edit", args=[rnd.pk]))
    assert page.status_code == 200
    data = {
        "name": rnd.name,
        "year": 2025,
        "eligibility": "",
        "document_pass_mark": "60",
        "onsite_pass_mark": "70",
        "accepting_applications": "on",
        # As the page posts it: the 7 GB/T 19580 rows, 2 changed and 5 deleted, and 1 blank extra row.
        "cat-TOTAL_FORMS": "8",
        "cat-INITIAL_FORMS": "7",
        "cat-0-code": "quality",
        "cat-0-name": "质量管理",
        "cat-0-max_points": "60",
        "cat-1-code": "results",
        "cat-1-name": "经营结果",
        "cat-1-max_points": "40",
    }
    for i, category in enumerate(list(rnd.categories.all())[2:], start=2):
        data |= {f"cat-{i}-code": category.code, f"cat-{i}-name": category.name}
        data |= {f"cat-{i}-max_points": category.max_points, f"cat-{i}-DELETE": "on"}
    response = client.post(reverse("awards:round_edit", args=[rnd.pk]), data)
    assert response.status_code == 302, (response.context["form"].errors, response.context["formset"].errors)
    rnd.refresh_from_db()
    assert [(c.name, c.max_points) for c in rnd.categories.all()] == [("质量管理", 60), ("经营结果", 40)]
    assert rnd.max_total == 100 and rnd.document_pass_mark == 60
    too_high = client.post(reverse("awards:round_edit", args=[rnd.pk]), {**data, "onsite_pass_mark": "101"})
    assert "现场评审合格分 101 超过评分总分 100" in too_high.content.decode()


def test_an_application_with_its_report_is_recorded_on_the_page(client, bureau, rnd, make_enterprise):
    enterprise = make_enterprise(COUNTY_A)
    client.force_login(bureau)
    response = client.post(
        reverse("awards:application_create", args=[rnd.pk]),
        {"enterprise": enterprise.pk, "category": "organisation", "report": pdf()},
    )
    application = Application.objects.get()
    assert response.status_code == 302
    assert application.applicant_name == enterprise.name and application.stage == Stage.SUBMITTED
    report = ApplicationFile.objects.get(application=application)
    assert (
        report.kind == "report"
        and report.original_name == "自评报告.pdf"
        and report.size == len(pdf().read())
    )
    assert report.file.name.startswith(f"awards/{report.sha256[:2]}/{report.sha256}")


def test_a_file_whose_content_does_not_match_its_extension_is_refused(client, bureau, apply):
    application = apply()
    client.force_login(bureau)
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        reverse("awards:application_file_upload", args=[application.pk]),
        {"kind": "evidence", "file": fake},
        follow=True,
    )
    assert "文件内容与扩展名 .pdf 不符" in flashed(response)
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = client.post(
        reverse("awards:application_file_upload", args=[application.pk]),
        {"kind": "evidence", "file": exe},
        follow=True,
    )
    assert any("不支持的文件类型“exe”" in m for m in flashed(response))
    assert application.files.count() == 1  # the report only


def test_transitions_on_the_page_show_the_refusal(client, bureau, apply):
    application = apply()
    client.force_login(bureau)
    url = reverse("awards:application_transition", args=[application.pk])
    response = client.post(url, {"to_stage": "public_notice"}, follow=True)
    assert flashed(response) == ["不能从“已申报”转到“公示”：下一步只能是“资格审查”"]
    response = client.post(url, {"to_stage": "qualification"}, follow=True)
    assert flashed(response) == ["已转到“资格审查”"]
    application.refresh_from_db()
    assert application.stage == Stage.QUALIFICATION


def test_reviewers_are_assigned_and_score_on_their_sheet(client, bureau, apply, advance, experts):
    application = advance(apply(), Stage.DOCUMENT_REVIEW)
    client.force_login(bureau)
    response = client.post(
        reverse("awards:application_assign", args=[application.pk]),
        {"username": "expert1", "stage": "document_review"},
        follow=True,
    )
    assert flashed(response) == ["已指派评审员"]
    response = client.post(
        reverse("awards:application_assign", args=[application.pk]),
        {"username": "nobody", "stage": "document_review"},
        follow=True,
    )
    assert flashed(response) == ["没有该用户"]
    assert (
        client.get(reverse("awards:score_sheet", args=[application.pk, "document_review"])).status_code == 403
    )

    client.force_login(experts[0])
    url = reverse("awards:score_sheet", args=[application.pk, "document_review"])
    data = {f"score_{c.code}": c.max_points // 2 for c in application.round.categories.all()}
    over = client.post(url, {**data, "score_leadership": "111"})
    assert over.status_code == 200
    assert "“领导”得分 111 超过该类目满分 110" in over.content.decode()
    assert ReviewAssignment.objects.get().submitted_at is None
    done = client.post(url, {**data, "comment_results": "经营结果良好"})
    assert done.status_code == 302
    assignment = ReviewAssignment.objects.get()
    assert assignment.total == 55 + 45 + 45 + 65 + 50 + 40 + 200
    assert assignment.scores.get(category__code="results").comment == "经营结果良好"
    assert (
        client.get(reverse("awards:score_sheet", args=[application.pk, "onsite_review"])).status_code == 403
    )


def test_objections_are_recorded_and_decided_on_the_page(client, bureau, apply, advance):
    application = advance(apply(), Stage.PUBLIC_NOTICE)
    client.force_login(bureau)
    page = client.get(reverse("awards:application_detail", args=[application.pk]))
    assert "登记异议" in page.content.decode()
    response = client.post(
        reverse("awards:objection_create", args=[application.pk]),
        {"received_on": "2025-10-02", "objector": "某公司", "content": "申报数据不实"},
        follow=True,
    )
    assert flashed(response) == ["已登记异议"]
    objection = Objection.objects.get()
    response = client.post(
        reverse("awards:objection_decide", args=[objection.pk]),
        {"outcome": "dismissed", "note": "经核查数据属实"},
        follow=True,
    )
    assert flashed(response) == ["已处理异议"]
    objection.refresh_from_db()
    assert objection.outcome == Objection.Outcome.DISMISSED
    response = client.post(
        reverse("awards:application_transition", args=[application.pk]), {"to_stage": "awarded"}, follow=True
    )
    assert dt.date.today() > NOTICE_END  # the notice of 2025 is over: the page may award
    assert flashed(response) == ["已转到“获奖”"]
    assert application.grant.award_type.code == "MUNICIPAL_QUALITY_AWARD_ORG"


def test_the_round_page_shows_ranks(client, bureau, apply, advance, score_all, rnd):
    low, high = advance(apply(), Stage.DOCUMENT_REVIEW), advance(apply(), Stage.DOCUMENT_REVIEW)
    score_all(low, Stage.DOCUMENT_REVIEW, [0.6])
    score_all(high, Stage.DOCUMENT_REVIEW, [0.9])
    client.force_login(bureau)
    rows = client.get(reverse("awards:round_detail", args=[rnd.pk]), {"rank_by": "document_review"}).context[
        "ranking"
    ]
    assert [(r.application.pk, r.rank) for r in rows] == [(high.pk, 1), (low.pk, 2)]
