"""Pages of data entry and review: entry grid, figure detail, review queue,
completeness board, import, evidence.

Views parse input, ask `accounts.policy`, call one service or selector and
render. A region or figure outside the user's subtree is a 404 (its
existence is not disclosed); an action the user may not take on something
they can read is a 403. Failed writes re-render the page with the user's
input kept: 400 for invalid input, 409 for a conflict or a locked figure.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import policy
from accounts.policy import Action
from indicators import selectors, services
from indicators.forms import (
    ApproveForm,
    BulkReviewForm,
    EvidenceForm,
    ImportForm,
    ReasonForm,
    RowInput,
    read_grid_post,
    selected_items,
)
from indicators.imports import PENDING_IMPORT_DIR, ImportRejected, commit_import, figure_template, plan_import
from indicators.models import YEAR_MAX, YEAR_MIN, Evidence, Figure, Region
from indicators.services import EVIDENCE_ACCEPT, BulkError, ConflictError, FigureError, format_value
from quality_city.i18n import join_clauses, join_phrases

PENDING_IMPORTS = "pending_figure_imports"
QUEUE_PAGE = 500  # rows per review page; keeps a "select all" POST under DATA_UPLOAD_MAX_NUMBER_FIELDS


# --- Lookups through the policy ---------------------------------------------------


def _get_region_for_user(request: HttpRequest, code: str) -> Region:
    """The region, or 404 when it does not exist or lies outside what the user may read."""
    region = Region.objects.filter(code=code).first()
    if region is None or not policy.can(request.user, Action.READ, region):
        raise Http404(_("地区不存在或不在您的管辖范围内"))
    return region


def _get_figure_for_user(request: HttpRequest, pk: int) -> Figure:
    figure = (
        Figure.objects.select_related("region", "indicator", "entered_by", "approved_by")
        .filter(pk=pk)
        .first()
    )
    if figure is None or not policy.can(request.user, Action.READ, figure.region):
        raise Http404(_("数据不存在或不在您的管辖范围内"))
    return figure


def _check_year(year: int) -> None:
    if not (YEAR_MIN <= year <= YEAR_MAX):
        raise Http404(_("年度超出范围"))


def _year_choices(year: int) -> list[int]:
    top = max(selectors.default_year() + 1, year)
    return list(range(top, min(year, top - 15) - 1, -1))


# --- Entry grid ---------------------------------------------------------------------


@login_required
@require_GET
def entry_home(request: HttpRequest) -> HttpResponse:
    """/entry/ and the grid's region/year picker: redirect to the canonical grid URL."""
    code = request.GET.get("region") or getattr(policy.user_region(request.user), "code", None)
    if not code:
        raise Http404(_("您的账户未设置所属地区，请联系管理员"))
    year = request.GET.get("year", "")
    year_value = int(year) if year.isdigit() else selectors.default_year()
    region = _get_region_for_user(request, code)
    return redirect("entry:grid", code=region.code, year=year_value)


@dataclass
class RowView:
    """One row of the grid as rendered: the stored state plus what the user typed."""

    row: selectors.EntryRow
    editable: bool
    value: str = ""
    note: str = ""
    original_value: str = ""
    original_note: str = ""
    version: int = 0
    selected: bool = False
    errors: list[str] = field(default_factory=list)
    conflict: ConflictError | None = None

    @property
    def indicator(self):
        return self.row.indicator

    @property
    def figure(self):
        return self.row.figure


def _row_views(
    grid: selectors.EntryGrid, can_write: bool
) -> list[tuple[selectors.EntryGroup, list[RowView]]]:
    out = []
    for group in grid.groups:
        views = []
        for row in group.rows:
            fig = row.figure
            value = format_value(fig.reported_value) if fig else ""
            note = fig.note if fig else ""
            views.append(
                RowView(
                    row=row,
                    editable=can_write and row.is_open,
                    value=value,
                    note=note,
                    original_value=value,
                    original_note=note,
                    version=row.version,
                )
            )
        out.append((group, views))
    return out


def _render_grid(
    request: HttpRequest,
    region: Region,
    year: int,
    *,
    inputs: list[RowInput] | None = None,
    errors: dict[str, list[str]] | None = None,
    conflicts: dict[str, ConflictError] | None = None,
    status: int = 200,
) -> HttpResponse:
    grid = selectors.entry_grid(region=region, year=year)
    can_write = policy.can(request.user, Action.UPDATE, region)
    groups = _row_views(grid, can_write)
    by_code = {rv.indicator.code: rv for _, rows in groups for rv in rows}
    for posted in inputs or []:
        rv = by_code.get(posted.indicator.code)
        if rv is None or not rv.editable:
            continue
        rv.value, rv.note, rv.selected = posted.value, posted.note, posted.selected
        rv.original_value, rv.original_note, rv.version = (
            posted.original_value,
            posted.original_note,
            posted.version,
        )
    for code, msgs in (errors or {}).items():
        if code in by_code:
            by_code[code].errors.extend(msgs)
    for code, conflict in (conflicts or {}).items():
        rv = by_code.get(code)
        if rv is None:
            continue
        rv.conflict = conflict
        # Re-saving now is a deliberate choice made after seeing the current value.
        rv.version = conflict.current.version
        rv.original_value = format_value(conflict.current.reported_value)
        rv.original_note = conflict.current.note
    returned = [
        rv for _, rows in groups for rv in rows if rv.figure and rv.figure.status == Figure.Status.RETURNED
    ]
    context = {
        "region": region,
        "year": year,
        "grid": grid,
        "groups": groups,
        "counts": grid.counts(),
        "can_write": can_write,
        "can_submit": policy.can(request.user, Action.SUBMIT, region),
        "can_review": policy.can(request.user, Action.APPROVE, region),
        "can_import": policy.can(request.user, Action.IMPORT, region),
        "returned": returned,
        "has_children": Region.objects.filter(parent=region).exists(),
        "regions": selectors.entry_regions(request.user, current=region),
        "years": _year_choices(year),
        "evidence_accept": EVIDENCE_ACCEPT,
        "has_errors": bool(errors or conflicts),
    }
    return render(request, "indicators/entry_grid.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def entry_grid(request: HttpRequest, code: str, year: int) -> HttpResponse:
    region = _get_region_for_user(request, code)
    _check_year(year)
    if request.method == "GET":
        return _render_grid(request, region, year)
    return _entry_post(request, region, year)


def _entry_post(request: HttpRequest, region: Region, year: int) -> HttpResponse:
    """Save the touched rows, attach evidence, submit the chosen rows: all in one transaction."""
    action = request.POST.get("action", "save")
    if action not in {"save", "submit_selected", "submit_all"}:
        action = "save"
    if not policy.can(request.user, Action.UPDATE, region) and not policy.can(
        request.user, Action.CREATE, region
    ):
        raise PermissionDenied(_("无权填报该地区的数据"))
    grid = selectors.entry_grid(region=region, year=year)
    rows = {r.indicator.code: r for r in grid.rows}
    inputs = read_grid_post(request.POST, request.FILES, [r.indicator for r in grid.rows])
    errors: dict[str, list[str]] = {}
    conflicts: dict[str, ConflictError] = {}
    entries: list[services.Entry] = []
    for posted in inputs:
        row = rows[posted.indicator.code]
        if not posted.touched:
            continue
        if not row.is_open:
            errors.setdefault(posted.indicator.code, []).append(_("该项当前不可修改"))
            continue
        if not posted.value:
            if row.figure is not None:
                errors.setdefault(posted.indicator.code, []).append(
                    _("不能清空已填报的数值；如填写有误请改为正确数值")
                )
            elif posted.note:
                errors.setdefault(posted.indicator.code, []).append(_("请先填写数值再填写备注"))
            continue
        entries.append(services.Entry(posted.indicator, posted.value, posted.note, posted.version))
    if errors:
        return _render_grid(request, region, year, inputs=inputs, errors=errors, status=400)

    saved: dict[str, Figure] = {}
    n_evidence = 0
    submitted: list[Figure] = []
    try:
        with transaction.atomic():
            saved = services.figure_bulk_save(actor=request.user, region=region, year=year, entries=entries)
            for posted in inputs:
                if not posted.files:
                    continue
                figure = saved.get(posted.indicator.code) or rows[posted.indicator.code].figure
                if figure is None:
                    errors.setdefault(posted.indicator.code, []).append(_("请先填写数值再上传佐证材料"))
                    continue
                for upload in posted.files:
                    try:
                        services.evidence_add(actor=request.user, figure=figure, upload=upload)
                        n_evidence += 1
                    except FigureError as exc:
                        errors.setdefault(posted.indicator.code, []).append(exc.message)
            if errors:
                raise BulkError({})
            if action != "save":
                items = []
                for code, row in rows.items():
                    figure = saved.get(code) or row.figure
                    if figure is None or not row.is_open:
                        continue
                    chosen = action == "submit_all" or any(
                        p.selected for p in inputs if p.indicator.code == code
                    )
                    if not chosen:
                        continue
                    version = figure.version if code in saved else _posted_version(inputs, code, figure)
                    items.append((figure.pk, version))
                if not items:
                    messages.warning(request, _("没有可提交的数据：请先填写数值，并勾选要提交的指标"))
                submitted = services.figure_bulk_submit(actor=request.user, items=items)
    except BulkError as exc:
        by_pk = {r.figure.pk: code for code, r in rows.items() if r.figure}
        by_pk.update({f.pk: code for code, f in saved.items()})
        for key, err in exc.errors.items():
            code = key if isinstance(key, str) else by_pk.get(key, "")
            if isinstance(err, ConflictError):
                conflicts[code] = err
            else:
                errors.setdefault(code, []).append(err.message)
        status = 409 if conflicts or any(e.code == "locked" for e in exc.errors.values()) else 400
        messages.error(
            request,
            _("未保存任何数据：%(reason)s")
            % {
                "reason": _("有数据已被他人修改，请核对标出的当前值后重新保存")
                if conflicts
                else _("请按提示修改标出的项目后重新保存")
            },
        )
        return _render_grid(
            request, region, year, inputs=inputs, errors=errors, conflicts=conflicts, status=status
        )

    parts = (
        [ngettext("已保存 %(n)s 项", "已保存 %(n)s 项", len(entries)) % {"n": len(entries)}]
        if entries
        else []
    )
    if n_evidence:
        parts.append(
            ngettext("上传佐证材料 %(n)s 份", "上传佐证材料 %(n)s 份", n_evidence) % {"n": n_evidence}
        )
    if submitted:
        parts.append(
            ngettext("提交审核 %(n)s 项", "提交审核 %(n)s 项", len(submitted)) % {"n": len(submitted)}
        )
    if parts:
        messages.success(request, join_phrases(parts))
    else:
        messages.info(request, _("没有修改任何数据"))
    return redirect("entry:grid", code=region.code, year=year)


def _posted_version(inputs: list[RowInput], code: str, figure: Figure) -> int | None:
    for posted in inputs:
        if posted.indicator.code == code:
            return posted.version
    return figure.version


@login_required
@require_GET
def entry_template_pick(request: HttpRequest) -> HttpResponse:
    """The template picker's GET form: redirect to the template of the chosen region and year."""
    region = _get_region_for_user(request, request.GET.get("region", ""))
    year = request.GET.get("year", "")
    return redirect(
        "entry:template", code=region.code, year=int(year) if year.isdigit() else selectors.default_year()
    )


@login_required
@require_GET
def entry_template(request: HttpRequest, code: str, year: int) -> HttpResponse:
    region = _get_region_for_user(request, code)
    _check_year(year)
    data = figure_template(actor=request.user, region=region, year=year)
    response = HttpResponse(
        data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"{region.code}_{year}_填报模板.xlsx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"{region.code}_{year}.xlsx\"; filename*=UTF-8''{_quote(filename)}"
    )
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# --- Figure detail and actions ------------------------------------------------------


def _detail_context(request: HttpRequest, figure: Figure, **forms) -> dict:
    user = request.user
    open_status = figure.status in services.EDITABLE and figure.source != Figure.Source.DERIVED
    context = {
        "figure": figure,
        "region": figure.region,
        "history": selectors.figure_history(figure=figure),
        "evidence": list(figure.evidence.select_related("uploaded_by")),
        "can_edit": open_status and policy.can(user, Action.UPDATE, figure.region),
        "can_upload": figure.status != Figure.Status.APPROVED
        and figure.source != Figure.Source.DERIVED
        and policy.can(user, Action.UPDATE, figure.region),
        "can_submit": open_status and policy.can(user, Action.SUBMIT, figure.region),
        "can_approve": figure.status == Figure.Status.SUBMITTED
        and policy.can_figure(user, Action.APPROVE, figure),
        "own_entry": policy.is_own_entry(user, figure) and policy.can(user, Action.APPROVE, figure.region),
        "can_return": figure.status == Figure.Status.SUBMITTED
        and policy.can_figure(user, Action.RETURN, figure),
        "can_reopen": figure.status == Figure.Status.APPROVED
        and figure.source != Figure.Source.DERIVED
        and policy.can_figure(user, Action.REOPEN, figure),
        "approve_form": forms.get("approve_form") or ApproveForm(initial={"version": figure.version}),
        "return_form": forms.get("return_form")
        or ReasonForm(initial={"version": figure.version}, prefix="ret"),
        "reopen_form": forms.get("reopen_form")
        or ReasonForm(initial={"version": figure.version}, prefix="reo"),
        "evidence_form": forms.get("evidence_form") or EvidenceForm(),
        "error": forms.get("error"),
    }
    return context


@login_required
@require_GET
def figure_detail(request: HttpRequest, pk: int) -> HttpResponse:
    figure = _get_figure_for_user(request, pk)
    return render(request, "indicators/figure_detail.html", _detail_context(request, figure))


@login_required
@require_POST
def figure_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST submit / approve / return / reopen on one figure."""
    figure = _get_figure_for_user(request, pk)
    required = {
        "submit": Action.SUBMIT,
        "approve": Action.APPROVE,
        "return": Action.RETURN,
        "reopen": Action.REOPEN,
    }
    if action not in required:
        raise Http404
    policy.check_figure(request.user, required[action], figure)
    forms: dict = {}
    try:
        if action == "submit":
            raw = request.POST.get("version", "")
            version = int(raw) if raw.isdigit() else None
            services.figure_submit(actor=request.user, figure=figure, expected_version=version)
            messages.success(request, _("“%(name)s”已提交审核") % {"name": figure.indicator.name})
        elif action == "approve":
            form = ApproveForm(request.POST)
            forms["approve_form"] = form
            if not form.is_valid():
                raise services.ValidationFailed({k: list(v) for k, v in form.errors.items()})
            services.figure_approve(
                actor=request.user,
                figure=figure,
                expected_version=form.cleaned_data["version"],
                verified_value=form.cleaned_data["verified_value"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(request, _("“%(name)s”已审核通过") % {"name": figure.indicator.name})
        else:
            form = ReasonForm(request.POST, prefix="ret" if action == "return" else "reo")
            forms["return_form" if action == "return" else "reopen_form"] = form
            if not form.is_valid():
                raise services.ValidationFailed({k: list(v) for k, v in form.errors.items()})
            fn = services.figure_return if action == "return" else services.figure_reopen
            fn(
                actor=request.user,
                figure=figure,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
            done = _("“%(name)s”已退回") if action == "return" else _("“%(name)s”已重新打开")
            messages.success(request, done % {"name": figure.indicator.name})
    except FigureError as exc:
        figure.refresh_from_db()
        if isinstance(exc, ConflictError):
            forms = {}  # fresh forms carry the current version; the message shows the current value
        forms["error"] = exc.message
        status = 409 if exc.code in {"conflict", "locked", "state"} else 400
        return render(
            request, "indicators/figure_detail.html", _detail_context(request, figure, **forms), status=status
        )
    nxt = request.POST.get("next", "")
    if nxt == "review":
        return redirect("entry:review")
    return redirect("entry:figure", pk=figure.pk)


# --- Evidence ---------------------------------------------------------------------


@login_required
@require_POST
def evidence_upload(request: HttpRequest, pk: int) -> HttpResponse:
    figure = _get_figure_for_user(request, pk)
    policy.check_figure(request.user, Action.UPDATE, figure)
    form = EvidenceForm(request.POST, request.FILES)
    try:
        if not form.is_valid():
            raise services.ValidationFailed({k: list(v) for k, v in form.errors.items()})
        services.evidence_add(actor=request.user, figure=figure, upload=form.cleaned_data["file"])
    except FigureError as exc:
        ctx = _detail_context(request, figure, evidence_form=form, error=exc.message)
        return render(
            request, "indicators/figure_detail.html", ctx, status=409 if exc.code == "locked" else 400
        )
    messages.success(request, _("佐证材料已上传"))
    return redirect("entry:figure", pk=figure.pk)


@login_required
@require_GET
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    evidence = get_object_or_404(Evidence.objects.select_related("figure__region"), pk=pk)
    if not policy.can(request.user, Action.READ, evidence.figure.region):
        raise Http404(_("文件不存在或不在您的管辖范围内"))
    try:
        handle = evidence.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("文件已丢失，请联系管理员")) from exc
    response = FileResponse(
        handle, as_attachment=True, filename=evidence.original_name, content_type=evidence.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


# --- Review queue -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def review_queue(request: HttpRequest) -> HttpResponse:
    if not policy.regions_for(request.user, Action.APPROVE).exists():
        raise PermissionDenied(_("您没有审核权限"))
    year_raw = request.GET.get("year", "")
    year = int(year_raw) if year_raw.isdigit() else None
    region = _get_region_for_user(request, request.GET["region"]) if request.GET.get("region") else None
    status = 200
    form = BulkReviewForm()
    if request.method == "POST":
        form = BulkReviewForm(request.POST)
        items = selected_items(request.POST)
        if not items:
            messages.error(request, _("请先勾选要审核的数据"))
            status = 400
        elif form.is_valid():
            try:
                if form.cleaned_data["action"] == "approve":
                    done = services.figure_bulk_approve(actor=request.user, items=items)
                    messages.success(
                        request,
                        ngettext("已审核通过 %(n)s 项", "已审核通过 %(n)s 项", len(done)) % {"n": len(done)},
                    )
                else:
                    done = services.figure_bulk_return(
                        actor=request.user, items=items, reason=form.cleaned_data["reason"]
                    )
                    messages.success(
                        request, ngettext("已退回 %(n)s 项", "已退回 %(n)s 项", len(done)) % {"n": len(done)}
                    )
                return redirect(request.get_full_path())
            except BulkError as exc:
                reasons = join_clauses(sorted({e.message for e in exc.errors.values()}))
                messages.error(request, _("未处理任何数据：%(reasons)s") % {"reasons": reasons})
                status = 409 if exc.code == "conflict" else 400
            except FigureError as exc:
                messages.error(request, exc.message)
                status = 400
        else:
            status = 400
    queue = selectors.review_queue(user=request.user, year=year, region=region)
    total = queue.count()
    figures = list(queue[:QUEUE_PAGE])
    last = selectors.last_year_values(figures)
    rows = [
        {
            "figure": f,
            "last_year": last.get(f.pk),
            "own": policy.is_own_entry(request.user, f),
        }
        for f in figures
    ]
    context = {
        "total": total,
        "rows": rows,
        "form": form,
        "year": year,
        "region": region,
        "years": _year_choices(year or selectors.default_year()),
        "regions": [
            r for r in selectors.entry_regions(request.user) if policy.can(request.user, Action.APPROVE, r)
        ],
    }
    return render(request, "indicators/review_queue.html", context, status=status)


# --- Completeness board -------------------------------------------------------------


@login_required
@require_GET
def completeness(request: HttpRequest, code: str | None = None, year: int | None = None) -> HttpResponse:
    if code is None:
        home = policy.user_region(request.user)
        code = request.GET.get("region") or (home.code if home else None)
        if not code:
            raise Http404(_("您的账户未设置所属地区，请联系管理员"))
        year_raw = request.GET.get("year", "")
        year = int(year_raw) if year_raw.isdigit() else selectors.default_year()
        return redirect("entry:completeness", code=code, year=year)
    region = _get_region_for_user(request, code)
    _check_year(year)
    board = selectors.completeness_board(region=region, year=year)
    context = {
        "board": board,
        "region": region,
        "year": year,
        "years": _year_choices(year),
        "regions": [
            r for r in selectors.entry_regions(request.user, current=region) if r.level != Region.Level.COUNTY
        ],
    }
    return render(request, "indicators/completeness.html", context)


# --- Import -------------------------------------------------------------------------


def _pending(request: HttpRequest) -> dict:
    return request.session.setdefault(PENDING_IMPORTS, {})


@login_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a file and see the preview: every error by row and column, or what will be written."""
    if not policy.regions_for(request.user, Action.IMPORT).exists():
        raise PermissionDenied(_("您没有导入数据的权限"))
    writable = [
        r for r in selectors.entry_regions(request.user) if policy.can(request.user, Action.IMPORT, r)
    ]
    context: dict = {
        "writable": writable,
        "year": selectors.default_year(),
        "years": _year_choices(selectors.default_year()),
        "plan": None,
        "token": None,
        "errors": [],
        "filename": "",
    }
    if request.method == "GET":
        context["form"] = ImportForm()
        return render(request, "indicators/import_upload.html", context)
    form = ImportForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "indicators/import_upload.html", context, status=400)
    upload = form.cleaned_data["file"]
    data = upload.read()
    status = form.cleaned_data["status"]
    plan = plan_import(actor=request.user, data=data, filename=upload.name, status=status)
    context |= {"plan": plan, "errors": plan.errors, "filename": upload.name}
    if not plan.ok:
        if not plan.errors:
            messages.error(request, _("文件中没有填写任何数值"))
        return render(request, "indicators/import_upload.html", context, status=400)
    pending = _pending(request)
    for old in pending.values():  # one pending preview per session: drop the previous file
        default_storage.delete(old["path"])
    pending.clear()
    token = uuid.uuid4().hex
    path = default_storage.save(f"{PENDING_IMPORT_DIR}/{token}.bin", ContentFile(data))
    pending[token] = {
        "path": path,
        "name": upload.name,
        "sha256": hashlib.sha256(data).hexdigest(),
        "status": status,
    }
    request.session.modified = True
    context["token"] = token
    context["preview_rows"] = plan.rows[:200]
    return render(request, "indicators/import_upload.html", context)


@login_required
@require_POST
def import_commit(request: HttpRequest) -> HttpResponse:
    """Write a previewed file: validated again, all or nothing."""
    token = request.POST.get("token", "")
    info = _pending(request).get(token)
    if info is None:
        messages.error(request, _("导入预览已失效，请重新上传文件"))
        return redirect("entry:import")
    try:
        with default_storage.open(info["path"], "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        messages.error(request, _("导入预览已失效，请重新上传文件"))
        return redirect("entry:import")
    if hashlib.sha256(data).hexdigest() != info["sha256"]:
        raise PermissionDenied(_("导入文件校验失败"))
    _pending(request).pop(token, None)
    request.session.modified = True
    default_storage.delete(info["path"])
    try:
        result = commit_import(actor=request.user, data=data, filename=info["name"], status=info["status"])
    except ImportRejected as exc:
        context = {
            "form": ImportForm(),
            "plan": None,
            "token": None,
            "errors": exc.errors,
            "filename": info["name"],
            "writable": [],
            "year": selectors.default_year(),
            "years": _year_choices(selectors.default_year()),
        }
        messages.error(request, _("数据在预览后发生了变化，导入未执行，请修正后重新上传"))
        return render(request, "indicators/import_upload.html", context, status=409)
    messages.success(request, str(result))
    if len(result.regions) == 1 and len(result.years) == 1:
        return redirect("entry:grid", code=result.regions[0].code, year=result.years[0])
    return redirect(reverse("entry:import") + "?" + urlencode({"done": 1}))
