"""Text built in Python follows the reader's language: flash messages, form and row errors,
403 texts, view-provided titles, service refusals, stored notes shown on pages; and the
separators templates put between labels and values or list items ("File: x.xlsx", "A, B").

Chinese stays the default: the same actions without the English cookie give the Chinese text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from assessments.models import Stage
from indicators import services
from indicators.models import Figure, Indicator, Region
from tests.assessments.conftest import CITY, JULU, NINGJIN, cycle  # noqa: F401  (fixture)
from tests.factories import make_user
from tests.quality_city.test_english import chinese_left, english

pytestmark = pytest.mark.django_db

YEAR = 2025
GRID = f"/entry/130528/{YEAR}/"


@pytest.fixture(autouse=True)
def _reset_active_language():
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(catalog):
    return make_user("130528", "staff", username="nj_clerk")


def flashes(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def grid_post(**values: str) -> dict:
    data: dict = {"action": "save"}
    for code, value in values.items():
        data |= {f"v_{code}": value, f"n_{code}": "", f"o_{code}": "", f"on_{code}": "", f"ver_{code}": "0"}
    return data


def name_en(code: str) -> str:
    return Indicator.objects.get(code=code).name_en


# --- data entry and review ---------------------------------------------------------------------


def test_saving_the_grid_flashes_in_english_with_a_plural(client, clerk):
    client.force_login(clerk)
    english(client)
    response = client.post(GRID, grid_post(PQ_SAMPLING_PASS="97.5", QM_QMS_CERTIFICATES="12"), follow=True)
    assert response.status_code == 200
    assert flashes(response) == ["Saved 2 entries"]
    assert "Saved 2 entries" in response.content.decode()
    assert Figure.objects.filter(region__code="130528", year=YEAR).count() == 2


def test_the_same_save_flashes_in_chinese_by_default(client, clerk):
    client.force_login(clerk)
    response = client.post(GRID, grid_post(PQ_SAMPLING_PASS="97.5"), follow=True)
    assert flashes(response) == ["已保存 1 项"]


def test_a_value_that_is_not_a_number_is_refused_in_english(client, clerk):
    client.force_login(clerk)
    english(client)
    response = client.post(GRID, grid_post(PQ_SAMPLING_PASS="abc", QM_QMS_CERTIFICATES="1,200"))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was saved: correct the marked entries and save again" in body
    assert "“abc” is not a number" in body
    assert "“1,200” contains thousands separators; enter digits only, e.g. 12345.6" in body
    for text in ("未保存任何数据", "不是数字", "含千位分隔符"):
        assert text not in body
    assert not Figure.objects.filter(region__code="130528", year=YEAR).exists()


def test_approving_a_figure_flashes_its_english_name(client, clerk):
    region = Region.objects.get(code="130528")
    figure = services.figure_save(
        actor=clerk,
        region=region,
        indicator=Indicator.objects.get(code="PQ_SAMPLING_PASS"),
        year=YEAR,
        value="97.5",
        expected_version=None,
    )
    figure = services.figure_submit(actor=clerk, figure=figure, expected_version=figure.version)
    reviewer = make_user("130500", "reviewer", username="xt_reviewer")
    client.force_login(reviewer)
    english(client)
    response = client.post(
        f"/figures/{figure.pk}/approve/",
        {"version": figure.version, "verified_value": "", "reason": ""},
        follow=True,
    )
    assert response.status_code == 200
    assert flashes(response) == [f"“{name_en('PQ_SAMPLING_PASS')}” approved"]
    figure.refresh_from_db()
    assert figure.status == Figure.Status.APPROVED
    # The history shows the stored (Chinese) reason in English too.
    assert "Submit for review" in client.get(f"/figures/{figure.pk}/").content.decode()


def test_a_stale_version_is_a_conflict_explained_in_english(client, clerk):
    figure = services.figure_save(
        actor=clerk,
        region=Region.objects.get(code="130528"),
        indicator=Indicator.objects.get(code="PQ_SAMPLING_PASS"),
        year=YEAR,
        value="97.5",
        expected_version=None,
    )
    services.figure_save(
        actor=clerk,
        region=figure.region,
        indicator=figure.indicator,
        year=YEAR,
        value="98",
        expected_version=figure.version,
    )
    client.force_login(clerk)
    english(client)
    response = client.post(f"/figures/{figure.pk}/submit/", {"version": figure.version})
    assert response.status_code == 409
    body = response.content.decode()
    assert (
        f"“{name_en('PQ_SAMPLING_PASS')}” was changed by someone else: the current value is 98 (Draft" in body
    )
    assert "Your change was not saved; check the current value and submit again." in body


def test_the_review_queue_403_page_explains_itself_in_english(client, clerk):
    client.force_login(clerk)
    english(client)
    response = client.get("/review/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "You are not allowed to review" in body
    assert "您没有审核权限" not in body
    assert chinese_left(body) == []
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "您没有审核权限" in client.get("/review/").content.decode()


def test_import_row_errors_are_listed_in_english(client, clerk):
    client.force_login(clerk)
    english(client)
    csv = (
        "region_code,indicator_code,year,value\n"
        f"999999,PQ_SAMPLING_PASS,{YEAR},97\n"
        f"130528,NO_SUCH_CODE,{YEAR},1\n"
        f"130528,PQ_SAMPLING_PASS,{YEAR},1,2\n"
    ).encode()
    response = client.post(
        "/import/",
        {"file": SimpleUploadedFile("figures.csv", csv, content_type="text/csv"), "status": "draft"},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Region code “999999” does not exist" in body
    assert "Indicator code “NO_SUCH_CODE” does not exist" in body
    assert "<td>region_code</td>" in body  # the English header names the column
    assert "不存在" not in body


# --- assessments -------------------------------------------------------------------------------


def test_advancing_an_assessment_flashes_in_english(client, cycle):  # noqa: F811
    for code in (NINGJIN, JULU):
        from assessments import services as assessment_services

        assessment_services.county_file_targets(actor=cycle.staff(code), row=cycle.row(code))
    client.force_login(cycle.users["reviewer"])
    english(client)
    board = f"/assessments/{cycle.assessment.pk}/"
    refused = client.post(f"{board}advance/", {"to_stage": Stage.SELF}, follow=True)
    assert flashes(refused) == ["These regions have not finished “Target filing”: 宁晋县, 巨鹿县"]
    for code in (NINGJIN, JULU):
        ok = client.post(f"{board}regions/{code}/accept/", follow=True)
        assert flashes(ok) == ["Target filing accepted; the region moves on to self-assessment"]
    moved = client.post(f"{board}advance/", {"to_stage": Stage.SELF}, follow=True)
    assert flashes(moved) == ["The assessment has moved to the “Self-assessment” stage"]
    assert cycle.refresh().stage == Stage.SELF


def test_a_county_step_in_the_wrong_stage_is_refused_in_english(client, cycle):  # noqa: F811
    client.force_login(cycle.staff(NINGJIN))
    english(client)
    url = f"/assessments/{cycle.assessment.pk}/regions/{NINGJIN}/submit-self/"
    response = client.post(url, follow=True)
    assert flashes(response) == [
        "The assessment has not reached the “Self-assessment” stage yet; cannot submit the self-assessment"
    ]
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    response = client.post(url, follow=True)
    assert flashes(response) == ["考核尚未进入“自评”阶段，不能提交自评"]


def test_the_freeze_403_is_in_english(client, cycle):  # noqa: F811
    cycle.publish()
    figure = cycle.figures[(NINGJIN, "PQ_SAMPLING_PASS")]
    client.force_login(cycle.users["admin"])
    english(client)
    response = client.post(
        f"/figures/{figure.pk}/reopen/", {"reo-version": figure.version, "reo-reason": "x"}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "The assessment results for this year have been published and the data is frozen" in body
    assert "数据已冻结" not in body


# --- awards ------------------------------------------------------------------------------------


def test_award_pages_use_english_titles_from_the_views(client, catalog):
    client.force_login(make_user(CITY, "staff", username="xt_awards"))
    english(client)
    body = client.get("/awards/grants/new/").content.decode()
    assert "<h1>Register brand award</h1>" in body
    assert "登记品牌奖项" not in body
    body = client.get("/awards/import/enterprises/").content.decode()
    assert "Import enterprises" in body


def test_an_enterprise_import_with_a_bad_credit_code_is_explained_in_english(client, catalog):
    client.force_login(make_user(CITY, "staff", username="xt_awards"))
    english(client)
    csv = (
        "credit_code,name,region_code\n91130528ABCDEFGHIJ,宁晋示例公司,130528\nshort,乙公司,999999\n".encode()
    )
    response = client.post(
        "/awards/import/enterprises/", {"file": SimpleUploadedFile("e.csv", csv, content_type="text/csv")}
    )
    body = response.content.decode()
    assert "A unified social credit code does not use the letters I, O, S, V and Z; it contains I" in body
    assert "A unified social credit code has 18 characters; this one has 5" in body
    assert "Region code “999999” does not exist" in body
    assert "统一社会信用代码须" not in body and "不存在" not in body


# --- reports and helpers ---------------------------------------------------------------------


def test_stored_report_notes_are_shown_in_the_readers_language():
    from reports.notes import localize

    stored = [
        "文件已存档，可以下载",
        "已渲染图表 3/7",
        "生成期间数据已更新，最新数据的报告见 #12。",
        "邢台市2015年度尚无核定得分，请先完成评分计算后再生成报告。",
        "生成失败（ValueError: bad）",
        "某段人工写的说明",
    ]
    with translation.override("en"):
        assert [localize(s) for s in stored] == [
            "File archived and ready to download",
            "Rendered chart 3/7",
            "The data changed during generation; the report on the latest data is #12.",
            "邢台市 has no 2015 scores yet (Verified basis); run the scoring before generating the report.",
            "Generation failed (ValueError: bad)",
            "某段人工写的说明",
        ]
    with translation.override("zh-hans"):
        assert [localize(s) for s in stored] == stored


def test_separators_follow_the_language():
    from quality_city.i18n import join_clauses, join_list

    with translation.override("en"):
        assert join_list(["A", "B"]) == "A, B"
        assert join_clauses(["A", "B"]) == "A; B"
    with translation.override("zh-hans"):
        assert join_list(["甲", "乙"]) == "甲、乙"
        assert join_clauses(["甲", "乙"]) == "甲；乙"


# --- label colons and list separators in templates ----------------------------------------------


def section(body: str, start: str, end: str) -> str:
    return body.split(start, 1)[1].split(end, 1)[0]


def test_the_import_preview_labels_use_the_readers_colon_and_separators(client, clerk):
    client.force_login(clerk)
    csv = (
        "region_code,indicator_code,year,value\n"
        f"130528,PQ_SAMPLING_PASS,{YEAR - 1},96\n"
        f"130528,PQ_SAMPLING_PASS,{YEAR},97\n"
    ).encode()

    def preview() -> str:
        response = client.post(
            "/import/",
            {"file": SimpleUploadedFile("figures.csv", csv, content_type="text/csv"), "status": "draft"},
        )
        assert response.status_code == 200
        return section(response.content.decode(), '<ul class="summary">', "</ul>")

    summary = preview()
    assert "<li>文件：figures.csv</li>" in summary
    assert "<li>导入后状态：草稿</li>" in summary
    assert '<li>新增 <b id="n-create">2</b> 条，更新 <b id="n-update">0</b> 条，与现有数据相同' in summary
    assert f"<li>地区：宁晋县；年度：{YEAR - 1}、{YEAR}</li>" in summary

    english(client)
    summary = preview()
    assert "<li>File: figures.csv</li>" in summary
    assert "<li>Status after import: Draft</li>" in summary
    assert '<li>New <b id="n-create">2</b> records, Update <b id="n-update">0</b> records, same as' in summary
    assert f"<li>Region: 宁晋县; Year: {YEAR - 1}, {YEAR}</li>" in summary
    for mark in ("：", "；", "、", "，"):
        assert mark not in summary


def test_assessment_pages_label_and_list_in_the_readers_language(client, cycle):  # noqa: F811
    from assessments import services as assessment_services

    cycle.to_review()
    for code in (NINGJIN, JULU):
        assessment_services.county_review_pass(actor=cycle.users["reviewer"], row=cycle.row(code))
    assessment_services.group_save(
        actor=cycle.users["reviewer"],
        assessment=cycle.assessment,
        name="第一核查组",
        members=[cycle.users["verifier_a"], cycle.users["verifier_b"]],
        leader=cycle.users["verifier_a"],
        regions=[cycle.counties[NINGJIN]],
    )
    base = f"/assessments/{cycle.assessment.pk}"

    client.force_login(cycle.users["reviewer"])
    body = client.get(f"{base}/groups/").content.decode()
    assert "<td>核查员甲、核查员乙</td>" in body
    assert "尚未分配核查组的地区：巨鹿县</p>" in body
    english(client)
    body = client.get(f"{base}/groups/").content.decode()
    assert "<td>核查员甲, 核查员乙</td>" in body
    assert "Regions without a verification team: 巨鹿县</p>" in body

    client.force_login(cycle.staff(NINGJIN))
    body = client.get(f"{base}/regions/{NINGJIN}/").content.decode()
    assert 'Current stage of this region: <span class="stage-badge' in body
    assert " · On-site verification team: 第一核查组" in body
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    body = client.get(f"{base}/regions/{NINGJIN}/").content.decode()
    assert '本地区所处阶段：<span class="stage-badge' in body
    assert " · 现场核查组：第一核查组" in body


def test_no_template_writes_a_chinese_separator_outside_translated_text():
    """A "：", "；" or "、" written in a template reads oddly in English ("File：x.xlsx"): write
    {% translate "：" context "label colon" %}, or the "list separator" / "clause separator"
    entries, which keep Chinese pages unchanged. Text inside translate tags is the catalogue's.

    The same holds for "，", the brackets "（" "）" and the full stop "。" ({% translate "，" %}
    and the "open parenthesis" / "close parenthesis" / "sentence end" entries); the dashboard
    templates are not yet held to those."""
    templates = Path(settings.BASE_DIR) / "templates"
    chinese_by_design = (
        "500.html",  # static page, served without the i18n machinery
        "reports/pdf/",  # the official report and notice documents are Chinese
    )
    separators = re.compile("[：；、]")
    punctuation = re.compile("[：；、，（）。！？]")
    not_yet_punctuation = ("dashboards/",)
    translated = re.compile(
        r"\{%\s*(?:translate|trans)\s+(?:\"[^\"]*\"|'[^']*')[^%]*%\}"
        r"|\{%\s*blocktranslate\b.*?\{%\s*endblocktranslate\s*%\}"
        r"|\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}"
        r"|_\(\"[^\"]*\"\)|_\('[^']*'\)",
        re.S,
    )
    found = []
    for path in sorted(templates.rglob("*.html")):
        name = path.relative_to(templates).as_posix()
        if name.startswith(chinese_by_design):
            continue
        marks = separators if name.startswith(not_yet_punctuation) else punctuation
        for line in translated.sub("", path.read_text(encoding="utf-8")).splitlines():
            if marks.search(line):
                found.append(f"{name}: {line.strip()}")
    assert found == []


def test_the_label_colon_follows_the_language():
    from django.template import engines

    template = engines["django"].from_string(
        '{% load i18n %}{% translate "文件" %}{% translate "：" context "label colon" %}x.xlsx'
    )
    with translation.override("en"):
        assert template.render() == "File: x.xlsx"
    with translation.override("zh-hans"):
        assert template.render() == "文件：x.xlsx"
