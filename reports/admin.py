from django.contrib import admin

from accounts import policy
from accounts.policy import Action
from reports.models import ReportArtifact


@admin.register(ReportArtifact)
class ReportArtifactAdmin(admin.ModelAdmin):
    """Read-only archive: artefacts are written by the report service only."""

    list_display = (
        "pk",
        "kind",
        "fmt",
        "region",
        "year",
        "basis",
        "status",
        "progress",
        "requested_by",
        "requested_at",
    )
    list_filter = ("kind", "fmt", "status", "basis", "year")
    search_fields = ("region__code", "region__name", "sha256", "inputs_hash")
    list_select_related = ("region", "requested_by")
    date_hierarchy = "requested_at"

    def get_queryset(self, request):
        # The admin asks the same policy as the pages: only regions the user may export.
        return (
            super().get_queryset(request).filter(region__in=policy.regions_for(request.user, Action.EXPORT))
        )

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is not None and not policy.can(request.user, Action.EXPORT, obj.region):
            return False
        return super().has_view_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
