from django.core.management.base import BaseCommand, CommandError

from indicators.backup import RestoreError, import_all


class Command(BaseCommand):
    help = "从 export_all 生成的备份文件恢复全部数据（目标库须为空；逐表核对行数，失败则不写入任何数据）。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="备份文件路径")

    def handle(self, *args, **options):
        try:
            result = import_all(options["path"])
        except RestoreError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"已恢复 {result.total} 行（{len(result.counts)} 张表），行数与备份一致")
        )
