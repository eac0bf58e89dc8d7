"""python manage.py import_targets FILE --plan NAME"""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from indicators.targets import TargetImportError, targets_import


class Command(BaseCommand):
    help = (
        "从 .csv 或 .xlsx 导入目标到规划 NAME（不存在则新建）。列：region_code, indicator_code, year, "
        "comparator, target, weight[, rule, rule_param, veto]。全部正确才写入，任何错误行都会整体拒绝并逐行报告。"
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--plan", required=True, help="规划名称")

    def handle(self, *args, **options):
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        try:
            result = targets_import(data=path.read_bytes(), filename=path.name, plan_name=options["plan"])
        except TargetImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"导入被拒绝，共 {len(exc.errors)} 处错误，未写入任何数据") from exc
        except PermissionDenied as exc:  # assessments.freeze: a published year is frozen
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(str(result)))
