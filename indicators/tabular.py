"""Reading uploaded tables (CSV or the first sheet of an .xlsx) safely and with row numbers.

Every import (figures, targets, enterprises, grants) goes through `read_table`,
so the hostile-file checks live in one place: size limit, macro-enabled
workbooks, zip bombs, files that are not spreadsheets, formula cells, unknown
encodings, wrong headers. Row numbers are the spreadsheet's own: the header is
row 1 and the first data row is row 2. Nothing here writes to the database.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

MAX_UNCOMPRESSED_RATIO = 100  # a real .xlsx compresses about 5-10x; bombs 1000x+
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
MAX_ROWS = 1_000_000


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
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where}" + (f"，{self.column} 列" if self.column else "") + f"：{self.message}"


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
            [RowError(0, "", "文件不是有效的 Excel（.xlsx）文件，请另存为 .xlsx 或 .csv 后重新上传")]
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = zf.namelist()
            total = sum(info.file_size for info in zf.infolist())
    except zipfile.BadZipFile as exc:
        raise TableError([RowError(0, "", "文件已损坏或不是有效的 Excel（.xlsx）文件")]) from exc
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise TableError([RowError(0, "", "不接受含宏的工作簿（.xlsm），请另存为不含宏的 .xlsx")])
    if "xl/workbook.xml" not in names:
        raise TableError([RowError(0, "", "文件不是有效的 Excel（.xlsx）文件")])
    if total > MAX_UNCOMPRESSED_BYTES or total > MAX_UNCOMPRESSED_RATIO * max(len(data), 1):
        raise TableError([RowError(0, "", "文件解压后体积异常（疑似压缩炸弹），已拒绝")])


def _xlsx_rows(data: bytes) -> list[tuple[int, list[object]]]:
    from openpyxl import load_workbook

    _check_xlsx_container(data)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise TableError([RowError(0, "", f"无法读取 Excel 文件：{type(exc).__name__}")]) from exc
    try:
        ws = wb.worksheets[0]
        rows = []
        for index, row in enumerate(ws.iter_rows(), start=1):
            values = []
            for cell in row:
                if getattr(cell, "data_type", None) == "f":
                    # A formula's value is whatever Excel last computed; we accept numbers only.
                    values.append(_Formula(str(cell.value)))
                else:
                    values.append(cell.value)
            rows.append((index, values))
            if index > MAX_ROWS:
                raise TableError([RowError(0, "", f"行数超过上限 {MAX_ROWS}")])
        return rows
    finally:
        wb.close()


class _Formula(str):
    """Marks a cell that held a formula."""


def _csv_rows(data: bytes) -> list[tuple[int, list[object]]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError([RowError(0, "", "无法识别文件编码，请保存为 UTF-8 编码的 CSV")])
    if "\x00" in text:
        raise TableError([RowError(0, "", "文件含二进制内容，不是 CSV 文本文件")])
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
            [RowError(0, "", f"文件大小 {len(data) // 1024} KB 超过上限 {max_bytes // 1024} KB")]
        )
    if not data.strip():
        raise TableError([RowError(0, "", "文件为空")])
    suffix = Path(filename or "").suffix.lower()
    if suffix in {".xlsm", ".xltm", ".xlam"}:
        raise TableError([RowError(0, "", "不接受含宏的工作簿（.xlsm），请另存为不含宏的 .xlsx")])
    if suffix == ".xlsx":
        rows = _xlsx_rows(data)
    elif suffix in {".csv", ".txt"}:
        rows = _csv_rows(data)
    else:
        raise TableError([RowError(0, "", f"不支持的文件类型“{suffix or '无扩展名'}”，请上传 .xlsx 或 .csv")])

    rows = [(i, r) for i, r in rows if any(v not in (None, "") and str(v).strip() for v in r)]
    if not rows:
        raise TableError([RowError(0, "", "文件为空")])
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
            errors.append(RowError(header_row, str(raw), "无法识别的列名"))
        elif col.name in positions:
            errors.append(RowError(header_row, str(raw), "列名重复"))
        else:
            positions[col.name] = pos
    for col in columns:
        if col.required and col.name not in positions:
            errors.append(RowError(header_row, f"{col.zh}（{col.name}）", "缺少必填列"))
    if errors:
        raise TableError(errors)

    out = []
    for index, values in rows[1:]:
        record: dict = {"_row": index}
        for name, pos in positions.items():
            value = values[pos] if pos < len(values) else None
            if isinstance(value, _Formula):
                errors.append(RowError(index, name, f"单元格含公式“{value}”，请粘贴为数值"))
            record[name] = value.strip() if isinstance(value, str) else value
        out.append(record)
    if errors:
        raise TableError(errors)
    return out


def column_label(columns: list[Column], name: str) -> str:
    """'数值（value）' for messages."""
    for c in columns:
        if c.name == name:
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
