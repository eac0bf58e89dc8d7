"""Score and target pages: ranking, run button, target grid editing, single-target form, uploads."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from indicators.models import Plan, RegionScore, ScoreRun, Target
from indicators.scoring_service import compute_scores
from tests.factories import make_user
from tests.indicators.scoring_helpers import (
    D,
    eager_celery,  # noqa: F401 (a fixture)
    fig,
    tgt,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

XT = "130500"


@pytest.fixture
def counties(catalog):
    for county, value in (("130521", 98), ("130522", 90)):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98)
        fig(county, "PQ_SAMPLING_PASS", 2015, value)


def test_the_ranking_lists_the_children_with_both_bases(counties, region, client):
    compute_scores(year=2015, region=region(XT))
    client.force_login(make_user(XT, "leader"))
    response = client.get(f"/scores/?region={XT}&year=2015")
    assert response.status_code == 200
    body = response.content.decode()
    assert body.index("邢台县") < body.index("临城县")  # 100.00 ranks above 91.84
    assert "91.84" in body and ">100.00<" in body and "1/2" in body and "2/2" in body
    assert "重新计算得分" not in body  # a leader reads, does not run scoring


def test_the_home_region_is_the_default(counties, region, client):
    compute_scores(year=2015, region=region(XT))
    client.force_login(make_user(XT, "leader"))
    body = client.get("/scores/").content.decode()
    assert "邢台市 · 2015" in body


def test_a_reviewer_runs_scoring_from_the_page(counties, client):
    reviewer = make_user(XT, "reviewer")
    client.force_login(reviewer)
    response = client.post("/scores/run/", {"region": XT, "year": "2015"})
    assert response.status_code == 302
    runs = ScoreRun.objects.all()
    assert {(r.trigger, r.triggered_by, r.region.code) for r in runs} == {("page", reviewer, XT)}
    assert RegionScore.objects.filter(year=2015).count() == 4


def test_running_scoring_needs_the_score_right_in_that_subtree(counties, client):
    client.force_login(make_user(XT, "leader"))
    assert client.post("/scores/run/", {"region": XT, "year": "2015"}).status_code == 403
    client.force_login(make_user("130300", "reviewer"))  # 秦皇岛市
    assert client.post("/scores/run/", {"region": XT, "year": "2015"}).status_code == 403
    assert not ScoreRun.objects.exists()


def test_an_admin_edits_creates_and_deletes_targets_in_the_grid(counties, region, client):
    plan = Plan.objects.create(name="P", region=region(XT), base_year=2010, start_year=2011, end_year=2015)
    tgt("130521", "PQ_GRADE_RATE", 2014, 80, plan=plan, is_milestone=True, weight=6)
    client.force_login(make_user(XT, "admin"))
    url = "/scores/130521/targets/?from=2014&to=2015"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="t|PQ_SAMPLING_PASS|2015" value="98"' in page.content.decode()

    response = client.post(
        url,
        {
            "t|PQ_SAMPLING_PASS|2015": "",  # blank: delete
            "t|PQ_GRADE_RATE|2014": "81.5",  # edit a milestone
            "t|PQ_GRADE_RATE|2015": "83",  # new: weight and plan of the row's other target
            "t|PQ_FOOD_PASS|2015": "",  # untouched empty cell
        },
    )
    assert response.status_code == 302
    assert not Target.objects.filter(region__code="130521", indicator__code="PQ_SAMPLING_PASS").exists()
    edited = Target.objects.get(region__code="130521", indicator__code="PQ_GRADE_RATE", year=2014)
    assert (edited.value, edited.is_milestone) == (D("81.5"), True)
    assert edited.history.first().history_change_reason == "目标表格修改"
    new = Target.objects.get(region__code="130521", indicator__code="PQ_GRADE_RATE", year=2015)
    assert (new.value, new.weight, new.plan, new.comparator) == (D(83), D(6), plan, ">=")


def test_a_bad_cell_saves_nothing(counties, client):
    client.force_login(make_user(XT, "admin"))
    url = "/scores/130521/targets/?from=2014&to=2015&all=1"
    client.post(
        url, {"t|PQ_SAMPLING_PASS|2015": "97", "t|PQ_GRADE_RATE|2015": "abc", "t|PQ_FOOD_PASS|2015": "120"}
    )
    assert Target.objects.get(region__code="130521", indicator__code="PQ_SAMPLING_PASS").value == D(98)
    assert not Target.objects.filter(indicator__code__in=["PQ_GRADE_RATE", "PQ_FOOD_PASS"]).exists()
    messages = [str(m) for m in client.get(url).context["messages"]]
    assert any("“abc”不是数字" in m for m in messages)
    assert any("超出指标取值范围" in m for m in messages)


def test_only_admins_of_the_subtree_can_edit_targets(counties, client):
    client.force_login(make_user("130521", "staff"))
    page = client.get("/scores/130521/targets/")
    assert page.status_code == 200 and 'name="t|' not in page.content.decode()  # read-only grid
    assert client.post("/scores/130521/targets/", {"t|PQ_SAMPLING_PASS|2015": "10"}).status_code == 403
    client.force_login(make_user("130522", "admin"))  # the neighbouring county
    assert client.get("/scores/130521/targets/").status_code == 403
    assert client.get("/scores/130521/targets/PQ_SAMPLING_PASS/2015/").status_code == 403
    assert Target.objects.get(region__code="130521").value == D(98)


def test_the_target_form_edits_rule_weight_and_veto(counties, client):
    client.force_login(make_user(XT, "admin"))
    url = "/scores/130521/targets/PQ_SAMPLING_PASS/2015/"
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "comparator": ">=",
            "value": "97",
            "weight": "10",
            "rule": "deduct",
            "rule_param": "2",
            "veto": "on",
            "note": "调整",
        },
    )
    assert response.status_code == 302
    t = Target.objects.get(region__code="130521", indicator__code="PQ_SAMPLING_PASS")
    assert (t.value, t.weight, t.rule, t.rule_param, t.veto) == (D(97), D(10), "deduct", D(2), True)
    response = client.post(url, {"comparator": ">=", "value": "101", "weight": "1", "rule": "ratio"})
    assert response.status_code == 200 and "目标值大于指标上限 100" in response.content.decode()


def test_targets_are_imported_from_the_grid_page_all_or_nothing(catalog, client):
    client.force_login(make_user(XT, "admin"))
    good = SimpleUploadedFile(
        "t.csv",
        b"region_code,indicator_code,year,comparator,target,weight\n130521,PQ_SAMPLING_PASS,2015,>=,98,4\n",
    )
    response = client.post(f"/scores/{XT}/targets/import/", {"plan_name": "网页导入", "file": good})
    assert response.status_code == 302
    assert Target.objects.get().plan.name == "网页导入"
    bad = SimpleUploadedFile(
        "t.csv",
        b"region_code,indicator_code,year,comparator,target,weight\n130521,PQ_GRADE_RATE,2015,>=,98,4\n130302,PQ_GRADE_RATE,2015,>=,98,4\n",
    )
    response = client.post(
        f"/scores/{XT}/targets/import/", {"plan_name": "网页导入2", "file": bad}, follow=True
    )
    assert "第 3 行，地区代码（region_code） 列：无权为海港区设定目标" in response.content.decode()
    assert Target.objects.count() == 1


def test_the_milestone_button_generates_the_plans_milestones(catalog, region, client):
    plan = Plan.objects.create(name="P", region=region(XT), base_year=2010, start_year=2011, end_year=2015)
    tgt(XT, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    fig(XT, "PQ_SAMPLING_PASS", 2010, 93)
    client.force_login(make_user(XT, "leader"))
    assert client.post(f"/scores/plans/{plan.pk}/milestones/").status_code == 403
    client.force_login(make_user(XT, "admin"))
    response = client.post(f"/scores/plans/{plan.pk}/milestones/", {"region": XT})
    assert response.status_code == 302
    assert Target.objects.filter(plan=plan, is_milestone=True).count() == 4
