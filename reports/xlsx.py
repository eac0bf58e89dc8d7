"""Excel sheets that look like the screen: Chinese headers, number formats, frozen header.

Numbers are written as numbers (Decimal, which openpyxl stores exactly as typed),
never as text, so a reviewer can sum a column; the display format is set per column.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

# Number formats.
SCORE = "0.00"
POINTS = "0.00"
PERCENT = "0.0%"
INTEGER = "0"
VALUE = "#,##0.####"
SIGNED = "+0.00;-0.00;0.00"
SIGNED_INT = "+0;-0;0"

_thin = Side(style="thin", color="999999")
_BORDER = Border(left=_thin, right=_thin, top=_thin, bottom=_thin)
_HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
_HEADER_FONT = Font(name="等线", bold=True, color="FFFFFF")
_TITLE_FONT = Font(name="等线", bold=True, size=14)
_BODY_FONT = Font(name="等线")


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    number_format: str | None = None  # None: text


def new_workbook() -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    return wb


def add_table_sheet(
    wb: Workbook,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    caption: str | None = None,
) -> Worksheet:
    """A sheet with an optional caption row, a styled header row frozen below it, and rows."""
    ws = wb.create_sheet(title=title[:31])
    header_row = 1
    if caption:
        ws.cell(row=1, column=1, value=caption).font = _TITLE_FONT
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(1, len(columns)))
        header_row = 2
    for col, spec in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=col, value=spec.header)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(col)].width = spec.width
    ws.row_dimensions[header_row].height = 30
    r = header_row
    for r, row in enumerate(rows, start=header_row + 1):
        for col, (spec, value) in enumerate(zip(columns, row, strict=True), start=1):
            cell = ws.cell(row=r, column=col, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # user text (e.g. "=cmd|...") stays text, never a formula
            cell.font = _BODY_FONT
            cell.border = _BORDER
            if spec.number_format and value is not None and not isinstance(value, str):
                cell.number_format = spec.number_format
                cell.alignment = Alignment(horizontal="right")
            else:
                cell.alignment = Alignment(wrap_text=spec.width >= 30, vertical="center")
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    if r > header_row:
        ws.auto_filter.ref = f"A{header_row}:{get_column_letter(len(columns))}{r}"
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def workbook_bytes(wb: Workbook, *, title: str) -> bytes:
    wb.properties.title = title
    wb.properties.creator = "质量强市看板"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
