"""User profiles: the one region a user belongs to and the roles they hold."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STAFF = "staff", _("填报员")
    REVIEWER = "reviewer", _("审核员")
    LEADER = "leader", _("领导")
    ADMIN = "admin", _("管理员")


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("用户"),
        on_delete=models.CASCADE,
        related_name="profile",
    )
    region = models.ForeignKey(
        "indicators.Region",
        verbose_name=_("所属地区"),
        on_delete=models.PROTECT,
        related_name="profiles",
    )
    roles = models.JSONField(_("角色"), default=list, help_text=_("staff / reviewer / leader / admin"))
    phone = models.CharField(_("电话"), max_length=30, blank=True)

    class Meta:
        verbose_name = _("用户档案")
        verbose_name_plural = _("用户档案")

    def __str__(self) -> str:
        return f"{self.user.get_username()}（{self.region.name}）"

    def clean(self) -> None:
        valid = set(Role.values)
        if not isinstance(self.roles, list) or not all(r in valid for r in self.roles):
            raise ValidationError(
                {"roles": gettext("角色须为 %(roles)s 中的一个或多个") % {"roles": ", ".join(Role.values)}}
            )

    def has_role(self, role: str) -> bool:
        return role in self.roles
