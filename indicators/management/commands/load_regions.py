from django.core.management.base import BaseCommand

from indicators.catalog import load_regions


class Command(BaseCommand):
    help = "加载全国 GB/T 2260 行政区划（省、市、县三级，含经纬度）。可重复运行。"

    def add_arguments(self, parser):
        parser.add_argument("--file", help="adcodes.csv 路径（默认取 cpca 包自带的数据）")

    def handle(self, *args, **options):
        from pathlib import Path

        result = load_regions(Path(options["file"]) if options["file"] else None)
        self.stdout.write(self.style.SUCCESS(f"行政区划：{result}"))
