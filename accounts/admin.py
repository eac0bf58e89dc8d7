from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.utils.translation import gettext_lazy as _

from accounts.models import Profile, Role


class ProfileForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        label=_("角色"), choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = Profile
        fields = ["region", "roles", "phone"]


class ProfileInline(admin.StackedInline):
    model = Profile
    form = ProfileForm
    can_delete = False
    autocomplete_fields = ["region"]
    verbose_name = _("用户档案")


admin.site.unregister(User)


@admin.register(User)
class QualityUserAdmin(UserAdmin):
    inlines = [ProfileInline]
    list_display = ["username", "first_name", "last_name", "region_name", "role_names", "is_active"]
    list_select_related = ["profile__region"]

    @admin.display(description=_("所属地区"))
    def region_name(self, obj: User) -> str:
        profile = getattr(obj, "profile", None)
        return profile.region.name if profile else "—"

    @admin.display(description=_("角色"))
    def role_names(self, obj: User) -> str:
        profile = getattr(obj, "profile", None)
        labels = dict(Role.choices)
        return "、".join(str(labels[r]) for r in profile.roles) if profile else "—"


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    form = ProfileForm
    list_display = ["user", "region", "roles"]
    list_select_related = ["user", "region"]
    autocomplete_fields = ["region", "user"]
    search_fields = ["user__username", "region__name", "region__code"]
