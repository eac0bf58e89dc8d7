"""python manage.py export_report --year Y --region CODE --format pdf|xlsx -o PATH
                                [--basis verified|self] [--kind report|notice]

Produces the annual assessment report (default) or the ranking notice of a region
and year, archives it as a ReportArtifact like a request from the page does, and
copies the file to PATH. Unchanged inputs reuse the archived file (no new render).
Runs in-process, without a Celery worker; it is an operator's tool, so it does not
ask the permission policy.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from indicators.models import Basis, Region
from reports.errors import ReportError
from reports.models import ReportKind
from reports.services import report_build

KINDS = {"report": ReportKind.ANNUAL_REPORT, "notice": ReportKind.RANKING_NOTICE}


class Command(BaseCommand):
    help = "生成年度考核报告或考核结果通报（PDF / xlsx），存档并复制到 -o 指定的路径。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, required=True, help="考核年度")
        parser.add_argument("--region", required=True, help="地区代码（6 位），如 130500")
        parser.add_argument("--format", dest="fmt", choices=["pdf", "xlsx"], required=True)
        parser.add_argument("-o", "--output", required=True, help="输出文件路径")
        parser.add_argument("--basis", choices=[b.value for b in Basis], default=Basis.VERIFIED.value)
        parser.add_argument(
            "--kind",
            choices=sorted(KINDS),
            default="report",
            help="report：年度考核报告；notice：考核结果通报",
        )

    def handle(self, *args, **options) -> None:
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"地区代码不存在：{options['region']}")
        started = time.perf_counter()
        try:
            artifact, rendered = report_build(
                kind=KINDS[options["kind"]],
                fmt=options["fmt"],
                region=region,
                year=options["year"],
                basis=options["basis"],
            )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        with artifact.file.open("rb") as src, output.open("wb") as dst:
            shutil.copyfileobj(src, dst)
        elapsed = time.perf_counter() - started
        how = f"新生成，用时 {elapsed:.2f} 秒" if rendered else f"输入未变化，复用存档报告 #{artifact.pk}"
        self.stdout.write(
            self.style.SUCCESS(f"已写入 {output}（{artifact.size} 字节，sha256 {artifact.sha256}；{how}）")
        )
