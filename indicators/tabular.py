"""Reading uploaded tables (CSV or the first sheet of an .xlsx) safely and with row numbers.

Every import (figures, targets, enterprises, grants) goes through `read_table`,
so the hostile-file checks live in one place: size limit, macro-enabled
workbooks, zip bombs, files that are not spreadsheets, formula cells, unknown
encodings, wrong headers. Row numbers are the spreadsheet's own: the header is
row 1 and the first data row is row 2. Nothing here writes to the database.
"""

from __future__ import annotations

import csv
import functools
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _

MAX_UNCOMPRESSED_RATIO = 100  # a real .xlsx compresses about 5-10x; bombs 1000x+
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 1_000_000
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_T_TAG = f"{{{_MAIN_NS}}}t"
_R_TAG = f"{{{_MAIN_NS}}}r"


@dataclass(frozen=True)
class Column:
    name: str  # English header, also the key in returned rows
    zh: str  # Chinese header, accepted as well
    required: bool = True


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = header row
    column: str
    message: str

    def __str__(self) -> str:
        where = _("第 %(row)s 行") % {"row": self.row} if self.row else _("文件")
        if self.column:
            where += _("，%(column)s 列") % {"column": self.column}
        return _("%(where)s：%(message)s") % {"where": where, "message": self.message}


@dataclass
class TableError(Exception):
    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


def _normalise(header: object) -> str:
    return str(header or "").strip().lstrip("\ufeff").lower()


def _check_xlsx_container(data: bytes) -> None:
    if not data.startswith(b"PK"):
        raise TableError(
            [RowError(0, "", _("文件不是有效的 Excel（.xlsx）文件，请另存为 .xlsx 或 .csv 后重新上传"))]
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise TableError([RowError(0, "", _("文件已损坏或不是有效的 Excel（.xlsx）文件"))]) from exc
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise TableError([RowError(0, "", _("不接受含宏的工作簿（.xlsm），请另存为不含宏的 .xlsx"))])
    if "xl/workbook.xml" not in names:
        raise TableError([RowError(0, "", _("文件不是有效的 Excel（.xlsx）文件"))])
    if total > MAX_UNCOMPRESSED_BYTES or total > MAX_UNCOMPRESSED_RATIO * max(len(data), 1):
        raise TableError([RowError(0, "", _("文件解压后体积异常（疑似压缩炸弹），已拒绝"))])


def _unreadable(exc: Exception) -> RowError:
    return RowError(0, "", _("无法读取 Excel 文件：%(error)s") % {"error": type(exc).__name__})


def _inline_text(element) -> str:
    """The text of an inline string (`<is>`): its `<t>` and the `<t>` of each rich-text run.

    What openpyxl's `Text.from_tree(element).content` returns (phonetic runs left out),
    without building a Text object per cell, which took a quarter of a read.
    """
    parts = []
    for child in element:
        if child.tag == _T_TAG:
            if child.text is not None:
                parts.append(child.text)
        elif child.tag == _R_TAG:
            t = child.find(_T_TAG)
            if t is not None and t.text is not None:
                parts.append(t.text)
    return "".join(parts)


@functools.cache
def _sheet_parser_class():
    from openpyxl.worksheet._reader import INLINE_STRING, WorkSheetParser

    class SheetParser(WorkSheetParser):
        """openpyxl's own worksheet parser; only inline strings are read more cheaply."""

        def parse_cell(self, element):
            if element.get("t") != "inlineStr":
                return super().parse_cell(element)
            child = element.find(INLINE_STRING)
            if child is not None:
                element.remove(child)  # the element is discarded after its row is parsed
            cell = super().parse_cell(element)  # coordinates, formulas: as openpyxl does
            if child is not None and cell["data_type"] == "inlineStr":
                cell["data_type"] = "s"
                cell["value"] = _inline_text(child)
            return cell

    return SheetParser


def _xlsx_rows(data: bytes) -> list[tuple[int, tuple[object, ...]]]:
    """(row number, cell values) of the first worksheet, formula cells marked `_Formula`.

    Reads the workbook with openpyxl's reader in read-only mode (shared strings, styles
    for dates, the 1904 calendar) and parses the sheet's XML with openpyxl's worksheet
    parser once. `load_workbook(read_only=True)` would parse a sheet without a
    `<dimension>` element twice (once to size it) and build a cell object per value;
    it also stops at the size a `<dimension>` element declares, where this reads every
    row the sheet holds.
    """
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet

    _check_xlsx_container(data)
    try:
        reader = ExcelReader(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise TableError([_unreadable(exc)]) from exc
    try:
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            sheet_path = next(
                (
                    rel.target
                    for _sheet, rel in reader.parser.find_sheets()
                    if rel.target in reader.valid_files and "chartsheet" not in rel.Type
                ),
                None,
            )
        except Exception as exc:
            raise TableError([_unreadable(exc)]) from exc
        if sheet_path is None:
            raise TableError([RowError(0, "", _("Excel 文件中没有工作表"))])
        wb = reader.wb
        rows = []
        with reader.archive.open(sheet_path) as src:
            parser = _sheet_parser_class()(
                src,
                reader.shared_strings,
                data_only=False,
                epoch=wb.epoch,
                date_formats=wb._date_formats,
                timedelta_formats=wb._timedelta_formats,
            )
            try:
                for index, cells in parser.parse():
                    if index > MAX_ROWS:
                        raise TableError([RowError(0, "", _("行数超过上限 %(max)s") % {"max": MAX_ROWS})])
                    values: list[object] = [None] * max((c["column"] for c in cells), default=0)
                    for cell in cells:
                        if cell["data_type"] == "f":
                            # A formula's value is whatever Excel last computed; we accept numbers only.
                            values[cell["column"] - 1] = _Formula(str(cell["value"]))
                        else:
                            values[cell["column"] - 1] = cell["value"]
                    rows.append((index, tuple(values)))  # tuples of plain values leave the GC alone
            except TableError:
                raise
            except Exception as exc:  # malformed sheet XML
                raise TableError([_unreadable(exc)]) from exc
        return rows
    finally:
        reader.archive.close()


class _Formula(str):
    """Marks a cell that held a formula."""


def _csv_rows(data: bytes) -> list[tuple[int, list[str]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError([RowError(0, "", _("无法识别文件编码，请保存为 UTF-8 编码的 CSV"))])
    if "\x00" in text:
        raise TableError([RowError(0, "", _("文件含二进制内容，不是 CSV 文本文件"))])
    reader = csv.reader(io.StringIO(text, newline=""))
    return [(i, list(r)) for i, r in enumerate(reader, start=1)]


def read_table(data: bytes, filename: str, columns: list[Column]) -> list[dict]:
    """Rows of the uploaded table as dicts keyed by column name, plus `_row` (its row number).

    Raises TableError listing every problem with the file as a whole (size,
    type, header) or with formula cells. Blank rows are skipped. Values are
    returned as read (str for CSV; str/int/float/datetime for xlsx); callers
    validate them and report their own row errors.
    """
    max_bytes = settings.IMPORT_MAX_BYTES
    if len(data) > max_bytes:
        raise TableError(
            [
                RowError(
                    0,
                    "",
                    _("文件大小 %(size)s KB 超过上限 %(limit)s KB")
                    % {"size": len(data) // 1024, "limit": max_bytes // 1024},
                )
            ]
        )
    if not data.strip():
        raise TableError([RowError(0, "", _("文件为空"))])
    suffix = Path(filename or "").suffix.lower()
    if suffix in {".xlsm", ".xltm", ".xlam"}:
        raise TableError([RowError(0, "", _("不接受含宏的工作簿（.xlsm），请另存为不含宏的 .xlsx"))])
    if suffix == ".xlsx":
        rows = _xlsx_rows(data)
    elif suffix in {".csv", ".txt"}:
        rows = _csv_rows(data)
    else:
        kind = suffix or _("无扩展名")
        raise TableError(
            [RowError(0, "", _("不支持的文件类型“%(kind)s”，请上传 .xlsx 或 .csv") % {"kind": kind})]
        )

    rows = [(i, r) for i, r in rows if any(v not in (None, "") and str(v).strip() for v in r)]
    if not rows:
        raise TableError([RowError(0, "", _("文件为空"))])
    header_row, header = rows[0]
    lookup = {}
    for c in columns:
        lookup[c.name.lower()] = c
        lookup[c.zh.lower()] = c
        lookup[f"{c.name} ({c.zh})".lower()] = c
        lookup[f"{c.name}（{c.zh}）".lower()] = c
    positions: dict[str, int] = {}
    errors: list[RowError] = []
    for pos, raw in enumerate(header):
        key = _normalise(raw)
        if not key:
            continue
        col = lookup.get(key)
        if col is None:
            errors.append(RowError(header_row, str(raw), _("无法识别的列名")))
        elif col.name in positions:
            errors.append(RowError(header_row, str(raw), _("列名重复")))
        else:
            positions[col.name] = pos
    for col in columns:
        if col.required and col.name not in positions:
            errors.append(RowError(header_row, column_label(columns, col.name), _("缺少必填列")))
    if errors:
        raise TableError(errors)

    out = []
    for index, values in rows[1:]:
        record: dict = {"_row": index}
        for name, pos in positions.items():
            value = values[pos] if pos < len(values) else None
            if isinstance(value, _Formula):
                errors.append(
                    RowError(index, name, _("单元格含公式“%(formula)s”，请粘贴为数值") % {"formula": value})
                )
            record[name] = value.strip() if isinstance(value, str) else value
        out.append(record)
    if errors:
        raise TableError(errors)
    return out


def column_label(columns: list[Column], name: str) -> str:
    """'数值（value）' for messages; just 'value' (the English header) in English."""
    for c in columns:
        if c.name == name:
            if (get_language() or "").startswith("en"):
                return c.name
            return f"{c.zh}（{c.name}）"
    return name


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """A value safe to write into an exported CSV/xlsx cell.

    Text starting with = + - @ (or a tab/CR) would be run as a formula by Excel
    (CSV injection, e.g. `=cmd|' /C calc'!A0`); it is prefixed with an
    apostrophe. Numbers are returned unchanged so they stay numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
