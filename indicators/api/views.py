"""API endpoints: parse, ask the policy through the services, render.

Errors use one shape, `{"detail", "code", "errors"?, "current"?}`:
400 invalid input, 403 not allowed (policy or self-approval), 404 outside the
user's subtree, 409 conflict (`current` is the stored figure) or locked /
wrong status.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import policy
from indicators import selectors, services
from indicators.api.serializers import (
    ApproveSerializer,
    BulkApproveSerializer,
    BulkReturnSerializer,
    ErrorSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    FigureCreateSerializer,
    FigureSerializer,
    FigureUpdateSerializer,
    HistoryEntrySerializer,
    IndicatorSerializer,
    ReasonSerializer,
    RegionSerializer,
    VersionSerializer,
)
from indicators.models import Figure, Indicator, Region
from indicators.services import BulkError, ConflictError, FigureError, ValidationFailed
from quality_city.i18n import join_clauses

ERRORS = {
    400: OpenApiResponse(ErrorSerializer, description="输入无效"),
    403: OpenApiResponse(ErrorSerializer, description="无权操作（含审核本人填报的数据）"),
    404: OpenApiResponse(ErrorSerializer, description="不存在或不在管辖范围内"),
    409: OpenApiResponse(ErrorSerializer, description="版本冲突（current 为当前数据）、已锁定或状态不允许"),
}


def _error_response(exc: FigureError, request: Request) -> Response:
    body: dict = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, ValidationFailed):
        body["errors"] = exc.errors
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConflictError):
        body["current"] = FigureSerializer(exc.current, context={"request": request}).data
        if exc.attempted is not None:
            body["attempted"] = services.format_value(exc.attempted)
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, BulkError):
        body["errors"] = {str(k): [e.message] for k, e in exc.errors.items()}
        conflict = exc.code in {"conflict", "locked", "state"}
        return Response(body, status=status.HTTP_409_CONFLICT if conflict else status.HTTP_400_BAD_REQUEST)
    if exc.code in {"locked", "state"}:
        return Response(body, status=status.HTTP_409_CONFLICT)
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def _flat_messages(value) -> list[str]:
    if isinstance(value, dict):
        return [m for v in value.values() for m in _flat_messages(v)]
    if isinstance(value, (list, tuple)):
        return [m for v in value for m in _flat_messages(v)]
    return [str(value)]


def _documented_shape(response: Response) -> Response:
    """DRF's own errors (bad fields, 404, 403, 405) in the documented `{"detail", "code", "errors"?}` shape."""
    data = response.data
    if response.status_code < 400 or (isinstance(data, dict) and "code" in data and "detail" in data):
        return response
    if isinstance(data, dict) and set(data) == {"detail"}:
        response.data = {"detail": str(data["detail"]), "code": getattr(data["detail"], "code", "error")}
    elif isinstance(data, dict):
        errors = {str(k): _flat_messages(v) for k, v in data.items()}
        response.data = {"detail": _("输入无效"), "code": "invalid", "errors": errors}
    else:
        response.data = {"detail": join_clauses(_flat_messages(data)), "code": "invalid"}
    return response


@extend_schema_view(
    list=extend_schema(
        summary="地区列表（本人辖区）",
        parameters=[
            OpenApiParameter("level", str, enum=["province", "city", "county"], description="层级"),
            OpenApiParameter("parent", str, description="上级地区代码"),
            OpenApiParameter("q", str, description="名称包含"),
        ],
    ),
    retrieve=extend_schema(summary="地区详情"),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RegionSerializer
    lookup_field = "code"

    def get_queryset(self):
        qs = policy.readable_regions(self.request.user).select_related("parent").order_by("code")
        params = self.request.query_params
        if params.get("level"):
            qs = qs.filter(level=params["level"])
        if params.get("parent"):
            qs = qs.filter(parent__code=params["parent"])
        if params.get("q"):
            qs = qs.filter(name__contains=params["q"])
        return qs


@extend_schema_view(
    list=extend_schema(
        summary="指标目录",
        parameters=[OpenApiParameter("category", str, enum=Indicator.Category.values, description="类别")],
    ),
    retrieve=extend_schema(summary="指标详情"),
)
class IndicatorViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = IndicatorSerializer
    lookup_field = "code"

    def get_queryset(self):
        qs = Indicator.objects.order_by("sort_order", "code")
        if self.request.query_params.get("category"):
            qs = qs.filter(category=self.request.query_params["category"])
        return qs


FIGURE_FILTERS = [
    OpenApiParameter("region", str, description="地区代码（仅该地区）"),
    OpenApiParameter("within", str, description="地区代码（该地区及其全部下级）"),
    OpenApiParameter("indicator", str, description="指标代码"),
    OpenApiParameter("year", int, description="年度"),
    OpenApiParameter("year_from", int, description="起始年度"),
    OpenApiParameter("year_to", int, description="截止年度"),
    OpenApiParameter("status", str, enum=Figure.Status.values, description="状态"),
    OpenApiParameter("source", str, enum=Figure.Source.values, description="来源"),
]


@extend_schema_view(
    list=extend_schema(summary="年度数据列表（本人辖区，可筛选）", parameters=FIGURE_FILTERS),
    retrieve=extend_schema(summary="年度数据详情", responses={200: FigureSerializer, 404: ERRORS[404]}),
)
class FigureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Figures the user may read. Writes go through indicators.services with the caller's version."""

    serializer_class = FigureSerializer
    parser_classes = [JSONParser, FormParser, MultiPartParser]
    lookup_value_regex = r"[^/]+"  # a malformed id (e.g. "0.5") reaches get_object: the documented JSON 404

    def get_queryset(self):
        qs = (
            selectors.readable_figures(self.request.user)
            .select_related("region", "indicator", "entered_by", "approved_by")
            .prefetch_related("evidence__uploaded_by")
            .order_by("region__code", "indicator__sort_order", "year")
        )
        if self.action != "list":
            return qs
        p = self.request.query_params
        if p.get("region"):
            qs = qs.filter(region__code=p["region"])
        if p.get("within"):
            within = Region.objects.filter(code=p["within"]).first()
            qs = qs.filter(region__path__startswith=within.path) if within else qs.none()
        if p.get("indicator"):
            qs = qs.filter(indicator__code=p["indicator"].upper())
        for name, lookup in (("year", "year"), ("year_from", "year__gte"), ("year_to", "year__lte")):
            if p.get(name):
                if not p[name].isdigit():
                    raise NotFound(_("参数 %(name)s 须为整数年份") % {"name": name})
                qs = qs.filter(**{lookup: int(p[name])})
        if p.get("status"):
            qs = qs.filter(status=p["status"])
        if p.get("source"):
            qs = qs.filter(source=p["source"])
        return qs

    def handle_exception(self, exc):
        if isinstance(exc, FigureError):
            return _error_response(exc, self.request)
        return _documented_shape(super().handle_exception(exc))

    def _out(self, figure: Figure, code: int = status.HTTP_200_OK) -> Response:
        figure = self.get_queryset().get(pk=figure.pk)
        return Response(self.get_serializer(figure).data, status=code)

    @extend_schema(
        summary="新增年度数据（草稿）",
        request=FigureCreateSerializer,
        responses={201: FigureSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        s = FigureCreateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        region = Region.objects.filter(code=d["region"]).first()
        indicator = Indicator.objects.filter(code=d["indicator"].upper()).first()
        errors = {}
        if region is None:
            errors["region"] = [_("地区代码“%(code)s”不存在") % {"code": d["region"]}]
        if indicator is None:
            errors["indicator"] = [_("指标代码“%(code)s”不存在") % {"code": d["indicator"]}]
        if errors:
            raise ValidationFailed(errors)
        if not policy.can(request.user, policy.Action.CREATE, region):
            raise PermissionDenied(_("无权为“%(region)s”填报数据") % {"region": region.name})
        figure = services.figure_save(
            actor=request.user,
            region=region,
            indicator=indicator,
            year=d["year"],
            value=d["value"],
            note=d["note"],
            expected_version=None,
            reason="接口新增",
        )
        return self._out(figure, status.HTTP_201_CREATED)

    @extend_schema(
        summary="修改填报值（须带读取时的版本号）",
        request=FigureUpdateSerializer,
        responses={200: FigureSerializer, **ERRORS},
    )
    def update(self, request: Request, pk=None) -> Response:
        figure = self.get_object()
        s = FigureUpdateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        figure = services.figure_save(
            actor=request.user,
            region=figure.region,
            indicator=figure.indicator,
            year=figure.year,
            value=d["value"],
            note=d.get("note", figure.note),
            expected_version=d["version"],
            reason="接口修改",
        )
        return self._out(figure)

    @extend_schema(
        summary="修改填报值（同 PUT）",
        request=FigureUpdateSerializer,
        responses={200: FigureSerializer, **ERRORS},
    )
    def partial_update(self, request: Request, pk=None) -> Response:
        return self.update(request, pk)

    @extend_schema(summary="提交审核", request=VersionSerializer, responses={200: FigureSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk=None) -> Response:
        figure = self.get_object()
        s = VersionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        figure = services.figure_submit(
            actor=request.user, figure=figure, expected_version=s.validated_data["version"]
        )
        return self._out(figure)

    @extend_schema(
        summary="审核通过（可附核定值与调整原因）",
        request=ApproveSerializer,
        responses={200: FigureSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk=None) -> Response:
        figure = self.get_object()
        s = ApproveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        figure = services.figure_approve(
            actor=request.user,
            figure=figure,
            expected_version=d["version"],
            verified_value=d.get("verified_value"),
            reason=d.get("reason", ""),
        )
        return self._out(figure)

    @extend_schema(
        summary="退回（须填原因）", request=ReasonSerializer, responses={200: FigureSerializer, **ERRORS}
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk=None) -> Response:
        figure = self.get_object()
        s = ReasonSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        figure = services.figure_return(
            actor=request.user,
            figure=figure,
            expected_version=s.validated_data["version"],
            reason=s.validated_data["reason"],
        )
        return self._out(figure)

    @extend_schema(
        summary="重新打开已审核数据（须填原因）",
        request=ReasonSerializer,
        responses={200: FigureSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk=None) -> Response:
        figure = self.get_object()
        s = ReasonSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        figure = services.figure_reopen(
            actor=request.user,
            figure=figure,
            expected_version=s.validated_data["version"],
            reason=s.validated_data["reason"],
        )
        return self._out(figure)

    @extend_schema(summary="变更记录", responses={200: HistoryEntrySerializer(many=True), 404: ERRORS[404]})
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk=None) -> Response:
        figure = self.get_object()
        entries = selectors.figure_history(figure=figure)
        return Response(HistoryEntrySerializer(entries, many=True).data)

    @extend_schema(
        summary="上传佐证材料（PDF、图片、Office）",
        request={"multipart/form-data": EvidenceUploadSerializer},
        responses={201: EvidenceSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def evidence(self, request: Request, pk=None) -> Response:
        figure = self.get_object()
        s = EvidenceUploadSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        ev = services.evidence_add(actor=request.user, figure=figure, upload=s.validated_data["file"])
        return Response(
            EvidenceSerializer(ev, context={"request": request}).data, status=status.HTTP_201_CREATED
        )

    def _bulk_items(self, data) -> list[tuple[int, int]]:
        readable = set(
            self.get_queryset().filter(pk__in=[i["id"] for i in data["items"]]).values_list("pk", flat=True)
        )
        missing = [i["id"] for i in data["items"] if i["id"] not in readable]
        if missing:
            raise NotFound(
                _("数据 %(ids)s 不存在或不在您的管辖范围内") % {"ids": ", ".join(map(str, missing))}
            )
        return [(i["id"], i["version"]) for i in data["items"]]

    @extend_schema(
        summary="批量审核通过（全部成功或全部不处理）",
        request=BulkApproveSerializer,
        responses={200: FigureSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="bulk-approve", url_name="bulk-approve")
    def bulk_approve(self, request: Request) -> Response:
        s = BulkApproveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        done = services.figure_bulk_approve(actor=request.user, items=self._bulk_items(s.validated_data))
        return Response(self.get_serializer(done, many=True).data)

    @extend_schema(
        summary="批量退回（全部成功或全部不处理）",
        request=BulkReturnSerializer,
        responses={200: FigureSerializer(many=True), **ERRORS},
    )
    @action(detail=False, methods=["post"], url_path="bulk-return", url_name="bulk-return")
    def bulk_return(self, request: Request) -> Response:
        s = BulkReturnSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        done = services.figure_bulk_return(
            actor=request.user, items=self._bulk_items(s.validated_data), reason=s.validated_data["reason"]
        )
        return Response(self.get_serializer(done, many=True).data)


@extend_schema(
    summary="待审核队列（本人可审核的下级地区已提交数据）",
    parameters=[OpenApiParameter("year", OpenApiTypes.INT, description="年度")],
    responses={200: FigureSerializer(many=True)},
)
class ReviewQueueViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = FigureSerializer

    def get_queryset(self):
        year = self.request.query_params.get("year", "")
        return selectors.review_queue(
            user=self.request.user, year=int(year) if year.isdigit() else None
        ).prefetch_related("evidence")


class TokenView(ObtainAuthToken):
    """Exchange username and password for an API token (locked out like the login page)."""

    def post(self, request: Request, *args, **kwargs) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError:
            # django-axes marks the request it saw; the lockout middleware cannot see DRF's wrapper.
            if getattr(request, "axes_locked_out", False) or getattr(
                request._request, "axes_locked_out", False
            ):
                return Response(
                    {"detail": _("登录失败次数过多，账户已暂时锁定，请 1 小时后再试"), "code": "locked_out"},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                )
            raise
