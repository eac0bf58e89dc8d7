"""python manage.py generate_milestones --plan NAME [--replace]"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from indicators.models import Plan
from indicators.targets import plan_generate_milestones


class Command(BaseCommand):
    help = (
        "按基期实际值线性插值，为规划目标年的每个目标生成并保存各中间年度的分解目标。"
        "已有的分解目标保持不变（可能已人工调整），--replace 则重新计算本规划的分解目标。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="规划名称")
        parser.add_argument("--replace", action="store_true", help="重新计算已生成的分解目标")

    def handle(self, *args, **options):
        plan = Plan.objects.filter(name=options["plan"]).first()
        if plan is None:
            raise CommandError(f"规划不存在：{options['plan']}")
        try:
            result = plan_generate_milestones(plan=plan, replace=options["replace"])
        except PermissionDenied as exc:  # assessments.freeze: a published year is frozen
            raise CommandError(str(exc)) from exc
        for item in result.without_base:
            self.stdout.write(f"无基期实际值：{item}")
        for item in result.conflicts:
            self.stdout.write(f"已有其他目标，未覆盖：{item}")
        self.stdout.write(self.style.SUCCESS(f"{plan.name}：{result}"))
