from awards.imports import grants_import
from awards.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "导入品牌奖项授予（.xlsx/.csv，列 award_type, credit_code, name, year_granted"
        "[, valid_until, certificate_no, note]），全部通过校验才写入；写入后重算相关推导数据。"
    )
    label = "品牌奖项授予"

    def handle(self, *args, **options):
        self.run(grants_import, options)
