from django.core.management.base import BaseCommand, CommandError

from awards.services import derived_figures_rebuild
from indicators.models import Region


class Command(BaseCommand):
    help = (
        "按品牌奖项登记库重算品牌数量推导数据（指定 --region 时为该地区下辖企业的授予及其上级地区）。"
        "可重复运行；不覆盖人工填报的数据，冲突逐条列出。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", help="地区代码")

    def handle(self, *args, **options):
        region = None
        if options.get("region"):
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"地区代码 {options['region']} 不存在")
        result = derived_figures_rebuild(region=region)
        for conflict in result.conflicts:
            self.stdout.write(self.style.WARNING(conflict))
        self.stdout.write(self.style.SUCCESS(str(result)))
