"""Figure import from .xlsx / .csv (the upload page and `import_figures` share this code).

Steps, the same for both callers:

1. `plan_import` reads the file with `tabular.read_table` (the one safe
   reader), validates every row — codes, year, value against the indicator,
   duplicate keys, the actor's right to write the region, and the state of
   any figure already stored — and returns an `ImportPlan`: the rows to
   create, update or leave unchanged, and every error by row and column.
   It writes nothing; the upload page shows it as the preview.
2. `commit_import` plans again inside one transaction with the existing rows
   locked (the database may have changed since the preview) and, only if
   there is no error at all, writes everything with bulk operations and one
   history row per figure (new figures on PostgreSQL with COPY and one
   INSERT ... SELECT, see `_copy_creates`). Any error rejects the whole file
   (DESIGN §4).

A figure that is approved (locked), submitted (with the reviewer) or derived
is never overwritten: a row that would change it is an error; a row that
repeats its stored value is "unchanged", so re-importing a file is harmless.
Rows whose value cell is empty are skipped and counted (a template row left
blank), never treated as zero.
"""

from __future__ import annotations

import gc
import io
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts import policy
from accounts.policy import Action
from assessments.freeze import ensure_none_frozen
from indicators.models import YEAR_MAX, YEAR_MIN, Figure, Indicator, Region
from indicators.services import format_value, parse_number, schedule_rescore_on_commit
from indicators.tabular import Column, RowError, TableError, column_label, read_table
from indicators.units import unit_zh

if TYPE_CHECKING:
    from indicators.services import Actor

COLUMNS = [
    Column("region_code", "地区代码"),
    Column("region_name", "地区名称", required=False),  # for people; ignored on import
    Column("indicator_code", "指标代码"),
    Column("indicator_name", "指标名称", required=False),  # for people; ignored on import
    Column("unit", "单位", required=False),  # for people; ignored on import
    Column("year", "年度"),
    Column("value", "数值"),
    Column("note", "备注", required=False),
]
NOTE_MAX = 2000
BATCH = 1000

# Statuses an import may give its figures. `approved` only for the system actor (the CLI).
IMPORT_STATUSES = (Figure.Status.DRAFT, Figure.Status.SUBMITTED, Figure.Status.APPROVED)
# Catalogue entries, translated when a row is refused.
LOCKED_MESSAGES = {
    Figure.Status.APPROVED: gettext_noop(
        "该数据已审核锁定（当前值 %(current)s），不能通过导入修改；如需更正请由审核员重新打开"
    ),
    Figure.Status.SUBMITTED: gettext_noop(
        "该数据已提交待审核（当前值 %(current)s），不能通过导入修改；如需更正请由审核员退回"
    ),
}
DERIVED_MESSAGE = gettext_noop("该数据由系统根据登记数据推导（当前值 %(current)s），不能导入")


def _label(name: str) -> str:
    return column_label(COLUMNS, name)


@dataclass
class PlannedRow:
    row: int
    region: Region
    indicator: Indicator
    year: int
    value: Decimal
    note: str
    existing: Figure | None = None
    action: str = "create"  # create / update / unchanged


@dataclass
class ImportPlan:
    filename: str
    status: str
    rows: list[PlannedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    blank_rows: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def summary(self) -> dict[str, int]:
        return {
            "rows": len(self.rows),
            "create": self.count("create"),
            "update": self.count("update"),
            "unchanged": self.count("unchanged"),
            "blank": len(self.blank_rows),
            "errors": len(self.errors),
        }

    @property
    def regions(self) -> list[Region]:
        seen: dict[int, Region] = {}
        for r in self.rows:
            seen.setdefault(r.region.pk, r.region)
        return sorted(seen.values(), key=lambda r: r.code)

    @property
    def years(self) -> list[int]:
        return sorted({r.year for r in self.rows})


@dataclass
class ImportResult:
    filename: str
    status: str
    created: int
    updated: int
    unchanged: int
    blank: int
    seconds: float
    regions: list[Region]
    years: list[int]

    def __str__(self) -> str:
        counts = {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}
        text = _("导入完成：新增 %(created)s 条，更新 %(updated)s 条，未变 %(unchanged)s 条") % counts
        if self.blank:
            text += ngettext("，跳过空白数值 %(n)s 行", "，跳过空白数值 %(n)s 行", self.blank) % {
                "n": self.blank
            }
        return text + _("（用时 %(seconds)s 秒）") % {"seconds": f"{self.seconds:.2f}"}


class ImportRejected(Exception):
    """The file was rejected as a whole; `errors` lists every problem by row and column."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


# --- Cell parsing -----------------------------------------------------------------


def _code_text(raw: object) -> str:
    """A code cell as text: Excel may hand back 130528 or 130528.0 for a code."""
    if isinstance(raw, bool) or raw is None:
        return "" if raw is None else str(raw)
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw).strip()


def _parse_year(raw: object) -> int:
    if isinstance(raw, bool):
        raise ValueError(_("年度“%(raw)s”不是整数") % {"raw": raw})
    if isinstance(raw, int):
        year = raw
    elif isinstance(raw, float) and raw.is_integer():
        year = int(raw)
    else:
        text = str(raw).strip()
        if not text.isdigit():
            raise ValueError(_("年度“%(raw)s”不是整数年份") % {"raw": raw})
        year = int(text)
    if not (YEAR_MIN <= year <= YEAR_MAX):
        raise ValueError(
            _("年度 %(year)s 超出范围（%(min)s–%(max)s）") % {"year": year, "min": YEAR_MIN, "max": YEAR_MAX}
        )
    return year


def _blank(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


# --- Planning ---------------------------------------------------------------------


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a file is read and planned.

    A 100,000-row file becomes about a million objects (row records, Decimals, planned
    rows) that all live until the plan is done. The collector would scan them again and
    again as they age (about a tenth of the CPU of a 100,000-row import, measured) and
    could free none of them; reference counting frees memory as usual meanwhile, and
    anything cyclic is collected once the collector is back on. Only the caller that found the collector on switches it back on, so
    nesting or another thread doing the same never leaves it off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def plan_import(*, actor: Actor, data: bytes, filename: str, status: str, lock: bool = False) -> ImportPlan:
    """Validate the whole file and decide every row; write nothing. See the module docstring."""
    with _cyclic_gc_paused():
        return _plan_import(actor=actor, data=data, filename=filename, status=status, lock=lock)


def _plan_import(*, actor: Actor, data: bytes, filename: str, status: str, lock: bool) -> ImportPlan:
    plan = ImportPlan(filename=filename, status=status)
    if status not in IMPORT_STATUSES:
        plan.errors.append(
            RowError(
                0, "", _("导入状态“%(status)s”无效，须为 draft、submitted 或 approved") % {"status": status}
            )
        )
        return plan
    if status == Figure.Status.APPROVED and actor is not policy.SYSTEM:
        plan.errors.append(
            RowError(0, "", _("只有系统管理员在命令行导入时可以直接导入为“已审核”，网页导入须经审核流程"))
        )
        return plan
    try:
        records = read_table(data, filename, COLUMNS)
    except TableError as exc:
        plan.errors.extend(exc.errors)
        return plan
    if not records:
        plan.errors.append(RowError(0, "", _("文件只有表头，没有数据行")))
        return plan

    region_codes = {_code_text(r.get("region_code")) for r in records}
    regions = {r.code: r for r in Region.objects.filter(code__in=region_codes - {""})}
    indicators = {i.code: i for i in Indicator.objects.all()}
    writable: dict[int, bool] = {}
    seen: dict[tuple[str, str, int], int] = {}
    errors = plan.errors

    for rec in records:
        row = rec["_row"]
        if _blank(rec.get("value")):
            plan.blank_rows.append(row)
            continue
        ok = True
        code = _code_text(rec.get("region_code"))
        region = regions.get(code)
        if not code:
            errors.append(RowError(row, _label("region_code"), _("请填写地区代码")))
            ok = False
        elif region is None:
            if len(code) == 6 and code.isdigit():
                why = _("地区代码“%(code)s”不存在")
            else:
                why = _("地区代码“%(code)s”须为 6 位数字行政区划代码")
            errors.append(RowError(row, _label("region_code"), why % {"code": code}))
            ok = False
        else:
            if region.pk not in writable:
                writable[region.pk] = policy.can(actor, Action.IMPORT, region) and (
                    status == Figure.Status.DRAFT or policy.can(actor, Action.SUBMIT, region)
                )
            if not writable[region.pk]:
                errors.append(
                    RowError(
                        row,
                        _label("region_code"),
                        _("无权导入“%(name)s”（%(code)s）的数据：只能导入本人有填报权限的地区")
                        % {"name": region.name, "code": code},
                    )
                )
                ok = False
        ind_code = _code_text(rec.get("indicator_code")).upper()
        indicator = indicators.get(ind_code)
        if not ind_code:
            errors.append(RowError(row, _label("indicator_code"), _("请填写指标代码")))
            ok = False
        elif indicator is None:
            errors.append(
                RowError(row, _label("indicator_code"), _("指标代码“%(code)s”不存在") % {"code": ind_code})
            )
            ok = False
        year = None
        if _blank(rec.get("year")):
            errors.append(RowError(row, _label("year"), _("请填写年度")))
            ok = False
        else:
            try:
                year = _parse_year(rec.get("year"))
            except ValueError as exc:
                errors.append(RowError(row, _label("year"), str(exc)))
                ok = False
        value = None
        try:
            value = parse_number(rec.get("value"))
        except ValueError as exc:
            errors.append(RowError(row, _label("value"), str(exc)))
            ok = False
        if value is not None and indicator is not None:
            for problem in indicator.value_errors(value):
                errors.append(RowError(row, _label("value"), problem))
                ok = False
        note = rec.get("note")
        note = "" if _blank(note) else str(note).strip()
        if len(note) > NOTE_MAX:
            errors.append(RowError(row, _label("note"), _("备注超过 %(n)s 字") % {"n": NOTE_MAX}))
            ok = False
        if code and ind_code and year is not None:
            key = (code, ind_code, year)
            if key in seen:
                errors.append(
                    RowError(
                        row,
                        _label("indicator_code"),
                        _(
                            "与第 %(row)s 行重复：同一地区（%(region)s）、指标（%(indicator)s）、"
                            "年度（%(year)s）只能有一行"
                        )
                        % {"row": seen[key], "region": code, "indicator": ind_code, "year": year},
                    )
                )
                ok = False
            else:
                seen[key] = row
        if ok:
            plan.rows.append(PlannedRow(row, region, indicator, year, value, note))  # type: ignore[arg-type]

    _decide_against_stored(plan, status, lock)
    plan.errors.sort(key=lambda e: (e.row, e.column))
    return plan


def _decide_against_stored(plan: ImportPlan, status: str, lock: bool) -> None:
    """Compare each valid row with the figure stored for its key: create, update, unchanged or error."""
    if not plan.rows:
        return
    qs = Figure.objects.filter(
        region_id__in={r.region.pk for r in plan.rows},
        indicator_id__in={r.indicator.pk for r in plan.rows},
        year__in={r.year for r in plan.rows},
    )
    if lock:
        qs = qs.select_for_update()
    stored = {(f.region_id, f.indicator_id, f.year): f for f in qs}
    keep = []
    for r in plan.rows:
        fig = stored.get((r.region.pk, r.indicator.pk, r.year))
        r.existing = fig
        if fig is None:
            r.action = "create"
            keep.append(r)
            continue
        same = fig.reported_value == r.value and (not r.note or r.note == fig.note)
        if fig.source == Figure.Source.DERIVED or fig.status in LOCKED_MESSAGES:
            if same:
                r.action = "unchanged"
                keep.append(r)
            else:
                template = (
                    DERIVED_MESSAGE if fig.source == Figure.Source.DERIVED else LOCKED_MESSAGES[fig.status]
                )
                plan.errors.append(
                    RowError(r.row, _label("value"), _(template) % {"current": format_value(fig.value)})
                )
            continue
        moves = status != Figure.Status.DRAFT and fig.status != status
        r.action = "update" if (not same or moves) else "unchanged"
        keep.append(r)
    plan.rows = keep


# --- Commit -----------------------------------------------------------------------


def _apply_status(fig: Figure, status: str, now) -> None:
    if status == Figure.Status.DRAFT:
        return  # a new figure is a draft; a returned one stays returned with its reason until resubmitted
    fig.submitted_at = fig.submitted_at if fig.status == status else now
    fig.status = status
    fig.return_reason = ""
    if status == Figure.Status.APPROVED:
        fig.verified_value = fig.reported_value
        fig.value = fig.reported_value
        fig.approved_at = now
        fig.approved_by = None


def _one_pair_per_rescore_scope(pairs: Iterable[tuple[int, Region]]) -> list[tuple[int, int]]:
    """One (year, region id) per (year, rescore scope) among `pairs`.

    `indicators.tasks` coalesces re-scores per (year, province): every call after the
    first for the same year and province finds the pending key and does nothing, but
    still costs two Region queries. The scope is the top of the region's path
    (`scoring_service.rescore_scope_for`); the region kept for each is the one with the
    lowest id, the one the per-region calls in (year, id) order would have enqueued.
    """
    chosen: dict[tuple[int, str], int] = {}
    for year, region in pairs:
        key = (year, region.path.strip("/").split("/")[0])
        if key not in chosen or region.pk < chosen[key]:
            chosen[key] = region.pk
    return sorted((year, region_id) for (year, _), region_id in chosen.items())


def _new_figure(r: PlannedRow, *, filename: str, user, status: str, now) -> Figure:
    """The Figure a "create" row becomes (not saved)."""
    fig = Figure(
        region=r.region,
        indicator=r.indicator,
        year=r.year,
        value=r.value,
        reported_value=r.value,
        note=r.note,
        source=Figure.Source.IMPORT,
        source_ref=filename[:200],
        status=Figure.Status.DRAFT,
        entered_by=user,
        version=1,
    )
    _apply_status(fig, status, now)
    return fig


# The columns of a "create" row that differ from row to row; every other column of the
# new figures is the same for the whole file (see `_copy_creates`).
_ROW_COLUMNS = ("region_id", "indicator_id", "year", "value", "note")
_STAGE_TABLE = "qc_import_new_figures"


def _copy_available() -> bool:
    """COPY and INSERT ... RETURNING in one statement: PostgreSQL; SQLite keeps bulk_create."""
    return connection.vendor == "postgresql"


def _copy_creates(rows: list[PlannedRow], *, filename: str, user, status: str, reason: str, now) -> int:
    """PostgreSQL: insert the new figures and their "+" history rows; return how many.

    Writes what `bulk_create_with_history` writes, without 200,000 model instances:
    the varying columns go to a temporary table with COPY, then one statement inserts
    the figures (constants as parameters, taken from the figure `_new_figure` builds
    for the first row) and, from their RETURNING rows, the history rows, so the history
    copies exactly what was stored. history_date is `now` for every row (simple-history
    takes its own clock per row, microseconds apart). Runs in the caller's transaction;
    a duplicate key raises IntegrityError like bulk_create does.
    """
    qn = connection.ops.quote_name
    proto = _new_figure(rows[0], filename=filename, user=user, status=status, now=now)
    assert proto.reported_value == proto.value == rows[0].value
    assert proto.verified_value in (None, proto.value)

    select: list[str] = []
    params: list[object] = []
    columns: list[str] = []
    for f in Figure._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if f.attname in _ROW_COLUMNS:
            select.append(f"t.{qn(f.column)}")
        elif f.attname == "reported_value" or (
            f.attname == "verified_value" and proto.verified_value is not None
        ):
            select.append("t.value")
        else:
            value = (
                now
                if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
                else getattr(proto, f.attname)
            )
            select.append(f"%s::{f.db_type(connection)}")
            params.append(f.get_db_prep_save(value, connection))

    history = Figure.history.model
    tracked = [f.column for f in history.tracked_fields]
    history_user = user or history.get_default_history_user(proto)
    history_columns = [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"]
    history_params = [now, reason, "+", getattr(history_user, "pk", history_user)]

    stage_columns = ", ".join(
        f"{qn(Figure._meta.get_field(name).column)} {Figure._meta.get_field(name).db_type(connection)}"
        for name in _ROW_COLUMNS
    )
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {_STAGE_TABLE} (ord integer, {stage_columns}) ON COMMIT DROP")
        with cursor.copy(
            f"COPY {_STAGE_TABLE} (ord, {', '.join(qn(c) for c in _ROW_COLUMNS)}) FROM STDIN"
        ) as copy:
            for r in rows:
                copy.write_row((r.row, r.region.pk, r.indicator.pk, r.year, r.value, r.note))
        # Table and column names come from the models' _meta; every value is a parameter.
        insert = (
            f"WITH created AS ("  # noqa: S608
            f" INSERT INTO {qn(Figure._meta.db_table)} ({', '.join(qn(c) for c in columns)})"
            f" SELECT {', '.join(select)} FROM {_STAGE_TABLE} t ORDER BY t.ord"
            f" RETURNING *)"
            f" INSERT INTO {qn(history._meta.db_table)} ({', '.join(qn(c) for c in history_columns)})"
            f" SELECT {', '.join(qn(c) for c in tracked)}, %s, %s, %s, %s FROM created"
        )
        cursor.execute(insert, [*params, *history_params])
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {_STAGE_TABLE}")
    return written


def commit_import(*, actor: Actor, data: bytes, filename: str, status: str) -> ImportResult:
    """Write the whole file or nothing. Raises ImportRejected listing every error."""
    started = time.perf_counter()
    user = None if actor is policy.SYSTEM else actor
    reason = f"文件导入：{filename}"[:100]
    with transaction.atomic():
        plan = plan_import(actor=actor, data=data, filename=filename, status=status, lock=True)
        if not plan.ok:
            raise ImportRejected(plan.errors or [RowError(0, "", _("文件没有可导入的数值"))])
        ensure_none_frozen(
            pairs={(r.region.pk, r.year) for r in plan.rows if r.action in ("create", "update")},
            what=f"导入年度数据文件 {filename}",
            user=actor,
        )
        now = timezone.now()
        creates = [r for r in plan.rows if r.action == "create"]
        updates: list[Figure] = []
        for r in plan.rows:
            if r.action == "update":
                fig = r.existing
                assert fig is not None
                fig.value = fig.reported_value = r.value
                fig.verified_value = None
                if r.note:
                    fig.note = r.note
                fig.source = Figure.Source.IMPORT
                fig.source_ref = filename[:200]
                fig.entered_by = user
                fig.version += 1
                fig.updated_at = now
                _apply_status(fig, status, now)
                updates.append(fig)
        try:
            with transaction.atomic():
                if creates and _copy_available():
                    _copy_creates(
                        creates, filename=filename, user=user, status=status, reason=reason, now=now
                    )
                elif creates:
                    bulk_create_with_history(
                        [
                            _new_figure(r, filename=filename, user=user, status=status, now=now)
                            for r in creates
                        ],
                        Figure,
                        batch_size=BATCH,
                        default_user=user,
                        default_change_reason=reason,
                    )
                if updates:
                    bulk_update_with_history(
                        updates,
                        Figure,
                        fields=[
                            "value",
                            "reported_value",
                            "verified_value",
                            "note",
                            "source",
                            "source_ref",
                            "entered_by",
                            "version",
                            "updated_at",
                            "status",
                            "submitted_at",
                            "return_reason",
                            "approved_at",
                            "approved_by",
                        ],
                        batch_size=BATCH,
                        default_user=user,
                        default_change_reason=reason,
                    )
        except IntegrityError as exc:
            raise ImportRejected(
                [RowError(0, "", _("导入过程中有人同时录入了相同的数据，本次导入未写入任何数据，请重新导入"))]
            ) from exc
        if status == Figure.Status.APPROVED:
            schedule_rescore_on_commit(
                _one_pair_per_rescore_scope(
                    (r.year, r.region) for r in plan.rows if r.action in ("create", "update")
                )
            )
    return ImportResult(
        filename=filename,
        status=status,
        created=len(creates),
        updated=len(updates),
        unchanged=plan.count("unchanged"),
        blank=len(plan.blank_rows),
        seconds=time.perf_counter() - started,
        regions=plan.regions,
        years=plan.years,
    )


# --- Template ---------------------------------------------------------------------


def _validation_for(indicator: Indicator):
    from openpyxl.worksheet.datavalidation import DataValidation

    whole = indicator.kind == Indicator.Kind.COUNT
    lo, hi = indicator.min_value, indicator.max_value
    kind = "whole" if whole else "decimal"
    if lo is not None and hi is not None:
        dv = DataValidation(
            type=kind, operator="between", formula1=format_value(lo), formula2=format_value(hi)
        )
        rule = f"{format_value(lo)}–{format_value(hi)} 之间的{'整数' if whole else '数值'}"
    elif lo is not None:
        dv = DataValidation(type=kind, operator="greaterThanOrEqual", formula1=format_value(lo))
        rule = f"不小于 {format_value(lo)} 的{'整数' if whole else '数值'}"
    elif hi is not None:
        dv = DataValidation(type=kind, operator="lessThanOrEqual", formula1=format_value(hi))
        rule = f"不大于 {format_value(hi)} 的{'整数' if whole else '数值'}"
    else:
        dv = DataValidation(
            type=kind, operator="between", formula1="-99999999999999", formula2="99999999999999"
        )
        rule = "整数" if whole else "数值"
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.errorTitle = "数值不符合要求"
    dv.error = f"请填写{rule}"
    dv.promptTitle = "填写要求"
    dv.prompt = f"请填写{rule}"
    return dv, rule


def _cell_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def figure_template(*, actor: Actor, region: Region, year: int) -> bytes:
    """An .xlsx to fill in for (region, year): Chinese headers, every indicator with its unit,
    current values prefilled, and Excel data validation on the value column per indicator.

    Derived figures are left out: they are not typed by hand.
    """
    policy.check(actor, Action.IMPORT, region)
    # The template is a data-exchange file with Chinese headers: all of it stays Chinese.
    with translation.override(settings.LANGUAGE_CODE):
        return _figure_template(region, year)


def _figure_template(region: Region, year: int) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    stored = {f.indicator_id: f for f in Figure.objects.filter(region=region, year=year)}
    wb = Workbook()
    ws = wb.active
    ws.title = "填报数据"
    headers = [c.zh for c in COLUMNS]
    ws.append(headers)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE7F3")
    for cell in ws[1]:
        cell.font = bold
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center")
    value_col = get_column_letter([c.name for c in COLUMNS].index("value") + 1)
    groups: dict[str, tuple[object, list[str]]] = {}
    row_no = 1
    for ind in Indicator.objects.order_by("sort_order", "code"):
        fig = stored.get(ind.pk)
        if fig is not None and fig.source == Figure.Source.DERIVED:
            continue
        row_no += 1
        value = fig.reported_value if fig is not None else None
        ws.append(
            [
                region.code,
                region.name,
                ind.code,
                ind.name_zh,
                unit_zh(ind.unit),
                year,
                _cell_number(value),
                fig.note if fig is not None else None,
            ]
        )
        ws[f"A{row_no}"].number_format = "@"
        ws.cell(row=row_no, column=len(COLUMNS)).data_type = "s"  # a note is text, never a formula
        ws[f"{value_col}{row_no}"].number_format = "General"
        key = f"{ind.kind}|{ind.min_value}|{ind.max_value}"
        if key not in groups:
            groups[key] = (_validation_for(ind)[0], [])
        groups[key][1].append(f"{value_col}{row_no}")
    for dv, cells in groups.values():
        for cell in cells:
            dv.add(cell)
        ws.add_data_validation(dv)
    widths = [10, 14, 30, 40, 12, 8, 14, 40]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.freeze_panes = "A2"

    cat = wb.create_sheet("指标目录")
    cat.append(
        ["指标代码", "类别", "指标名称", "单位", "类型", "方向", "汇总方式", "下限", "上限", "填写要求"]
    )
    for cell in cat[1]:
        cell.font = bold
        cell.fill = fill
    for ind in Indicator.objects.order_by("sort_order", "code"):
        cat.append(
            [
                ind.code,
                ind.get_category_display(),
                ind.name_zh,
                unit_zh(ind.unit),
                ind.get_kind_display(),
                ind.get_direction_display(),
                ind.get_aggregation_display(),
                format_value(ind.min_value) if ind.min_value is not None else "",
                format_value(ind.max_value) if ind.max_value is not None else "",
                _validation_for(ind)[1],
            ]
        )
    for i, w in enumerate([30, 12, 40, 12, 8, 10, 10, 8, 8, 30], start=1):
        cat.column_dimensions[get_column_letter(i)].width = w
    cat.freeze_panes = "A2"

    notes = wb.create_sheet("填写说明")
    for line in _instructions(region, year):
        notes.append([line])
    notes.column_dimensions["A"].width = 110

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _instructions(region: Region, year: int) -> Iterable[str]:
    yield f"{region.name}（{region.code}）{year} 年度质量强市指标数据填报模板"
    yield ""
    yield "1. 只在“填报数据”工作表的“数值”列和“备注”列填写；不要修改表头，不要增删列。"
    yield "2. 数值须为纯数字：比率类填写百分数本身（如 98.5，不要写 98.5% 或 0.985），数量类填写整数。"
    yield "3. 请勿使用公式，请粘贴为数值；数值留空的行不会导入，也不会清除已有数据。"
    yield "4. 已审核（锁定）或已提交待审核的数据不能通过导入修改；由系统推导的数据未列入模板。"
    yield "5. 导入前系统会逐行校验并列出所有错误（行号、列名、原因）；有任何错误时整个文件都不会导入。"
    yield "6. 导入后数据为“草稿”状态，请在填报页面核对后提交审核（也可在导入时选择直接提交）。"
    yield "7. 可接受的文件：本模板（.xlsx）或 UTF-8 编码的 CSV；列名可用中文或英文（region_code, indicator_code, year, value, note）。"


# Previews of uploaded files wait here, named by a token kept in the uploader's session.
PENDING_IMPORT_DIR = "imports/pending"


def purge_abandoned_previews(*, now: datetime | None = None) -> int:
    """Delete preview files older than a session (nobody can commit them any more).

    A preview lives in the uploader's session; when the session expires or the
    user walks away, its file stays under imports/pending. The nightly task calls
    this. Returns how many files were deleted.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    try:
        _, names = default_storage.listdir(PENDING_IMPORT_DIR)
    except FileNotFoundError:
        return 0
    deleted = 0
    for name in names:
        path = f"{PENDING_IMPORT_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            deleted += 1
    return deleted
