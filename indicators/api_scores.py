"""Read-only API of targets and scores: /api/v1/targets/, /api/v1/scores/, /api/v1/target-scores/.

Querysets are limited to the regions the user may read (`policy.readable_regions`),
so an object outside the user's subtree is a 404, exactly as on the pages; asking
for a region outside it with `?region=` or `?within=` is a 403.

Filters (all optional): `year`, `basis` (self / verified), `region` (one region's
code), `within` (a region's code: it and everything below it), `parent` (children
of a region), `indicator` (code), `plan` (plan id, targets only).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import include, path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.routers import SimpleRouter

from accounts import policy
from accounts.policy import Action
from indicators.models import Basis, Region, RegionScore, Target, TargetScore

app_name = "api_scores"


class TargetSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)
    plan_name = serializers.CharField(source="plan.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Target
        fields = [
            "id",
            "plan",
            "plan_name",
            "region_code",
            "region_name",
            "indicator_code",
            "year",
            "comparator",
            "value",
            "weight",
            "rule",
            "rule_param",
            "veto",
            "is_milestone",
            "note",
        ]
        read_only_fields = fields


class RegionScoreSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    parent_code = serializers.CharField(
        source="region.parent.code", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = RegionScore
        fields = [
            "id",
            "region_code",
            "region_name",
            "parent_code",
            "year",
            "basis",
            "total",
            "grade",
            "rank",
            "rank_of",
            "points",
            "max_points",
            "met",
            "not_met",
            "missing",
            "vetoed",
            "run",
        ]
        read_only_fields = fields


class TargetScoreSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    indicator_code = serializers.CharField(source="indicator.code", read_only=True)

    class Meta:
        model = TargetScore
        fields = [
            "id",
            "region_code",
            "indicator_code",
            "year",
            "basis",
            "actual",
            "target",
            "comparator",
            "completion",
            "points",
            "weight",
            "status",
            "veto",
            "run",
        ]
        read_only_fields = fields


_COMMON = [
    OpenApiParameter("year", OpenApiTypes.INT, description="年度"),
    OpenApiParameter("region", OpenApiTypes.STR, description="地区代码（仅该地区）"),
    OpenApiParameter("within", OpenApiTypes.STR, description="地区代码（该地区及其下辖地区）"),
    OpenApiParameter("parent", OpenApiTypes.STR, description="上级地区代码（其直接下级）"),
    OpenApiParameter("indicator", OpenApiTypes.STR, description="指标代码"),
]
_BASIS = OpenApiParameter("basis", OpenApiTypes.STR, enum=Basis.values, description="口径")


class _RegionScopedViewSet(viewsets.ReadOnlyModelViewSet):
    """Shared filtering; every queryset starts from the user's readable regions."""

    def _region_param(self, name: str) -> Region | None:
        code = self.request.query_params.get(name)
        if not code:
            return None
        region = Region.objects.filter(code=code).first()
        if region is None:
            raise NotFound(_("未知地区代码：%(code)s") % {"code": code})
        if not policy.can(self.request.user, Action.READ, region):
            raise PermissionDenied(_("无权查看“%(region)s”的数据") % {"region": region.name})
        return region

    def filter_common(self, qs: QuerySet) -> QuerySet:
        qs = qs.filter(region__in=policy.readable_regions(self.request.user))
        params = self.request.query_params
        if params.get("year"):
            try:
                qs = qs.filter(year=int(params["year"]))
            except ValueError as exc:
                raise ValidationError({"year": _("年度须为整数")}) from exc
        if region := self._region_param("region"):
            qs = qs.filter(region=region)
        if within := self._region_param("within"):
            qs = qs.filter(region__path__startswith=within.path)
        if parent := self._region_param("parent"):
            qs = qs.filter(region__parent=parent)
        if params.get("indicator") and hasattr(qs.model, "indicator"):
            qs = qs.filter(indicator__code=params["indicator"])
        if params.get("basis") and hasattr(qs.model, "basis"):
            if params["basis"] not in Basis.values:
                raise ValidationError({"basis": _("口径须为 self 或 verified")})
            qs = qs.filter(basis=params["basis"])
        return qs


@extend_schema_view(
    list=extend_schema(
        summary="目标列表",
        parameters=[*_COMMON, OpenApiParameter("plan", OpenApiTypes.INT, description="规划 id")],
    ),
    retrieve=extend_schema(summary="目标"),
)
class TargetViewSet(_RegionScopedViewSet):
    serializer_class = TargetSerializer

    def get_queryset(self):
        qs = self.filter_common(Target.objects.select_related("region", "indicator", "plan"))
        plan = self.request.query_params.get("plan")
        if plan:
            if not plan.isdigit():
                raise ValidationError({"plan": _("规划 id 须为整数")})
            qs = qs.filter(plan_id=int(plan))
        return qs.order_by("region__code", "year", "indicator__sort_order", "indicator__code")


@extend_schema_view(
    list=extend_schema(summary="地区得分（总分、等级、排名）", parameters=[*_COMMON, _BASIS]),
    retrieve=extend_schema(summary="地区得分"),
)
class RegionScoreViewSet(_RegionScopedViewSet):
    serializer_class = RegionScoreSerializer

    def get_queryset(self):
        qs = self.filter_common(RegionScore.objects.select_related("region__parent"))
        return qs.order_by("year", "basis", "region__parent__code", "rank", "region__code")


@extend_schema_view(
    list=extend_schema(summary="指标得分（实际值、目标、完成率、得分）", parameters=[*_COMMON, _BASIS]),
    retrieve=extend_schema(summary="指标得分"),
)
class TargetScoreViewSet(_RegionScopedViewSet):
    serializer_class = TargetScoreSerializer

    def get_queryset(self):
        qs = self.filter_common(TargetScore.objects.select_related("region", "indicator"))
        return qs.order_by("year", "basis", "region__code", "indicator__sort_order", "indicator__code")


router = SimpleRouter()
router.register("targets", TargetViewSet, basename="target")
router.register("scores", RegionScoreViewSet, basename="score")
router.register("target-scores", TargetScoreViewSet, basename="target-score")

urlpatterns = [path("", include(router.urls))]
