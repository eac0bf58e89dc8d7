from django.contrib import admin
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from assessments.admin_guard import FrozenGuardAdminMixin
from indicators.models import (
    Evidence,
    Figure,
    Indicator,
    ItemScore,
    Plan,
    QualitativeItem,
    Region,
    RegionScore,
    ReportingPeriod,
    ScoreRun,
    ScoringScheme,
    Target,
    TargetScore,
)
from quality_city.admin import ReadOnlyAdmin


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "longitude", "latitude"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    list_select_related = ["parent"]
    autocomplete_fields = ["parent"]


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_zh",
        "category",
        "unit",
        "kind",
        "direction",
        "aggregation",
        "min_value",
        "max_value",
    ]
    list_filter = ["category", "kind", "direction", "aggregation"]
    search_fields = ["code", "name_zh", "name_en"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    readonly_fields = ["original_name", "content_type", "size", "sha256", "uploaded_by", "uploaded_at"]


@admin.register(Figure)
class FigureAdmin(FrozenGuardAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "region",
        "indicator",
        "year",
        "value",
        "reported_value",
        "verified_value",
        "status",
        "source",
    ]
    list_filter = ["status", "source", "year", "indicator__category"]
    search_fields = ["region__name", "region__code", "indicator__code", "indicator__name_zh"]
    list_select_related = ["region", "indicator"]
    autocomplete_fields = ["region", "indicator", "entered_by", "approved_by"]
    readonly_fields = ["created_at", "updated_at", "version"]
    inlines = [EvidenceInline]


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    autocomplete_fields = ["region", "indicator"]


@admin.register(Plan)
class PlanAdmin(FrozenGuardAdminMixin, admin.ModelAdmin):
    list_display = ["name", "region", "base_year", "start_year", "end_year", "document"]
    search_fields = ["name", "region__name"]
    autocomplete_fields = ["region"]
    inlines = [TargetInline]
    actions = ["generate_milestones"]

    @admin.action(description=_("生成年度分解目标（按基期实际值线性插值，保留已有目标）"))
    def generate_milestones(self, request, queryset):
        from accounts import policy
        from accounts.policy import Action
        from indicators.targets import plan_generate_milestones

        for plan in queryset.select_related("region"):
            if not policy.can(request.user, Action.MANAGE, plan.region):
                self.message_user(request, gettext("无权管理“%(plan)s”") % {"plan": plan.name}, level="error")
                continue
            result = plan_generate_milestones(plan=plan)
            self.message_user(
                request, gettext("%(plan)s：%(result)s") % {"plan": plan.name, "result": result}
            )


@admin.register(Target)
class TargetAdmin(FrozenGuardAdminMixin, SimpleHistoryAdmin):
    list_display = [
        "region",
        "indicator",
        "year",
        "comparator",
        "value",
        "weight",
        "rule",
        "veto",
        "is_milestone",
        "plan",
    ]
    list_filter = ["year", "rule", "veto", "is_milestone", "plan"]
    search_fields = ["region__name", "region__code", "indicator__code"]
    list_select_related = ["region", "indicator", "plan"]
    autocomplete_fields = ["region", "indicator", "plan"]


class QualitativeItemInline(admin.TabularInline):
    model = QualitativeItem
    extra = 0


@admin.register(ScoringScheme)
class ScoringSchemeAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "grade_a_min", "grade_b_min", "grade_c_min", "cap", "default_rule"]
    inlines = [QualitativeItemInline]


@admin.register(QualitativeItem)
class QualitativeItemAdmin(admin.ModelAdmin):
    list_display = ["scheme", "code", "name", "max_points"]
    list_filter = ["scheme"]


@admin.register(ItemScore)
class ItemScoreAdmin(FrozenGuardAdminMixin, SimpleHistoryAdmin):
    list_display = ["region", "year", "item", "self_points", "verified_points"]
    list_filter = ["year", "item__scheme"]
    autocomplete_fields = ["region"]


# Runs and their scores are written by the scoring service only (indicators.scoring_service):
# the admin shows them. An edited score or a deleted run would break the audit trail
# that rankings and published assessments rest on.
@admin.register(ScoreRun)
class ScoreRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "year",
        "region",
        "basis",
        "trigger",
        "status",
        "region_rows",
        "target_rows",
        "inputs_hash",
    ]
    list_filter = ["status", "basis", "year"]


@admin.register(RegionScore)
class RegionScoreAdmin(ReadOnlyAdmin):
    list_display = ["region", "year", "basis", "total", "grade", "rank", "rank_of", "vetoed"]
    list_filter = ["year", "basis", "grade"]
    search_fields = ["region__name", "region__code"]
    list_select_related = ["region"]


@admin.register(TargetScore)
class TargetScoreAdmin(ReadOnlyAdmin):
    list_display = [
        "region",
        "indicator",
        "year",
        "basis",
        "actual",
        "target",
        "completion",
        "points",
        "status",
    ]
    list_filter = ["year", "basis", "status"]
    search_fields = ["region__name", "indicator__code"]
    list_select_related = ["region", "indicator"]


@admin.register(ReportingPeriod)
class ReportingPeriodAdmin(admin.ModelAdmin):
    list_display = ["region", "year", "deadline"]
    autocomplete_fields = ["region"]
