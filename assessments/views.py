"""Pages of the assessment cycle: list, creation, stage board, county sheet, verification, results.

Views parse input, fetch objects through `_get_*_for_user` helpers (404 when the
user has no part in the assessment, 403 when they lack the specific right),
call one service or selector, and render. AssessmentError becomes a message on
the page it came from; PermissionDenied (including freeze.Frozen) is a 403 page
that shows its message.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.policy import Action
from assessments import selectors, services
from assessments.forms import (
    AssessmentCreateForm,
    DeadlinesForm,
    FindingForm,
    GroupForm,
    ItemSelfForm,
    PublishForm,
    ReasonForm,
)
from assessments.models import (
    STAGE_ORDER,
    Assessment,
    AssessmentRegion,
    Stage,
    VerificationGroup,
    stage_index,
)
from indicators.models import Indicator, ItemScore, QualitativeItem, Region
from quality_city.i18n import join_list

# --- Object access ------------------------------------------------------------------


def _get_assessment_for_user(request: HttpRequest, pk: int) -> Assessment:
    """The assessment if the user takes part in it (its region, above or below), else 404."""
    assessment = get_object_or_404(Assessment.objects.select_related("assessing_region", "scheme"), pk=pk)
    if not selectors.assessments_for(request.user).filter(pk=pk).exists():
        raise Http404(_("没有找到该考核"))
    return assessment


def _get_row_for_user(request: HttpRequest, assessment: Assessment, code: str) -> AssessmentRegion:
    row = get_object_or_404(
        AssessmentRegion.objects.select_related("region", "group", "assessment__assessing_region"),
        assessment=assessment,
        region__code=code,
    )
    row.assessment = assessment
    if not selectors.can_see_county(request.user, row):
        raise PermissionDenied(_("无权查看%(region)s的考核材料") % {"region": row.region.name})
    return row


def _run(request: HttpRequest, fn: Callable[[], object], success: str) -> bool:
    """Call a service; show its refusal as a message. PermissionDenied propagates (403)."""
    try:
        fn()
    except services.AssessmentError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, str(success))
    return True


def _board_url(assessment: Assessment) -> str:
    return reverse("assessments:board", args=[assessment.pk])


def _county_url(row: AssessmentRegion) -> str:
    return reverse("assessments:county", args=[row.assessment_id, row.region.code])


# --- List and creation ------------------------------------------------------------------


@login_required
def index(request: HttpRequest) -> HttpResponse:
    home = policy.user_region(request.user)
    can_create = bool(
        home
        and policy.can(request.user, Action.PUBLISH, home)
        and Region.objects.filter(parent=home).exists()
    )
    return render(
        request,
        "assessments/index.html",
        {"assessments": list(selectors.assessments_for(request.user)[:200]), "can_create": can_create},
    )


@login_required
def create(request: HttpRequest) -> HttpResponse:
    home = policy.user_region(request.user)
    initial = {"region_code": home.code if home else "", "year": _default_year()}
    form = AssessmentCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        region = Region.objects.filter(code=form.cleaned_data["region_code"].strip()).first()
        if region is None:
            form.add_error("region_code", _("没有该地区代码"))
        else:
            policy.check(request.user, Action.PUBLISH, region)
            try:
                assessment = services.assessment_create(
                    actor=request.user,
                    assessing_region=region,
                    year=form.cleaned_data["year"],
                    name=form.cleaned_data["name"],
                    window_start=form.cleaned_data["window_start"],
                    window_end=form.cleaned_data["window_end"],
                    deadlines=form.deadlines(),
                )
            except services.AssessmentError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("已创建“%(name)s”") % {"name": assessment.name})
                return redirect(_board_url(assessment))
    return render(request, "assessments/create.html", {"form": form, "stages": STAGE_ORDER})


def _default_year() -> int:
    from django.utils import timezone

    return timezone.localdate().year - 1


# --- Stage board --------------------------------------------------------------------------


@login_required
def board(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    if not selectors.can_see_board(request.user, assessment):
        # A county's users follow their own row; the board of all counties is the city's.
        rows = selectors.visible_rows(request.user, assessment)
        if rows:
            return redirect(_county_url(rows[0]))
        raise PermissionDenied(_("无权查看该考核的进度看板"))
    data = selectors.stage_board(assessment)
    can_manage = policy.can(request.user, Action.PUBLISH, assessment.assessing_region)
    verifiable = {r.pk for r in selectors.verifiable_rows(request.user, assessment)}
    next_stage = None
    if assessment.stage in services.ADVANCEABLE:
        next_stage = STAGE_ORDER[stage_index(assessment.stage) + 1]
    deadlines_form = DeadlinesForm(initial={f"deadline_{s}": d for s, d in data.deadlines.items()})
    can_reopen = assessment.stage == Stage.PUBLISHED and policy.can_reopen_assessment(
        request.user, assessment.assessing_region
    )
    return render(
        request,
        "assessments/board.html",
        {
            "assessment": assessment,
            "board": data,
            "can_manage": can_manage,
            "can_reopen": can_reopen,
            "has_actions": can_reopen or (can_manage and assessment.stage != Stage.PUBLISHED),
            "verifiable": verifiable,
            "next_stage": next_stage,
            "next_stage_label": Stage(next_stage).label if next_stage else "",
            "deadlines_form": deadlines_form,
            "publications": selectors.publications_of(assessment),
            "frozen_attempts": selectors.frozen_attempts(assessment, 20) if can_manage else [],
        },
    )


def _managed(request: HttpRequest, pk: int) -> Assessment:
    assessment = _get_assessment_for_user(request, pk)
    policy.check(request.user, Action.PUBLISH, assessment.assessing_region)
    return assessment


@login_required
@require_POST
def advance(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _managed(request, pk)
    to_stage = request.POST.get("to_stage", "")
    label = Stage(to_stage).label if to_stage in STAGE_ORDER else to_stage
    _run(
        request,
        lambda: services.assessment_advance(actor=request.user, assessment=assessment, to_stage=to_stage),
        _("考核已进入“%(stage)s”阶段") % {"stage": label},
    )
    return redirect(_board_url(assessment))


@login_required
@require_POST
def deadlines(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _managed(request, pk)
    form = DeadlinesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("日期格式不正确，请使用 YYYY-MM-DD"))
    else:
        _run(
            request,
            lambda: services.assessment_set_deadlines(
                actor=request.user, assessment=assessment, deadlines=form.deadlines()
            ),
            _("截止日期已保存"),
        )
    return redirect(_board_url(assessment))


@login_required
@require_POST
def sign_off(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _managed(request, pk)
    _run(
        request,
        lambda: services.assessment_sign_off(actor=request.user, assessment=assessment),
        _("已完成综合评定计分并签批"),
    )
    return redirect(_board_url(assessment))


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _managed(request, pk)
    form = PublishForm(request.POST)
    title = form.cleaned_data["title"] if form.is_valid() else ""
    ok = _run(
        request,
        lambda: services.assessment_publish(actor=request.user, assessment=assessment, title=title),
        _("考核结果已发布，相关数据已冻结"),
    )
    if ok:
        return redirect(reverse("assessments:results", args=[assessment.pk]))
    return redirect(_board_url(assessment))


@login_required
@require_POST
def reopen(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    if not policy.can_reopen_assessment(request.user, assessment.assessing_region):
        raise PermissionDenied(_("只有管理员可以重新开启已发布的考核"))
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    _run(
        request,
        lambda: services.assessment_reopen(actor=request.user, assessment=assessment, reason=reason),
        _("考核已重新开启，数据解除冻结；更正后请重新签批并发布"),
    )
    return redirect(_board_url(assessment))


# --- Verification groups ---------------------------------------------------------------------


@login_required
def groups(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _managed(request, pk)
    rows = list(assessment.covered.select_related("region", "group"))
    choices = [(r.region.code, r.region.name) for r in rows]
    editing = None
    if request.GET.get("group") or request.POST.get("group"):
        editing = get_object_or_404(
            VerificationGroup, assessment=assessment, pk=request.GET.get("group") or request.POST.get("group")
        )
    initial = {}
    if editing is not None:
        initial = {
            "name": editing.name,
            "members": " ".join(m.get_username() for m in editing.members.all()),
            "leader": editing.leader.get_username() if editing.leader else "",
            "regions": [r.region.code for r in rows if r.group_id == editing.pk],
        }
    form = GroupForm(request.POST or None, initial=initial, region_choices=choices)
    if request.method == "POST" and form.is_valid():
        users = {u.get_username(): u for u in get_user_model().objects.filter(username__in=form.usernames())}
        unknown = [u for u in form.usernames() if u not in users]
        leader_name = form.cleaned_data["leader"].strip()
        leader = get_user_model().objects.filter(username=leader_name).first() if leader_name else None
        if unknown or (leader_name and leader is None):
            form.add_error(
                None,
                _("没有这些用户：%(users)s")
                % {"users": join_list(unknown + ([leader_name] if leader is None and leader_name else []))},
            )
        else:
            try:
                services.group_save(
                    actor=request.user,
                    assessment=assessment,
                    name=form.cleaned_data["name"],
                    members=list(users.values()),
                    leader=leader,
                    regions=Region.objects.filter(code__in=form.cleaned_data["regions"]),
                    group=editing,
                )
            except services.AssessmentError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("核查组已保存"))
                return redirect(reverse("assessments:groups", args=[assessment.pk]))
    group_list = list(
        assessment.groups.prefetch_related("members", "counties__region").select_related("leader")
    )
    return render(
        request,
        "assessments/groups.html",
        {
            "assessment": assessment,
            "form": form,
            "groups": group_list,
            "editing": editing,
            "unassigned": [r for r in rows if r.group_id is None],
        },
    )


# --- One county ---------------------------------------------------------------------------------


@login_required
def county(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    row = _get_row_for_user(request, assessment, code)
    user = request.user
    sheet = selectors.county_sheet(row)
    return render(
        request,
        "assessments/county.html",
        {
            "assessment": assessment,
            "row": row,
            "sheet": sheet,
            "steps": selectors.stage_steps(assessment),
            "can_submit": policy.can(user, Action.SUBMIT, row.region),
            "can_update": policy.can(user, Action.UPDATE, row.region),
            "can_review": policy.can(user, Action.APPROVE, row.region),
            "can_verify": policy.can_verify_county(user, row, write=False),
            "can_board": selectors.can_see_board(user, assessment),
            "gaps": services.self_assessment_gaps(row) if row.stage in (Stage.SELF, Stage.REVIEW) else [],
            "stage_open": stage_index(assessment.stage) >= stage_index(row.stage),
        },
    )


_COUNTY_ACTIONS: dict[str, tuple[Callable, str, bool]] = {
    # action: (service, success message, needs a reason)
    "file": (services.county_file_targets, gettext_lazy("已提交目标备案"), False),
    "accept": (services.county_accept_targets, gettext_lazy("已接受目标备案，该地区进入自评阶段"), False),
    "return-filing": (services.county_return_filing, gettext_lazy("已退回目标备案"), True),
    "submit-self": (services.county_submit_self, gettext_lazy("自评已提交"), False),
    "review-pass": (services.county_review_pass, gettext_lazy("材料审核通过，该地区进入现场核查阶段"), False),
    "review-return": (services.county_review_return, gettext_lazy("已退回补充材料"), True),
}


@login_required
@require_POST
def county_action(request: HttpRequest, pk: int, code: str, action: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    row = _get_row_for_user(request, assessment, code)
    if action not in _COUNTY_ACTIONS:
        raise Http404(_("没有该操作"))
    service, success, needs_reason = _COUNTY_ACTIONS[action]
    kwargs = {"actor": request.user, "row": row}
    if needs_reason:
        kwargs["reason"] = request.POST.get("reason", "")
    _run(request, lambda: service(**kwargs), success)
    return redirect(_county_url(row))


@login_required
@require_POST
def item_self(request: HttpRequest, pk: int, code: str, item_id: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    row = _get_row_for_user(request, assessment, code)
    item = get_object_or_404(QualitativeItem, pk=item_id, scheme=assessment.scheme)
    form = ItemSelfForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("请填写自评分和自评说明"))
    else:
        _run(
            request,
            lambda: services.item_self_score(
                actor=request.user,
                row=row,
                item=item,
                points=form.cleaned_data["points"],
                reason=form.cleaned_data["reason"],
                evidence=form.cleaned_data.get("evidence"),
            ),
            _("已保存“%(item)s”的自评") % {"item": item.name},
        )
    return redirect(_county_url(row) + f"#item-{item.pk}")


@login_required
@require_POST
def self_report(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    row = _get_row_for_user(request, assessment, code)
    upload = request.FILES.get("report")
    if upload is None:
        messages.error(request, _("请选择自评报告文件"))
    else:
        _run(
            request,
            lambda: services.county_upload_self_report(actor=request.user, row=row, upload=upload),
            _("自评报告已上传"),
        )
    return redirect(_county_url(row))


def _download(field, name: str) -> FileResponse:
    if not field:
        raise Http404(_("没有该文件"))
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("文件不存在")) from exc
    return FileResponse(handle, as_attachment=True, filename=name or field.name.rsplit("/", 1)[-1])


@login_required
def self_report_download(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """The county's readers and its verification group may download its report."""
    assessment = _get_assessment_for_user(request, pk)
    row = get_object_or_404(
        AssessmentRegion.objects.select_related("region", "group"), assessment=assessment, region__code=code
    )
    row.assessment = assessment
    if not (
        selectors.can_see_county(request.user, row)
        or policy.can_verify_county(request.user, row, write=False)
    ):
        raise PermissionDenied(_("无权下载%(region)s的自评报告") % {"region": row.region.name})
    return _download(row.self_report, row.self_report_name)


@login_required
def item_evidence(request: HttpRequest, pk: int, code: str, item_id: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    row = get_object_or_404(
        AssessmentRegion.objects.select_related("region", "group"), assessment=assessment, region__code=code
    )
    row.assessment = assessment
    if not (
        selectors.can_see_county(request.user, row)
        or policy.can_verify_county(request.user, row, write=False)
    ):
        raise PermissionDenied(_("无权下载%(region)s的佐证材料") % {"region": row.region.name})
    score = get_object_or_404(ItemScore, item_id=item_id, region=row.region, year=assessment.year)
    return _download(score.evidence, "")


# --- On-site verification ------------------------------------------------------------------------


def _verification_row(request: HttpRequest, pk: int, code: str) -> tuple[Assessment, AssessmentRegion]:
    assessment = _get_assessment_for_user(request, pk)
    row = get_object_or_404(
        AssessmentRegion.objects.select_related("region", "group"), assessment=assessment, region__code=code
    )
    row.assessment = assessment
    if not policy.can_verify_county(request.user, row, write=False):
        raise PermissionDenied(
            _("您不是%(region)s的现场核查组成员，不能查看其核查材料") % {"region": row.region.name}
        )
    return assessment, row


@login_required
def verification(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    assessment, row = _verification_row(request, pk, code)
    if request.method == "POST":
        form = FindingForm(request.POST)
        indicator = item = None
        if request.POST.get("indicator"):
            indicator = get_object_or_404(Indicator, code=request.POST["indicator"])
        elif request.POST.get("item"):
            item = get_object_or_404(QualitativeItem, pk=request.POST["item"], scheme=assessment.scheme)
        if not form.is_valid():
            messages.error(request, _("核查记录填写不正确"))
        else:
            data = form.cleaned_data
            _run(
                request,
                lambda: services.finding_record(
                    actor=request.user,
                    row=row,
                    indicator=indicator,
                    item=item,
                    adjusted_value=data["value"] if indicator else None,
                    verified_points=data["value"] if item else None,
                    reason=data["reason"],
                    note=data["note"],
                ),
                _("核查记录已保存"),
            )
        anchor = f"#ind-{indicator.code}" if indicator else (f"#item-{item.pk}" if item else "")
        return redirect(reverse("assessments:verification", args=[assessment.pk, row.region.code]) + anchor)
    return render(
        request,
        "assessments/verification.html",
        {
            "assessment": assessment,
            "row": row,
            "sheet": selectors.county_sheet(row),
            "can_write": policy.can_verify_county(request.user, row, write=True)
            and assessment.stage == Stage.VERIFICATION
            and row.stage == Stage.VERIFICATION,
            "gaps": services.verification_gaps(row) if row.stage == Stage.VERIFICATION else [],
            "others": [r for r in selectors.verifiable_rows(request.user, assessment) if r.pk != row.pk],
        },
    )


@login_required
@require_POST
def verification_done(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    assessment, row = _verification_row(request, pk, code)
    _run(
        request,
        lambda: services.county_verification_done(actor=request.user, row=row),
        _("%(region)s现场核查已完成") % {"region": row.region.name},
    )
    return redirect(reverse("assessments:verification", args=[assessment.pk, row.region.code]))


# --- Published results ---------------------------------------------------------------------------


@login_required
def results(request: HttpRequest, pk: int) -> HttpResponse:
    assessment = _get_assessment_for_user(request, pk)
    if not selectors.can_read_publications(request.user, assessment):
        raise PermissionDenied(_("无权查看该考核的通报"))
    pubs = selectors.publications_of(assessment)
    version = request.GET.get("version")
    chosen = None
    if version and version.isdigit():
        chosen = next((p for p in pubs if p.version == int(version)), None)
        if chosen is None:
            raise Http404(_("没有该版本的通报"))
    elif pubs:
        chosen = pubs[-1]
    region_code = request.GET.get("region", "")
    detail_region = None
    detail = []
    if chosen is not None and region_code:
        detail_region = get_object_or_404(Region, code=region_code)
        detail = selectors.published_targets(chosen, detail_region)
    return render(
        request,
        "assessments/results.html",
        {
            "assessment": assessment,
            "publications": pubs,
            "publication": chosen,
            "is_current": chosen is not None
            and assessment.stage == Stage.PUBLISHED
            and chosen.version == assessment.version,
            "ranking": selectors.published_ranking(chosen) if chosen else [],
            "detail_region": detail_region,
            "detail": detail,
        },
    )
