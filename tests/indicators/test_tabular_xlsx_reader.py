"""The .xlsx reader of `tabular.read_table` returns what openpyxl's read-only worksheet returns.

`tabular._xlsx_rows` parses the first sheet once with openpyxl's worksheet parser instead of
`load_workbook(read_only=True).worksheets[0].iter_rows()` (which sizes a sheet without a
`<dimension>` by parsing it a first time, and builds a Text object per inline string).
These tests read the same workbooks both ways: shared and inline strings, rich text,
numbers, booleans, dates in both calendars, error values, formulas, gaps.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from indicators.tabular import TableError, _Formula, _xlsx_rows

VALUES = [
    ["region_code", "indicator_code", "year", "value", "note"],
    ["130528", "PQ_QCI", 2024, 80.5, "省局通报"],
    ["130529", "pq_food_pass", 2024.0, 96, "  前后空格  "],
    [130500, "BR_CHINA_TOP_BRAND", "2024", "12", None],
    [None, None, None, None, None],  # a blank row
    ["130528", "PQ_QCI", 2023, -0.0001, True],
    ["130528", "PQ_QCI", dt.datetime(2024, 3, 1, 8, 30), dt.date(2023, 12, 31), "#N/A"],
    ["130528", None, 2022, "=40*2", "=SUM(A1:A2)"],  # formulas
    [None, None, None, None, "只有备注"],
    ["130528", "PQ_QCI", 2021, 1e15, "x" * 300],
]


def _reference(data: bytes) -> list[tuple[int, list[object]]]:
    """What the reader returned before: openpyxl's read-only cells, formulas marked."""
    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    rows = []
    for index, row in enumerate(wb.worksheets[0].iter_rows(), start=1):
        values = [_Formula(str(c.value)) if getattr(c, "data_type", None) == "f" else c.value for c in row]
        rows.append((index, values))
    wb.close()
    return rows


def _normal(rows) -> list[tuple[int, list[object], list[bool]]]:
    """Rows with a value, trailing empty cells dropped, formula marks kept."""
    out = []
    for index, values in rows:
        values = list(values)
        while values and values[-1] is None:
            values.pop()
        if values:
            out.append((index, values, [isinstance(v, _Formula) for v in values]))
    return out


def _workbook(*, write_only: bool, epoch=None) -> bytes:
    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("数据") if write_only else wb.active
    if epoch is not None:
        wb.epoch = epoch
    for row in VALUES:
        ws.append(row)
    if not write_only:
        ws.cell(row=12, column=3, value="跳过一行之后")
        ws.cell(row=12, column=7, value=7)
        wb.create_sheet("第二张表").append(["不读"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _replace_sheet_xml(data: bytes, edit) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = edit(body.decode()).encode()
            dst.writestr(info, body)
    return out.getvalue()


@pytest.mark.parametrize(
    ("write_only", "epoch"),
    [(False, None), (True, None), (False, CALENDAR_MAC_1904)],
    ids=["shared-strings", "inline-strings", "1904-calendar"],
)
def test_the_reader_returns_what_openpyxl_read_only_returns(write_only, epoch):
    data = _workbook(write_only=write_only, epoch=epoch)
    got = _normal(_xlsx_rows(data))
    assert got == _normal(_reference(data))
    assert len(got) == len([r for r in VALUES if any(v is not None for v in r)]) + (0 if write_only else 1)
    by_row = {index: values for index, values, _ in got}
    assert by_row[2] == ["130528", "PQ_QCI", 2024, 80.5, "省局通报"]
    assert by_row[3][4] == "  前后空格  "
    assert by_row[7][2] == dt.datetime(2024, 3, 1, 8, 30)
    assert isinstance(by_row[8][3], _Formula) and by_row[8][3] == "=40*2"
    if not write_only:
        assert by_row[12] == [None, None, "跳过一行之后", None, None, None, 7]


def test_rich_text_and_empty_inline_strings_read_as_their_text():
    def edit(xml: str) -> str:
        cells = re.findall(r"<c [^>]*t=\"inlineStr\"[^>]*>.*?</c>", xml)
        rich = (
            '<is><r><t>甲</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 乙 </t></r>'
            '<rPh sb="0" eb="1"><t>ジャ</t></rPh></is>'
        )
        xml = xml.replace(cells[5], re.sub(r"<is>.*</is>", rich, cells[5]), 1)
        return xml.replace(cells[6], re.sub(r"<is>.*</is>", "<is><t/></is>", cells[6]), 1)

    data = _replace_sheet_xml(_workbook(write_only=True), edit)
    got = _normal(_xlsx_rows(data))
    assert got == _normal(_reference(data))
    assert got[1][1][0:2] == ["甲 乙 ", ""]  # row 2: region code rich text, indicator code empty


def test_rows_beyond_a_too_small_dimension_are_read_not_dropped():
    """openpyxl's read-only sheet stops at the declared size; every row the sheet holds counts."""
    data = _replace_sheet_xml(
        _workbook(write_only=False),
        lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:E2"', xml),
    )
    assert len(_normal(_reference(data))) == 2
    rows = _normal(_xlsx_rows(data))
    assert [index for index, _values, _formulas in rows] == [1, 2, 3, 4, 6, 7, 8, 9, 10, 12]
    assert rows[-1][1][2] == "跳过一行之后"


def test_a_workbook_with_a_broken_sheet_is_refused_with_a_message():
    data = _replace_sheet_xml(_workbook(write_only=False), lambda xml: xml[: len(xml) // 2])
    with pytest.raises(TableError) as exc:
        _xlsx_rows(data)
    assert "无法读取 Excel 文件" in str(exc.value)
