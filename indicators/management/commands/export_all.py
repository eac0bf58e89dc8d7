from django.core.management.base import BaseCommand

from indicators.backup import export_all


class Command(BaseCommand):
    help = "导出全部业务数据（数据、目标、奖项、得分、变更记录、用户）为 .json.gz 备份文件。"

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output", required=True, help="备份文件路径，如 backup.json.gz")

    def handle(self, *args, **options):
        result = export_all(options["output"])
        self.stdout.write(
            self.style.SUCCESS(f"已导出 {result.total} 行（{len(result.counts)} 张表）到 {result.path}")
        )
