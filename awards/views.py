"""Pages of the awards registry and the quality award rounds.

Views parse input, call one selector or service and render. Objects are fetched
through selectors.get_x_for_user (404 when invisible, 403 when not allowed);
services check the policy again before writing.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.policy import Action
from awards import imports, rounds, selectors, services
from awards.forms import (
    ApplicationForm,
    AssignForm,
    CategoryFormSet,
    DecideForm,
    EnterpriseForm,
    FileForm,
    GrantForm,
    ImportForm,
    ObjectionForm,
    RevokeForm,
    RoundForm,
    ScoreSheetForm,
    TransitionForm,
)
from awards.models import (
    SCORED_STAGES,
    ApplicationFile,
    AwardType,
    CategoryScore,
    Enterprise,
    Grant,
    Objection,
    ReviewAssignment,
    Stage,
)
from indicators.models import Indicator, Region
from indicators.tabular import TableError

PAGE_SIZE = 50


def _messages_of(exc: ValidationError) -> list[str]:
    return list(exc.messages)


def _flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    for message in _messages_of(exc):
        messages.error(request, message)


def _add_form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form (per field when it names fields)."""
    if hasattr(exc, "error_dict"):
        for field_name, errors in exc.error_dict.items():
            target = field_name if field_name in form.fields else None
            for error in errors:
                form.add_error(target, error.messages[0] if hasattr(error, "messages") else str(error))
    else:
        for message in exc.messages:
            form.add_error(None, message)


def _filter_regions(user) -> list[Region]:
    """Regions offered in list filters: the user's own region and what lies below it."""
    home = policy.user_region(user)
    if home is None:
        return list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code"))
    return list(Region.objects.filter(path__startswith=home.path).order_by("path")[:500])


def _page(request: HttpRequest, qs):
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


# --- registry ---------------------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    return redirect("awards:grant_list")


@login_required
def grant_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    year = g.get("year", "").strip()
    filters = selectors.GrantFilters(
        region=g.get("region") or None,
        indicator=g.get("indicator") or None,
        award_type=g.get("award_type") or None,
        level=g.get("level") or None,
        year=int(year) if year.isdigit() else None,
        status=g.get("status") or None,
        q=(g.get("q") or "").strip() or None,
    )
    qs = selectors.grant_list(user=request.user, filters=filters)
    page = _page(request, qs)
    region = Region.objects.filter(code=filters.region).first() if filters.region else None
    indicator = Indicator.objects.filter(code=filters.indicator).first() if filters.indicator else None
    return render(
        request,
        "awards/grant_list.html",
        {
            "page": page,
            "filters": filters,
            "region": region,
            "indicator": indicator,
            "regions": _filter_regions(request.user),
            "award_types": selectors.award_type_list(),
            "indicators": Indicator.objects.filter(
                pk__in=AwardType.objects.filter(indicator__isnull=False).values("indicator")
            ),
            "levels": AwardType.Level.choices,
            "may_register": policy.regions_for(request.user, Action.REGISTER_AWARDS).exists(),
            "querystring": _without_page(g),
        },
    )


def _without_page(g) -> str:
    q = g.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
def grant_create(request: HttpRequest) -> HttpResponse:
    if not policy.regions_for(request.user, Action.REGISTER_AWARDS).exists():
        raise PermissionDenied(_("无权登记品牌奖项"))
    form = GrantForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            grant = services.grant_create(user=request.user, **data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("已登记：%(grant)s") % {"grant": grant})
            return redirect(_grant_list_for(grant))
    return render(request, "awards/grant_form.html", {"form": form, "title": _("登记品牌奖项")})


def _grant_list_for(grant: Grant) -> str:
    return f"{reverse('awards:grant_list')}?region={grant.enterprise.region.code}"


@login_required
def grant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    grant = selectors.get_grant_for_user(request.user, pk, Action.REGISTER_AWARDS)
    initial = {
        "award_type": grant.award_type,
        "enterprise": grant.enterprise,
        "name": grant.name,
        "year_granted": grant.year_granted,
        "valid_until": grant.valid_until,
        "certificate_no": grant.certificate_no,
        "note": grant.note,
    }
    form = GrantForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_update(user=request.user, grant=grant, **form.cleaned_data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("已保存：%(what)s") % {"what": grant})
            return redirect(_grant_list_for(grant))
    history = grant.history.select_related("history_user").order_by("-history_date")[:20]
    return render(
        request,
        "awards/grant_form.html",
        {"form": form, "title": _("修改品牌奖项"), "grant": grant, "history": history},
    )


@login_required
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    grant = selectors.get_grant_for_user(request.user, pk, Action.REGISTER_AWARDS)
    form = RevokeForm(request.POST or None, initial={"revoked_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.grant_revoke(
                user=request.user,
                grant=grant,
                revoked_on=form.cleaned_data["revoked_on"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("已撤销：%(grant)s") % {"grant": grant})
            return redirect(_grant_list_for(grant))
    return render(request, "awards/grant_revoke.html", {"form": form, "grant": grant})


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    g = request.GET
    qs = selectors.enterprise_list(
        user=request.user,
        region=g.get("region") or None,
        q=(g.get("q") or "").strip() or None,
        industry=g.get("industry") or None,
    ).annotate(grant_count=Count("grants"))
    return render(
        request,
        "awards/enterprise_list.html",
        {
            "page": _page(request, qs),
            "regions": _filter_regions(request.user),
            "industries": Enterprise.Industry.choices,
            "selected": {k: g.get(k, "") for k in ("region", "q", "industry")},
            "querystring": _without_page(g),
            "may_register": policy.regions_for(request.user, Action.REGISTER_AWARDS).exists(),
        },
    )


@login_required
def enterprise_create(request: HttpRequest) -> HttpResponse:
    if not policy.regions_for(request.user, Action.REGISTER_AWARDS).exists():
        raise PermissionDenied(_("无权登记企业"))
    form = EnterpriseForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise = services.enterprise_create(user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("已登记企业：%(name)s") % {"name": enterprise.name})
            return redirect(f"{reverse('awards:enterprise_list')}?region={enterprise.region.code}")
    return render(request, "awards/enterprise_form.html", {"form": form, "title": _("登记企业")})


@login_required
def enterprise_edit(request: HttpRequest, pk: int) -> HttpResponse:
    enterprise = selectors.get_enterprise_for_user(request.user, pk, Action.REGISTER_AWARDS)
    initial = {
        "name": enterprise.name,
        "credit_code": enterprise.credit_code,
        "region": enterprise.region,
        "industry": enterprise.industry,
        "note": enterprise.note,
    }
    form = EnterpriseForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update(user=request.user, enterprise=enterprise, **form.cleaned_data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("已保存：%(what)s") % {"what": enterprise.name})
            return redirect(f"{reverse('awards:enterprise_list')}?region={enterprise.region.code}")
    return render(
        request,
        "awards/enterprise_form.html",
        {"form": form, "title": _("修改企业"), "enterprise": enterprise},
    )


IMPORTERS = {
    "enterprises": (
        imports.enterprises_plan,
        imports.enterprises_import,
        imports.ENTERPRISE_COLUMNS,
        pgettext_lazy("import", "企业"),
    ),
    "grants": (
        imports.grants_plan,
        imports.grants_import,
        imports.GRANT_COLUMNS,
        pgettext_lazy("import", "品牌奖项授予"),
    ),
}
SESSION_KEY = "awards_import"


def _stash(request: HttpRequest, kind: str, data: bytes, filename: str) -> str:
    token = uuid.uuid4().hex
    ext = Path(filename).suffix.lower()[:6] or ".bin"
    path = default_storage.save(f"awards/imports/{token}{ext}", ContentFile(data))
    request.session[SESSION_KEY] = {"kind": kind, "token": token, "path": path, "filename": filename}
    return token


def _unstash(request: HttpRequest, kind: str, token: str) -> tuple[bytes, str] | None:
    stash = request.session.get(SESSION_KEY) or {}
    if stash.get("kind") != kind or stash.get("token") != token:
        return None
    with default_storage.open(stash["path"], "rb") as fh:
        data = fh.read()
    default_storage.delete(stash["path"])
    del request.session[SESSION_KEY]
    return data, stash["filename"]


@login_required
def import_page(request: HttpRequest, kind: str) -> HttpResponse:
    """Upload -> preview (every error, or the rows that would be written) -> confirm."""
    if kind not in IMPORTERS:
        raise Http404
    if not policy.regions_for(request.user, Action.REGISTER_AWARDS).exists():
        raise PermissionDenied(_("无权导入"))
    plan_fn, import_fn, columns, label = IMPORTERS[kind]
    context: dict = {"kind": kind, "label": label, "columns": columns}
    form = ImportForm()
    if request.method == "POST" and "confirm" in request.POST:
        stashed = _unstash(request, kind, request.POST.get("token", ""))
        if stashed is None:
            messages.error(request, _("预览已过期，请重新上传文件"))
        else:
            try:
                plan = import_fn(user=request.user, data=stashed[0], filename=stashed[1])
            except TableError as exc:
                context["errors"] = exc.errors
            else:
                messages.success(
                    request, _("导入%(what)s完成：%(summary)s") % {"what": label, "summary": plan}
                )
                target = "awards:enterprise_list" if kind == "enterprises" else "awards:grant_list"
                return redirect(target)
    elif request.method == "POST":
        form = ImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            from django.conf import settings

            if upload.size > settings.IMPORT_MAX_BYTES:
                context["errors"] = [_("文件超过 %(kb)s KB 上限") % {"kb": settings.IMPORT_MAX_BYTES // 1024}]
            else:
                data = upload.read()
                try:
                    plan = plan_fn(user=request.user, data=data, filename=upload.name)
                except TableError as exc:
                    context["errors"] = exc.errors
                else:
                    if plan.errors:
                        context["errors"] = plan.errors
                    else:
                        context["plan"] = plan
                        context["preview_rows"] = plan.rows[:200]
                        context["token"] = _stash(request, kind, data, upload.name)
    context["form"] = form
    return render(request, "awards/import.html", context)


@login_required
def award_type_list(request: HttpRequest) -> HttpResponse:
    types = selectors.award_type_list().annotate(grant_count=Count("grants"))
    return render(request, "awards/award_type_list.html", {"types": types})


# --- quality award rounds ---------------------------------------------------------------------


@login_required
def round_list(request: HttpRequest) -> HttpResponse:
    rounds_qs = selectors.round_list(user=request.user).annotate(application_count=Count("applications"))
    return render(
        request,
        "awards/round_list.html",
        {
            "rounds": rounds_qs,
            "may_create": policy.regions_for(request.user, Action.RUN_AWARD_ROUND).exists(),
        },
    )


@login_required
def round_create(request: HttpRequest) -> HttpResponse:
    if not policy.regions_for(request.user, Action.RUN_AWARD_ROUND).exists():
        raise PermissionDenied(_("无权组织质量奖评审"))
    form = RoundForm(
        request.POST or None,
        user=request.user,
        with_region=True,
        initial={"year": timezone.localdate().year, "document_pass_mark": 500, "onsite_pass_mark": 550},
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data.pop("accepting_applications", None)
        try:
            rnd = rounds.round_create(user=request.user, **data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(
                request, _("已创建：%(name)s（默认 GB/T 19580 评分表，总分 1000）") % {"name": rnd.name}
            )
            return redirect("awards:round_detail", pk=rnd.pk)
    return render(request, "awards/round_form.html", {"form": form, "title": _("新建质量奖评审")})


@login_required
def round_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = selectors.get_round_for_user(request.user, pk, manage=True)
    form = RoundForm(
        request.POST or None,
        initial={
            "name": rnd.name,
            "year": rnd.year,
            "eligibility": rnd.eligibility,
            "document_pass_mark": rnd.document_pass_mark,
            "onsite_pass_mark": rnd.onsite_pass_mark,
            "accepting_applications": rnd.accepting_applications,
        },
    )
    categories = [{"code": c.code, "name": c.name, "max_points": c.max_points} for c in rnd.categories.all()]
    formset = CategoryFormSet(request.POST or None, initial=categories, prefix="cat")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        table = [
            (f.cleaned_data["code"], f.cleaned_data["name"], f.cleaned_data["max_points"])
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            rounds.round_update(user=request.user, rnd=rnd, categories=table, **form.cleaned_data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("已保存：%(what)s") % {"what": rnd.name})
            return redirect("awards:round_detail", pk=rnd.pk)
    return render(
        request,
        "awards/round_form.html",
        {"form": form, "formset": formset, "title": _("修改 %(name)s") % {"name": rnd.name}, "round": rnd},
    )


@login_required
def round_detail(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = selectors.get_round_for_user(request.user, pk)
    manage = policy.can(request.user, Action.RUN_AWARD_ROUND, rnd.region)
    stage = request.GET.get("rank_by")
    ranking = selectors.round_ranking_for_user(
        user=request.user, rnd=rnd, stage=stage if stage in SCORED_STAGES else None
    )
    return render(
        request,
        "awards/round_detail.html",
        {
            "round": rnd,
            "manage": manage,
            "ranking": ranking,
            "categories": rnd.categories.all(),
            "scored_stages": SCORED_STAGES,
        },
    )


@login_required
def application_create(request: HttpRequest, pk: int) -> HttpResponse:
    rnd = selectors.get_round_for_user(request.user, pk, manage=True)
    form = ApplicationForm(request.POST or None, request.FILES or None, rnd=rnd)
    if request.method == "POST" and form.is_valid():
        try:
            application = rounds.application_create(user=request.user, rnd=rnd, **form.cleaned_data)
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("已登记申报：%(application)s") % {"application": application})
            return redirect("awards:application_detail", pk=application.pk)
    return render(request, "awards/application_form.html", {"form": form, "round": rnd})


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application, access = selectors.get_application_for_user(request.user, pk)
    # Stage means are for the bureau, and for everyone once published; reviewers score blind.
    scores = (
        {s.value: selectors.stage_scores([application.pk], s.value)[application.pk] for s in SCORED_STAGES}
        if access.manage or access.public
        else {}
    )
    assignments = application.assignments.select_related("reviewer").prefetch_related("scores__category")
    if not access.manage:
        # A reviewer sees their own sheets only; the public sees none.
        assignments = assignments.filter(reviewer=request.user)
    legal = rounds.TRANSITIONS[application.stage]
    return render(
        request,
        "awards/application_detail.html",
        {
            "application": application,
            "access": access,
            "scores": scores,
            "assignments": assignments,
            "files": application.files.all() if access.files else [],
            "events": application.events.select_related("by") if access.manage else [],
            "objections": application.objections.all(),
            "legal": [(s, Stage(s).label) for s in legal],
            "transition_form": TransitionForm(initial={"to_stage": legal[0] if legal else ""}),
            "assign_form": AssignForm(),
            "file_form": FileForm(),
            "objection_form": ObjectionForm(),
            "decide_form": DecideForm(),
            "scored_stages": SCORED_STAGES,
        },
    )


@login_required
@require_POST
def application_transition(request: HttpRequest, pk: int) -> HttpResponse:
    application, _access = selectors.get_application_for_user(request.user, pk, manage=True)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请检查填写内容"))
    else:
        try:
            rounds.application_transition(user=request.user, application=application, **form.cleaned_data)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            application.refresh_from_db()
            messages.success(request, _("已转到“%(stage)s”") % {"stage": application.get_stage_display()})
    return redirect("awards:application_detail", pk=pk)


@login_required
@require_POST
def application_assign(request: HttpRequest, pk: int) -> HttpResponse:
    application, _access = selectors.get_application_for_user(request.user, pk, manage=True)
    form = AssignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    else:
        try:
            rounds.review_assign(
                user=request.user,
                application=application,
                reviewer=form.cleaned_data["username"],
                stage=form.cleaned_data["stage"],
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("已指派评审员"))
    return redirect("awards:application_detail", pk=pk)


@login_required
@require_POST
def assignment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = get_object_or_404(ReviewAssignment.objects.select_related("application"), pk=pk)
    selectors.get_application_for_user(request.user, assignment.application_id, manage=True)
    try:
        rounds.review_unassign(user=request.user, assignment=assignment)
    except ValidationError as exc:
        _flash_errors(request, exc)
    else:
        messages.success(request, _("已撤销指派"))
    return redirect("awards:application_detail", pk=assignment.application_id)


@login_required
@require_POST
def application_file_upload(request: HttpRequest, pk: int) -> HttpResponse:
    application, _access = selectors.get_application_for_user(request.user, pk, manage=True)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请选择材料类型和文件"))
    else:
        try:
            rounds.application_add_file(
                user=request.user,
                application=application,
                kind=form.cleaned_data["kind"],
                upload=form.cleaned_data["file"],
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("已上传"))
    return redirect("awards:application_detail", pk=pk)


@login_required
def application_file_download(request: HttpRequest, pk: int) -> FileResponse:
    record = get_object_or_404(ApplicationFile, pk=pk)
    _application, access = selectors.get_application_for_user(request.user, record.application_id)
    if not access.files:
        raise Http404(_("无此文件"))
    return FileResponse(
        record.file.open("rb"),
        as_attachment=True,
        filename=record.original_name,
        content_type=record.content_type,
    )


@login_required
def score_sheet(request: HttpRequest, pk: int, stage: str) -> HttpResponse:
    """A reviewer's own score sheet for one application and stage."""
    application, access = selectors.get_application_for_user(request.user, pk)
    if stage not in access.stages:
        raise PermissionDenied(_("您未被指派评审该申报的这一阶段"))
    assignment = ReviewAssignment.objects.get(application=application, reviewer=request.user, stage=stage)
    categories = list(application.round.categories.all())
    existing = {
        s.category.code: s
        for s in CategoryScore.objects.filter(assignment=assignment).select_related("category")
    }
    initial = {}
    for code, score in existing.items():
        initial[f"score_{code}"] = score.points
        initial[f"comment_{code}"] = score.comment
    form = ScoreSheetForm(request.POST or None, categories=categories, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            rounds.review_submit(
                user=request.user, assignment=assignment, scores=form.scores(), comments=form.comments()
            )
        except ValidationError as exc:
            _add_form_errors(form, exc)
        else:
            messages.success(request, _("评分已提交"))
            return redirect("awards:application_detail", pk=pk)
    return render(
        request,
        "awards/score_sheet.html",
        {
            "application": application,
            "assignment": assignment,
            "form": form,
            "rows": [(c, form[f"score_{c.code}"], form[f"comment_{c.code}"]) for c in categories],
            "editable": application.stage == stage,
        },
    )


@login_required
@require_POST
def objection_create(request: HttpRequest, pk: int) -> HttpResponse:
    application, _access = selectors.get_application_for_user(request.user, pk, manage=True)
    form = ObjectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写收到日期和异议内容"))
    else:
        try:
            rounds.objection_record(user=request.user, application=application, **form.cleaned_data)
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("已登记异议"))
    return redirect("awards:application_detail", pk=pk)


@login_required
@require_POST
def objection_decide(request: HttpRequest, pk: int) -> HttpResponse:
    objection = get_object_or_404(Objection.objects.select_related("application"), pk=pk)
    selectors.get_application_for_user(request.user, objection.application_id, manage=True)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择处理结果并填写说明"))
    else:
        try:
            rounds.objection_decide(
                user=request.user,
                objection=objection,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            _flash_errors(request, exc)
        else:
            messages.success(request, _("已处理异议"))
    return redirect("awards:application_detail", pk=objection.application_id)


@login_required
def my_reviews(request: HttpRequest) -> HttpResponse:
    return render(
        request, "awards/my_reviews.html", {"assignments": selectors.my_assignments(user=request.user)}
    )
