"""Admin for the awards app.

The registry and the rounds are maintained on their own pages (which run the
services: permission checks, recompute of derived figures, stage rules), so
here they are read-only and scoped to the regions the policy lets a user read.
Award types are the national catalogue: superusers edit their validity and
indicator through `award_type_update`.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from accounts import policy
from awards.models import (
    Application,
    AwardType,
    Enterprise,
    Grant,
    Objection,
    QualityAwardRound,
    RoundCategory,
)
from awards.services import award_type_update


class ReadOnlyScopedAdmin(admin.ModelAdmin):
    """Read-only, and only rows in regions the user may read (`region_path` lookup)."""

    region_path = "region__path"

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        home = policy.user_region(request.user)
        if home is None:
            return qs.none()
        return qs.filter(**{f"{self.region_path}__startswith": home.path})

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff


@admin.register(AwardType)
class AwardTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "kind", "tier", "validity_years", "indicator"]
    list_filter = ["level", "kind", "tier"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "level", "kind", "tier", "validity_years", "indicator", "note"]
    readonly_fields = ["code", "name", "level", "kind", "tier", "note"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def save_model(self, request: HttpRequest, obj: AwardType, form, change: bool) -> None:
        award_type_update(
            user=request.user,
            award_type=AwardType.objects.get(pk=obj.pk),
            validity_years=form.cleaned_data["validity_years"],
            indicator=form.cleaned_data["indicator"],
        )


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyScopedAdmin, SimpleHistoryAdmin):
    list_display = ["name", "credit_code", "region", "industry"]
    list_filter = ["industry"]
    search_fields = ["name", "credit_code"]
    list_select_related = ["region"]


@admin.register(Grant)
class GrantAdmin(ReadOnlyScopedAdmin, SimpleHistoryAdmin):
    region_path = "enterprise__region__path"
    list_display = ["award_type", "name", "enterprise", "year_granted", "valid_until", "revoked_on"]
    list_filter = ["award_type__level", "award_type"]
    search_fields = ["name", "enterprise__name", "enterprise__credit_code", "certificate_no"]
    list_select_related = ["award_type", "enterprise"]


class RoundCategoryInline(admin.TabularInline):
    model = RoundCategory
    extra = 0


@admin.register(QualityAwardRound)
class QualityAwardRoundAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "region", "year", "accepting_applications"]
    inlines = [RoundCategoryInline]


@admin.register(Application)
class ApplicationAdmin(ReadOnlyScopedAdmin):
    region_path = "round__region__path"
    list_display = ["applicant_name", "category", "round", "stage", "notice_start", "notice_end"]
    list_filter = ["stage", "category"]
    search_fields = ["applicant_name", "enterprise__name"]

    def get_queryset(self, request: HttpRequest):
        # Applications are private to the bureau running the round until the notice.
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        allowed = policy.regions_for(request.user, policy.Action.RUN_AWARD_ROUND)
        return qs.filter(round__region__in=allowed)


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyScopedAdmin):
    region_path = "application__round__region__path"
    list_display = ["application", "received_on", "outcome", "decided_on"]
    list_filter = ["outcome"]

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        allowed = policy.regions_for(request.user, policy.Action.RUN_AWARD_ROUND)
        return qs.filter(application__round__region__in=allowed)
