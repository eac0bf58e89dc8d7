from django.core.management.base import BaseCommand

from indicators.catalog import load_catalog


class Command(BaseCommand):
    help = "加载指标目录（fixtures/indicators.csv，56 项）、奖项类型和默认评分方案。可重复运行。"

    def handle(self, *args, **options):
        result = load_catalog()
        self.stdout.write(self.style.SUCCESS(f"指标目录：{result}"))
        try:
            from awards.catalog import load_award_types
        except ImportError:  # the awards app has no catalogue yet
            return
        self.stdout.write(self.style.SUCCESS(f"奖项类型：{load_award_types()}"))
