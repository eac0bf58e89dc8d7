"""Awards registry and the mayor's quality award (市长质量奖).

- Enterprise: a holder of brands and awards, identified by its unified social
  credit code (统一社会信用代码, GB 32100-2015), located in a region.
- AwardType: a kind of brand or award (中国名牌产品, 省著名商标, 市政府质量奖 ...)
  with its level, validity in years and the indicator it counts toward.
- Grant: one award held by one enterprise, valid from the year granted to
  `valid_until` unless revoked. Brand-count figures are derived from grants.
- QualityAwardRound / RoundCategory / Application / ReviewAssignment /
  CategoryScore / Objection: one round of the municipal quality award scored on
  the GB/T 19580 categories (卓越绩效评价准则).

The models hold data, constraints and display helpers; every rule that changes
data lives in services.py (registry, derived figures) and rounds.py (rounds).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from awards.credit_code import validate_credit_code

YEAR_MIN = settings.QC_YEAR_MIN
YEAR_MAX = settings.QC_YEAR_MAX


class Enterprise(models.Model):
    """An enterprise, institution or social organisation that holds brands or applies for awards."""

    class Industry(models.TextChoices):
        # GB/T 4754-2017 国民经济行业分类, sections (门类).
        A = "A", _("农、林、牧、渔业")
        B = "B", _("采矿业")
        C = "C", _("制造业")
        D = "D", _("电力、热力、燃气及水生产和供应业")
        E = "E", _("建筑业")
        F = "F", _("批发和零售业")
        G = "G", _("交通运输、仓储和邮政业")
        H = "H", _("住宿和餐饮业")
        I = "I", _("信息传输、软件和信息技术服务业")  # noqa: E741 — the standard's own letter
        J = "J", _("金融业")
        K = "K", _("房地产业")
        L = "L", _("租赁和商务服务业")
        M = "M", _("科学研究和技术服务业")
        N = "N", _("水利、环境和公共设施管理业")
        O = "O", _("居民服务、修理和其他服务业")  # noqa: E741
        P = "P", _("教育")
        Q = "Q", _("卫生和社会工作")
        R = "R", _("文化、体育和娱乐业")
        S = "S", _("公共管理、社会保障和社会组织")
        T = "T", _("国际组织")

    name = models.CharField(_("单位名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        validators=[validate_credit_code],
        help_text=_("18 位，按 GB 32100-2015 校验"),
    )
    region = models.ForeignKey(
        "indicators.Region", verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="+"
    )
    industry = models.CharField(_("行业门类"), max_length=1, choices=Industry.choices, blank=True)
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("企业变更记录"))

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], name="enterprise_unique_credit_code"),
        ]
        indexes = [
            # The enterprise list filters a region's subtree and sorts by name.
            models.Index(fields=["region", "name"], name="enterprise_region_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class AwardType(models.Model):
    """A kind of brand or award, loaded from fixtures/award_types.csv (validity editable)."""

    class Level(models.TextChoices):
        NATIONAL = "national", _("国家级")
        PROVINCIAL = "provincial", _("省级")
        MUNICIPAL = "municipal", _("市级")

    class Kind(models.TextChoices):
        PRODUCT_BRAND = "product_brand", _("名牌产品")
        QUALITY_PRODUCT = "quality_product", _("优质产品")
        SERVICE_BRAND = "service_brand", _("服务名牌")
        TRADEMARK = "trademark", _("商标")
        GEOGRAPHICAL_INDICATION = "gi", _("地理标志")
        TIME_HONOURED = "time_honoured", _("老字号")
        QUALITY_AWARD = "quality_award", _("政府质量奖")
        ENGINEERING = "engineering", _("工程质量奖")

    class Tier(models.TextChoices):
        # Government quality awards come as organisation, individual and nomination prizes.
        NONE = "", _("—")
        ORGANISATION = "organisation", _("组织奖")
        INDIVIDUAL = "individual", _("个人奖")
        NOMINATION = "nomination", _("提名奖")

    code = models.CharField(_("类型代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    level = models.CharField(_("级别"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    tier = models.CharField(_("奖项等次"), max_length=12, choices=Tier.choices, blank=True, default="")
    validity_years = models.PositiveSmallIntegerField(
        _("有效期（年）"), null=True, blank=True, help_text=_("空表示长期有效")
    )
    indicator = models.ForeignKey(
        "indicators.Indicator",
        verbose_name=_("计入指标"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("有效期内的授予数计入该指标的系统推导值；空表示不计入指标"),
    )
    sort_order = models.PositiveIntegerField(_("排序"), default=0)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("奖项类型")
        verbose_name_plural = _("奖项类型")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_years__isnull=True) | Q(validity_years__gt=0),
                name="award_type_validity_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def default_valid_until(self, year_granted: int) -> int | None:
        """Last year of validity for a grant of this type made in `year_granted`."""
        if self.validity_years is None:
            return None
        return year_granted + self.validity_years - 1


class Grant(models.Model):
    """One brand or award held by one enterprise (授予记录).

    Valid at the end of year Y when granted in or before Y, `valid_until` is
    empty or not before Y, and it was not revoked on or before 31 December of Y
    (selectors.valid_in_year is the one definition).
    """

    award_type = models.ForeignKey(
        AwardType, verbose_name=_("奖项类型"), on_delete=models.PROTECT, related_name="grants"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("企业"), on_delete=models.PROTECT, related_name="grants"
    )
    name = models.CharField(_("产品、品牌或获奖者名称"), max_length=200)
    year_granted = models.PositiveSmallIntegerField(_("获得年度"))
    valid_until = models.PositiveSmallIntegerField(
        _("有效期至（年）"), null=True, blank=True, help_text=_("含该年；空表示长期有效")
    )
    certificate_no = models.CharField(_("证书或文件编号"), max_length=100, blank=True)
    revoked_on = models.DateField(_("撤销日期"), null=True, blank=True)
    revoke_reason = models.CharField(_("撤销原因"), max_length=300, blank=True)
    application = models.OneToOneField(
        "Application",
        verbose_name=_("来源申报"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grant",
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    history = HistoricalRecords(verbose_name=_("授予变更记录"))

    class Meta:
        verbose_name = _("品牌奖项授予")
        verbose_name_plural = _("品牌奖项授予")
        ordering = ["-year_granted", "award_type__sort_order", "enterprise__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["award_type", "enterprise", "name", "year_granted"], name="grant_unique_key"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("year_granted")),
                name="grant_valid_until_after_granted",
            ),
            models.CheckConstraint(
                condition=Q(year_granted__gte=YEAR_MIN) & Q(year_granted__lte=YEAR_MAX),
                name="grant_year_in_range",
            ),
            models.CheckConstraint(
                condition=(Q(revoked_on__isnull=True) & Q(revoke_reason=""))
                | (Q(revoked_on__isnull=False) & ~Q(revoke_reason="")),
                name="grant_revocation_has_reason",
            ),
        ]
        indexes = [
            # Derivation counts one type's grants valid in a year.
            models.Index(fields=["award_type", "year_granted"], name="grant_type_year_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.award_type.name} {self.name}（{self.year_granted}）"

    def is_valid_in(self, year: int) -> bool:
        """Valid at the end of `year` (the same rule as selectors.valid_in_year)."""
        if self.year_granted > year:
            return False
        if self.valid_until is not None and self.valid_until < year:
            return False
        return not (self.revoked_on is not None and self.revoked_on <= dt.date(year, 12, 31))

    @property
    def status_label(self) -> str:
        if self.revoked_on is not None:
            return str(_("已撤销"))
        if self.valid_until is not None and self.valid_until < timezone.localdate().year:
            return str(_("已过期"))
        return str(_("有效"))


# --- 市长质量奖 (municipal quality award) rounds ------------------------------------

# GB/T 19580-2012 卓越绩效评价准则: the seven categories and their points (total 1000).
DEFAULT_CATEGORIES: tuple[tuple[str, str, int], ...] = (
    ("leadership", "领导", 110),
    ("strategy", "战略", 90),
    ("customers_market", "顾客与市场", 90),
    ("resources", "资源", 130),
    ("process", "过程管理", 100),
    ("measurement", "测量、分析与改进", 80),
    ("results", "结果", 400),
)


class QualityAwardRound(models.Model):
    """One round (届) of a city's government quality award, e.g. 邢台市第三届市长质量奖."""

    region = models.ForeignKey(
        "indicators.Region", verbose_name=_("组织地区"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("名称"), max_length=100)
    year = models.PositiveSmallIntegerField(_("评审年度"))
    eligibility = models.TextField(_("申报条件"), blank=True)
    document_pass_mark = models.DecimalField(
        _("材料评审合格分"), max_digits=7, decimal_places=2, default=Decimal("500")
    )
    onsite_pass_mark = models.DecimalField(
        _("现场评审合格分"), max_digits=7, decimal_places=2, default=Decimal("550")
    )
    accepting_applications = models.BooleanField(_("受理申报"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("质量奖评审")
        verbose_name_plural = _("质量奖评审")
        ordering = ["-year", "region__code", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="award_round_unique_name"),
            models.CheckConstraint(
                condition=Q(document_pass_mark__gte=0) & Q(onsite_pass_mark__gte=0),
                name="award_round_pass_marks_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=YEAR_MIN) & Q(year__lte=YEAR_MAX), name="award_round_year_in_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def max_total(self) -> int:
        return sum(c.max_points for c in self.categories.all())


class RoundCategory(models.Model):
    """One scoring category of a round (GB/T 19580 by default; editable before scoring)."""

    round = models.ForeignKey(
        QualityAwardRound, verbose_name=_("评审"), on_delete=models.CASCADE, related_name="categories"
    )
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("评分类目"), max_length=60)
    max_points = models.PositiveIntegerField(_("满分"))
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("评分类目")
        verbose_name_plural = _("评分类目")
        ordering = ["round", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["round", "code"], name="round_category_unique_code"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="round_category_max_positive"),
        ]

    def __str__(self) -> str:
        return gettext("%(name)s（%(points)s分）") % {"name": self.name, "points": self.max_points}


class Stage(models.TextChoices):
    """Stages of an application; rounds.TRANSITIONS lists the legal moves."""

    SUBMITTED = "submitted", _("已申报")
    QUALIFICATION = "qualification", _("资格审查")
    DOCUMENT_REVIEW = "document_review", _("材料评审")
    ONSITE_REVIEW = "onsite_review", _("现场评审")
    PUBLIC_NOTICE = "public_notice", _("公示")
    AWARDED = "awarded", _("获奖")
    REJECTED = "rejected", _("未获奖")


SCORED_STAGES = (Stage.DOCUMENT_REVIEW, Stage.ONSITE_REVIEW)


class Application(models.Model):
    """An enterprise's (or one of its people's) application to a round."""

    class Category(models.TextChoices):
        ORGANISATION = "organisation", _("组织奖")
        INDIVIDUAL = "individual", _("个人奖")

    round = models.ForeignKey(
        QualityAwardRound, verbose_name=_("评审"), on_delete=models.PROTECT, related_name="applications"
    )
    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("申报单位"), on_delete=models.PROTECT, related_name="applications"
    )
    category = models.CharField(_("申报类别"), max_length=12, choices=Category.choices)
    applicant_name = models.CharField(
        _("申报名称或个人姓名"), max_length=100, help_text=_("组织奖填单位名称，个人奖填姓名")
    )
    contact = models.CharField(_("联系人及电话"), max_length=100, blank=True)
    stage = models.CharField(_("阶段"), max_length=16, choices=Stage.choices, default=Stage.SUBMITTED)
    stage_changed_at = models.DateTimeField(_("阶段变更时间"), auto_now_add=True)
    notice_start = models.DateField(_("公示开始日期"), null=True, blank=True)
    notice_end = models.DateField(_("公示结束日期"), null=True, blank=True)
    decision_note = models.TextField(_("处理意见"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("申报时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("质量奖申报")
        verbose_name_plural = _("质量奖申报")
        ordering = ["round", "category", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "enterprise", "category", "applicant_name"], name="application_unique"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=[s.value for s in Stage]), name="application_stage_valid"
            ),
            models.CheckConstraint(
                condition=Q(notice_start__isnull=True)
                | Q(notice_end__isnull=True)
                | Q(notice_end__gte=models.F("notice_start")),
                name="application_notice_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.applicant_name}（{self.get_category_display()}）"

    def published(self, today: dt.date | None = None) -> bool:
        """True once its public notice (公示) has begun: from then on it is public."""
        today = today or timezone.localdate()
        return self.notice_start is not None and self.notice_start <= today


def application_file_upload_to(instance: ApplicationFile, filename: str) -> str:
    # The stored name is the checksum, never the user's file name (no traversal).
    ext = "".join(c for c in filename.rsplit(".", 1)[-1].lower() if c.isalnum())[:8]
    return f"awards/{instance.sha256[:2]}/{instance.sha256}.{ext or 'bin'}"


class ApplicationFile(models.Model):
    """The self-assessment report (自评报告) or an evidence file of an application."""

    class Kind(models.TextChoices):
        REPORT = "report", _("自评报告")
        EVIDENCE = "evidence", _("证明材料")

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="files"
    )
    kind = models.CharField(_("材料类型"), max_length=10, choices=Kind.choices)
    file = models.FileField(_("文件"), upload_to=application_file_upload_to)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("上传人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("申报材料")
        verbose_name_plural = _("申报材料")
        ordering = ["kind", "uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ApplicationEvent(models.Model):
    """Audit trail of stage changes: who moved which application from where to where, and why."""

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="events"
    )
    from_stage = models.CharField(_("原阶段"), max_length=16, choices=Stage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=16, choices=Stage.choices)
    note = models.TextField(_("说明"), blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("阶段记录")
        verbose_name_plural = _("阶段记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_from_stage_display()} → {self.get_to_stage_display()}"


class ReviewAssignment(models.Model):
    """A reviewer (评审员) assigned to score one application at one scored stage."""

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="assignments"
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("评审员"),
        on_delete=models.PROTECT,
        related_name="award_reviews",
    )
    stage = models.CharField(_("评审阶段"), max_length=16, choices=Stage.choices)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("指派人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("指派时间"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("提交评分时间"), null=True, blank=True)
    total = models.DecimalField(_("总分"), max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("评审指派")
        verbose_name_plural = _("评审指派")
        ordering = ["application", "stage", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "reviewer", "stage"], name="review_assignment_unique"
            ),
            models.CheckConstraint(
                condition=Q(stage__in=[s.value for s in SCORED_STAGES]),
                name="review_assignment_scored_stage",
            ),
        ]
        indexes = [
            # "My reviews": a reviewer's assignments.
            models.Index(fields=["reviewer", "stage"], name="review_assignment_reviewer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.get_stage_display()} · {self.reviewer}"


class CategoryScore(models.Model):
    """The points one reviewer gave one category (0 to the category's maximum)."""

    assignment = models.ForeignKey(
        ReviewAssignment, verbose_name=_("评审指派"), on_delete=models.CASCADE, related_name="scores"
    )
    category = models.ForeignKey(
        RoundCategory, verbose_name=_("评分类目"), on_delete=models.PROTECT, related_name="scores"
    )
    points = models.DecimalField(_("得分"), max_digits=6, decimal_places=2)
    comment = models.CharField(_("评语"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("类目得分")
        verbose_name_plural = _("类目得分")
        ordering = ["assignment", "category__sort_order"]
        constraints = [
            models.UniqueConstraint(fields=["assignment", "category"], name="category_score_unique"),
            models.CheckConstraint(condition=Q(points__gte=0), name="category_score_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.category.name} {self.points}"


class Objection(models.Model):
    """An objection (异议) received during the public notice, and its outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    application = models.ForeignKey(
        Application, verbose_name=_("申报"), on_delete=models.CASCADE, related_name="objections"
    )
    received_on = models.DateField(_("收到日期"))
    objector = models.CharField(_("异议人"), max_length=100, blank=True)
    content = models.TextField(_("异议内容"))
    outcome = models.CharField(_("处理结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_note = models.TextField(_("处理说明"), blank=True)
    decided_on = models.DateField(_("处理日期"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("处理人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登记人"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ["application", "received_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["pending", "upheld", "dismissed"]), name="objection_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome="pending") | Q(decided_on__isnull=False),
                name="objection_decided_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} · {self.received_on} · {self.get_outcome_display()}"
