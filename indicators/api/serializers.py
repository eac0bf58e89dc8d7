"""Serializers of the v1 API. They shape data only; rules live in services.py."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from indicators.models import Evidence, Figure, Indicator, Region
from indicators.units import unit_zh


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "level_display", "parent", "longitude", "latitude"]


class IndicatorSerializer(serializers.ModelSerializer):
    category_display = serializers.CharField(source="get_category_display", read_only=True)
    unit_display = serializers.SerializerMethodField(help_text="中文单位")

    class Meta:
        model = Indicator
        fields = [
            "code",
            "category",
            "category_display",
            "name_zh",
            "name_en",
            "unit",
            "unit_display",
            "kind",
            "direction",
            "aggregation",
            "min_value",
            "max_value",
            "note",
        ]

    def get_unit_display(self, obj: Indicator) -> str:
        return unit_zh(obj.unit)


class EvidenceSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()
    uploaded_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Evidence
        fields = [
            "id",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, obj: Evidence) -> str:
        return reverse("entry:evidence", args=[obj.pk], request=self.context.get("request"))


class FigureSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name", read_only=True)
    indicator = serializers.SlugRelatedField(slug_field="code", read_only=True)
    indicator_name = serializers.CharField(source="indicator.name_zh", read_only=True)
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    entered_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Figure
        fields = [
            "id",
            "region",
            "region_name",
            "indicator",
            "indicator_name",
            "unit",
            "year",
            "value",
            "reported_value",
            "verified_value",
            "status",
            "status_display",
            "note",
            "source",
            "source_ref",
            "return_reason",
            "adjust_reason",
            "entered_by",
            "approved_by",
            "submitted_at",
            "approved_at",
            "updated_at",
            "version",
            "evidence",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.DECIMAL)
class ValueField(serializers.Field):
    """A number or numeric string; validated by services.clean_value (messages in the request's language)."""

    def to_internal_value(self, data):
        if isinstance(data, (dict, list)):
            raise serializers.ValidationError(_("须为数字"))
        return data

    def to_representation(self, value):
        return str(value)


class FigureCreateSerializer(serializers.Serializer):
    region = serializers.CharField(max_length=6, help_text="地区代码（6 位）")
    indicator = serializers.CharField(max_length=40, help_text="指标代码")
    year = serializers.IntegerField()
    value = ValueField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class FigureUpdateSerializer(serializers.Serializer):
    value = ValueField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    version = serializers.IntegerField(min_value=0, help_text="读取时的版本号；与当前版本不同则返回 409")


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=0, help_text="读取时的版本号；与当前版本不同则返回 409")


class ApproveSerializer(VersionSerializer):
    verified_value = ValueField(required=False, allow_null=True, help_text="核定值；省略则按填报值审核通过")
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="核定值与填报值不同时必填"
    )


class ReasonSerializer(VersionSerializer):
    reason = serializers.CharField(max_length=1000, help_text="原因（必填）")


class BulkItemSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1, max_value=2**63 - 1)  # beyond bigint: a 400, not a 500
    version = serializers.IntegerField(min_value=0)


class BulkApproveSerializer(serializers.Serializer):
    items = BulkItemSerializer(many=True, allow_empty=False)


class BulkReturnSerializer(BulkApproveSerializer):
    reason = serializers.CharField(max_length=1000)


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField()


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class HistoryEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateTimeField()
    user = serializers.CharField()
    kind = serializers.CharField()
    reason = serializers.CharField()
    version = serializers.IntegerField()
    changes = HistoryChangeSerializer(many=True)


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False)
    current = FigureSerializer(required=False)
