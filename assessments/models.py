"""The annual assessment cycle (年度考核) of the regions directly below a city or province.

An Assessment is (assessing region, scheme, year). It moves through six stages
in order — 目标备案 (target filing) -> 自评 (self-assessment) -> 材料审核
(document review) -> 现场核查 (on-site verification) -> 综合评定 (final) ->
通报 (publication) — and each covered county (AssessmentRegion) moves through
the same stages at its own pace. Every move is a StageTransition row (who,
when, from, to, late or not). Publishing copies the live scores of the covered
regions into PublishedRegionScore / PublishedTargetScore under a version number,
so later re-scoring never changes what was published; reopening (admin, with a
reason) and republishing creates the next version and keeps the earlier ones.

Models hold data and constraints only; every write goes through services.py.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from indicators.models import (
    VALUE_DIGITS,
    VALUE_PLACES,
    Basis,
    Indicator,
    QualitativeItem,
    Region,
    ScoringScheme,
    TargetScore,
)


class Stage(models.TextChoices):
    FILING = "filing", _("目标备案")
    SELF = "self", _("自评")
    REVIEW = "review", _("材料审核")
    VERIFICATION = "verification", _("现场核查")
    FINAL = "final", _("综合评定")
    PUBLISHED = "published", _("通报")


STAGE_ORDER: list[str] = list(Stage.values)


def stage_index(stage: str) -> int:
    return STAGE_ORDER.index(stage)


class Assessment(models.Model):
    """One year's assessment of the regions directly below `assessing_region`."""

    name = models.CharField(_("考核名称"), max_length=120)
    assessing_region = models.ForeignKey(
        Region, verbose_name=_("考核组织地区"), on_delete=models.PROTECT, related_name="assessments"
    )
    scheme = models.ForeignKey(ScoringScheme, verbose_name=_("评分方案"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("考核年度"))
    # 考核周期: by default 1 July of the year to 30 June of the next (services.default_window).
    window_start = models.DateField(_("考核周期开始"))
    window_end = models.DateField(_("考核周期结束"))
    stage = models.CharField(_("当前阶段"), max_length=12, choices=Stage.choices, default=Stage.FILING)
    version = models.PositiveIntegerField(_("已发布版本"), default=0, help_text=_("0 表示尚未发布"))
    signed_off_at = models.DateTimeField(_("签批时间"), null=True, blank=True)
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签批人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Inputs hash of the verified scoring run that was signed off: publishing refuses
    # results whose inputs changed after sign-off.
    signed_off_hash = models.CharField(_("签批时输入摘要"), max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("年度考核")
        verbose_name_plural = _("年度考核")
        ordering = ["-year", "assessing_region__code"]
        constraints = [
            # One cycle per assessing region and year: two would freeze the same data twice.
            models.UniqueConstraint(
                fields=["assessing_region", "year"], name="assessment_unique_region_year"
            ),
            models.CheckConstraint(condition=Q(stage__in=STAGE_ORDER), name="assessment_stage_valid"),
            models.CheckConstraint(
                condition=Q(window_start__lt=models.F("window_end")), name="assessment_window_ordered"
            ),
        ]
        indexes = [
            # freeze.ensure_not_frozen: published assessments of one year.
            models.Index(fields=["stage", "year"], name="assessment_stage_year_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_published(self) -> bool:
        return self.stage == Stage.PUBLISHED

    @property
    def is_reopened(self) -> bool:
        return self.version > 0 and self.stage != Stage.PUBLISHED


class StageDeadline(models.Model):
    """The last day of one stage; a county's submission after it is marked late."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("考核"), on_delete=models.CASCADE, related_name="deadlines"
    )
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices)
    due_date = models.DateField(_("截止日期"))

    class Meta:
        verbose_name = _("阶段截止日期")
        verbose_name_plural = _("阶段截止日期")
        ordering = ["assessment", "due_date"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "stage"], name="stage_deadline_unique"),
            models.CheckConstraint(condition=Q(stage__in=STAGE_ORDER), name="stage_deadline_stage_valid"),
        ]

    def __str__(self) -> str:
        return gettext("%(stage)s 截止 %(date)s") % {"stage": self.get_stage_display(), "date": self.due_date}


class VerificationGroup(models.Model):
    """现场核查组: a named list of reviewers who verify the counties assigned to it."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("考核"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("核查组名称"), max_length=60)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("带队领导"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("组员"), related_name="verification_groups", blank=True
    )

    class Meta:
        verbose_name = _("现场核查组")
        verbose_name_plural = _("现场核查组")
        ordering = ["assessment", "name"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "name"], name="verification_group_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class AssessmentRegion(models.Model):
    """One covered county's progress through the stages (its row on the stage board)."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("考核"), on_delete=models.CASCADE, related_name="covered"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("被考核地区"), on_delete=models.PROTECT, related_name="assessment_rows"
    )
    stage = models.CharField(_("所处阶段"), max_length=12, choices=Stage.choices, default=Stage.FILING)
    group = models.ForeignKey(
        VerificationGroup,
        verbose_name=_("现场核查组"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="counties",
    )
    filed_at = models.DateTimeField(_("目标备案提交时间"), null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("备案人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    filing_late = models.BooleanField(_("备案逾期"), default=False)
    targets_accepted_at = models.DateTimeField(_("备案接受时间"), null=True, blank=True)
    targets_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("备案接受人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    self_submitted_at = models.DateTimeField(_("自评提交时间"), null=True, blank=True)
    self_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("自评提交人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    self_late = models.BooleanField(_("自评逾期"), default=False)
    # 自评报告: the county's self-assessment report (PDF or Office), stored under its SHA-256.
    self_report = models.FileField(_("自评报告"), upload_to="assessment-reports/", blank=True)
    self_report_name = models.CharField(_("自评报告原文件名"), max_length=255, blank=True)
    review_passed_at = models.DateTimeField(_("材料审核通过时间"), null=True, blank=True)
    review_passed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("材料审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    returns_count = models.PositiveIntegerField(_("退回次数"), default=0)
    return_reason = models.TextField(_("最近退回原因"), blank=True)
    verified_at = models.DateTimeField(_("现场核查完成时间"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核查完成确认人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("被考核地区进度")
        verbose_name_plural = _("被考核地区进度")
        ordering = ["assessment", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "region"], name="assessment_region_unique"),
            models.CheckConstraint(condition=Q(stage__in=STAGE_ORDER), name="assessment_region_stage_valid"),
        ]
        indexes = [
            # freeze: "is this region covered by a published assessment?"
            models.Index(fields=["region", "assessment"], name="assessment_region_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} · {self.region.name}"


class StageTransition(models.Model):
    """One move between stages: of the whole assessment (region empty) or of one county."""

    class Kind(models.TextChoices):
        ADVANCE = "advance", _("进入下一阶段")
        FILE = "file", _("提交目标备案")
        ACCEPT = "accept", _("接受目标备案")
        RETURN_FILING = "return_filing", _("退回目标备案")
        SUBMIT_SELF = "submit_self", _("提交自评")
        REVIEW_PASS = "review_pass", _("材料审核通过")
        REVIEW_RETURN = "review_return", _("退回补充材料")
        VERIFY_DONE = "verify_done", _("现场核查完成")
        SIGN_OFF = "sign_off", _("综合评定签批")
        PUBLISH = "publish", _("发布通报")
        REOPEN = "reopen", _("重新开启")

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("考核"), on_delete=models.CASCADE, related_name="transitions"
    )
    region = models.ForeignKey(
        Region, verbose_name=_("地区"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("操作"), max_length=16, choices=Kind.choices)
    from_stage = models.CharField(_("原阶段"), max_length=12, choices=Stage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=12, choices=Stage.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    by_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    reason = models.TextField(_("原因或说明"), blank=True)
    late = models.BooleanField(_("逾期"), default=False)
    days_late = models.PositiveIntegerField(_("逾期天数"), default=0)

    class Meta:
        verbose_name = _("阶段流转记录")
        verbose_name_plural = _("阶段流转记录")
        ordering = ["assessment", "at", "id"]
        indexes = [models.Index(fields=["assessment", "at"], name="stage_transition_at_idx")]

    def __str__(self) -> str:
        where = f" {self.region.name}" if self.region_id else ""
        return f"{self.assessment}{where}: {self.from_stage} -> {self.to_stage}"


class Finding(models.Model):
    """A verification group's finding for one indicator or one qualitative item of a county.

    The county's reported value (or self points) is copied here and kept; an
    adjustment stores the verified value with its reason and is applied to the
    figure (or item score) by services.finding_record.
    """

    assessment_region = models.ForeignKey(
        AssessmentRegion, verbose_name=_("被考核地区"), on_delete=models.CASCADE, related_name="findings"
    )
    group = models.ForeignKey(
        VerificationGroup, verbose_name=_("核查组"), null=True, blank=True, on_delete=models.SET_NULL
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), null=True, blank=True, on_delete=models.PROTECT
    )
    item = models.ForeignKey(
        QualitativeItem, verbose_name=_("定性评分项"), null=True, blank=True, on_delete=models.PROTECT
    )
    reported_value = models.DecimalField(
        _("填报值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    adjusted_value = models.DecimalField(
        _("核定值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    self_points = models.DecimalField(_("自评分"), max_digits=6, decimal_places=2, null=True, blank=True)
    verified_points = models.DecimalField(_("核定分"), max_digits=6, decimal_places=2, null=True, blank=True)
    adjusted = models.BooleanField(_("有调整"), default=False)
    reason = models.TextField(_("调整原因"), blank=True)
    note = models.TextField(_("核查意见"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("记录人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    history = HistoricalRecords(verbose_name=_("核查记录变更"))

    class Meta:
        verbose_name = _("现场核查记录")
        verbose_name_plural = _("现场核查记录")
        ordering = ["assessment_region", "indicator__sort_order", "item__sort_order"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(indicator__isnull=False) & Q(item__isnull=True))
                | (Q(indicator__isnull=True) & Q(item__isnull=False)),
                name="finding_one_subject",
            ),
            models.CheckConstraint(
                condition=~Q(adjusted=True) | ~Q(reason=""), name="finding_adjust_has_reason"
            ),
            models.UniqueConstraint(
                fields=["assessment_region", "indicator"],
                condition=Q(indicator__isnull=False),
                name="finding_unique_indicator",
            ),
            models.UniqueConstraint(
                fields=["assessment_region", "item"],
                condition=Q(item__isnull=False),
                name="finding_unique_item",
            ),
        ]

    def __str__(self) -> str:
        subject = self.indicator.code if self.indicator_id else (self.item.name if self.item_id else "?")
        return f"{self.assessment_region.region.name} {subject}"


class Publication(models.Model):
    """One published version of an assessment's results (通报), frozen as a snapshot."""

    assessment = models.ForeignKey(
        Assessment, verbose_name=_("考核"), on_delete=models.PROTECT, related_name="publications"
    )
    version = models.PositiveIntegerField(_("版本"))
    title = models.CharField(_("通报标题"), max_length=200)
    published_at = models.DateTimeField(_("发布时间"), default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("发布人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    inputs_hash = models.CharField(_("输入摘要"), max_length=64, blank=True)
    # Filled when an admin reopens the assessment after this version (the correction's reason).
    reopened_at = models.DateTimeField(_("重新开启时间"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("重新开启人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reopen_reason = models.TextField(_("重新开启原因"), blank=True)

    class Meta:
        verbose_name = _("考核通报")
        verbose_name_plural = _("考核通报")
        ordering = ["assessment", "version"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "version"], name="publication_unique_version"),
            models.CheckConstraint(condition=Q(version__gte=1), name="publication_version_positive"),
        ]

    def __str__(self) -> str:
        return gettext("%(title)s（第 %(version)s 版）") % {"title": self.title, "version": self.version}


class PublishedRegionScore(models.Model):
    """A frozen copy of one RegionScore row as published in one version."""

    publication = models.ForeignKey(
        Publication, verbose_name=_("通报"), on_delete=models.PROTECT, related_name="region_scores"
    )
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("年度"))
    basis = models.CharField(_("口径"), max_length=10, choices=Basis.choices)
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2)
    grade = models.CharField(_("等级"), max_length=1)
    rank = models.PositiveIntegerField(_("排名"))
    rank_of = models.PositiveIntegerField(_("参评数"))
    points = models.DecimalField(_("得分"), max_digits=12, decimal_places=4)
    max_points = models.DecimalField(_("满分"), max_digits=12, decimal_places=4)
    met = models.PositiveIntegerField(_("达标数"), default=0)
    not_met = models.PositiveIntegerField(_("未达标数"), default=0)
    missing = models.PositiveIntegerField(_("缺报数"), default=0)
    vetoed = models.BooleanField(_("一票否决"), default=False)

    class Meta:
        verbose_name = _("已发布地区得分")
        verbose_name_plural = _("已发布地区得分")
        ordering = ["publication", "basis", "rank", "region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "region", "basis"], name="published_region_score_unique"
            ),
            models.CheckConstraint(
                condition=Q(grade__in=["A", "B", "C", "D"]), name="published_region_score_grade_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year} {self.basis} {self.total} {self.grade}"


class PublishedTargetScore(models.Model):
    """A frozen copy of one TargetScore row as published in one version."""

    publication = models.ForeignKey(
        Publication, verbose_name=_("通报"), on_delete=models.PROTECT, related_name="target_scores"
    )
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    basis = models.CharField(_("口径"), max_length=10, choices=Basis.choices)
    actual = models.DecimalField(
        _("实际值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    target = models.DecimalField(_("目标值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    comparator = models.CharField(_("比较"), max_length=2)
    completion = models.DecimalField(_("完成率"), max_digits=14, decimal_places=6, null=True, blank=True)
    points = models.DecimalField(_("得分"), max_digits=10, decimal_places=4)
    weight = models.DecimalField(_("权重"), max_digits=8, decimal_places=4)
    status = models.CharField(_("状态"), max_length=8, choices=TargetScore.Status.choices)
    veto = models.BooleanField(_("一票否决"), default=False)

    class Meta:
        verbose_name = _("已发布指标得分")
        verbose_name_plural = _("已发布指标得分")
        ordering = ["publication", "region__code", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "region", "indicator", "basis"], name="published_target_score_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.indicator.code} {self.year} {self.points}"


class FrozenAttempt(models.Model):
    """Audit row of a write refused because its data feeds a published assessment."""

    class Channel(models.TextChoices):
        PAGE = "page", _("页面")
        API = "api", _("接口")
        ADMIN = "admin", _("管理后台")
        COMMAND = "command", _("命令或后台任务")

    uid = models.UUIDField(_("编号"), default=uuid.uuid4, unique=True, editable=False)
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("用户"), null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(_("用户名"), max_length=150, blank=True)
    channel = models.CharField(_("途径"), max_length=8, choices=Channel.choices)
    path = models.CharField(_("请求地址"), max_length=300, blank=True)
    region = models.ForeignKey(
        Region, verbose_name=_("地区"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    what = models.CharField(_("尝试的操作"), max_length=300)
    assessment = models.ForeignKey(
        Assessment, verbose_name=_("考核"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("冻结数据修改尝试")
        verbose_name_plural = _("冻结数据修改尝试")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username or gettext('系统')} {self.what}"
