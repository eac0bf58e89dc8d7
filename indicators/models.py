"""Regions, the indicator catalogue, annual figures, plans, targets, schemes and scores.

Figures are stored as Decimal, never float. Business rules that change figures
live in services.py; the models only hold data, constraints and validation.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

YEAR_MIN = settings.QC_YEAR_MIN
YEAR_MAX = settings.QC_YEAR_MAX
VALUE_DIGITS = 18
VALUE_PLACES = 4


class Region(models.Model):
    """A GB/T 2260 administrative division (province, city or county level)."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("省级")
        CITY = "city", _("市级")
        COUNTY = "county", _("县级")

    code = models.CharField(_("地区代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("层级"), max_length=8, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级地区"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path "/130000/130500/130521/": a subtree is path__startswith.
    path = models.CharField(_("路径"), max_length=64, db_index=True, editable=False)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("地区")
        verbose_name_plural = _("地区")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level__in=["province", "city", "county"]), name="region_level_valid"
            ),
        ]
        indexes = [
            # Children of a region, listed by dashboards and the completeness board.
            models.Index(fields=["parent", "code"], name="region_parent_code_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    def is_within(self, other: Region) -> bool:
        """True when self is `other` or lies below it."""
        return self.path.startswith(other.path)


class Indicator(models.Model):
    """One indicator of the catalogue (shared/domain/indicators.csv)."""

    class Category(models.TextChoices):
        PRODUCT = "product", _("产品质量")
        AGRICULTURE = "agriculture", _("农业质量")
        ENGINEERING = "engineering", _("工程质量")
        SERVICE = "service", _("服务质量")
        ENVIRONMENT = "environment", _("环境质量")
        MANAGEMENT = "management", _("质量管理")
        BRAND = "brand", _("品牌建设")
        STANDARDS = "standards", _("标准化")
        INFRASTRUCTURE = "infrastructure", _("质量技术基础")
        SAFETY = "safety", _("质量安全")
        INCENTIVES = "incentives", _("激励保障")

    class Kind(models.TextChoices):
        RATE = "rate", _("比率")
        COUNT = "count", _("数量")
        INDEX = "index", _("指数")
        AMOUNT = "amount", _("金额")

    class Direction(models.TextChoices):
        HIGHER = "higher", _("越高越好")
        LOWER = "lower", _("越低越好")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("下级汇总")
        NONE = "none", _("须填报")

    code = models.CharField(_("指标代码"), max_length=40, unique=True)
    category = models.CharField(_("类别"), max_length=20, choices=Category.choices)
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=160)
    unit = models.CharField(_("单位"), max_length=20)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    aggregation = models.CharField(_("汇总方式"), max_length=8, choices=Aggregation.choices)
    min_value = models.DecimalField(
        _("下限"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("上限"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    note = models.TextField(_("说明"), blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_value__isnull=True)
                | Q(max_value__isnull=True)
                | Q(min_value__lte=models.F("max_value")),
                name="indicator_range_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name_zh}"

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless English is chosen)."""
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def default_comparator(self) -> str:
        return ">=" if self.direction == self.Direction.HIGHER else "<="

    def value_errors(self, value: Decimal) -> list[str]:
        """Messages (in the active language) for a value this indicator cannot take; empty when valid."""
        errors = []
        if self.min_value is not None and value < self.min_value:
            errors.append(
                gettext("数值 %(value)s 小于指标下限 %(min)s")
                % {"value": value, "min": f"{self.min_value.normalize():f}"}
            )
        if self.max_value is not None and value > self.max_value:
            errors.append(
                gettext("数值 %(value)s 大于指标上限 %(max)s")
                % {"value": value, "max": f"{self.max_value.normalize():f}"}
            )
        if self.kind == self.Kind.COUNT and value != value.to_integral_value():
            errors.append(gettext("数量类指标须为整数，收到 %(value)s") % {"value": value})
        return errors


class Figure(models.Model):
    """One value of one indicator for one region and year.

    `reported_value` is what the region entered; `verified_value` is what the
    reviewer approved (equal unless adjusted); `value` is the effective value
    (verified once approved, reported before). `version` guards against lost
    updates: every write must name the version it read.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        APPROVED = "approved", _("已审核")
        RETURNED = "returned", _("已退回")

    class Source(models.TextChoices):
        MANUAL = "manual", _("手工填报")
        IMPORT = "import", _("文件导入")
        DERIVED = "derived", _("系统推导")
        SEED = "seed", _("公开资料")
        DEMO = "demo", _("演示数据")

    # No index of its own: the unique (region, indicator, year) index starts with it.
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT, db_index=False)
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    value = models.DecimalField(_("数值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    reported_value = models.DecimalField(_("填报值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    verified_value = models.DecimalField(
        _("核定值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES, null=True, blank=True
    )
    note = models.TextField(_("备注"), blank=True)
    source = models.CharField(_("来源"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    source_ref = models.CharField(_("来源文件"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    return_reason = models.TextField(_("退回原因"), blank=True)
    adjust_reason = models.TextField(_("核定调整原因"), blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="figures_entered",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="figures_approved",
    )
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    approved_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    version = models.PositiveIntegerField(_("版本"), default=1)

    # The history is read by figure (`id`), user and date; indexes on its other keys
    # would only slow down every write (an import writes 100,000 rows at once).
    history = HistoricalRecords(
        verbose_name=_("数据变更记录"), no_db_index=["region", "indicator", "entered_by", "approved_by"]
    )

    class Meta:
        verbose_name = _("年度数据")
        verbose_name_plural = _("年度数据")
        ordering = ["region__code", "indicator__sort_order", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "indicator", "year"], name="figure_unique_region_indicator_year"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "submitted", "approved", "returned"]),
                name="figure_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=YEAR_MIN) & Q(year__lte=YEAR_MAX),
                name="figure_year_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(verified_value__isnull=False),
                name="figure_approved_has_verified_value",
            ),
        ]
        indexes = [
            # Scoring and dashboards read one year's figures across many regions.
            models.Index(fields=["year", "indicator", "region"], name="figure_year_ind_region_idx"),
            # The review queue lists submitted figures.
            models.Index(fields=["status", "year"], name="figure_status_year_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.indicator.code} {self.year} = {self.value}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        if self.year is not None and not (YEAR_MIN <= self.year <= YEAR_MAX):
            errors["year"] = [f"年度须在 {YEAR_MIN}–{YEAR_MAX} 之间"]
        if self.indicator_id is not None:
            for field in ("value", "reported_value", "verified_value"):
                val = getattr(self, field)
                if val is not None:
                    problems = self.indicator.value_errors(Decimal(val))
                    if problems:
                        errors[field] = problems
        if errors:
            raise ValidationError(errors)


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    # The stored name is the checksum, never the user's file name (no traversal).
    ext = "".join(c for c in filename.rsplit(".", 1)[-1].lower() if c.isalnum())[:8]
    return f"evidence/{instance.sha256[:2]}/{instance.sha256}.{ext or 'bin'}"


class Evidence(models.Model):
    """A supporting document attached to a figure (PDF, image, Office file)."""

    figure = models.ForeignKey(
        Figure, verbose_name=_("年度数据"), on_delete=models.CASCADE, related_name="evidence"
    )
    file = models.FileField(_("文件"), upload_to=evidence_upload_to)
    original_name = models.CharField(_("原文件名"), max_length=255)
    content_type = models.CharField(_("文件类型"), max_length=100)
    size = models.PositiveBigIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True, on_delete=models.SET_NULL
    )
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("佐证材料")
        verbose_name_plural = _("佐证材料")
        ordering = ["uploaded_at"]

    def __str__(self) -> str:
        return self.original_name


class ReportingPeriod(models.Model):
    """The reporting deadline of one assessment year for the regions below `region`."""

    region = models.ForeignKey(Region, verbose_name=_("组织地区"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    deadline = models.DateField(_("填报截止日期"))

    class Meta:
        verbose_name = _("填报期限")
        verbose_name_plural = _("填报期限")
        ordering = ["-year", "region__code"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year"], name="reporting_period_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year} 截止 {self.deadline}"


class Plan(models.Model):
    """A five-year (or other) quality plan of a region, e.g. 邢台市质量兴市2011-2015."""

    name = models.CharField(_("规划名称"), max_length=100, unique=True)
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT)
    base_year = models.PositiveSmallIntegerField(_("基期年"))
    start_year = models.PositiveSmallIntegerField(_("起始年"))
    end_year = models.PositiveSmallIntegerField(_("目标年"))
    document = models.CharField(_("文件号"), max_length=100, blank=True)
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("规划")
        verbose_name_plural = _("规划")
        ordering = ["region__code", "start_year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(base_year__lt=models.F("end_year")) & Q(start_year__lte=models.F("end_year")),
                name="plan_years_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Target(models.Model):
    """A target of one region, indicator and year (horizon or interpolated milestone)."""

    class Comparator(models.TextChoices):
        GTE = ">=", "≥"
        LTE = "<=", "≤"

    class Rule(models.TextChoices):
        RATIO = "ratio", _("按完成比例")
        THRESHOLD = "threshold", _("达标得分")
        DEDUCT = "deduct", _("按差距扣分")

    plan = models.ForeignKey(
        Plan,
        verbose_name=_("规划"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="targets",
    )
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT)
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    comparator = models.CharField(_("比较"), max_length=2, choices=Comparator.choices)
    value = models.DecimalField(_("目标值"), max_digits=VALUE_DIGITS, decimal_places=VALUE_PLACES)
    weight = models.DecimalField(_("权重"), max_digits=8, decimal_places=4, default=Decimal("1"))
    rule = models.CharField(_("计分规则"), max_length=10, choices=Rule.choices, default=Rule.RATIO)
    rule_param = models.DecimalField(
        _("扣分系数"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("按差距扣分时每单位差距扣的分数"),
    )
    veto = models.BooleanField(_("一票否决"), default=False)
    is_milestone = models.BooleanField(_("年度分解目标"), default=False)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    history = HistoricalRecords(verbose_name=_("目标变更记录"))

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        ordering = ["region__code", "year", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "indicator", "year"], name="target_unique_region_indicator_year"
            ),
            models.CheckConstraint(condition=Q(comparator__in=[">=", "<="]), name="target_comparator_valid"),
            models.CheckConstraint(
                condition=Q(rule__in=["ratio", "threshold", "deduct"]), name="target_rule_valid"
            ),
            models.CheckConstraint(condition=Q(weight__gte=0), name="target_weight_nonnegative"),
            models.CheckConstraint(
                condition=Q(year__gte=YEAR_MIN) & Q(year__lte=YEAR_MAX), name="target_year_in_range"
            ),
        ]
        indexes = [
            # Scoring loads all targets of one year.
            models.Index(fields=["year", "region"], name="target_year_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.indicator.code} {self.year} {self.comparator} {self.value}"


class ScoringScheme(models.Model):
    """Grade cut-offs, cap and default rule of an assessment (default: national 2013)."""

    name = models.CharField(_("方案名称"), max_length=100, unique=True)
    is_default = models.BooleanField(_("默认方案"), default=False)
    grade_a_min = models.DecimalField(_("A级下限"), max_digits=6, decimal_places=2, default=Decimal("90"))
    grade_b_min = models.DecimalField(_("B级下限"), max_digits=6, decimal_places=2, default=Decimal("80"))
    grade_c_min = models.DecimalField(_("C级下限"), max_digits=6, decimal_places=2, default=Decimal("60"))
    cap = models.DecimalField(_("完成率封顶"), max_digits=6, decimal_places=3, default=Decimal("1.0"))
    default_rule = models.CharField(
        _("默认计分规则"), max_length=10, choices=Target.Rule.choices, default=Target.Rule.RATIO
    )
    description = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("评分方案")
        verbose_name_plural = _("评分方案")
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="scheme_single_default"
            ),
            models.CheckConstraint(
                condition=Q(grade_a_min__gt=models.F("grade_b_min"))
                & Q(grade_b_min__gt=models.F("grade_c_min")),
                name="scheme_grades_ordered",
            ),
            models.CheckConstraint(condition=Q(cap__gt=0), name="scheme_cap_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class QualitativeItem(models.Model):
    """An item of the 评分细则 (scoring rules) scored by points, not by a target."""

    scheme = models.ForeignKey(
        ScoringScheme, verbose_name=_("评分方案"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("代码"), max_length=40)
    name = models.CharField(_("评分项目"), max_length=200)
    max_points = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    guidance = models.TextField(_("评分标准"), blank=True)
    evidence_required = models.TextField(_("所需佐证材料"), blank=True)
    sort_order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("定性评分项")
        verbose_name_plural = _("定性评分项")
        ordering = ["scheme", "sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["scheme", "code"], name="qualitative_item_unique_code"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="qualitative_item_max_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ItemScore(models.Model):
    """Self and verified points of one qualitative item for a region and year."""

    item = models.ForeignKey(QualitativeItem, verbose_name=_("评分项"), on_delete=models.CASCADE)
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT)
    year = models.PositiveSmallIntegerField(_("年度"))
    self_points = models.DecimalField(_("自评分"), max_digits=6, decimal_places=2, null=True, blank=True)
    self_reason = models.TextField(_("自评说明"), blank=True)
    verified_points = models.DecimalField(_("核定分"), max_digits=6, decimal_places=2, null=True, blank=True)
    verified_reason = models.TextField(_("核定说明"), blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核定人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    evidence = models.FileField(_("佐证材料"), upload_to="item-evidence/", blank=True)

    history = HistoricalRecords(verbose_name=_("评分变更记录"))

    class Meta:
        verbose_name = _("定性项得分")
        verbose_name_plural = _("定性项得分")
        constraints = [
            models.UniqueConstraint(fields=["item", "region", "year"], name="item_score_unique"),
            models.CheckConstraint(
                condition=Q(self_points__isnull=True) | Q(self_points__gte=0),
                name="item_score_self_nonnegative",
            ),
            models.CheckConstraint(
                condition=Q(verified_points__isnull=True) | Q(verified_points__gte=0),
                name="item_score_verified_nonnegative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year} {self.item.name}"


class Basis(models.TextChoices):
    SELF = "self", _("自评")
    VERIFIED = "verified", _("核定")


class ScoreRun(models.Model):
    """One execution of the scoring engine over a scope: the audit trail of results."""

    class Status(models.TextChoices):
        RUNNING = "running", _("运行中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    year = models.PositiveSmallIntegerField(_("年度"))
    region = models.ForeignKey(
        Region,
        verbose_name=_("范围"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("空表示全国"),
    )
    basis = models.CharField(_("口径"), max_length=10, choices=Basis.choices)
    trigger = models.CharField(_("触发方式"), max_length=40)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("触发人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    region_rows = models.PositiveIntegerField(_("地区得分行数"), default=0)
    target_rows = models.PositiveIntegerField(_("指标得分行数"), default=0)
    inputs_hash = models.CharField(_("输入摘要"), max_length=64, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("评分运行记录")
        verbose_name_plural = _("评分运行记录")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.year} {self.basis} {self.trigger} {self.status}"


class RegionScore(models.Model):
    """Total, grade and rank of one region, year and basis (output of a run)."""

    run = models.ForeignKey(ScoreRun, verbose_name=_("运行"), on_delete=models.PROTECT)
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT)
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
    # A digest of this region's TargetScore rows of the year and basis and of this
    # row's own values but rank, as the run that stored them computed it
    # (scoring_service._target_digests). A later run whose rows for the region give
    # the same digest (and the same rank) skips comparing them row by row; empty
    # means unknown (compare everything).
    targets_digest = models.CharField(
        _("指标得分摘要"), max_length=32, blank=True, default="", editable=False
    )

    class Meta:
        verbose_name = _("地区得分")
        verbose_name_plural = _("地区得分")
        ordering = ["year", "basis", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "basis"], name="region_score_unique"),
            models.CheckConstraint(
                condition=Q(grade__in=["A", "B", "C", "D"]), name="region_score_grade_valid"
            ),
        ]
        indexes = [
            # Dashboards list the children's scores of a year and basis.
            models.Index(fields=["year", "basis", "region"], name="region_score_year_basis_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year} {self.basis} {self.total} {self.grade}"


class TargetScore(models.Model):
    """Actual, target, completion and points of one target (output of a run)."""

    class Status(models.TextChoices):
        MET = "met", _("达标")
        NOT_MET = "not_met", _("未达标")
        MISSING = "missing", _("缺报")

    # A national run writes ~180,000 rows per basis. With database foreign keys
    # PostgreSQL checks three keys per row at COMMIT (deferred constraints): about
    # 2.6 s of a run. The rows are derived data with one writer
    # (scoring_service._store), which takes every id from rows read in the same
    # transaction, and Django still enforces PROTECT when a region, indicator or
    # run is deleted; so these keys are not declared to the database. The region
    # and indicator lookups are served by target_score_unique (region first).
    run = models.ForeignKey(ScoreRun, verbose_name=_("运行"), on_delete=models.PROTECT, db_constraint=False)
    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, db_constraint=False, db_index=False
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
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices)
    veto = models.BooleanField(_("一票否决"), default=False)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        ordering = ["region__code", "indicator__sort_order"]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "indicator", "year", "basis"], name="target_score_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["year", "basis", "region"], name="target_score_year_basis_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.indicator.code} {self.year} {self.points}"
