"""Pages of plans, targets and scores: ranking, explain, at risk, the target grid, exports.

Every view fetches its region through `_region_for_user`, which asks the one
permission policy and answers 404 (no such region) or 403 (outside the user's
subtree or role). Views parse input, call one service or selector, and render.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts import policy
from accounts.policy import Action
from assessments.freeze import ensure_not_frozen
from indicators import score_export, score_selectors
from indicators.models import Basis, Indicator, Plan, Region, RegionScore, Target
from indicators.targets import (
    GridChange,
    TargetImportError,
    at_risk_targets,
    plan_generate_milestones,
    targets_grid_save,
    targets_import,
)
from indicators.tasks import compute_scores_task
from quality_city.i18n import join_clauses
from quality_city.resilience import enqueue_or_run_inline


def _region_for_user(request: HttpRequest, code: str, action: Action = Action.READ) -> Region:
    region = get_object_or_404(Region, code=code)
    policy.check(request.user, action, region)
    return region


def _home_region(request: HttpRequest) -> Region:
    region = policy.user_region(request.user)
    if region is not None:
        return region
    # A superuser without a profile: start where the latest scores are.
    latest = RegionScore.objects.select_related("region__parent").order_by("-year", "region__path").first()
    if latest is not None:
        return latest.region.parent or latest.region
    return Region.objects.filter(parent__isnull=True).order_by("code").first() or Region.objects.first()


def _int_param(request: HttpRequest, name: str, default: int | None) -> int | None:
    raw = request.GET.get(name) or request.POST.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        return default


@login_required
def score_index(request: HttpRequest) -> HttpResponse:
    """Ranking of a region's children (both bases) for a year, with the run button."""
    code = request.GET.get("region")
    region = _region_for_user(request, code) if code else _home_region(request)
    if region is None:
        raise PermissionDenied(_("无可查看的地区"))
    policy.check(request.user, Action.READ, region)
    years = score_selectors.scored_years(region)
    year = _int_param(request, "year", years[0] if years else None)
    rows = score_selectors.scores_of_children(region=region, year=year) if year else []
    context = {
        "region": region,
        "year": year,
        "years": years,
        "rows": rows,
        "ancestors": _ancestors(request, region),
        "can_score": policy.can(request.user, Action.SCORE, region),
        "can_manage": policy.can(request.user, Action.MANAGE, region),
        "can_export": policy.can(request.user, Action.EXPORT, region),
        "runs": score_selectors.recent_runs(region),
    }
    return render(request, "scores/index.html", context)


def _ancestors(request: HttpRequest, region: Region) -> list[Region]:
    codes = region.path.strip("/").split("/")[:-1]
    found = {r.code: r for r in Region.objects.filter(code__in=codes)}
    return [found[c] for c in codes if c in found and policy.can(request.user, Action.READ, found[c])]


@login_required
@require_POST
def score_run(request: HttpRequest) -> HttpResponse:
    """Run scoring for a region's subtree and year (Celery; eager in development)."""
    region = _region_for_user(request, request.POST.get("region", ""), Action.SCORE)
    year = _int_param(request, "year", None)
    if year is None:
        messages.error(request, _("请选择年度"))
        return redirect(f"{reverse('scores:index')}?region={region.code}")
    try:
        dispatch = enqueue_or_run_inline(
            compute_scores_task,
            kwargs={"year": year, "region_id": region.pk, "trigger": "page", "user_id": request.user.pk},
            inline_kwargs={"trigger": "page-inline"},
        )
        result = dispatch.result
    except ValueError as exc:  # eager mode: the engine refused malformed inputs (the run is recorded)
        messages.error(request, _("评分失败：%(error)s") % {"error": exc})
        return redirect(f"{reverse('scores:index')}?region={region.code}&year={year}")
    if dispatch.ran_here:
        summaries = result.get()
        text = join_clauses(
            _("%(basis)s口径 %(regions)s 个地区、%(targets)s 项指标")
            % {"basis": Basis(s["basis"]).label, "regions": s["region_rows"], "targets": s["target_rows"]}
            for s in summaries
        )
        messages.success(
            request,
            _("%(year)s 年%(region)s及下辖地区评分完成：%(summary)s")
            % {"year": year, "region": region.name, "summary": text},
        )
    else:
        messages.success(
            request,
            _("已提交 %(year)s 年%(region)s及下辖地区的评分任务，稍后刷新查看结果")
            % {"year": year, "region": region.name},
        )
    return redirect(f"{reverse('scores:index')}?region={region.code}&year={year}")


@login_required
def score_explain(request: HttpRequest, code: str, year: int) -> HttpResponse:
    """Every target's actual, target, completion, points and points lost, both bases."""
    region = _region_for_user(request, code)
    explanation = score_selectors.explain(region=region, year=year)
    return render(
        request,
        "scores/explain.html",
        {
            "region": region,
            "year": year,
            "x": explanation,
            "self_total": explanation.totals.get(Basis.SELF),
            "verified_total": explanation.totals.get(Basis.VERIFIED),
            "lost": explanation.lost_by_reason,
            "ancestors": _ancestors(request, region),
        },
    )


@login_required
def score_at_risk(request: HttpRequest, code: str) -> HttpResponse:
    """Horizon targets whose least-squares projection misses the target."""
    region = _region_for_user(request, code)
    as_of = _int_param(request, "as_of", None)
    rows = at_risk_targets(region=region, as_of=as_of)
    return render(
        request,
        "scores/at_risk.html",
        {
            "region": region,
            "as_of": as_of,
            "risky": [r for r in rows if r.status == "at_risk"],
            "on_track": [r for r in rows if r.status == "on_track"],
            "insufficient": [r for r in rows if r.status == "insufficient"],
            "ancestors": _ancestors(request, region),
        },
    )


@login_required
def score_export_view(request: HttpRequest, code: str, year: int, fmt: str) -> HttpResponse:
    """Download the scores of a region's subtree (xlsx both sheets; csv one table)."""
    if fmt not in ("csv", "xlsx"):
        raise Http404(_("不支持的导出格式"))
    region = _region_for_user(request, code, Action.EXPORT)
    basis = request.GET.get("basis") if request.GET.get("basis") in Basis.values else None
    regions, targets = score_export.score_tables(year=year, region=region, basis=basis)
    if fmt == "xlsx":
        body = score_export.xlsx_bytes(regions, targets)
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = f"scores_{region.code}_{year}.xlsx"
    elif request.GET.get("part") == "targets":
        body = score_export.csv_bytes(score_export.TARGET_HEADER, targets)
        content_type, name = "text/csv; charset=utf-8", f"scores_{region.code}_{year}_targets.csv"
    else:
        body = score_export.csv_bytes(score_export.REGION_HEADER, regions)
        content_type, name = "text/csv; charset=utf-8", f"scores_{region.code}_{year}.csv"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --------------------------------------------------------------------------- targets


def _grid_years(region: Region, plan: Plan | None, request: HttpRequest) -> list[int]:
    if plan is not None:
        lo, hi = max(plan.start_year, plan.base_year + 1), plan.end_year
    else:
        years = score_selectors.scored_years(region)
        lo, hi = (min(years), max(years)) if years else (2011, 2015)
    lo = _int_param(request, "from", lo) or lo
    hi = _int_param(request, "to", hi) or hi
    lo, hi = min(lo, hi), max(lo, hi)
    return list(range(lo, min(hi, lo + 15) + 1))


@login_required
def target_grid(request: HttpRequest, code: str) -> HttpResponse:
    """Indicator × year grid of one region's targets; editable with the `manage` right."""
    region = _region_for_user(request, code)
    can_manage = policy.can(request.user, Action.MANAGE, region)
    plans = list(
        Plan.objects.filter(region__path__startswith=region.path)
        | Plan.objects.filter(targets__region=region)
    )
    plans = sorted(set(plans), key=lambda p: (p.start_year, p.name))
    plan_id = _int_param(request, "plan", None)
    plan = next((p for p in plans if p.pk == plan_id), None)
    years = _grid_years(region, plan, request)
    indicators = list(Indicator.objects.all())
    by_code = {i.code: i for i in indicators}
    targets = {
        (t.indicator_id, t.year): t
        for t in Target.objects.filter(region=region, year__in=years).select_related("plan")
    }

    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("无权修改该地区的目标"))
        changes, errors = [], []
        for key, raw in request.POST.items():
            if not key.startswith("t|"):
                continue
            _prefix, ind_code, year_text = key.split("|", 2)
            indicator = by_code.get(ind_code)
            if indicator is None or not year_text.isdigit() or int(year_text) not in years:
                continue
            year = int(year_text)
            current = targets.get((indicator.pk, year))
            raw = raw.strip()
            if raw == "":
                if current is not None:
                    changes.append(GridChange(indicator, year, None))
                continue
            try:
                value = Decimal(raw)
                if not value.is_finite():
                    raise InvalidOperation
            except InvalidOperation:
                errors.append(
                    _("%(indicator)s %(year)s：“%(raw)s”不是数字")
                    % {"indicator": indicator.name, "year": year, "raw": raw}
                )
                continue
            out_of_range = (indicator.min_value is not None and value < indicator.min_value) or (
                indicator.max_value is not None and value > indicator.max_value
            )
            if out_of_range:
                errors.append(
                    _("%(indicator)s %(year)s：%(raw)s 超出指标取值范围")
                    % {"indicator": indicator.name, "year": year, "raw": raw}
                )
                continue
            if current is None or current.value != value:
                changes.append(GridChange(indicator, year, value.quantize(Decimal("0.0001"))))
        if errors:
            for e in errors:
                messages.error(request, e)
            messages.error(request, _("有错误，未保存任何修改"))
        else:
            counts = targets_grid_save(region=region, changes=changes, plan=plan, user=request.user)
            messages.success(
                request,
                _("已保存：新增 %(created)s，修改 %(updated)s，删除 %(deleted)s") % counts,
            )
        return redirect(request.get_full_path())

    show_all = request.GET.get("all") == "1"
    targeted = {ind for ind, _ in targets}
    rows = []
    for indicator in indicators:
        if not show_all and indicator.pk not in targeted:
            continue
        cells = [{"year": y, "target": targets.get((indicator.pk, y))} for y in years]
        first = next((c["target"] for c in cells if c["target"]), None)
        rows.append({"indicator": indicator, "cells": cells, "first": first})
    children = Region.objects.filter(parent=region).order_by("code")
    return render(
        request,
        "scores/target_grid.html",
        {
            "region": region,
            "plans": plans,
            "plan": plan,
            "years": years,
            "rows": rows,
            "show_all": show_all,
            "can_manage": can_manage,
            "children": children,
            "ancestors": _ancestors(request, region),
        },
    )


class TargetForm(forms.ModelForm):
    class Meta:
        model = Target
        fields = ["comparator", "value", "weight", "rule", "rule_param", "veto", "note"]

    def clean(self):
        data = super().clean()
        indicator = self.instance.indicator
        value = data.get("value")
        if value is not None:
            if indicator.min_value is not None and value < indicator.min_value:
                self.add_error(
                    "value",
                    _("目标值小于指标下限 %(limit)s") % {"limit": f"{indicator.min_value.normalize():f}"},
                )
            if indicator.max_value is not None and value > indicator.max_value:
                self.add_error(
                    "value",
                    _("目标值大于指标上限 %(limit)s") % {"limit": f"{indicator.max_value.normalize():f}"},
                )
        if data.get("rule_param") is not None and data["rule_param"] < 0:
            self.add_error("rule_param", _("扣分系数不能为负数"))
        return data


@login_required
def target_edit(request: HttpRequest, code: str, indicator_code: str, year: int) -> HttpResponse:
    """Every field of one target (comparator, weight, rule, veto ...)."""
    region = _region_for_user(request, code, Action.MANAGE)
    indicator = get_object_or_404(Indicator, code=indicator_code)
    target = Target.objects.filter(region=region, indicator=indicator, year=year).first()
    if target is None:
        target = Target(
            region=region, indicator=indicator, year=year, comparator=indicator.default_comparator
        )
    form = TargetForm(request.POST or None, instance=target)
    if request.method == "POST" and form.is_valid():
        ensure_not_frozen(
            region_id=region.pk,
            year=year,
            what=f"编辑目标 {region.name} {indicator.code} {year}",
            user=request.user,
        )
        saved = form.save(commit=False)
        saved._change_reason = "目标编辑"
        saved.save()
        messages.success(
            request,
            _("已保存 %(region)s %(indicator)s %(year)s 年目标")
            % {"region": region.name, "indicator": indicator.name, "year": year},
        )
        return redirect("scores:targets", code=region.code)
    return render(
        request,
        "scores/target_form.html",
        {"region": region, "indicator": indicator, "year": year, "form": form, "target": target},
    )


@login_required
@require_POST
def target_import_view(request: HttpRequest, code: str) -> HttpResponse:
    """Upload a targets file into a plan (all or nothing; rows checked against `manage`)."""
    region = _region_for_user(request, code, Action.MANAGE)
    upload = request.FILES.get("file")
    plan_name = request.POST.get("plan_name", "")
    if upload is None:
        messages.error(request, _("请选择要导入的文件"))
    else:
        try:
            result = targets_import(
                data=upload.read(), filename=upload.name, plan_name=plan_name, user=request.user
            )
        except TargetImportError as exc:
            for error in exc.errors[:200]:
                messages.error(request, str(error))
            n = len(exc.errors)
            messages.error(
                request,
                ngettext(
                    "导入被拒绝：共 %(n)s 处错误，未写入任何数据",
                    "导入被拒绝：共 %(n)s 处错误，未写入任何数据",
                    n,
                )
                % {"n": n},
            )
        else:
            messages.success(request, str(result))
    return redirect("scores:targets", code=region.code)


@login_required
@require_POST
def plan_milestones(request: HttpRequest, plan_id: int) -> HttpResponse:
    """Generate (or with `replace`, regenerate) a plan's milestone targets."""
    plan = get_object_or_404(Plan.objects.select_related("region"), pk=plan_id)
    policy.check(request.user, Action.MANAGE, plan.region)
    result = plan_generate_milestones(plan=plan, replace=request.POST.get("replace") == "1")
    messages.success(request, _("%(plan)s：%(result)s") % {"plan": plan.name, "result": result})
    back = request.POST.get("region") or plan.region.code
    region = _region_for_user(request, back)
    return redirect(f"{reverse('scores:targets', kwargs={'code': region.code})}?plan={plan.pk}")
