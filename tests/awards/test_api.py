"""/api/v1/awards/: the same scoping and rules as the pages."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from awards.models import Application, Enterprise, Grant, ReviewAssignment, Stage
from indicators.models import Figure
from tests.awards.conftest import CITY, COUNTY_A, COUNTY_B, OTHER_COUNTY, credit_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def as_user(api, user):
    api.force_authenticate(user)
    return api


def test_anonymous_requests_are_refused(api, catalog):
    assert api.get("/api/v1/awards/grants/").status_code in (401, 403)


def test_enterprises_are_created_with_a_checked_credit_code(api, catalog):
    client = as_user(api, make_user(COUNTY_A, "staff"))
    bad = client.post(
        "/api/v1/awards/enterprises/",
        {"name": "甲", "credit_code": "91130528MA0000001Z", "region": COUNTY_A},
        format="json",
    )
    assert bad.status_code == 400
    assert "不使用字母 I、O、S、V、Z" in bad.json()["credit_code"][0]
    good = client.post(
        "/api/v1/awards/enterprises/",
        {"name": "甲", "credit_code": credit_code(COUNTY_A, 9), "region": COUNTY_A, "industry": "C"},
        format="json",
    )
    assert good.status_code == 201 and good.json()["region_name"] == "宁晋县"
    elsewhere = client.post(
        "/api/v1/awards/enterprises/",
        {"name": "乙", "credit_code": credit_code(COUNTY_B, 9), "region": COUNTY_B},
        format="json",
    )
    assert elsewhere.status_code == 403
    assert Enterprise.objects.count() == 1


def test_grants_list_is_scoped_and_filtered(api, award_types, make_enterprise):
    from awards import services

    for code, year in ((COUNTY_A, 2015), (COUNTY_B, 2016), (OTHER_COUNTY, 2016)):
        services.grant_create(
            user=None,
            award_type=award_types["PROV_TOP_BRAND"],
            enterprise=make_enterprise(code),
            name=code,
            year_granted=year,
        )
    client = as_user(api, make_user(CITY, "leader"))
    rows = client.get("/api/v1/awards/grants/").json()["results"]
    assert sorted(r["name"] for r in rows) == [COUNTY_B, COUNTY_A]
    rows = client.get(
        "/api/v1/awards/grants/", {"region": COUNTY_A, "year": 2017, "indicator": "BR_PROV_TOP_BRAND"}
    ).json()
    assert [r["name"] for r in rows["results"]] == [COUNTY_A]
    assert client.get("/api/v1/awards/grants/", {"region": OTHER_COUNTY}).status_code == 404
    assert client.get("/api/v1/awards/grants/", {"year": "x"}).status_code == 400


def test_grants_are_created_revoked_and_counted(
    api, award_types, make_enterprise, django_capture_on_commit_callbacks
):
    enterprise = make_enterprise(COUNTY_A)
    client = as_user(api, make_user(COUNTY_A, "staff"))
    with django_capture_on_commit_callbacks(execute=True):
        created = client.post(
            "/api/v1/awards/grants/",
            {
                "award_type": "CHINA_WELL_KNOWN_TM",
                "enterprise": enterprise.credit_code,
                "name": "宁晋",
                "year_granted": 2014,
            },
            format="json",
        )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (
        body["valid_until"] is None
        and body["indicator"] == "BR_CHINA_WELL_KNOWN_TM"
        and body["region"] == COUNTY_A
    )

    def fig(y):
        return Figure.objects.get(
            region__code=COUNTY_A, indicator__code="BR_CHINA_WELL_KNOWN_TM", year=y
        ).value

    assert fig(2020) == 1
    with django_capture_on_commit_callbacks(execute=True):
        revoked = client.post(
            f"/api/v1/awards/grants/{body['id']}/revoke/",
            {"revoked_on": "2019-04-01", "reason": "撤销认定"},
            format="json",
        )
    assert revoked.status_code == 200 and revoked.json()["revoked_on"] == "2019-04-01"
    assert (fig(2018), fig(2019), fig(2020)) == (1, 0, 0)
    again = client.post(
        f"/api/v1/awards/grants/{body['id']}/revoke/",
        {"revoked_on": "2019-05-01", "reason": "x"},
        format="json",
    )
    assert again.status_code == 400 and "已于 2019-04-01 撤销" in again.json()["revoked_on"][0]
    patched = client.patch(f"/api/v1/awards/grants/{body['id']}/", {"certificate_no": "CM-1"}, format="json")
    assert patched.status_code == 200 and Grant.objects.get().certificate_no == "CM-1"


def test_a_reader_cannot_write_and_a_stranger_cannot_see(api, award_types, make_enterprise):
    from awards import services

    grant = services.grant_create(
        user=None,
        award_type=award_types["PROV_TOP_BRAND"],
        enterprise=make_enterprise(COUNTY_A),
        name="甲",
        year_granted=2015,
    )
    leader = as_user(api, make_user(CITY, "leader"))
    assert leader.get(f"/api/v1/awards/grants/{grant.pk}/").status_code == 200
    assert (
        leader.patch(f"/api/v1/awards/grants/{grant.pk}/", {"name": "乙"}, format="json").status_code == 403
    )
    stranger = as_user(APIClient(), make_user(COUNTY_B, "staff"))
    assert stranger.get(f"/api/v1/awards/grants/{grant.pk}/").status_code == 404


def test_award_types_are_listed_with_their_indicator(api, award_types):
    rows = as_user(api, make_user(COUNTY_A, "staff")).get("/api/v1/awards/award-types/").json()
    by_code = {r["code"]: r for r in rows}
    assert by_code["PROV_TOP_BRAND"]["validity_years"] == 3
    assert by_code["LUBAN_PRIZE"]["indicator"] == "EN_LUBAN_AWARDS"


def test_a_round_is_run_through_the_api(api, bureau, experts, award_types, make_enterprise):
    from tests.awards.conftest import pdf, sheet

    client = as_user(api, bureau)
    created = client.post(
        "/api/v1/awards/rounds/",
        {
            "region": CITY,
            "name": "API 质量奖",
            "year": 2025,
            "document_pass_mark": "500",
            "onsite_pass_mark": "550",
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    rnd = created.json()
    assert rnd["max_total"] == 1000 and [c["max_points"] for c in rnd["categories"]] == [
        110,
        90,
        90,
        130,
        100,
        80,
        400,
    ]
    enterprise = make_enterprise(COUNTY_A)
    app = client.post(
        "/api/v1/awards/applications/",
        {"round": rnd["id"], "enterprise": enterprise.credit_code, "category": "organisation"},
        format="json",
    )
    assert app.status_code == 201
    app_id = app.json()["id"]
    url = f"/api/v1/awards/applications/{app_id}/"
    illegal = client.post(url + "transition/", {"to_stage": "awarded"}, format="json")
    assert illegal.status_code == 400
    assert illegal.json()["detail"] == ["不能从“已申报”转到“获奖”：下一步只能是“资格审查”"]
    assert client.post(url + "transition/", {"to_stage": "qualification"}, format="json").status_code == 200
    from awards import rounds

    rounds.application_add_file(
        user=bureau, application=Application.objects.get(pk=app_id), kind="report", upload=pdf()
    )
    assert (
        client.post(url + "transition/", {"to_stage": "document_review"}, format="json").json()["stage"]
        == "document_review"
    )
    for expert in experts[:2]:
        assert (
            client.post(
                url + "assign/", {"reviewer": expert.username, "stage": "document_review"}, format="json"
            ).status_code
            == 201
        )
    categories = Application.objects.get(pk=app_id).round.categories.all()
    reviewer = as_user(APIClient(), experts[0])
    over = reviewer.post(
        url + "score/",
        {"stage": "document_review", "scores": {**sheet(categories, 0.7), "results": "401"}},
        format="json",
    )
    assert over.status_code == 400 and over.json()["detail"] == ["“结果”得分 401 超过该类目满分 400"]
    ok = reviewer.post(
        url + "score/",
        {"stage": "document_review", "scores": {k: str(v) for k, v in sheet(categories, 0.7).items()}},
        format="json",
    )
    assert ok.status_code == 200 and ok.json()["total"] == "700.00"
    stranger = as_user(APIClient(), experts[2])
    assert (
        stranger.post(url + "score/", {"stage": "document_review", "scores": {}}, format="json").status_code
        == 404
    )
    rounds.review_submit(
        user=experts[1],
        assignment=ReviewAssignment.objects.get(reviewer=experts[1]),
        scores=sheet(categories, 0.8),
    )
    detail = client.get(url).json()
    assert detail["scores"]["document_review"] == {"mean": "750.00", "submitted": 2, "assigned": 2}
    ranking = client.get(f"/api/v1/awards/rounds/{rnd['id']}/ranking/").json()
    assert [(r["application"], r["rank"], r["rank_of"]) for r in ranking] == [(app_id, 1, 1)]
    assert (
        client.post(url + "transition/", {"to_stage": "onsite_review"}, format="json").json()["stage"]
        == "onsite_review"
    )


def test_objections_through_the_api(api, bureau, apply, advance):
    application = advance(apply(), Stage.PUBLIC_NOTICE)
    client = as_user(api, bureau)
    created = client.post(
        f"/api/v1/awards/applications/{application.pk}/objections/",
        {"received_on": "2025-10-03", "content": "举报", "objector": "甲"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["outcome"] == "pending"
    outside = client.post(
        f"/api/v1/awards/applications/{application.pk}/objections/",
        {"received_on": "2025-11-03", "content": "迟到的异议"},
        format="json",
    )
    assert outside.status_code == 400
    decided = client.post(
        f"/api/v1/awards/objections/{created.json()['id']}/decide/",
        {"outcome": "upheld", "note": "属实"},
        format="json",
    )
    assert decided.status_code == 200 and decided.json()["outcome"] == "upheld"
    refused = client.post(
        f"/api/v1/awards/applications/{application.pk}/transition/", {"to_stage": "awarded"}, format="json"
    )
    assert refused.json()["detail"] == ["公示期间有异议成立，不能授奖"]
    assert dt.date.today() > application.notice_end


def test_the_schema_documents_the_awards_api(api, catalog):
    from django.contrib.auth.models import User

    client = as_user(api, User.objects.create_superuser("root", "r@example.invalid", "x-Very-long-pass-1"))
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/api/v1/awards/grants/",
        "/api/v1/awards/grants/{id}/revoke/",
        "/api/v1/awards/enterprises/",
        "/api/v1/awards/rounds/{id}/ranking/",
        "/api/v1/awards/applications/{id}/transition/",
        "/api/v1/awards/applications/{id}/score/",
        "/api/v1/awards/objections/{id}/decide/",
    ):
        assert path in paths
