"""Figure import: every rejection leaves the database unchanged and names the row; good files import
completely; the upload page and `import_figures` share one code path."""

from __future__ import annotations

import io
import time
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from accounts.policy import SYSTEM
from indicators import services
from indicators.imports import ImportRejected, commit_import, figure_template, plan_import
from indicators.models import Figure, Indicator, Region
from tests.factories import make_user

pytestmark = pytest.mark.django_db

HEADER_ZH = ["地区代码", "指标代码", "年度", "数值", "备注"]
HEADER_EN = ["region_code", "indicator_code", "year", "value", "note"]


def csv_bytes(rows, header=HEADER_ZH, bom=True) -> bytes:
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    return (("\ufeff" if bom else "") + "\n".join(lines) + "\n").encode()


def xlsx_bytes(rows, header=HEADER_ZH) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def snapshot():
    """Every stored figure and history row, to prove a rejected import wrote nothing."""
    return (
        sorted(
            Figure.objects.values_list(
                "region__code", "indicator__code", "year", "value", "status", "version"
            )
        ),
        Figure.history.count(),
    )


@pytest.fixture
def existing(catalog):
    """One draft and one approved figure that no failed import may touch."""
    county = Region.objects.get(code="130528")
    draft = services.figure_save(
        actor=SYSTEM,
        region=county,
        indicator=catalog["PQ_FOOD_PASS"],
        year=2025,
        value="95",
        expected_version=None,
    )
    approved = Figure.objects.create(
        region=county,
        indicator=catalog["PQ_SAMPLING_PASS"],
        year=2025,
        value=Decimal("97"),
        reported_value=Decimal("97"),
        verified_value=Decimal("97"),
        status="approved",
    )
    return draft, approved


def big_rows(n: int) -> list[list]:
    """`n` valid rows over real county codes x all 56 indicators, for 2024."""
    indicators = list(Indicator.objects.order_by("code"))
    counties = list(
        Region.objects.filter(level="county").order_by("code").values_list("code", flat=True)[: n // 56 + 1]
    )
    rows = []
    for i in range(n):
        region = counties[i // len(indicators)]
        ind = indicators[i % len(indicators)]
        value = (i % 90) + 5 if ind.kind == "count" else f"{50 + (i % 500) / 10:.1f}"
        rows.append([region, ind.code, 2024, value, f"第{i}行"])
    return rows


def rejected(data: bytes, filename: str, actor=SYSTEM, status="draft") -> ImportRejected:
    before = snapshot()
    with pytest.raises(ImportRejected) as exc:
        commit_import(actor=actor, data=data, filename=filename, status=status)
    assert snapshot() == before
    return exc.value


# --- rejections ---------------------------------------------------------------------

BAD_FILES = {
    "wrong header": (
        lambda: csv_bytes(
            [["130528", "PQ_FOOD_PASS", 2025, "96"]], header=["地区代码", "指标代码", "年度", "数量"]
        ),
        "data.csv",
        1,
        "数量",
        "无法识别的列名",
    ),
    "missing header": (
        lambda: csv_bytes([["130528", "PQ_FOOD_PASS", "96"]], header=["地区代码", "指标代码", "数值"]),
        "data.csv",
        1,
        "年度（year）",
        "缺少必填列",
    ),
    "unknown region": (
        lambda: csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "96", ""], ["999999", "PQ_QCI", 2025, "80", ""]]),
        "data.csv",
        3,
        "地区代码（region_code）",
        "地区代码“999999”不存在",
    ),
    "unknown indicator": (
        lambda: csv_bytes([["130528", "NO_SUCH", 2025, "96", ""]]),
        "data.csv",
        2,
        "指标代码（indicator_code）",
        "指标代码“NO_SUCH”不存在",
    ),
    "non-numeric value": (
        lambda: csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "九十六", ""]]),
        "data.csv",
        2,
        "数值（value）",
        "“九十六”不是数字",
    ),
    "value out of range": (
        lambda: xlsx_bytes([["130528", "PQ_FOOD_PASS", 2025, 101.5, ""]]),
        "data.xlsx",
        2,
        "数值（value）",
        "大于指标上限 100",
    ),
    "fractional count": (
        lambda: csv_bytes([["130528", "BR_CHINA_TOP_BRAND", 2025, "2.5", ""]]),
        "data.csv",
        2,
        "数值（value）",
        "数量类指标须为整数",
    ),
    "duplicate key": (
        lambda: csv_bytes([["130528", "PQ_QCI", 2025, "80", ""], ["130528", "pq_qci", 2025, "81", ""]]),
        "data.csv",
        3,
        "指标代码（indicator_code）",
        "与第 2 行重复",
    ),
    "year out of range": (
        lambda: csv_bytes([["130528", "PQ_QCI", 1980, "80", ""]]),
        "data.csv",
        2,
        "年度（year）",
        "年度 1980 超出范围",
    ),
    "empty file": (lambda: b"", "data.csv", 0, "", "文件为空"),
    "header only": (lambda: csv_bytes([]), "data.csv", 0, "", "没有数据行"),
    "not a spreadsheet renamed .xlsx": (
        lambda: b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
        "data.xlsx",
        0,
        "",
        "不是有效的 Excel",
    ),
    "formula cell": (
        lambda: xlsx_bytes([["130528", "PQ_QCI", 2025, "=40*2", ""]]),
        "data.xlsx",
        2,
        "value",
        "单元格含公式",
    ),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_a_bad_file_is_rejected_whole_naming_the_row_and_column(existing, case):
    make, filename, row, column, message = BAD_FILES[case]
    exc = rejected(make(), filename)
    hits = [e for e in exc.errors if message in e.message]
    assert hits, [str(e) for e in exc.errors]
    assert hits[0].row == row
    assert column in hits[0].column
    if row:
        assert f"第 {row} 行" in str(hits[0])


def test_every_bad_row_is_reported_not_only_the_first(existing):
    data = csv_bytes(
        [
            ["130528", "PQ_QCI", 2025, "80", ""],
            ["130528", "NO_SUCH", 2025, "x", ""],
            ["12345", "PQ_QCI", 2026, "81", ""],
        ]
    )
    exc = rejected(data, "data.csv")
    assert sorted((e.row, e.column) for e in exc.errors) == [
        (3, "指标代码（indicator_code）"),
        (3, "数值（value）"),
        (4, "地区代码（region_code）"),
    ]


def test_a_10000_row_file_with_one_bad_row_at_the_end_is_rejected_whole(existing, artifacts_dir):
    rows = big_rows(10_000)
    rows[-1][3] = "n/a"
    data = xlsx_bytes(rows)
    started = time.perf_counter()
    exc = rejected(data, "big.xlsx")
    elapsed = time.perf_counter() - started
    assert [(e.row, e.column) for e in exc.errors] == [(10_001, "数值（value）")]
    assert "“n/a”不是数字" in exc.errors[0].message
    (artifacts_dir / "import-10k-reject.txt").write_text(
        f"10,000-row xlsx, one bad row: rejected in {elapsed:.2f} s\n"
    )


def test_a_good_10000_row_file_imports_completely(catalog, artifacts_dir):
    rows = big_rows(10_000)
    data = xlsx_bytes(rows)
    before_history = Figure.history.count()
    started = time.perf_counter()
    result = commit_import(actor=SYSTEM, data=data, filename="big.xlsx", status="draft")
    elapsed = time.perf_counter() - started
    assert (result.created, result.updated, result.unchanged) == (10_000, 0, 0)
    assert Figure.objects.filter(year=2024).count() == 10_000
    assert Figure.history.count() - before_history == 10_000
    stored = {
        (r, i): v
        for r, i, v in Figure.objects.values_list("region__code", "indicator__code", "reported_value")
    }
    for region, code, _year, value, _note in rows:
        assert stored[(region, code)] == Decimal(str(value))
    last = Figure.objects.get(region__code=rows[-1][0], indicator__code=rows[-1][1])
    assert (last.status, last.source, last.source_ref, last.note) == (
        "draft",
        "import",
        "big.xlsx",
        "第9999行",
    )
    (artifacts_dir / "import-10k.txt").write_text(f"10,000-row xlsx imported in {elapsed:.2f} s\n")
    assert elapsed < 60


# --- what an import may and may not touch -------------------------------------------


def test_an_import_never_overwrites_an_approved_figure(existing):
    _draft, approved = existing
    exc = rejected(csv_bytes([["130528", "PQ_SAMPLING_PASS", 2025, "99", ""]]), "data.csv")
    assert exc.errors[0].row == 2
    assert "已审核锁定（当前值 97）" in exc.errors[0].message
    approved.refresh_from_db()
    assert approved.value == Decimal("97")


def test_the_cli_with_status_approved_still_refuses_a_locked_figure(existing):
    with pytest.raises(CommandError):
        call_command(
            "import_figures",
            _write(csv_bytes([["130528", "PQ_SAMPLING_PASS", 2025, "99", ""]])),
            status="approved",
        )
    assert Figure.objects.get(indicator__code="PQ_SAMPLING_PASS").value == Decimal("97")


def test_repeating_the_stored_value_of_a_locked_figure_is_unchanged_not_an_error(existing):
    result = commit_import(
        actor=SYSTEM,
        data=csv_bytes(
            [["130528", "PQ_SAMPLING_PASS", 2025, "97", ""], ["130528", "PQ_QCI", 2025, "80", ""]]
        ),
        filename="again.csv",
        status="draft",
    )
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)


def test_a_submitted_figure_is_not_overwritten(existing, catalog):
    draft, _ = existing
    services.figure_submit(actor=SYSTEM, figure=draft, expected_version=draft.version)
    exc = rejected(csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "90", ""]]), "data.csv")
    assert "已提交待审核" in exc.errors[0].message


def test_an_import_updates_a_draft_bumping_version_and_history(existing):
    draft, _ = existing
    result = commit_import(
        actor=SYSTEM,
        data=csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "96.25", "复核后"]], header=HEADER_EN),
        filename="fix.csv",
        status="draft",
    )
    assert result.updated == 1
    draft.refresh_from_db()
    assert (draft.value, draft.version, draft.note) == (Decimal("96.25"), 2, "复核后")
    assert [h.value for h in draft.history.order_by("history_date")] == [Decimal("95"), Decimal("96.25")]
    assert draft.history.latest().history_change_reason == "文件导入：fix.csv"


def test_blank_value_rows_are_skipped_never_zeroed(existing):
    result = commit_import(
        actor=SYSTEM,
        data=csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "", ""], ["130528", "PQ_QCI", 2025, "80", ""]]),
        filename="partial.csv",
        status="draft",
    )
    assert (result.created, result.blank) == (1, 1)
    assert Figure.objects.get(indicator__code="PQ_FOOD_PASS").value == Decimal("95")


def test_a_user_may_import_only_regions_they_may_write(existing):
    clerk = make_user("130528", "staff")
    data = csv_bytes([["130528", "PQ_QCI", 2025, "80", ""], ["130529", "PQ_QCI", 2025, "81", ""]])
    exc = rejected(data, "data.csv", actor=clerk)
    assert [(e.row, e.column) for e in exc.errors] == [(3, "地区代码（region_code）")]
    assert "无权导入" in exc.errors[0].message


def test_a_web_user_cannot_import_straight_to_approved(existing):
    clerk = make_user("130528", "staff")
    exc = rejected(
        csv_bytes([["130528", "PQ_QCI", 2025, "80", ""]]), "data.csv", actor=clerk, status="approved"
    )
    assert "命令行" in exc.errors[0].message


def test_import_as_submitted_sends_figures_to_review(existing):
    clerk = make_user("130528", "staff")
    commit_import(
        actor=clerk,
        data=csv_bytes([["130528", "PQ_QCI", 2025, "80", ""], ["130528", "PQ_FOOD_PASS", 2025, "95", ""]]),
        filename="s.csv",
        status="submitted",
    )
    got = dict(Figure.objects.filter(year=2025).values_list("indicator__code", "status"))
    assert got == {"PQ_QCI": "submitted", "PQ_FOOD_PASS": "submitted", "PQ_SAMPLING_PASS": "approved"}
    assert Figure.objects.get(indicator__code="PQ_QCI").entered_by == clerk


# --- the command --------------------------------------------------------------------


def _write(data: bytes, name: str = "figures.csv") -> str:
    import tempfile
    from pathlib import Path

    path = Path(tempfile.mkdtemp()) / name
    path.write_bytes(data)
    return str(path)


def test_the_cli_imports_with_status_approved(catalog, capsys):
    path = _write(
        xlsx_bytes(
            [["130528", "PQ_QCI", 2024, 80.5, "省局通报"], ["130500", "BR_CHINA_TOP_BRAND", 2024, 9, ""]]
        ),
        "f.xlsx",
    )
    call_command("import_figures", path, status="approved")
    assert "新增 2 条" in capsys.readouterr().out
    fig = Figure.objects.get(indicator__code="PQ_QCI")
    assert (fig.status, fig.verified_value, fig.value, fig.approved_at is not None) == (
        "approved",
        Decimal("80.5"),
        Decimal("80.5"),
        True,
    )


def test_the_cli_reports_each_bad_row_and_writes_nothing(existing, capsys):
    before = snapshot()
    path = _write(csv_bytes([["130528", "PQ_QCI", 2025, "abc", ""], ["130528", "X", 2025, "1", ""]]))
    with pytest.raises(CommandError, match="2 处错误"):
        call_command("import_figures", path)
    err = capsys.readouterr().err
    assert "第 2 行，数值（value） 列：“abc”不是数字" in err
    assert "第 3 行" in err and "指标代码“X”不存在" in err
    assert snapshot() == before


def test_the_cli_dry_run_writes_nothing(catalog, capsys):
    path = _write(csv_bytes([["130528", "PQ_QCI", 2025, "80", ""]]))
    call_command("import_figures", path, dry_run=True)
    assert "将新增 1 条" in capsys.readouterr().out
    assert Figure.objects.count() == 0


def test_the_plan_is_what_the_commit_does(existing):
    data = csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "94", ""], ["130528", "PQ_QCI", 2025, "80", ""]])
    plan = plan_import(actor=SYSTEM, data=data, filename="p.csv", status="draft")
    assert plan.summary | {} == {"rows": 2, "create": 1, "update": 1, "unchanged": 0, "blank": 0, "errors": 0}
    result = commit_import(actor=SYSTEM, data=data, filename="p.csv", status="draft")
    assert (result.created, result.updated) == (1, 1)


# --- template -----------------------------------------------------------------------


def test_the_template_has_chinese_headers_units_values_and_validation(existing, catalog):
    county = Region.objects.get(code="130528")
    clerk = make_user("130528", "staff")
    data = figure_template(actor=clerk, region=county, year=2025)
    wb = load_workbook(io.BytesIO(data))
    ws = wb["填报数据"]
    assert [c.value for c in ws[1]] == [
        "地区代码",
        "地区名称",
        "指标代码",
        "指标名称",
        "单位",
        "年度",
        "数值",
        "备注",
    ]
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert len(rows) == 56
    assert rows["PQ_FOOD_PASS"][:7] == ("130528", "宁晋县", "PQ_FOOD_PASS", "食品抽检合格率", "%", 2025, 95)
    assert rows["BR_CHINA_TOP_BRAND"][4] == "个"
    validations = ws.data_validations.dataValidation
    by_cell = {}
    for dv in validations:
        for rng in dv.sqref.ranges:
            by_cell[rng.coord] = dv
    food_row = next(
        i for i, r in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1) if r[2] == "PQ_FOOD_PASS"
    )
    dv = by_cell[f"G{food_row}"]
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("decimal", "between", "0", "100")
    assert "0–100" in dv.error
    brand_row = next(
        i
        for i, r in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)
        if r[2] == "BR_CHINA_TOP_BRAND"
    )
    assert by_cell[f"G{brand_row}"].type == "whole"
    assert "指标目录" in wb.sheetnames and "填写说明" in wb.sheetnames


def test_a_filled_template_imports_back(existing, catalog):
    county = Region.objects.get(code="130528")
    clerk = make_user("130528", "staff")
    wb = load_workbook(io.BytesIO(figure_template(actor=clerk, region=county, year=2025)))
    ws = wb["填报数据"]
    for row in ws.iter_rows(min_row=2):
        if row[2].value == "PQ_QCI":
            row[6].value = 81.25
        if row[2].value == "BR_CHINA_TOP_BRAND":
            row[6].value = 4
    buf = io.BytesIO()
    wb.save(buf)
    result = commit_import(actor=clerk, data=buf.getvalue(), filename="模板.xlsx", status="draft")
    # Two new values; the stored draft (95) and approved (97) rows come back unchanged; the rest are blank.
    assert (result.created, result.updated, result.unchanged, result.blank) == (2, 0, 2, 52)
    assert Figure.objects.get(indicator__code="PQ_QCI").value == Decimal("81.25")


# --- the upload page ----------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def upload(client, data: bytes, name: str, status: str = "draft"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/import/", {"file": SimpleUploadedFile(name, data), "status": status})


def test_the_page_previews_every_error_by_row_and_column_and_writes_nothing(client, existing, media):
    client.force_login(make_user("130528", "staff"))
    before = snapshot()
    data = csv_bytes(
        [
            ["130528", "PQ_QCI", 2025, "八十", ""],
            ["130528", "BR_CHINA_TOP_BRAND", 2025, "1.5", ""],
            ["130529", "PQ_QCI", 2025, "1", ""],
        ]
    )
    response = upload(client, data, "errors.csv")
    assert response.status_code == 400
    body = response.content.decode()
    assert "共发现 3 处错误" in body
    assert '<td class="num">2</td><td>数值（value）</td><td>“八十”不是数字</td>' in body
    assert '<td class="num">3</td><td>数值（value）</td><td>数量类指标须为整数，收到 1.5</td>' in body
    assert '<td class="num">4</td><td>地区代码（region_code）</td>' in body
    assert "确认导入" not in body.split("上传文件")[0]
    assert snapshot() == before


def test_the_page_previews_then_commits(client, existing, media):
    clerk = make_user("130528", "staff")
    client.force_login(clerk)
    data = csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "94", ""], ["130528", "PQ_QCI", 2025, "80", "新"]])
    response = upload(client, data, "good.csv", status="submitted")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<b id="n-create">1</b>' in body and '<b id="n-update">1</b>' in body
    assert Figure.objects.filter(indicator__code="PQ_QCI").count() == 0  # preview writes nothing
    token = response.context["token"]
    done = client.post("/import/commit/", {"token": token})
    assert done.status_code == 302 and done["Location"] == "/entry/130528/2025/"
    got = dict(Figure.objects.filter(year=2025).values_list("indicator__code", "reported_value"))
    assert got["PQ_QCI"] == Decimal("80") and got["PQ_FOOD_PASS"] == Decimal("94")
    assert Figure.objects.get(indicator__code="PQ_QCI").status == "submitted"
    # The same token cannot be committed twice.
    again = client.post("/import/commit/", {"token": token})
    assert again.status_code == 302 and again["Location"] == "/import/"
    assert Figure.objects.filter(year=2025).count() == 3


def test_a_commit_revalidates_against_changes_since_the_preview(client, existing, media):
    draft, _ = existing
    client.force_login(make_user("130528", "staff"))
    response = upload(client, csv_bytes([["130528", "PQ_FOOD_PASS", 2025, "94", ""]]), "late.csv")
    token = response.context["token"]
    # Meanwhile the figure is submitted: it may no longer be overwritten by the import.
    services.figure_submit(actor=SYSTEM, figure=draft, expected_version=draft.version)
    before = snapshot()
    done = client.post("/import/commit/", {"token": token})
    assert done.status_code == 409
    assert "已提交待审核" in done.content.decode()
    assert snapshot() == before


def test_a_token_from_another_session_is_useless(client, existing, media):
    from django.test import Client

    client.force_login(make_user("130528", "staff"))
    token = upload(client, csv_bytes([["130528", "PQ_QCI", 2025, "80", ""]]), "a.csv").context["token"]
    other = Client()
    other.force_login(make_user("130528", "staff"))
    assert other.post("/import/commit/", {"token": token})["Location"] == "/import/"
    assert not Figure.objects.filter(indicator__code="PQ_QCI").exists()


def test_users_without_write_rights_cannot_open_the_import_page(client, catalog):
    client.force_login(make_user("130500", "leader"))
    assert client.get("/import/").status_code == 403
    assert upload(client, csv_bytes([["130528", "PQ_QCI", 2025, "80", ""]]), "a.csv").status_code == 403
    assert Figure.objects.count() == 0


def test_the_page_refuses_a_renamed_non_spreadsheet(client, existing, media):
    client.force_login(make_user("130528", "staff"))
    response = upload(client, b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "photo.xlsx")
    assert response.status_code == 400
    assert "不是有效的 Excel" in response.content.decode()
