"""The shared table reader refuses hostile files with a clear Chinese message."""

import io
import zipfile

import pytest
from openpyxl import Workbook

from indicators.tabular import Column, TableError, read_table, safe_cell

COLUMNS = [Column("region_code", "地区代码"), Column("value", "数值"), Column("note", "备注", required=False)]


def _xlsx(rows, *, formula=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    if formula:
        ws[formula[0]] = formula[1]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _messages(exc) -> list[str]:
    return [str(e) for e in exc.value.errors]


def test_it_reads_csv_with_bom_and_chinese_headers():
    data = "\ufeff地区代码,数值,备注\n130500,98.5,好\n".encode()
    assert read_table(data, "f.csv", COLUMNS) == [
        {"_row": 2, "region_code": "130500", "value": "98.5", "note": "好"}
    ]


def test_it_reads_gbk_csv_as_saved_by_chinese_excel():
    data = "region_code,value\n130500,1\n".encode("gb18030") + "130528,2\n".encode("gb18030")
    rows = read_table(data, "f.csv", COLUMNS)
    assert [r["region_code"] for r in rows] == ["130500", "130528"]


def test_it_reads_xlsx_first_sheet_with_row_numbers():
    data = _xlsx([["region_code", "value"], [None, None], ["130500", 98.5]])
    assert read_table(data, "f.xlsx", COLUMNS) == [{"_row": 3, "region_code": "130500", "value": 98.5}]


def test_a_missing_header_is_named():
    with pytest.raises(TableError) as exc:
        read_table(b"region_code,amount\n130500,1\n", "f.csv", COLUMNS)
    msgs = _messages(exc)
    assert "第 1 行，amount 列：无法识别的列名" in msgs
    assert "第 1 行，数值（value） 列：缺少必填列" in msgs


@pytest.mark.parametrize("data", [b"", b"   \n\n", b",,\n,,\n"])
def test_an_empty_file_is_refused(data):
    with pytest.raises(TableError) as exc:
        read_table(data, "f.csv", COLUMNS)
    assert "文件为空" in str(exc.value)


def test_a_text_file_renamed_xlsx_is_refused():
    with pytest.raises(TableError) as exc:
        read_table(b"region_code,value\n130500,1\n", "f.xlsx", COLUMNS)
    assert "不是有效的 Excel" in str(exc.value)


def test_a_formula_cell_is_refused_with_row_and_column():
    data = _xlsx([["region_code", "value"], ["130500", 1], ["130528", 2]], formula=("B3", "=SUM(1,2)"))
    with pytest.raises(TableError) as exc:
        read_table(data, "f.xlsx", COLUMNS)
    assert _messages(exc) == ["第 3 行，value 列：单元格含公式“=SUM(1,2)”，请粘贴为数值"]


def test_a_macro_enabled_workbook_is_refused():
    data = _xlsx([["region_code", "value"]])
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        dst.writestr("xl/vbaProject.bin", b"\x00" * 100)
    with pytest.raises(TableError) as exc:
        read_table(buf.getvalue(), "f.xlsx", COLUMNS)
    assert "含宏" in str(exc.value)
    with pytest.raises(TableError):
        read_table(data, "f.xlsm", COLUMNS)


def test_a_zip_bomb_is_refused_before_it_is_inflated():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", b"\x00" * (60 * 1024 * 1024))
    data = buf.getvalue()
    assert len(data) < 200_000
    with pytest.raises(TableError) as exc:
        read_table(data, "bomb.xlsx", COLUMNS)
    assert "压缩炸弹" in str(exc.value)


def test_a_file_over_the_size_limit_is_refused(settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(TableError) as exc:
        read_table(b"region_code,value\n" + b"130500,1\n" * 200, "f.csv", COLUMNS)
    assert "超过上限" in str(exc.value)


@pytest.mark.parametrize("name", ["evil.exe", "data.pdf", "noext", "../../etc/passwd"])
def test_other_file_types_are_refused(name):
    with pytest.raises(TableError) as exc:
        read_table(b"region_code,value\n1,2\n", name, COLUMNS)
    assert "不支持的文件类型" in str(exc.value)


def test_binary_content_in_a_csv_is_refused():
    with pytest.raises(TableError):
        read_table(b"region_code,value\n\x00\x01\x02,1\n", "f.csv", COLUMNS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("+1", "'+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("邢台市", "邢台市"),
        (98.5, 98.5),
        (-3, -3),
        (None, None),
    ],
)
def test_exported_cells_that_could_run_as_formulas_are_escaped(value, expected):
    assert safe_cell(value) == expected
