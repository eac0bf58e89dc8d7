"""Pages of the reports: request a report, watch its progress, download it.

Every artefact is fetched through `_get_artifact_for_user`, which asks the one
permission policy (`policy.can_download_report`: EXPORT on the artefact's region, or
a published ranking notice of a region above the user's): anyone else gets 403 on
the page, the status endpoint and the download alike. Requests
go through `services.report_request`, which asks the same policy.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from accounts import policy
from accounts.policy import Action
from indicators.models import Basis, Region, RegionScore
from reports import services
from reports.errors import ReportError
from reports.models import ReportArtifact, ReportFormat, ReportKind
from reports.notes import localize

RECENT_LIMIT = 50
REGION_CHOICES_LIMIT = 500


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("报告类型"), choices=ReportKind.choices)
    fmt = forms.ChoiceField(label=_("格式"), choices=ReportFormat.choices)
    # A code, not a choice field: a region outside the user's reach must reach the
    # policy (403), not be hidden as an invalid choice.
    region = forms.CharField(label=_("地区"), max_length=6, min_length=6)
    year = forms.IntegerField(label=_("年度"))
    basis = forms.ChoiceField(label=_("口径"), choices=Basis.choices, initial=Basis.VERIFIED)

    def clean_region(self) -> Region:
        region = Region.objects.filter(code=self.cleaned_data["region"]).first()
        if region is None:
            raise forms.ValidationError(_("地区代码不存在"))
        return region


def _get_artifact_for_user(request: HttpRequest, pk: int) -> ReportArtifact:
    """The artefact, 404 when it does not exist, 403 when the user may not download it."""
    artifact = ReportArtifact.objects.select_related("region", "requested_by").filter(pk=pk).first()
    if artifact is None:
        raise Http404(gettext("报告不存在"))
    if not policy.can_download_report(request.user, artifact):
        raise PermissionDenied(gettext("无权下载“%(region)s”的报告") % {"region": artifact.region.name})
    return artifact


def _region_choices(request: HttpRequest) -> list[Region]:
    regions = policy.regions_for(request.user, Action.EXPORT)
    if regions.count() > REGION_CHOICES_LIMIT:
        regions = regions.exclude(level=Region.Level.COUNTY)
    return list(regions.order_by("path")[:REGION_CHOICES_LIMIT])


def _default_year(region: Region | None) -> int | None:
    qs = RegionScore.objects.all()
    if region is not None:
        qs = qs.filter(region__path__startswith=region.path)
    return qs.order_by("-year").values_list("year", flat=True).first()


def status_payload(artifact: ReportArtifact) -> dict:
    """What the progress poller (static/js/reports.js) and the API show (notes in the reader's language)."""
    done = artifact.status == ReportArtifact.Status.DONE
    return {
        "id": artifact.pk,
        "kind": artifact.kind,
        "format": artifact.fmt,
        "region": artifact.region.code,
        "year": artifact.year,
        "basis": artifact.basis,
        "status": artifact.status,
        "status_label": str(artifact.get_status_display()),
        "progress": artifact.progress,
        "note": localize(artifact.progress_note),
        "error": localize(artifact.error),
        "finished": artifact.is_finished,
        "sha256": artifact.sha256 or None,
        "size": artifact.size,
        "filename": artifact.filename or None,
        "download_url": reverse("reports:download", args=[artifact.pk]) if done else None,
    }


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    home = policy.user_region(request.user)
    initial = {
        "kind": request.GET.get("kind", ReportKind.ANNUAL_REPORT),
        "fmt": request.GET.get("fmt", ReportFormat.PDF),
        "region": request.GET.get("region", home.code if home else ""),
        "year": request.GET.get("year") or _default_year(home),
        "basis": request.GET.get("basis", Basis.VERIFIED),
    }
    recent = (
        ReportArtifact.objects.filter(policy.downloadable_reports_filter(request.user))
        .select_related("region", "requested_by")
        .order_by("-requested_at")[:RECENT_LIMIT]
    )
    return render(
        request,
        "reports/index.html",
        {"form": ReportRequestForm(initial=initial), "regions": _region_choices(request), "recent": recent},
    )


@login_required
@require_POST
def request_report(request: HttpRequest) -> HttpResponse:
    form = ReportRequestForm(request.POST)
    if not form.is_valid():
        return render(
            request,
            "reports/index.html",
            {"form": form, "regions": _region_choices(request), "recent": []},
            status=400,
        )
    data = form.cleaned_data
    try:
        artifact = services.report_request(
            user=request.user,
            kind=data["kind"],
            fmt=data["fmt"],
            region=data["region"],
            year=data["year"],
            basis=data["basis"],
        )
    except ReportError as exc:
        form.add_error(None, localize(str(exc)))
        return render(
            request,
            "reports/index.html",
            {"form": form, "regions": _region_choices(request), "recent": []},
            status=400,
        )
    if artifact.reused and artifact.status == ReportArtifact.Status.DONE:
        messages.info(request, gettext("数据未变化，已直接提供存档的报告文件，无需重新生成。"))
    return redirect("reports:detail", pk=artifact.pk)


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    artifact = _get_artifact_for_user(request, pk)
    return render(request, "reports/detail.html", {"artifact": artifact, "status": status_payload(artifact)})


@login_required
@require_GET
def status(request: HttpRequest, pk: int) -> JsonResponse:
    artifact = _get_artifact_for_user(request, pk)
    response = JsonResponse(status_payload(artifact), json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def download(request: HttpRequest, pk: int) -> FileResponse:
    artifact = _get_artifact_for_user(request, pk)
    if artifact.status != ReportArtifact.Status.DONE or not artifact.file:
        raise Http404(gettext("报告尚未生成完成"))
    try:
        handle = artifact.file.open("rb")
    except FileNotFoundError:
        raise Http404(gettext("报告文件已丢失，请重新生成")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=artifact.filename, content_type=artifact.content_type
    )
    response["X-Content-SHA256"] = artifact.sha256
    return response
