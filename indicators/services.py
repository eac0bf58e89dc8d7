"""Writes to figures: entry, submission, review, reopening, evidence.

Every function here is keyword-only, runs in one transaction, asks the
permission policy (`accounts.policy`) before it writes, and records who did
what and why in the figure's history (django-simple-history). The workflow:

    (none) --save--> draft --submit--> submitted --approve--> approved (locked)
                       ^                   |                      |
                       |                 return                 reopen (reason)
                       +---- save ---- returned <-----------------+

Invariants kept here, not in views or serializers:

- Optimistic concurrency: a write names the `version` it read; a different
  current version raises `ConflictError` carrying the current figure, and
  nothing is written. Every write bumps `version`.
- An approved figure is locked: it changes only through `figure_reopen`.
- A submitted figure belongs to the reviewer until approved or returned.
- Derived figures (source `derived`) are never typed by hand.
- Nobody approves a figure they entered themselves (policy.check_figure).
- Values are Decimal, validated against the indicator (range, whole counts,
  at most four decimal places); nothing is rounded silently.

`actor` is a request's user, or `policy.SYSTEM` for commands and jobs.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import policy
from accounts.policy import Action
from assessments.freeze import ensure_figures_not_frozen, ensure_none_frozen, ensure_not_frozen
from indicators.models import VALUE_PLACES, YEAR_MAX, YEAR_MIN, Evidence, Figure, Indicator, Region
from quality_city.i18n import join_clauses

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.core.files.uploadedfile import UploadedFile

    Actor = AbstractBaseUser | policy.SystemActor

logger = logging.getLogger(__name__)

# The largest magnitude a figure may hold: 18 digits with 4 decimal places.
VALUE_LIMIT = Decimal(10) ** 14
EDITABLE = frozenset({Figure.Status.DRAFT, Figure.Status.RETURNED})


# --- Errors ---------------------------------------------------------------------


class FigureError(Exception):
    """A refusal the user can act on; `message` is in the active language and shown as is."""

    code = "invalid"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(FigureError):
    """Input that breaks a rule of the indicator or the workflow; `errors` maps field -> messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(join_clauses(m for msgs in errors.values() for m in msgs))


class ConflictError(FigureError):
    """Someone saved the figure since the caller read it; `current` is what is stored now."""

    code = "conflict"

    def __init__(self, current: Figure, attempted: Decimal | None = None) -> None:
        self.current = current
        self.attempted = attempted
        approved = current.status == Figure.Status.APPROVED
        who = (current.approved_by if approved else None) or current.entered_by
        when = timezone.localtime(current.updated_at).strftime("%Y-%m-%d %H:%M") if current.updated_at else ""
        if who:
            saved = _("由 %(who)s %(when)s 保存") % {
                "who": who.get_full_name() or who.get_username(),
                "when": when,
            }
        else:
            saved = _("%(when)s 保存") % {"when": when}
        super().__init__(
            _(
                "“%(name)s”已被他人修改：当前值为 %(value)s（%(status)s，%(saved)s）。"
                "您的修改未保存，请核对当前值后重新提交。"
            )
            % {
                "name": current.indicator.name,
                "value": format_value(current.value),
                "status": current.get_status_display(),
                "saved": saved,
            }
        )


class CreateConflictError(ConflictError):
    """Two people created the same (region, indicator, year) at once."""


class LockedError(FigureError):
    code = "locked"


class StateError(FigureError):
    """The figure is not in a status that allows this step."""

    code = "state"


@dataclass
class BulkError(FigureError):
    """Some items of a bulk write failed; nothing was written. Keys are item keys (code or id)."""

    errors: dict[Any, FigureError] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(join_clauses(e.message for e in self.errors.values()))

    @property
    def code(self) -> str:  # type: ignore[override]
        codes = {e.code for e in self.errors.values()}
        return "conflict" if "conflict" in codes else (codes.pop() if len(codes) == 1 else "invalid")


# --- Values -------------------------------------------------------------------

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def format_value(value: Decimal | None) -> str:
    """'98.5' for Decimal('98.5000'); '—' for None. Never scientific notation."""
    if value is None:
        return "—"
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def parse_number(raw: object) -> Decimal:
    """A Decimal from user input (str, int, float, Decimal) or ValueError with a message in the
    active language.

    Full-width digits from Chinese input methods are accepted (NFKC); thousands
    separators, NaN and infinities are refused rather than guessed at.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError(_("请填写数值"))
    if isinstance(raw, bool):
        raise ValueError(_("“%(raw)s”不是数字") % {"raw": raw})
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw):
            raise ValueError(_("“%(raw)s”不是有效数字") % {"raw": raw})
        value = Decimal(repr(raw))
    else:
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(" ", "")
        if "," in text:
            raise ValueError(_("“%(raw)s”含千位分隔符，请只填写数字，例如 12345.6") % {"raw": raw})
        if not _NUMBER.match(text):
            raise ValueError(_("“%(raw)s”不是数字") % {"raw": raw})
        try:
            value = Decimal(text)
        except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid numbers
            raise ValueError(_("“%(raw)s”不是数字") % {"raw": raw}) from exc
    if not value.is_finite():
        raise ValueError(_("“%(raw)s”不是有效数字") % {"raw": raw})
    if abs(value) >= VALUE_LIMIT:
        raise ValueError(_("数值 %(raw)s 超出可存储范围") % {"raw": raw})
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -VALUE_PLACES:
        raise ValueError(_("数值 %(raw)s 小数位数超过 %(places)s 位") % {"raw": raw, "places": VALUE_PLACES})
    return value


def clean_value(indicator: Indicator, raw: object) -> Decimal:
    """The value `raw` as a Decimal valid for `indicator`, or ValidationFailed({'value': [...]})."""
    try:
        value = parse_number(raw)
    except ValueError as exc:
        raise ValidationFailed({"value": [str(exc)]}) from exc
    problems = indicator.value_errors(value)
    if problems:
        raise ValidationFailed({"value": problems})
    return value


def _check_year(year: int) -> None:
    if not (YEAR_MIN <= int(year) <= YEAR_MAX):
        raise ValidationFailed(
            {"year": [_("年度须在 %(min)s–%(max)s 之间") % {"min": YEAR_MIN, "max": YEAR_MAX}]}
        )


# --- Helpers ------------------------------------------------------------------


def _user_or_none(actor: Actor) -> AbstractBaseUser | None:
    return None if actor is policy.SYSTEM else actor  # type: ignore[return-value]


def _lock(figure_id: int) -> Figure:
    """The current row, locked until the transaction ends (PostgreSQL; SQLite serialises writers)."""
    return (
        Figure.objects.select_for_update(of=("self",))
        .select_related("region", "indicator", "entered_by", "approved_by")
        .get(pk=figure_id)
    )


def _expect_version(figure: Figure, expected_version: int | None, attempted: Decimal | None = None) -> None:
    if expected_version is not None and int(expected_version) != figure.version:
        raise ConflictError(figure, attempted)


def _save(figure: Figure, *, actor: Actor, reason: str) -> None:
    figure.version += 1
    figure._history_user = _user_or_none(actor)  # type: ignore[attr-defined]
    figure._change_reason = reason[:100]  # type: ignore[attr-defined]
    figure.save()


def schedule_rescore_on_commit(pairs: Iterable[tuple[int, int]]) -> None:
    """Ask the scoring work for a coalesced re-score of each (year, region) once we commit.

    `indicators.tasks.schedule_rescore` defers to `transaction.on_commit` itself,
    so a rolled-back approval never triggers a run. Without it (scoring not
    installed) approvals simply do not trigger anything.
    """
    try:
        from indicators.tasks import schedule_rescore
    except ImportError:
        return
    for year, region_id in sorted(set(pairs)):
        schedule_rescore(year=year, region_id=region_id)


# --- Entry --------------------------------------------------------------------


@transaction.atomic
def figure_save(
    *,
    actor: Actor,
    region: Region,
    indicator: Indicator,
    year: int,
    value: object,
    note: str = "",
    expected_version: int | None,
    reason: str = "",
    source: str = Figure.Source.MANUAL,
    source_ref: str = "",
) -> Figure:
    """Create or update the reported value of (region, indicator, year).

    `expected_version` is the version the caller read, 0 or None when the
    caller saw no figure. A figure that changed since (or was created since)
    raises ConflictError and nothing is written. Saving the value and note
    that are already stored is a no-op (no new version, no history row).
    """
    ensure_not_frozen(
        region_id=region.pk, year=year, what=f"填报 {region.name} {indicator.code} {year}", user=actor
    )
    existing_id = (
        Figure.objects.filter(region=region, indicator=indicator, year=year)
        .values_list("pk", flat=True)
        .first()
    )
    policy.check(actor, Action.CREATE if existing_id is None else Action.UPDATE, region)
    _check_year(year)
    new_value = clean_value(indicator, value)
    note = (note or "").strip()
    if existing_id is None:
        if expected_version:
            # The caller read a figure that no longer exists: nothing to compare with.
            raise StateError(_("该数据已被删除，请刷新页面后重新填报"))
        figure = Figure(
            region=region,
            indicator=indicator,
            year=year,
            value=new_value,
            reported_value=new_value,
            note=note,
            source=source,
            source_ref=source_ref[:200],
            status=Figure.Status.DRAFT,
            entered_by=_user_or_none(actor),
            version=0,
        )
        try:
            with transaction.atomic():
                _save(figure, actor=actor, reason=reason or "新增填报")
        except IntegrityError as exc:
            # Someone created the same key between our read and our insert.
            current = _lock(Figure.objects.get(region=region, indicator=indicator, year=year).pk)
            raise CreateConflictError(current, new_value) from exc
        return figure

    figure = _lock(existing_id)
    if figure.reported_value == new_value and figure.note == note:
        return figure
    _expect_version(figure, expected_version if expected_version is not None else 0, new_value)
    _ensure_editable(figure)
    figure.value = figure.reported_value = new_value
    figure.verified_value = None
    figure.note = note
    figure.entered_by = _user_or_none(actor)
    if source != Figure.Source.DERIVED:
        figure.source = source
        figure.source_ref = source_ref[:200]
    _save(figure, actor=actor, reason=reason or "修改填报值")
    return figure


def _ensure_editable(figure: Figure) -> None:
    name = {"name": figure.indicator.name}
    if figure.source == Figure.Source.DERIVED:
        raise LockedError(_("“%(name)s”由系统根据登记数据推导，不能手工修改") % name)
    if figure.status == Figure.Status.APPROVED:
        raise LockedError(_("“%(name)s”已审核锁定，如需修改请由审核员重新打开（须说明原因）") % name)
    if figure.status == Figure.Status.SUBMITTED:
        raise LockedError(_("“%(name)s”已提交待审核，不能修改；如需修改请由审核员退回") % name)


@dataclass(frozen=True)
class Entry:
    """One row of the entry grid to save."""

    indicator: Indicator
    value: object
    note: str = ""
    expected_version: int | None = None


@transaction.atomic
def figure_bulk_save(
    *, actor: Actor, region: Region, year: int, entries: Sequence[Entry], reason: str = ""
) -> dict[str, Figure]:
    """Save several rows of one region and year: all of them, or (on any error) none.

    Returns {indicator code: figure}. Raises BulkError keyed by indicator code.
    """
    ensure_none_frozen(pairs=[(region.pk, year)], what=f"批量填报 {region.name} {year}", user=actor)
    saved: dict[str, Figure] = {}
    errors: dict[Any, FigureError] = {}
    for entry in entries:
        try:
            saved[entry.indicator.code] = figure_save(
                actor=actor,
                region=region,
                indicator=entry.indicator,
                year=year,
                value=entry.value,
                note=entry.note,
                expected_version=entry.expected_version,
                reason=reason,
            )
        except FigureError as exc:
            errors[entry.indicator.code] = exc
    if errors:
        raise BulkError(errors)
    return saved


# --- Workflow -----------------------------------------------------------------


@transaction.atomic
def figure_submit(*, actor: Actor, figure: Figure, expected_version: int | None) -> Figure:
    """Send a draft or returned figure to the reviewers."""
    ensure_not_frozen(
        region_id=figure.region_id, year=figure.year, what=f"提交年度数据 #{figure.pk}", user=actor
    )
    figure = _lock(figure.pk)
    policy.check_figure(actor, Action.SUBMIT, figure)
    _expect_version(figure, expected_version)
    if figure.status == Figure.Status.SUBMITTED:
        return figure
    if figure.status not in EDITABLE:
        raise StateError(
            _("“%(name)s”当前状态为“%(status)s”，不能提交")
            % {"name": figure.indicator.name, "status": figure.get_status_display()}
        )
    figure.status = Figure.Status.SUBMITTED
    figure.submitted_at = timezone.now()
    _save(figure, actor=actor, reason="提交审核")
    return figure


@transaction.atomic
def figure_approve(
    *,
    actor: Actor,
    figure: Figure,
    expected_version: int | None,
    verified_value: object = None,
    reason: str = "",
) -> Figure:
    """Approve a submitted figure, optionally with an adjusted (verified) value.

    An adjusted value needs a reason; the reported value is kept next to it.
    The approver must not be the person who entered the figure.
    """
    ensure_not_frozen(
        region_id=figure.region_id, year=figure.year, what=f"审核年度数据 #{figure.pk}", user=actor
    )
    figure = _lock(figure.pk)
    policy.check_figure(actor, Action.APPROVE, figure)
    _expect_version(figure, expected_version)
    if figure.status != Figure.Status.SUBMITTED:
        raise StateError(
            _("“%(name)s”当前状态为“%(status)s”，只有已提交的数据可以审核")
            % {"name": figure.indicator.name, "status": figure.get_status_display()}
        )
    reason = (reason or "").strip()
    if verified_value is None or (isinstance(verified_value, str) and not verified_value.strip()):
        verified = figure.reported_value
    else:
        verified = clean_value(figure.indicator, verified_value)
    if verified != figure.reported_value and not reason:
        raise ValidationFailed({"reason": [_("核定值与填报值不同，须填写调整原因")]})
    figure.verified_value = verified
    figure.value = verified
    figure.adjust_reason = reason if verified != figure.reported_value else ""
    figure.status = Figure.Status.APPROVED
    figure.approved_by = _user_or_none(actor)
    figure.approved_at = timezone.now()
    figure.return_reason = ""
    change = "审核通过" if verified == figure.reported_value else f"核定调整：{reason}"
    _save(figure, actor=actor, reason=change)
    schedule_rescore_on_commit([(figure.year, figure.region_id)])
    return figure


@transaction.atomic
def figure_return(*, actor: Actor, figure: Figure, expected_version: int | None, reason: str) -> Figure:
    """Send a submitted figure back to the region with a required reason."""
    ensure_not_frozen(
        region_id=figure.region_id, year=figure.year, what=f"退回年度数据 #{figure.pk}", user=actor
    )
    figure = _lock(figure.pk)
    policy.check_figure(actor, Action.RETURN, figure)
    _expect_version(figure, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("退回须填写原因")]})
    if figure.status != Figure.Status.SUBMITTED:
        raise StateError(
            _("“%(name)s”当前状态为“%(status)s”，只有已提交的数据可以退回")
            % {"name": figure.indicator.name, "status": figure.get_status_display()}
        )
    figure.status = Figure.Status.RETURNED
    figure.return_reason = reason
    _save(figure, actor=actor, reason=f"退回：{reason}")
    return figure


@transaction.atomic
def figure_reopen(*, actor: Actor, figure: Figure, expected_version: int | None, reason: str) -> Figure:
    """Unlock an approved figure so the region can correct it; it goes back as returned.

    The verified value is cleared (the effective value reverts to the reported
    one) and the reason travels back to the region like a return reason.
    """
    ensure_not_frozen(
        region_id=figure.region_id, year=figure.year, what=f"重新打开年度数据 #{figure.pk}", user=actor
    )
    figure = _lock(figure.pk)
    policy.check_figure(actor, Action.REOPEN, figure)
    _expect_version(figure, expected_version)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("重新打开须填写原因")]})
    if figure.status != Figure.Status.APPROVED:
        raise StateError(_("“%(name)s”未审核锁定，无需重新打开") % {"name": figure.indicator.name})
    if figure.source == Figure.Source.DERIVED:
        raise LockedError(
            _("“%(name)s”由系统推导，请修改登记数据后重新推导") % {"name": figure.indicator.name}
        )
    figure.status = Figure.Status.RETURNED
    figure.return_reason = reason
    figure.verified_value = None
    figure.value = figure.reported_value
    figure.adjust_reason = ""
    figure.approved_by = None
    figure.approved_at = None
    _save(figure, actor=actor, reason=f"重新打开：{reason}")
    schedule_rescore_on_commit([(figure.year, figure.region_id)])
    return figure


def _bulk(fn, items: Sequence[tuple[int, int | None]], **kwargs: Any) -> list[Figure]:
    done: list[Figure] = []
    errors: dict[Any, FigureError] = {}
    figures = Figure.objects.in_bulk([pk for pk, _ in items])
    for pk, version in items:
        figure = figures.get(pk)
        if figure is None:
            errors[pk] = StateError(_("数据 %(pk)s 不存在") % {"pk": pk})
            continue
        try:
            done.append(fn(figure=figure, expected_version=version, **kwargs))
        except FigureError as exc:
            errors[pk] = exc
    if errors:
        raise BulkError(errors)
    return done


@transaction.atomic
def figure_bulk_submit(*, actor: Actor, items: Sequence[tuple[int, int | None]]) -> list[Figure]:
    """Submit many figures [(id, version)]: all or none (BulkError keyed by id)."""
    ensure_figures_not_frozen(figure_ids=[pk for pk, _ in items], what="批量提交年度数据", user=actor)
    return _bulk(figure_submit, items, actor=actor)


@transaction.atomic
def figure_bulk_approve(*, actor: Actor, items: Sequence[tuple[int, int | None]]) -> list[Figure]:
    """Approve many submitted figures at their reported values: all or none."""
    ensure_figures_not_frozen(figure_ids=[pk for pk, _ in items], what="批量审核年度数据", user=actor)
    return _bulk(figure_approve, items, actor=actor)


@transaction.atomic
def figure_bulk_return(*, actor: Actor, items: Sequence[tuple[int, int | None]], reason: str) -> list[Figure]:
    """Return many submitted figures with one reason: all or none."""
    ensure_figures_not_frozen(figure_ids=[pk for pk, _ in items], what="批量退回年度数据", user=actor)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("退回须填写原因")]})
    return _bulk(figure_return, items, actor=actor, reason=reason)


# --- Evidence -----------------------------------------------------------------

# Extension -> (MIME type, sniffed kind). The kind must match what the bytes say.
EVIDENCE_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "pdf"),
    "png": ("image/png", "png"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    "doc": ("application/msword", "ole"),
    "xls": ("application/vnd.ms-excel", "ole"),
    "ppt": ("application/vnd.ms-powerpoint", "ole"),
}
EVIDENCE_ACCEPT = ",".join(f".{ext}" for ext in EVIDENCE_TYPES)


def sniff_kind(head: bytes, data_for_zip: Any = None) -> str | None:
    """What the bytes are (pdf, png, jpeg, gif, webp, docx/xlsx/pptx, ole), by content not name."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.startswith(b"PK\x03\x04") and data_for_zip is not None:
        try:
            with zipfile.ZipFile(data_for_zip) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if "[Content_Types].xml" not in names:
            return None
        if any(n.lower().endswith("vbaproject.bin") for n in names):
            return "macro"
        for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx")):
            if any(n.startswith(prefix) for n in names):
                return kind
    return None


def _clean_filename(name: str) -> str:
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join(c for c in base if c.isprintable() and c not in '<>:"/|?*')
    return base.strip()[:255] or "未命名文件"


@transaction.atomic
def evidence_add(*, actor: Actor, figure: Figure, upload: UploadedFile) -> Evidence:
    """Attach a PDF, image or Office file to a figure the actor may update.

    The type is decided by the file's bytes and must agree with its extension;
    macro-enabled Office files are refused. The file is stored under its
    SHA-256, never under the user's name; the same file twice on one figure is
    refused.
    """
    ensure_not_frozen(
        region_id=figure.region_id, year=figure.year, what=f"上传佐证材料年度数据 #{figure.pk}", user=actor
    )
    figure = _lock(figure.pk)
    policy.check_figure(actor, Action.UPDATE, figure)
    if figure.status == Figure.Status.APPROVED:
        raise LockedError(_("“%(name)s”已审核锁定，不能再添加佐证材料") % {"name": figure.indicator.name})
    name = _clean_filename(upload.name or "")
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in EVIDENCE_TYPES:
        raise ValidationFailed(
            {
                "file": [
                    _("“%(name)s”类型不支持：佐证材料须为 PDF、图片（PNG/JPG/GIF/WebP）或 Office 文档")
                    % {"name": name}
                ]
            }
        )
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise ValidationFailed(
            {"file": [_("“%(name)s”超过大小上限 %(mb)s MB") % {"name": name, "mb": limit // (1024 * 1024)}]}
        )
    if upload.size == 0:
        raise ValidationFailed({"file": [_("“%(name)s”是空文件") % {"name": name}]})
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    content_type, expected_kind = EVIDENCE_TYPES[ext]
    kind = sniff_kind(head, upload.file if head.startswith(b"PK") else None)
    upload.seek(0)
    if kind == "macro":
        raise ValidationFailed({"file": [_("“%(name)s”含宏，不接受含宏的 Office 文件") % {"name": name}]})
    if kind != expected_kind:
        raise ValidationFailed(
            {
                "file": [
                    _("“%(name)s”的内容与扩展名 .%(ext)s 不符，请上传真实的 %(type)s 文件")
                    % {"name": name, "ext": ext, "type": ext.upper()}
                ]
            }
        )
    sha = digest.hexdigest()
    if figure.evidence.filter(sha256=sha).exists():
        raise ValidationFailed({"file": [_("“%(name)s”已上传过（内容相同）") % {"name": name}]})
    evidence = Evidence(
        figure=figure,
        original_name=name,
        content_type=content_type,
        size=upload.size,
        sha256=sha,
        uploaded_by=_user_or_none(actor),
    )
    evidence.file.save(name, upload, save=False)
    evidence.save()
    return evidence
