"""`python manage.py import_figures FILE [--status draft|submitted|approved] [--dry-run]`

Imports annual figures from an .xlsx or .csv file (columns region_code,
indicator_code, year, value, note; Chinese headers accepted). It runs the same
code as the upload page — `imports.plan_import` to validate every row, then
`imports.commit_import` to write all rows or none — as the system actor, so
every region may be written. Approved (locked), submitted and derived figures
are still never overwritten. Errors go to stderr, one line per bad row with
its row number and column, and the command exits non-zero.
"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from accounts.policy import SYSTEM
from indicators.imports import IMPORT_STATUSES, ImportRejected, commit_import, plan_import


class Command(BaseCommand):
    help = "从 .xlsx 或 .csv 导入年度指标数据（全部成功或全部不导入）。"

    def add_arguments(self, parser):
        parser.add_argument("file", help="要导入的 .xlsx 或 .csv 文件")
        parser.add_argument(
            "--status",
            choices=[str(s) for s in IMPORT_STATUSES],
            default="draft",
            help="导入后的状态：draft（草稿，默认）、submitted（已提交）、approved（已审核，例如历史公开数据）",
        )
        parser.add_argument("--dry-run", action="store_true", help="只校验并报告，不写入数据库")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        data = path.read_bytes()
        status = options["status"]
        if options["dry_run"]:
            plan = plan_import(actor=SYSTEM, data=data, filename=path.name, status=status)
            self._report_errors(plan.errors)
            s = plan.summary
            self.stdout.write(
                f"校验完成（未写入）：将新增 {s['create']} 条，更新 {s['update']} 条，未变 {s['unchanged']} 条，"
                f"空白数值 {s['blank']} 行，错误 {s['errors']} 处"
            )
            if plan.errors:
                raise CommandError(f"文件有 {len(plan.errors)} 处错误")
            return
        try:
            result = commit_import(actor=SYSTEM, data=data, filename=path.name, status=status)
        except ImportRejected as exc:
            self._report_errors(exc.errors)
            raise CommandError(f"文件有 {len(exc.errors)} 处错误，未导入任何数据") from exc
        except PermissionDenied as exc:  # assessments.freeze: a published year is frozen
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(result)))

    def _report_errors(self, errors) -> None:
        for error in errors:
            self.stderr.write(str(error))
