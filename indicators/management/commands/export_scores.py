"""python manage.py export_scores --year Y --region CODE --format csv|xlsx -o PATH"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from indicators.models import Basis, Region
from indicators.score_export import write_export


class Command(BaseCommand):
    help = (
        "导出某年度某地区及其下辖地区的评分结果（DESIGN §4 列）。xlsx 含“地区得分”“指标得分”两个工作表；"
        "csv 写两个文件：PATH 为地区得分，PATH 同名加 _targets 为指标得分。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--region", required=True, help="地区代码（含下辖地区）")
        parser.add_argument("--format", dest="fmt", choices=["csv", "xlsx"], required=True)
        parser.add_argument("-o", "--output", required=True, help="输出文件路径")
        parser.add_argument("--basis", choices=[b.value for b in Basis], help="只导出一个口径（默认两个）")

    def handle(self, *args, **options):
        region = Region.objects.filter(code=options["region"]).first()
        if region is None:
            raise CommandError(f"未知地区代码：{options['region']}")
        path = Path(options["output"])
        if not path.parent.exists():
            raise CommandError(f"目录不存在：{path.parent}")
        written = write_export(
            year=options["year"], region=region, fmt=options["fmt"], path=path, basis=options["basis"]
        )
        for p in written:
            self.stdout.write(self.style.SUCCESS(f"已写入 {p}"))
