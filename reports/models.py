"""Report artefacts: every generated PDF / xlsx report, archived with what produced it.

An artefact is keyed by (kind, format, region, year, basis, inputs hash). Asking
for a report whose inputs have not changed returns the stored artefact instead of
rendering again; the named conditional unique constraint makes that hold even when
two people ask at the same moment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from indicators.models import Basis, Region


class ReportKind(models.TextChoices):
    ANNUAL_REPORT = "annual_report", _("年度考核报告")
    RANKING_NOTICE = "ranking_notice", _("考核结果通报")


class ReportFormat(models.TextChoices):
    PDF = "pdf", "PDF"
    XLSX = "xlsx", "Excel"


def artifact_upload_to(instance: ReportArtifact, filename: str) -> str:
    # The stored name is built from codes and the checksum only, never from the
    # Chinese download name, so it is safe on every file system.
    ext = instance.fmt if instance.fmt in ReportFormat.values else "bin"
    return (
        f"reports/{instance.year}/{instance.region.code}/"
        f"{instance.kind}-{instance.basis}-{instance.sha256[:16]}.{ext}"
    )


class ReportArtifact(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("报告类型"), max_length=20, choices=ReportKind.choices)
    fmt = models.CharField(_("格式"), max_length=4, choices=ReportFormat.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="report_artifacts"
    )
    year = models.PositiveSmallIntegerField(_("年度"))
    basis = models.CharField(_("口径"), max_length=10, choices=Basis.choices)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    progress_note = models.CharField(_("当前步骤"), max_length=100, blank=True)
    error = models.TextField(_("错误信息"), blank=True)
    task_id = models.CharField(_("任务编号"), max_length=64, blank=True)
    # sha256 of the exact rows the exporter read, its version and the format.
    inputs_hash = models.CharField(_("输入摘要"), max_length=64)
    file = models.FileField(_("文件"), upload_to=artifact_upload_to, blank=True, max_length=200)
    filename = models.CharField(_("下载文件名"), max_length=200, blank=True)
    content_type = models.CharField(_("文件类型"), max_length=100, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("大小（字节）"), null=True, blank=True)
    # The ranking notice prints published results when an assessment is published.
    published = models.BooleanField(_("基于已发布结果"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="report_artifacts",
    )
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    render_seconds = models.FloatField(_("生成用时（秒）"), null=True, blank=True)

    class Meta:
        verbose_name = _("报告文件")
        verbose_name_plural = _("报告文件")
        ordering = ["-requested_at"]
        constraints = [
            # report_request() looks the live artefact up by these fields; a failed one
            # may be retried, so it does not block a new row with the same inputs.
            models.UniqueConstraint(
                fields=["kind", "fmt", "region", "year", "basis", "inputs_hash"],
                condition=~Q(status="failed"),
                name="report_artifact_unique_inputs",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["annual_report", "ranking_notice"]), name="report_artifact_kind_valid"
            ),
            models.CheckConstraint(condition=Q(fmt__in=["pdf", "xlsx"]), name="report_artifact_fmt_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "done", "failed"]),
                name="report_artifact_status_valid",
            ),
            models.CheckConstraint(condition=Q(progress__lte=100), name="report_artifact_progress_max"),
            models.CheckConstraint(
                condition=~Q(status="done") | ~Q(sha256=""), name="report_artifact_done_has_checksum"
            ),
        ]
        indexes = [
            # The reports page lists the latest artefacts of the regions a user may export.
            models.Index(fields=["region", "-requested_at"], name="report_artifact_region_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.region.name} {self.year} {self.get_kind_display()} {self.fmt} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
