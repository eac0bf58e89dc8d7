"""python manage.py compute_scores --year Y [--region CODE] [--basis self|verified]"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from indicators.models import Basis, Region
from indicators.scoring_service import compute_scores


class Command(BaseCommand):
    help = (
        "计算某年度的目标考核得分、等级和排名（DESIGN §3）。--region 指该地区及其下辖全部地区；"
        "不指定时计算全国当年有目标的全部地区。默认同时计算自评和核定两个口径。"
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="考核年度")
        parser.add_argument("--region", help="地区代码（含下辖地区）；省略则为全国")
        parser.add_argument("--basis", choices=[b.value for b in Basis], help="只计算一个口径")

    def handle(self, *args, **options):
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"未知地区代码：{options['region']}")
        bases = [options["basis"]] if options["basis"] else None
        scope = f"{region.name}（{region.code}）及下辖地区" if region else "全国有目标的地区"
        started = time.perf_counter()
        summaries = compute_scores(year=options["year"], region=region, bases=bases, trigger="command")
        for s in summaries:
            grades = " / ".join(f"{g} {n}" for g, n in s.grades.items()) or "无"
            self.stdout.write(
                f"{options['year']} 年 {scope} · {Basis(s.run.basis).label}口径："
                f"评分地区 {s.run.region_rows} 个，指标得分 {s.run.target_rows} 条，"
                f"等级 {grades}，用时 {s.seconds:.2f} 秒"
                f"（运行 #{s.run.pk}，输入摘要 {s.run.inputs_hash[:12]}）{_changes(s.target_changes)}"
            )
        self.stdout.write(self.style.SUCCESS(f"评分完成，共用时 {time.perf_counter() - started:.2f} 秒"))


def _changes(changes) -> str:
    """How many stored target-score rows the run wrote (unchanged rows are not rewritten)."""
    if changes is None:
        return ""
    if not changes.total:
        return "；指标得分与已存结果相同，未改写"
    return f"；指标得分行新增 {changes.inserted}、更新 {changes.updated}、删除 {changes.deleted}"
