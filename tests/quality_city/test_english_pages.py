"""English pages name indicators in English and use English brackets and full stops.

An indicator has a Chinese and an English name (`Indicator.name` picks by the active language);
the brackets and full stops templates put around codes, counts and notes ("宁晋县（130528）",
"…数据审核。") are catalogue entries (contexts "open parenthesis", "close parenthesis",
"sentence end"), so an English page reads "宁晋县 (130528)" while the Chinese page is unchanged.
Place names, people and stored notes stay as entered.
"""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from awards import rounds
from awards import services as award_services
from indicators import services
from indicators.models import Figure, Indicator, Plan, Region
from indicators.scoring_service import compute_scores
from reports.models import ReportArtifact
from tests.assessments.conftest import CITY, JULU, NINGJIN, cycle  # noqa: F401  (fixture)
from tests.awards.conftest import (  # noqa: F401  (fixtures)
    _tasks_in_process,
    apply,
    award_types,
    bureau,
    make_enterprise,
    rnd,
)
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig, tgt
from tests.quality_city.test_english import english

pytestmark = pytest.mark.django_db

YEAR = 2025
FULL_WIDTH = re.compile("[（）。]")


@pytest.fixture(autouse=True)
def _reset_active_language():
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def names(code: str) -> tuple[str, str]:
    ind = Indicator.objects.get(code=code)
    return ind.name_zh, ind.name_en


def chinese(client) -> None:
    assert client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"}).status_code == 302


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.content.decode()


def assert_english(body: str, *codes: str) -> None:
    """Every indicator's English name is on the page, its Chinese name is not, nor are
    full-width brackets or full stops."""
    for code in codes:
        zh, en = names(code)
        assert en in body, code
        assert zh not in body, code
    assert FULL_WIDTH.findall(body) == []


# --- data entry and review ---------------------------------------------------------------------


@pytest.fixture
def entry(catalog):
    """宁晋县 (130528) in YEAR: a returned figure, a submitted one, a derived one."""
    clerk = make_user(NINGJIN, "staff", username="nj_clerk")
    reviewer = make_user(CITY, "reviewer", username="xt_reviewer")
    ningjin = Region.objects.get(code=NINGJIN)

    def save(code: str, value: str) -> Figure:
        figure = services.figure_save(
            actor=clerk,
            region=ningjin,
            indicator=Indicator.objects.get(code=code),
            year=YEAR,
            value=value,
            expected_version=None,
        )
        return services.figure_submit(actor=clerk, figure=figure, expected_version=figure.version)

    returned = save("PQ_SAMPLING_PASS", "97.5")
    returned = services.figure_return(
        actor=reviewer, figure=returned, expected_version=returned.version, reason="wrong year"
    )
    submitted = save("QM_QMS_CERTIFICATES", "12")
    derived = Figure.objects.create(
        region=ningjin,
        indicator=catalog["BR_PROV_TOP_BRAND"],
        year=YEAR,
        value=5,
        reported_value=5,
        source="derived",
        source_ref="5 grants",
    )
    return {
        "clerk": clerk,
        "reviewer": reviewer,
        "returned": returned,
        "submitted": submitted,
        "derived": derived,
    }


def test_the_entry_grid_names_indicators_in_english(client, entry):
    client.force_login(entry["clerk"])
    english(client)
    body = get(client, f"/entry/{NINGJIN}/{YEAR}/")
    assert_english(body, "PQ_SAMPLING_PASS", "QM_QMS_CERTIFICATES", "BR_PROV_TOP_BRAND", "EN_MAJOR_ACCIDENTS")
    # The returned-figures notice links the English name.
    assert '<a href="#row-PQ_SAMPLING_PASS">Supervisory sampling pass rate</a>: wrong year</li>' in body
    assert 'aria-label="Supervisory sampling pass rate (%)"' in body
    assert '<div class="ind-name">Quality management system certificates held</div>' in body
    assert '<option value="130528" selected>宁晋县 (130528)</option>' in body
    assert "Source: System-derived (5 grants)</div>" in body


def test_the_entry_grid_is_unchanged_in_chinese(client, entry):
    client.force_login(entry["clerk"])
    body = get(client, f"/entry/{NINGJIN}/{YEAR}/")
    assert '<a href="#row-PQ_SAMPLING_PASS">产品质量监督抽查合格率</a>：wrong year</li>' in body
    assert 'aria-label="产品质量监督抽查合格率（%）"' in body
    assert '<option value="130528" selected>宁晋县（130528）</option>' in body
    assert "来源：系统推导（5 grants）</div>" in body
    assert "Supervisory sampling pass rate" not in body


def test_a_city_grid_sums_its_counties_and_points_reviewers_to_the_queue_in_english(client, entry):
    client.force_login(entry["reviewer"])
    english(client)
    body = get(client, f"/entry/{CITY}/{YEAR}/")
    assert_english(body, "QM_QMS_CERTIFICATES")
    assert "Sum of subordinate regions: 12 (1 of 19 subordinate regions reported, 0 reviewed)</div>" in body
    body = get(client, f"/entry/{NINGJIN}/{YEAR}/")  # the reviewer only reads the county's grid
    assert_english(body, "QM_QMS_CERTIFICATES")
    assert re.search(r'<a href="/review/\?region=130528&amp;year=2025">Data review</a>\.</p>', body)

    chinese(client)
    body = get(client, f"/entry/{CITY}/{YEAR}/")
    assert "下级汇总：12（1/19 个下级已填报，0 个已审核）</div>" in body
    body = get(client, f"/entry/{NINGJIN}/{YEAR}/")
    assert '<a href="/review/?region=130528&amp;year=2025">数据审核</a>。</p>' in body


def test_the_review_queue_and_the_figure_page_name_indicators_in_english(client, entry):
    client.force_login(entry["reviewer"])
    english(client)
    body = get(client, "/review/")
    assert_english(body, "QM_QMS_CERTIFICATES")
    assert "<td>宁晋县</td><td>2025</td><td>Quality management system certificates held</td>" in body
    assert 'aria-label="Select 宁晋县 Quality management system certificates held"' in body

    for figure in (entry["submitted"], entry["derived"]):
        body = get(client, f"/figures/{figure.pk}/")
        assert_english(body, figure.indicator.code)
        assert f"<h1>{figure.indicator.name_en} <span" in body
        assert "<dd>宁晋县 (130528)</dd>" in body
    assert "<dd>System-derived (5 grants)</dd>" in body

    chinese(client)
    body = get(client, "/review/")
    assert "<td>宁晋县</td><td>2025</td><td>质量管理体系认证证书</td>" in body
    body = get(client, f"/figures/{entry['derived'].pk}/")
    assert "<h1>省名牌产品(有效期内) <span" in body
    assert "<dd>宁晋县（130528）</dd>" in body
    assert "<dd>系统推导（5 grants）</dd>" in body


def test_the_import_preview_names_indicators_in_english(client, entry):
    client.force_login(entry["clerk"])
    csv = f"region_code,indicator_code,year,value\n{NINGJIN},EN_MAJOR_ACCIDENTS,{YEAR},0\n".encode()

    def preview() -> str:
        response = client.post(
            "/import/",
            {"file": SimpleUploadedFile("figures.csv", csv, content_type="text/csv"), "status": "draft"},
        )
        assert response.status_code == 200
        return response.content.decode()

    english(client)
    body = preview()
    assert_english(body, "EN_MAJOR_ACCIDENTS")
    assert "<td>宁晋县</td><td>Major structural quality and safety accidents</td>" in body
    assert '<option value="130528">宁晋县 (130528)</option>' in body
    chinese(client)
    body = preview()
    assert "<td>宁晋县</td><td>重大工程结构质量安全事故</td>" in body
    assert '<option value="130528">宁晋县（130528）</option>' in body


# --- targets and scores ------------------------------------------------------------------------


@pytest.fixture
def plan(catalog):
    """邢台市's plan with a horizon target projected to be missed and its milestones;
    a scored county target deducting points per unit of shortfall."""
    plan = Plan.objects.create(
        name="邢台市质量兴市2011-2015",
        region=Region.objects.get(code=CITY),
        base_year=2010,
        start_year=2011,
        end_year=2015,
    )
    tgt(CITY, "PQ_SAMPLING_PASS", 2015, 98, plan=plan)
    tgt(CITY, "PQ_SAMPLING_PASS", 2013, 94, plan=plan, is_milestone=True)
    for year, value in [(2010, 90), (2011, 91), (2012, 92), (2013, 93)]:
        fig(CITY, "PQ_SAMPLING_PASS", year, value)
    tgt(NINGJIN, "EN_MAJOR_ACCIDENTS", 2015, 0, weight=4, rule="deduct", rule_param="2")
    fig(NINGJIN, "EN_MAJOR_ACCIDENTS", 2015, 1)
    compute_scores(year=2015, region=Region.objects.get(code=NINGJIN))
    return plan


def test_target_and_score_pages_name_indicators_in_english(client, plan):
    client.force_login(make_user(CITY, "admin", "reviewer", username="xt_admin"))
    english(client)
    body = get(client, f"/scores/{CITY}/targets/")
    assert_english(body, "PQ_SAMPLING_PASS")
    assert 'aria-label="Supervisory sampling pass rate 2015"' in body

    body = get(client, f"/scores/{CITY}/targets/PQ_SAMPLING_PASS/2013/")
    assert_english(body, "PQ_SAMPLING_PASS")
    assert "<h1>邢台市 · Supervisory sampling pass rate · 2013</h1>" in body
    assert "邢台市质量兴市2011-2015 (Annual interim target)</p>" in body

    body = get(client, f"/scores/{CITY}/at-risk/")
    assert_english(body, "PQ_SAMPLING_PASS")
    assert re.search(r"<h2>[^<(]+ \(1\)</h2>", body)
    assert "<td>邢台市</td><td>Supervisory sampling pass rate</td>" in body

    body = get(client, f"/scores/{NINGJIN}/2015/explain/")
    assert_english(body, "EN_MAJOR_ACCIDENTS")
    assert "Deduct by shortfall (2 points per unit of shortfall)</td>" in body
    assert re.search(r"saved by the latest scoring run( \([^()]+\))+\.</p>", body)


def test_target_and_score_pages_are_unchanged_in_chinese(client, plan):
    client.force_login(make_user(CITY, "admin", "reviewer", username="xt_admin"))
    body = get(client, f"/scores/{CITY}/targets/PQ_SAMPLING_PASS/2013/")
    assert "<h1>邢台市 · 产品质量监督抽查合格率 · 2013</h1>" in body
    assert "邢台市质量兴市2011-2015（年度分解目标）</p>" in body
    body = get(client, f"/scores/{CITY}/at-risk/")
    assert "<h2>预计无法完成（1）</h2>" in body
    body = get(client, f"/scores/{NINGJIN}/2015/explain/")
    assert "按差距扣分（2/单位）</td>" in body
    assert re.search(
        r"以上数字均取自最近一次评分运行保存的结果（自评：[^（）]+，manual）（核定：[^（）]+，manual）。</p>",
        body,
    )


# --- assessments -------------------------------------------------------------------------------


def test_assessment_pages_name_indicators_in_english(client, cycle):  # noqa: F811
    cycle.to_verification()
    base = f"/assessments/{cycle.assessment.pk}/regions/{NINGJIN}"
    codes = ("PQ_SAMPLING_PASS", "QM_QMS_CERTIFICATES", "EN_MAJOR_ACCIDENTS")
    client.force_login(cycle.users["verifier_a"])
    english(client)
    body = get(client, f"{base}/verification/")
    assert_english(body, *codes)
    assert "<b>第一核查组</b> (Team leader: 核查员甲)" in body
    client.force_login(cycle.staff(NINGJIN))
    body = get(client, f"{base}/")
    assert_english(body, *codes)

    chinese(client)
    client.force_login(cycle.users["verifier_a"])
    body = get(client, f"{base}/verification/")
    assert "<b>第一核查组</b>（带队：核查员甲）" in body
    assert "<td>产品质量监督抽查合格率 <span" in body


def test_published_results_name_indicators_in_english(client, cycle):  # noqa: F811
    cycle.publish()
    client.force_login(cycle.users["reviewer"])
    english(client)
    url = f"/assessments/{cycle.assessment.pk}/results/?region={JULU}"
    body = get(client, url)
    assert_english(body, "PQ_SAMPLING_PASS", "QM_QMS_CERTIFICATES", "EN_MAJOR_ACCIDENTS")
    assert "<tr><td>Supervisory sampling pass rate</td>" in body
    chinese(client)
    assert "<tr><td>产品质量监督抽查合格率</td>" in get(client, url)


# --- awards, reports and error pages ----------------------------------------------------------


def lead(body: str) -> str:
    return body.split('<p class="lead">', 1)[1].split("</p>", 1)[0]


def test_award_pages_in_english(client, apply, bureau, award_types, make_enterprise):  # noqa: F811
    """Award pages name the indicator a type counts towards in English, and bracket in English."""
    application = apply()
    rounds.application_transition(
        user=bureau, application=application, to_stage="qualification", note="complete"
    )
    brand = award_types["CHINA_TOP_BRAND"]  # counts towards BR_CHINA_TOP_BRAND
    grant = award_services.grant_create(
        user=bureau, award_type=brand, enterprise=make_enterprise(NINGJIN), name="Example", year_granted=YEAR
    )
    zh, en = names(brand.indicator.code)
    enterprise = application.enterprise
    client.force_login(bureau)
    english(client)
    body = get(client, f"/awards/applications/{application.pk}/")
    assert f"<dd>{enterprise.name} (<code>{enterprise.credit_code}</code>, 宁晋县)</dd>" in body
    assert "(complete)</li>" in body
    body = get(client, f"/awards/rounds/{application.round.pk}/")
    assert re.search(r" \(Total score 1000\)</p>", body)
    body = get(client, f"/awards/grants/{grant.pk}/revoke/")
    assert f"{grant.enterprise.name} ({YEAR})</p>" in body
    grants = f"/awards/grants/?year={YEAR}&indicator={brand.indicator.code}&region={NINGJIN}"
    body = get(client, grants)
    assert f"“{en}”" in lead(body) and zh not in lead(body)
    assert f'<option value="{brand.indicator.code}" selected>{en}</option>' in body
    body = get(client, "/awards/types/")
    assert f'<div class="muted">{en}</div>' in body and f'<div class="muted">{zh}</div>' not in body
    body = get(client, "/awards/import/enterprises/")
    assert "<code>credit_code (统一社会信用代码)</code>" in body

    chinese(client)
    body = get(client, f"/awards/applications/{application.pk}/")
    assert f"<dd>{enterprise.name}（<code>{enterprise.credit_code}</code>，宁晋县）</dd>" in body
    assert "（complete）</li>" in body
    body = get(client, grants)
    assert f"计入“{zh}”的授予共 1 项" in lead(body)
    assert f'<option value="{brand.indicator.code}" selected>{zh}</option>' in body
    assert f'<div class="muted">{zh}</div>' in get(client, "/awards/types/")


def test_the_report_page_and_error_pages_bracket_in_english(client, catalog):
    reviewer = make_user(CITY, "reviewer", username="xt_reviewer", first_name="审核员")
    artifact = ReportArtifact.objects.create(
        kind="annual_report",
        fmt="pdf",
        region=Region.objects.get(code=CITY),
        year=2015,
        basis="verified",
        inputs_hash="0" * 64,
        requested_by=reviewer,
    )
    client.force_login(reviewer)
    english(client)
    body = get(client, f"/reports/{artifact.pk}/")
    assert re.search(r'<p class="muted">Verified basis · PDF · Requested on [0-9: -]+ \(审核员\)</p>', body)
    assert re.search(
        r'<option value="130500"( selected)?>邢台市 \(130500\)</option>', get(client, "/reports/")
    )
    assert "<h1>Page not found (404)</h1>" in get(client, "/no-such-page/", status=404)
    client.force_login(make_user(NINGJIN, "staff", username="nj_clerk"))
    assert "<h1>Access denied (403)</h1>" in get(client, "/review/", status=403)

    chinese(client)
    client.force_login(reviewer)
    body = get(client, f"/reports/{artifact.pk}/")
    assert re.search(r'<p class="muted">核定口径 · PDF · 申请于 [0-9: -]+（审核员）</p>', body)
    assert "<h1>页面不存在（404）</h1>" in get(client, "/no-such-page/", status=404)


def test_the_brackets_and_full_stop_follow_the_language():
    from django.template import engines

    template = engines["django"].from_string(
        '{% load i18n %}宁晋县{% translate "（" context "open parenthesis" %}130528'
        '{% translate "）" context "close parenthesis" %}{% translate "。" context "sentence end" %}'
    )
    with translation.override("en"):
        assert template.render() == "宁晋县 (130528)."
    with translation.override("zh-hans"):
        assert template.render() == "宁晋县（130528）。"


# --- units -------------------------------------------------------------------------------------


def test_target_and_score_pages_name_units_in_the_active_language(client, plan):
    """The catalogue stores short unit codes ("count", "10k CNY"); pages show the unit's name."""
    tgt(CITY, "QI_INVESTMENT", 2015, 500, plan=plan)
    client.force_login(make_user(CITY, "admin", "reviewer", username="xt_admin"))
    targets, explain = f"/scores/{CITY}/targets/", f"/scores/{NINGJIN}/2015/explain/"

    body = get(client, targets)
    assert '<div class="muted small">QI_INVESTMENT · 万元</div>' in body
    assert '<div class="muted small">PQ_SAMPLING_PASS · %</div>' in body
    assert '<div class="muted small">EN_MAJOR_ACCIDENTS · 个</div>' in get(client, explain)

    english(client)
    body = get(client, targets)
    assert '<div class="muted small">QI_INVESTMENT · CNY 10k</div>' in body
    assert '<div class="muted small">PQ_SAMPLING_PASS · %</div>' in body
    assert "10k CNY" not in body
    assert '<div class="muted small">EN_MAJOR_ACCIDENTS · count</div>' in get(client, explain)


def test_assessment_pages_name_units_in_the_active_language(client, cycle):  # noqa: F811
    cycle.to_verification()
    base = f"/assessments/{cycle.assessment.pk}/regions/{NINGJIN}"
    zh, en = names("QM_QMS_CERTIFICATES")
    client.force_login(cycle.users["verifier_a"])
    english(client)
    body = get(client, f"{base}/verification/")
    assert f'{en} <span class="muted small">count</span></td>' in body
    client.force_login(cycle.staff(NINGJIN))
    body = get(client, f"{base}/")
    assert f'{en} <span class="muted small">count</span></td>' in body
    assert '<span class="muted small">%</span>' in body

    chinese(client)
    body = get(client, f"{base}/")
    assert f'{zh} <span class="muted small">个</span></td>' in body
    client.force_login(cycle.users["verifier_a"])
    body = get(client, f"{base}/verification/")
    assert f'{zh} <span class="muted small">个</span></td>' in body
    assert '<span class="muted small">count</span>' not in body
