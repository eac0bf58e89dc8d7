from awards.imports import enterprises_import
from awards.management.commands._importing import ImportCommand


class Command(ImportCommand):
    help = (
        "导入企业（.xlsx/.csv，列 credit_code, name, region_code[, industry, note]），"
        "全部通过校验才写入，否则逐行列出错误。已登记的统一社会信用代码更新名称、地区和行业。"
    )
    label = "企业"

    def handle(self, *args, **options):
        self.run(enterprises_import, options)
