"""Report requests over the API: /api/v1/reports/.

    GET  /api/v1/reports/                 artefacts of the regions the user may export
    POST /api/v1/reports/                 request one: 201 new (queued), 200 stored artefact reused
    GET  /api/v1/reports/{id}/            status and progress
    GET  /api/v1/reports/{id}/download/   the file

The same policy as the pages: EXPORT on the region, 403 otherwise.
"""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from indicators.models import Basis, Region
from reports import services
from reports.errors import ReportError
from reports.models import ReportArtifact, ReportFormat, ReportKind
from reports.notes import localize
from reports.views import status_payload


class ReportRequestSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices, default=ReportKind.ANNUAL_REPORT)
    format = serializers.ChoiceField(choices=ReportFormat.choices, default=ReportFormat.PDF)
    region = serializers.CharField(max_length=6, help_text="GB/T 2260 地区代码，如 130500")
    year = serializers.IntegerField()
    basis = serializers.ChoiceField(choices=Basis.choices, default=Basis.VERIFIED)


class ReportArtifactSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    format = serializers.CharField()
    region = serializers.CharField()
    year = serializers.IntegerField()
    basis = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    progress = serializers.IntegerField()
    note = serializers.CharField()
    error = serializers.CharField()
    finished = serializers.BooleanField()
    sha256 = serializers.CharField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    filename = serializers.CharField(allow_null=True)
    download_url = serializers.CharField(allow_null=True)
    api_download_url = serializers.CharField(allow_null=True)
    requested_at = serializers.DateTimeField()


def _payload(artifact: ReportArtifact) -> dict:
    data = status_payload(artifact)
    data["api_download_url"] = (
        f"/api/v1/reports/{artifact.pk}/download/" if artifact.status == ReportArtifact.Status.DONE else None
    )
    data["requested_at"] = artifact.requested_at
    return data


class ReportViewSet(viewsets.ViewSet):
    def _get(self, request: Request, pk: str) -> ReportArtifact:
        artifact = ReportArtifact.objects.select_related("region").filter(pk=int(pk)).first()
        if artifact is None:
            raise Http404
        if not policy.can_download_report(request.user, artifact):
            raise PermissionDenied(_("无权下载“%(region)s”的报告") % {"region": artifact.region.name})
        return artifact

    @extend_schema(responses=ReportArtifactSerializer(many=True))
    def list(self, request: Request) -> Response:
        qs = (
            ReportArtifact.objects.filter(policy.downloadable_reports_filter(request.user))
            .select_related("region")
            .order_by("-requested_at")[:100]
        )
        return Response([_payload(a) for a in qs])

    @extend_schema(
        request=ReportRequestSerializer,
        responses={
            201: ReportArtifactSerializer,
            200: OpenApiResponse(ReportArtifactSerializer, description="输入未变化，返回已存档的报告"),
        },
    )
    def create(self, request: Request) -> Response:
        params = ReportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        region = Region.objects.filter(code=data["region"]).first()
        if region is None:
            raise ValidationError({"region": [_("地区代码不存在")]})
        try:
            artifact = services.report_request(
                user=request.user,
                kind=data["kind"],
                fmt=data["format"],
                region=region,
                year=data["year"],
                basis=data["basis"],
            )
        except ReportError as exc:
            raise ValidationError({"detail": localize(str(exc))}) from exc
        reused = artifact.reused
        artifact.refresh_from_db()  # an eager (in-process) task may have finished it already
        return Response(_payload(artifact), status=status.HTTP_200_OK if reused else status.HTTP_201_CREATED)

    @extend_schema(responses=ReportArtifactSerializer)
    def retrieve(self, request: Request, pk: str) -> Response:
        return Response(_payload(self._get(request, pk)))

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def download(self, request: Request, pk: str) -> FileResponse:
        artifact = self._get(request, pk)
        if artifact.status != ReportArtifact.Status.DONE or not artifact.file:
            raise Http404(_("报告尚未生成完成"))
        try:
            handle = artifact.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("报告文件已丢失，请重新生成")) from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=artifact.filename,
            content_type=artifact.content_type,
        )


urlpatterns = [
    path("", ReportViewSet.as_view({"get": "list", "post": "create"}), name="api-reports"),
    path("<int:pk>/", ReportViewSet.as_view({"get": "retrieve"}), name="api-report-detail"),
    path("<int:pk>/download/", ReportViewSet.as_view({"get": "download"}), name="api-report-download"),
]
