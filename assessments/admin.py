"""Admin of the assessment app: mostly read-only audit views.

Stages, findings, groups and publications change only through services.py (the
pages and the API), so that every move is logged and every rule applies; the
admin shows them. Published snapshots and the frozen-attempt audit trail can
never be edited or deleted here.
"""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import (
    Assessment,
    AssessmentRegion,
    Finding,
    FrozenAttempt,
    Publication,
    PublishedRegionScore,
    PublishedTargetScore,
    StageDeadline,
    StageTransition,
    VerificationGroup,
)
from quality_city.admin import ReadOnlyAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DeadlineInline(admin.TabularInline):
    model = StageDeadline
    extra = 0


class CoveredInline(ReadOnlyInline):
    model = AssessmentRegion
    fields = ["region", "stage", "group", "filing_late", "self_late", "returns_count"]
    readonly_fields = fields


@admin.register(Assessment)
class AssessmentAdmin(admin.ModelAdmin):
    list_display = ["name", "assessing_region", "year", "stage", "version", "signed_off_at"]
    list_filter = ["stage", "year"]
    search_fields = ["name", "assessing_region__name", "assessing_region__code"]
    list_select_related = ["assessing_region"]
    # Stage, version and sign-off move only through services (logged, rule-checked).
    readonly_fields = [
        "assessing_region",
        "scheme",
        "year",
        "stage",
        "version",
        "signed_off_at",
        "signed_off_by",
        "signed_off_hash",
        "created_by",
        "created_at",
        "updated_at",
    ]
    inlines = [DeadlineInline, CoveredInline]

    def has_add_permission(self, request):
        return False  # created on the assessment page (covered regions, deadlines, checks)

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.version == 0


@admin.register(StageTransition)
class StageTransitionAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "assessment",
        "region",
        "kind",
        "from_stage",
        "to_stage",
        "by_name",
        "late",
        "days_late",
    ]
    list_filter = ["kind", "late"]
    list_select_related = ["assessment", "region"]


@admin.register(VerificationGroup)
class VerificationGroupAdmin(ReadOnlyAdmin):
    list_display = ["name", "assessment", "leader"]
    filter_horizontal = ["members"]


@admin.register(Finding)
class FindingAdmin(SimpleHistoryAdmin, ReadOnlyAdmin):
    list_display = [
        "assessment_region",
        "indicator",
        "item",
        "reported_value",
        "adjusted_value",
        "self_points",
        "verified_points",
        "adjusted",
        "recorded_by",
        "recorded_at",
    ]
    list_filter = ["adjusted"]


class PublishedRegionInline(ReadOnlyInline):
    model = PublishedRegionScore
    fields = ["region", "basis", "total", "grade", "rank", "rank_of", "vetoed"]
    readonly_fields = fields


@admin.register(Publication)
class PublicationAdmin(ReadOnlyAdmin):
    list_display = ["assessment", "version", "title", "published_at", "published_by", "reopened_at"]
    inlines = [PublishedRegionInline]


@admin.register(PublishedRegionScore)
class PublishedRegionScoreAdmin(ReadOnlyAdmin):
    list_display = ["publication", "region", "basis", "total", "grade", "rank", "rank_of"]
    list_filter = ["basis", "grade"]
    list_select_related = ["publication", "region"]


@admin.register(PublishedTargetScore)
class PublishedTargetScoreAdmin(ReadOnlyAdmin):
    list_display = ["publication", "region", "indicator", "basis", "actual", "target", "points", "status"]
    list_filter = ["basis", "status"]
    list_select_related = ["publication", "region", "indicator"]


@admin.register(FrozenAttempt)
class FrozenAttemptAdmin(ReadOnlyAdmin):
    list_display = ["at", "username", "channel", "what", "region", "year", "assessment"]
    list_filter = ["channel", "year"]
    search_fields = ["username", "what"]
