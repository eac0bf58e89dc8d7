"""Hostile uploads through every real upload endpoint: a clear message and nothing written.

Table imports: figures (page), targets (page), enterprises and grants (awards
pages). Documents: figure evidence (page, entry grid, API), quality-award
application files, the assessment's self-assessment report. For each hostile
file the answer names the problem, no database row changes (figures, history,
evidence, targets, plans, enterprises, grants, application files, reports)
and no file appears under MEDIA_ROOT (a fresh tmp directory per test).

CSV formula injection is the one "hostile" input that is legitimate data: a
note starting with `=` is stored as typed, and every export that carries user
text writes it as text, never as a formula.
"""

from __future__ import annotations

import html
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Role
from assessments.models import AssessmentRegion
from awards import rounds
from awards.catalog import load_award_types
from awards.credit_code import make_credit_code
from awards.models import Application, ApplicationFile, Enterprise, Grant
from indicators.models import (
    Evidence,
    Figure,
    ItemScore,
    Plan,
    QualitativeItem,
    Region,
    ScoringScheme,
    Target,
)
from indicators.scoring_service import compute_scores
from reports.exporters import AnnualReportExporter
from tests.assessments.conftest import NINGJIN, cycle  # noqa: F401 (a fixture)
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig, tgt
from tests.reliability.hostile import (
    EXE,
    FORMULA,
    MB,
    PDF,
    files_under,
    macro_docx,
    macro_xlsx,
    multipart,
    oversize_csv,
    xlsx,
    zip_bomb_xlsx,
)

pytestmark = pytest.mark.django_db

COUNTY, CITY = "130528", "130500"  # 宁晋县, 邢台市
FIGURES_HEADER = "region_code,indicator_code,year,value,note"
TARGETS_HEADER = "region_code,indicator_code,year,comparator,target,weight"
ENTERPRISES_HEADER = "credit_code,name,region_code"
GRANTS_HEADER = "award_type,credit_code,name,year_granted"


@pytest.fixture(autouse=True)
def _small_limits(settings):
    settings.IMPORT_MAX_BYTES = MB
    settings.EVIDENCE_MAX_BYTES = MB


def _state() -> dict:
    """Everything an upload could write: row counts and the files under MEDIA_ROOT."""
    return {
        "figures": Figure.objects.count(),
        "history": Figure.history.count(),
        "evidence": Evidence.objects.count(),
        "targets": Target.objects.count(),
        "plans": Plan.objects.count(),
        "enterprises": Enterprise.objects.count(),
        "grants": Grant.objects.count(),
        "application_files": ApplicationFile.objects.count(),
        "self_reports": AssessmentRegion.objects.exclude(self_report="").count(),
        "media": files_under(settings.MEDIA_ROOT),
    }


def _text(response) -> str:
    return html.unescape(response.content.decode())


# --- Table imports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    name: str
    data: bytes
    message: str  # what the answer must say


def _table_cases(header: str, row: str) -> list[Hostile]:
    rows = [header.split(","), row.split(",")]
    return [
        Hostile("bomb.xlsx", zip_bomb_xlsx(), "压缩炸弹"),
        Hostile("big.csv", oversize_csv(header, row, MB), "超过"),
        Hostile("macro.xlsx", macro_xlsx(rows), "含宏"),
        Hostile("macro.xlsm", xlsx(rows), "含宏"),
        Hostile("setup.xlsx", EXE, "不是有效的 Excel"),
        Hostile("../../../etc/cron.d/job.exe", EXE, "不支持的文件类型"),
    ]


CASE_IDS = ["zip-bomb", "over-size-limit", "vba-project-in-xlsx", "xlsm", "exe-renamed-xlsx", "traversal-exe"]


@pytest.fixture
def clerk(catalog):
    """County staff and admin roles: may import figures and targets and register awards."""
    return make_user(COUNTY, Role.STAFF, Role.ADMIN, username="nj_uploader")


def _post_raw(client, url: str, fields: dict, field: str, case: Hostile):
    """POST the hostile file with its name verbatim; follow a redirect to the page with the messages."""
    body, content_type = multipart(fields, [(field, case.name, case.data)])
    response = client.generic("POST", url, body, content_type=content_type)
    return client.get(response["Location"]) if response.status_code == 302 else response


@pytest.mark.parametrize("index", range(6), ids=CASE_IDS)
def test_figure_import_page_refuses_hostile_files(client, clerk, index):
    case = _table_cases(FIGURES_HEADER, f"{COUNTY},PQ_SAMPLING_PASS,2015,97,")[index]
    client.force_login(clerk)
    before = _state()
    response = _post_raw(client, reverse("entry:import"), {"status": "draft"}, "file", case)
    assert response.status_code == 400
    assert case.message in _text(response)
    assert _state() == before


@pytest.mark.parametrize("index", range(6), ids=CASE_IDS)
def test_target_import_page_refuses_hostile_files(client, clerk, index):
    case = _table_cases(TARGETS_HEADER, f"{COUNTY},PQ_SAMPLING_PASS,2015,>=,98,4")[index]
    client.force_login(clerk)
    before = _state()
    url = reverse("scores:target_import", args=[COUNTY])
    response = _post_raw(client, url, {"plan_name": "上传测试规划"}, "file", case)
    assert response.status_code == 200  # back on the targets page, with the messages
    page = _text(response)
    assert case.message in page and "未写入任何数据" in page
    assert _state() == before


@pytest.mark.parametrize("kind", ["enterprises", "grants"])
@pytest.mark.parametrize("index", range(6), ids=CASE_IDS)
def test_award_import_pages_refuse_hostile_files(client, clerk, kind, index):
    header, row = (
        (ENTERPRISES_HEADER, f"{make_credit_code('91130528MA0000001')},测试企业,{COUNTY}")
        if kind == "enterprises"
        else (GRANTS_HEADER, f"CN_TOP_BRAND,{make_credit_code('91130528MA0000001')},某品牌,2015")
    )
    case = _table_cases(header, row)[index]
    client.force_login(clerk)
    before = _state()
    response = _post_raw(client, reverse("awards:import", args=[kind]), {}, "file", case)
    assert response.status_code == 200
    assert case.message in _text(response)
    assert "token" not in response.context or not response.context["token"]  # nothing to confirm
    assert _state() == before


# --- Documents ------------------------------------------------------------------------------------


def _document_cases() -> list[Hostile]:
    return [
        Hostile("通报.pdf", EXE, "不符"),  # wrong type: an executable renamed .pdf
        Hostile("../../etc/passwd.pdf", EXE, "不符"),  # traversal name, hostile content
        Hostile("..\\..\\windows\\system.ini.pdf", EXE, "不符"),
        Hostile("说明.docx", macro_docx(), "宏"),
        Hostile("big.pdf", PDF + b"0" * MB, "超过"),
        Hostile("tool.exe", EXE, "类型"),
    ]


DOC_IDS = [
    "exe-renamed-pdf",
    "traversal-exe",
    "backslash-traversal-exe",
    "macro-docx",
    "over-size-limit",
    "exe",
]


@pytest.fixture
def draft(clerk) -> Figure:
    return fig(COUNTY, "PQ_SAMPLING_PASS", 2015, 97, status="draft")


@pytest.mark.parametrize("index", range(6), ids=DOC_IDS)
def test_evidence_page_refuses_hostile_documents(client, clerk, draft, index):
    case = _document_cases()[index]
    client.force_login(clerk)
    before = _state()
    response = _post_raw(client, reverse("entry:evidence-upload", args=[draft.pk]), {}, "file", case)
    assert response.status_code == 400
    assert case.message in _text(response)
    assert _state() == before


@pytest.mark.parametrize("index", range(6), ids=DOC_IDS)
def test_evidence_api_refuses_hostile_documents(client, clerk, draft, index):
    case = _document_cases()[index]
    client.force_login(clerk)
    before = _state()
    response = _post_raw(client, f"/api/v1/figures/{draft.pk}/evidence/", {}, "file", case)
    assert response.status_code == 400
    body = response.json()
    assert case.message in body["detail"] + " ".join(m for ms in body.get("errors", {}).values() for m in ms)
    assert _state() == before


@pytest.mark.parametrize("index", range(6), ids=DOC_IDS)
def test_entry_grid_refuses_hostile_evidence_and_saves_nothing(client, clerk, index):
    case = _document_cases()[index]
    client.force_login(clerk)
    before = _state()
    fields = {
        "v_PQ_SAMPLING_PASS": "97",
        "o_PQ_SAMPLING_PASS": "",
        "ver_PQ_SAMPLING_PASS": "0",
        "action": "save",
    }
    body, content_type = multipart(fields, [("ev_PQ_SAMPLING_PASS", case.name, case.data)])
    response = client.generic(
        "POST", reverse("entry:grid", args=[COUNTY, 2015]), body, content_type=content_type
    )
    assert response.status_code == 400
    page = _text(response)
    assert case.message in page and "未保存任何数据" in page
    assert _state() == before  # not even the value typed next to the file


@pytest.fixture
def application(catalog):
    load_award_types()
    bureau = make_user(CITY, Role.REVIEWER, username="xt_award_bureau")
    rnd = rounds.round_create(
        user=bureau,
        region=Region.objects.get(code=CITY),
        name="邢台市市长质量奖（上传测试）",
        year=2025,
        document_pass_mark=Decimal("500"),
        onsite_pass_mark=Decimal("550"),
    )
    enterprise = Enterprise.objects.create(
        name="上传测试企业",
        credit_code=make_credit_code("91130528MA0000009"),
        region=Region.objects.get(code=COUNTY),
    )
    app = rounds.application_create(
        user=bureau, rnd=rnd, enterprise=enterprise, category=Application.Category.ORGANISATION, report=None
    )
    return bureau, app


@pytest.mark.parametrize("index", range(6), ids=DOC_IDS)
def test_award_application_files_refuse_hostile_documents(client, application, index):
    case = _document_cases()[index]
    bureau, app = application
    client.force_login(bureau)
    before = _state()
    url = reverse("awards:application_file_upload", args=[app.pk])
    response = _post_raw(client, url, {"kind": ApplicationFile.Kind.EVIDENCE}, "file", case)
    assert response.status_code == 200
    assert case.message.replace("类型", "不支持的文件类型") in _text(response)
    assert _state() == before


@pytest.mark.parametrize("index", range(6), ids=DOC_IDS)
def test_assessment_self_report_refuses_hostile_documents(client, cycle, index):  # noqa: F811
    case = _document_cases()[index]
    cycle.file_and_accept()  # the counties are in 自评 (self-assessment), where the report is uploaded
    client.force_login(cycle.staff(NINGJIN))
    before = _state()
    url = reverse("assessments:self-report", args=[cycle.assessment.pk, NINGJIN])
    response = _post_raw(client, url, {}, "report", case)
    assert response.status_code == 200
    page = _text(response)
    assert case.message.replace("超过", "超过大小上限").replace("类型", "佐证材料须为") in page
    assert _state() == before


def test_a_traversal_name_on_a_real_pdf_only_ever_lands_under_its_checksum(client, clerk, draft):
    client.force_login(clerk)
    body, content_type = multipart({}, [("file", "../../../../etc/passwd.pdf", PDF)])
    response = client.generic(
        "POST", f"/api/v1/figures/{draft.pk}/evidence/", body, content_type=content_type
    )
    assert response.status_code == 201, response.content
    evidence = Evidence.objects.get()
    assert evidence.original_name == "passwd.pdf"  # Django's parser keeps the base name only
    assert files_under(settings.MEDIA_ROOT) == [f"evidence/{evidence.sha256[:2]}/{evidence.sha256}.pdf"]
    assert not (settings.MEDIA_ROOT.parent / "etc").exists()


# --- Formula injection: stored as text, exported as text ----------------------------------------------


def _formula_cells(data: bytes) -> list[str]:
    """Every <f> (formula) element in the workbook's sheets."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [
            name for name in zf.namelist() if name.startswith("xl/worksheets/") and b"<f>" in zf.read(name)
        ]


NOTES = [FORMULA, "+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0"]
INDICATORS = ["PQ_SAMPLING_PASS", "PQ_GRADE_RATE", "PQ_FOOD_PASS", "PQ_QCI"]


def test_formula_notes_are_imported_as_text_and_the_template_exports_them_as_text(client, clerk):
    rows = [f'{COUNTY},{code},2015,80,"{note}"' for code, note in zip(INDICATORS, NOTES, strict=True)]
    data = ("\n".join([FIGURES_HEADER, *rows]) + "\n").encode()
    client.force_login(clerk)
    body, content_type = multipart({"status": "draft"}, [("file", "figures.csv", data)])
    preview = client.generic("POST", reverse("entry:import"), body, content_type=content_type)
    assert preview.status_code == 200, _text(preview)
    done = client.post(reverse("entry:import-commit"), {"token": preview.context["token"]})
    assert done.status_code == 302
    stored = dict(Figure.objects.values_list("indicator__code", "note"))
    assert stored == dict(zip(INDICATORS, NOTES, strict=True))  # exactly as typed

    template = client.get(reverse("entry:template", args=[COUNTY, 2015]))
    assert template.status_code == 200
    assert _formula_cells(template.content) == []
    sheet = load_workbook(io.BytesIO(template.content)).worksheets[0]
    notes = {row[2].value: row[7] for row in sheet.iter_rows(min_row=2) if row[7].value}
    assert {code: cell.value for code, cell in notes.items()} == stored  # round-trips unchanged
    assert {cell.data_type for cell in notes.values()} == {"s"}  # text cells, never formulas


def test_the_annual_report_workbook_writes_a_formula_reason_as_text(catalog):
    tgt(COUNTY, "PQ_SAMPLING_PASS", 2015, 98)
    fig(COUNTY, "PQ_SAMPLING_PASS", 2015, 97)
    item = QualitativeItem.objects.create(
        scheme=ScoringScheme.objects.get(is_default=True), code="QL_FORMULA", name="组织领导", max_points=5
    )
    ItemScore.objects.create(
        item=item,
        region=Region.objects.get(code=COUNTY),
        year=2015,
        verified_points=3,
        verified_reason=FORMULA,
    )
    compute_scores(year=2015, region=Region.objects.get(code=CITY), trigger="test")
    export = AnnualReportExporter(region=Region.objects.get(code=COUNTY), year=2015, basis="verified").render(
        "xlsx"
    )
    assert _formula_cells(export.data) == []
    cells = [c for ws in load_workbook(io.BytesIO(export.data)) for row in ws.iter_rows() for c in row]
    reason = [c for c in cells if c.value == FORMULA]
    assert len(reason) == 1 and reason[0].data_type == "s"
