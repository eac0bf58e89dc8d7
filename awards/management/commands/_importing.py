"""Shared handling of the awards import commands."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError

from indicators.tabular import TableError


class ImportCommand(BaseCommand):
    label = ""

    def add_arguments(self, parser):
        parser.add_argument("file", help=".xlsx 或 .csv 文件")
        parser.add_argument(
            "--user", help="以该用户的权限导入（只能导入其可登记地区的数据）；省略则以系统身份导入"
        )

    def run(self, fn, options) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"文件不存在：{path}")
        user = None
        if options.get("user"):
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"没有用户 {options['user']}")
        try:
            plan = fn(user=user, data=path.read_bytes(), filename=path.name)
        except TableError as exc:
            raise CommandError(f"{path.name} 未导入，共 {len(exc.errors)} 处问题：\n{exc}") from exc
        self.stdout.write(self.style.SUCCESS(f"{self.label}：{plan}"))
