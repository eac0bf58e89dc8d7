"""Score exports in the columns of DESIGN §4 (CSV pair or a two-sheet .xlsx).

Sheet / file 1 — one row per scored region and basis:
    region_code, region_name, year, basis, total, grade, rank, rank_of
Sheet / file 2 — one row per target and basis:
    region_code, indicator_code, year, actual, target, completion, points, weight, status, basis

The second table carries `basis` as a trailing extra column: both bases are
exported and without it a target's self and verified rows could not be told
apart; the nine contract columns keep their names and positions.

Numbers are written as numbers (xlsx numeric cells; plain decimals in CSV) and
read back equal to the stored Decimals. Text cells that a spreadsheet would run
as a formula (starting with = + - @, tab or CR) are neutralised: prefixed with
an apostrophe in CSV, stored as literal strings in xlsx.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from indicators.models import Region, RegionScore, TargetScore

REGION_HEADER = ["region_code", "region_name", "year", "basis", "total", "grade", "rank", "rank_of"]
TARGET_HEADER = [
    "region_code",
    "indicator_code",
    "year",
    "actual",
    "target",
    "completion",
    "points",
    "weight",
    "status",
    "basis",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def score_tables(*, year: int, region: Region, basis: str | None = None) -> tuple[list[list], list[list]]:
    """Rows of both tables for `region` and every region below it (2 queries)."""
    scope: dict = {"year": year, "region__path__startswith": region.path}
    if basis:
        scope["basis"] = basis
    regions = [
        [r.region.code, r.region.name, r.year, r.basis, r.total, r.grade, r.rank, r.rank_of]
        for r in RegionScore.objects.filter(**scope)
        .select_related("region")
        .order_by("basis", "region__code")
    ]
    targets = [
        [
            t.region.code,
            t.indicator.code,
            t.year,
            t.actual,
            t.target,
            t.completion,
            t.points,
            t.weight,
            t.status,
            t.basis,
        ]
        for t in TargetScore.objects.filter(**scope)
        .select_related("region", "indicator")
        .order_by("basis", "region__code", "indicator__sort_order", "indicator__code")
    ]
    return regions, targets


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    text = str(value)
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    """UTF-8 with BOM (so Excel opens Chinese names correctly)."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buf.getvalue().encode("utf-8-sig")


def _xlsx_sheet(ws, header: list[str], rows: list[list]) -> None:
    ws.append(header)
    for row in rows:
        ws.append([float(v) if isinstance(v, Decimal) else v for v in row])
    for cells in ws.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
    ws.freeze_panes = "A2"
    for i, name in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(i)].width = max(10, len(name) + 2)


def xlsx_bytes(regions: list[list], targets: list[list]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "地区得分"
    _xlsx_sheet(ws, REGION_HEADER, regions)
    _xlsx_sheet(wb.create_sheet("指标得分"), TARGET_HEADER, targets)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def targets_csv_path(path: Path) -> Path:
    """The second CSV next to the first: scores.csv -> scores_targets.csv."""
    return path.with_name(f"{path.stem}_targets{path.suffix or '.csv'}")


def write_export(*, year: int, region: Region, fmt: str, path: Path, basis: str | None = None) -> list[Path]:
    """Write the export to `path` (plus the targets CSV for csv); return the files written."""
    regions, targets = score_tables(year=year, region=region, basis=basis)
    if fmt == "xlsx":
        path.write_bytes(xlsx_bytes(regions, targets))
        return [path]
    if fmt == "csv":
        second = targets_csv_path(path)
        path.write_bytes(csv_bytes(REGION_HEADER, regions))
        second.write_bytes(csv_bytes(TARGET_HEADER, targets))
        return [path, second]
    raise ValueError(f"未知的导出格式：{fmt}（应为 csv 或 xlsx）")
