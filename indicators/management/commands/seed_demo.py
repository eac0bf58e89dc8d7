from django.core.management.base import BaseCommand

from indicators.demo import seed_demo


class Command(BaseCommand):
    help = (
        "加载演示数据：五个样本城市及其区县、公开资料数据、演示数据、邢台市规划目标、演示用户。可重复运行。"
    )

    def handle(self, *args, **options):
        result = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"演示数据：{result}"))
