"""Reviewers see only the applications assigned to them; applicants' data stays with the
reviewers and the bureau until the public notice begins (pages and API alike)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from awards import rounds
from awards.models import ApplicationFile, Stage
from tests.awards.conftest import CITY, COUNTY_A, NOTICE_START, sheet
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(apply, advance, bureau, experts):
    mine = advance(apply(), Stage.DOCUMENT_REVIEW)
    other = advance(apply(), Stage.DOCUMENT_REVIEW)
    rounds.review_assign(user=bureau, application=mine, reviewer=experts[0], stage=Stage.DOCUMENT_REVIEW)
    rounds.review_assign(user=bureau, application=other, reviewer=experts[1], stage=Stage.DOCUMENT_REVIEW)
    return mine, other


def _names(response):
    return [row.application.pk for row in response.context["ranking"]]


def test_a_reviewer_sees_only_the_applications_assigned_to_them(client, two, experts, rnd):
    mine, other = two
    client.force_login(experts[0])
    assert _names(client.get(reverse("awards:round_detail", args=[rnd.pk]))) == [mine.pk]
    assert client.get(reverse("awards:application_detail", args=[mine.pk])).status_code == 200
    assert client.get(reverse("awards:application_detail", args=[other.pk])).status_code == 404
    api = client.get("/api/v1/awards/applications/", {"round": rnd.pk}).json()
    assert [a["id"] for a in api["results"]] == [mine.pk]
    assert client.get(f"/api/v1/awards/applications/{other.pk}/").status_code == 404
    reviews = client.get(reverse("awards:my_reviews"))
    assert [a.application_id for a in reviews.context["assignments"]] == [mine.pk]


def test_a_reviewer_sees_their_own_sheet_not_the_others(client, two, experts, bureau, score_all):
    mine, _ = two
    rounds.review_assign(user=bureau, application=mine, reviewer=experts[1], stage=Stage.DOCUMENT_REVIEW)
    score_all(mine, Stage.DOCUMENT_REVIEW, [0.7, 0.9])
    client.force_login(experts[0])
    page = client.get(reverse("awards:application_detail", args=[mine.pk]))
    assert [a.reviewer for a in page.context["assignments"]] == [experts[0]]
    client.force_login(bureau)
    page = client.get(reverse("awards:application_detail", args=[mine.pk]))
    assert {a.reviewer for a in page.context["assignments"]} == {experts[0], experts[1]}


def test_the_bureau_sees_every_application(client, two, bureau, rnd):
    client.force_login(bureau)
    assert sorted(_names(client.get(reverse("awards:round_detail", args=[rnd.pk])))) == sorted(
        a.pk for a in two
    )


def test_readers_of_the_city_see_nothing_before_the_notice_and_the_summary_after(
    client, apply, advance, rnd, experts, bureau
):
    application = advance(apply(), Stage.ONSITE_REVIEW)
    leader = make_user(CITY, "leader")
    client.force_login(leader)
    assert _names(client.get(reverse("awards:round_detail", args=[rnd.pk]))) == []
    assert client.get(reverse("awards:application_detail", args=[application.pk])).status_code == 404
    report = ApplicationFile.objects.get(application=application)
    assert client.get(reverse("awards:file_download", args=[report.pk])).status_code == 404

    for expert in experts[:2]:
        assignment = rounds.review_assign(
            user=bureau, application=application, reviewer=expert, stage=Stage.ONSITE_REVIEW
        )
        rounds.review_submit(
            user=expert, assignment=assignment, scores=sheet(application.round.categories.all(), 0.7)
        )
    start = timezone.localdate() - dt.timedelta(days=1)
    rounds.application_transition(
        user=bureau,
        application=application,
        to_stage=Stage.PUBLIC_NOTICE,
        notice_start=start,
        notice_end=start + dt.timedelta(days=7),
    )
    assert _names(client.get(reverse("awards:round_detail", args=[rnd.pk]))) == [application.pk]
    page = client.get(reverse("awards:application_detail", args=[application.pk]))
    assert page.status_code == 200 and page.context["access"].public
    assert list(page.context["files"]) == [] and list(page.context["assignments"]) == []
    assert client.get(reverse("awards:file_download", args=[report.pk])).status_code == 404
    api = client.get(f"/api/v1/awards/applications/{application.pk}/").json()
    assert api["stage"] == "public_notice" and api["scores"]["onsite_review"]["mean"] == "700.00"


def test_a_notice_that_starts_later_is_still_private(client, apply, advance, rnd):
    application = advance(apply(), Stage.PUBLIC_NOTICE)  # notice from 2025-10-01: already begun
    assert application.published()
    application.notice_start = timezone.localdate() + dt.timedelta(days=3)
    application.notice_end = application.notice_start + dt.timedelta(days=7)
    application.save()
    client.force_login(make_user(CITY, "leader"))
    assert client.get(reverse("awards:application_detail", args=[application.pk])).status_code == 404
    assert application.notice_start > NOTICE_START


def test_a_county_user_cannot_see_the_citys_round(client, rnd, apply):
    apply()
    client.force_login(make_user(COUNTY_A, "leader"))
    assert client.get(reverse("awards:round_detail", args=[rnd.pk])).status_code == 404
    assert rnd.pk not in [r.pk for r in client.get(reverse("awards:round_list")).context["rounds"]]
    assert client.get(f"/api/v1/awards/rounds/{rnd.pk}/").status_code == 404


def test_the_assigned_reviewer_downloads_the_report(client, two, experts):
    mine, other = two
    client.force_login(experts[0])
    report = ApplicationFile.objects.get(application=mine)
    response = client.get(reverse("awards:file_download", args=[report.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    other_report = ApplicationFile.objects.get(application=other)
    assert client.get(reverse("awards:file_download", args=[other_report.pk])).status_code == 404


def test_a_reviewer_cannot_run_the_round(client, two, experts):
    mine, _ = two
    client.force_login(experts[0])
    response = client.post(
        reverse("awards:application_transition", args=[mine.pk]), {"to_stage": "onsite_review"}
    )
    assert response.status_code == 403
    assert (
        client.post(
            f"/api/v1/awards/applications/{mine.pk}/transition/", {"to_stage": "rejected", "note": "x"}
        ).status_code
        == 403
    )
    mine.refresh_from_db()
    assert mine.stage == Stage.DOCUMENT_REVIEW


def test_reviewers_score_blind_until_the_notice(client, two, experts, bureau, score_all, rnd):
    mine, _ = two
    rounds.review_assign(user=bureau, application=mine, reviewer=experts[1], stage=Stage.DOCUMENT_REVIEW)
    score_all(mine, Stage.DOCUMENT_REVIEW, [0.7, 0.9])
    client.force_login(experts[0])
    page = client.get(reverse("awards:application_detail", args=[mine.pk]))
    assert page.context["scores"] == {}  # no stage mean: it would reveal the other reviewer's total
    rows = client.get(reverse("awards:round_detail", args=[rnd.pk])).context["ranking"]
    assert [(r.application.pk, r.rank, r.scores_hidden) for r in rows] == [(mine.pk, None, True)]
    assert client.get(f"/api/v1/awards/applications/{mine.pk}/").json()["scores"] is None
    ranking = client.get(f"/api/v1/awards/rounds/{rnd.pk}/ranking/").json()
    assert [(r["application"], r["rank"], r["scores"]) for r in ranking] == [(mine.pk, None, None)]
    client.force_login(bureau)
    assert (
        client.get(f"/api/v1/awards/applications/{mine.pk}/").json()["scores"]["document_review"]["mean"]
        == "800.00"
    )


def test_a_stage_change_without_a_user_is_shown_as_made_by_the_system(client, two, bureau):
    from awards.models import ApplicationEvent
    from tests.quality_city.test_english import english

    mine, _ = two
    ApplicationEvent.objects.create(
        application=mine, from_stage=Stage.DOCUMENT_REVIEW, to_stage=Stage.DOCUMENT_REVIEW, by=None
    )
    client.force_login(bureau)
    url = reverse("awards:application_detail", args=[mine.pk])
    assert " 系统：" in client.get(url).content.decode()
    body = english(client).get(url).content.decode()
    assert " System: " in body and "系统" not in body
