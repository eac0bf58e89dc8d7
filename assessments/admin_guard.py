"""The freeze guard for the Django admin (FigureAdmin, TargetAdmin, ItemScoreAdmin, PlanAdmin).

Mixed in before the admin base class, it refuses — through
freeze.ensure_none_frozen, so the attempt is logged and audited — every admin
save, delete, bulk delete, history revert (simple_history calls save_model)
and inline change of a row whose (region, year) feeds a published assessment.
For a change the row's stored (region, year) is checked as well as the new
one, so a frozen row cannot be moved out of the frozen scope either.
The refusal is a PermissionDenied: the admin answers with the 403 page and
the freeze message (in the admin's language), and the admin's transaction
writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from assessments.freeze import ensure_none_frozen


def _pair(obj: Any) -> tuple[int, int] | None:
    """(region_id, year) of a Figure, Target, ItemScore, or of an Evidence's figure."""
    if getattr(obj, "region_id", None) is not None and getattr(obj, "year", None) is not None:
        return int(obj.region_id), int(obj.year)
    figure_id = getattr(obj, "figure_id", None)
    if figure_id is not None:
        from indicators.models import Figure

        row = Figure.objects.filter(pk=figure_id).values_list("region_id", "year").first()
        return (int(row[0]), int(row[1])) if row else None
    return None


def _stored_pair(obj: Any) -> tuple[int, int] | None:
    if obj.pk is None:
        return None
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    return _pair(stored) if stored is not None else None


class FrozenGuardAdminMixin:
    """Refuse admin writes to data frozen by a published assessment."""

    def _guard(self, request, objects: list[Any], verb: str) -> None:
        pairs = set()
        for obj in objects:
            for pair in (_pair(obj), _stored_pair(obj)):
                if pair is not None:
                    pairs.add(pair)
        if pairs:
            # The audit row's `what` is stored, so it is Chinese whatever the admin's language.
            with translation.override(settings.LANGUAGE_CODE):
                label = str(self.model._meta.verbose_name)  # type: ignore[attr-defined]
            names = "、".join(str(o) for o in objects[:3]) + ("等" if len(objects) > 3 else "")
            ensure_none_frozen(pairs=pairs, what=f"管理后台{verb}{label}：{names}"[:300], user=request.user)

    def save_model(self, request, obj, form, change):
        self._guard(request, [obj], "修改" if change else "新增")
        return super().save_model(request, obj, form, change)  # type: ignore[misc]

    def delete_model(self, request, obj):
        self._guard(request, [obj], "删除")
        return super().delete_model(request, obj)  # type: ignore[misc]

    def delete_queryset(self, request, queryset):
        self._guard(request, list(queryset), "批量删除")
        return super().delete_queryset(request, queryset)  # type: ignore[misc]

    def save_formset(self, request, form, formset, change):
        touched = [
            f.instance
            for f in formset.forms
            if f.has_changed() or (formset.can_delete and formset._should_delete_form(f))
        ]
        if touched:
            self._guard(request, touched, "修改")
        return super().save_formset(request, form, formset, change)  # type: ignore[misc]
