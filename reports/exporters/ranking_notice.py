"""The county ranking notice (考核结果通报) of a city (or the city notice of a province)."""

from __future__ import annotations

from typing import ClassVar

from indicators.models import Region
from reports import xlsx
from reports.exporters._common import chart_images, today_cn
from reports.exporters.base import BaseExporter, ProgressCallback
from reports.figures import ranking_notice_charts
from reports.fonts import pdf_fonts
from reports.pdf import render_pdf
from reports.selectors import RankingNoticeData, ranking_notice_data

DRAFT_WATERMARK = "未发布 · 草稿"


class RankingNoticeExporter(BaseExporter):
    identifier: ClassVar[str] = "ranking_notice"
    verbose_name: ClassVar[str] = "考核结果通报"
    version: ClassVar[str] = "1"
    render_count: ClassVar[int] = 0

    def collect_data(self) -> RankingNoticeData:
        return ranking_notice_data(self.region, self.year, self.basis)

    def _subordinates(self) -> tuple[str, str, str]:
        """(各县（市、区）, 县（市、区）, addressee) for a city; the city wording for a province."""
        if self.region.level == Region.Level.PROVINCE:
            return "各市", "市", "各市人民政府，省直有关部门"
        return "各县（市、区）", "县（市、区）", "各县（市、区）人民政府，市直有关部门"

    def title(self, data: RankingNoticeData) -> str:
        draft = "" if data.published else "（未发布草稿）"
        return f"{data.region_name}{data.year}年度质量强市工作考核结果通报{draft}"

    def filename(self, data: RankingNoticeData, fmt: str) -> str:
        return f"{self.title(data)}.{fmt}"

    def render_pdf(self, data: RankingNoticeData, progress: ProgressCallback) -> bytes:
        progress(5, "检查中文字体")
        fonts = pdf_fonts()
        subordinates, noun, addressee = self._subordinates()
        by_grade = [(g, [r.region_name for r in data.rows if r.grade == g]) for g in "ABCD"]
        with chart_images(
            lambda: ranking_notice_charts(data), fonts, progress, start=10, end=55, then=(65, "排版 PDF")
        ) as charts:
            pdf = render_pdf(
                "reports/pdf/ranking_notice.html",
                {
                    "data": data,
                    "charts": charts.items,
                    "title": self.title(data),
                    "running_title": f"{data.region_name}{data.year}年度质量强市工作考核结果通报",
                    "watermark": "" if data.published else DRAFT_WATERMARK,
                    "generated_on": today_cn(),
                    "subordinates": subordinates,
                    "subordinate_noun": noun,
                    "addressee": addressee,
                    "by_grade": by_grade,
                },
                fonts,
                images=charts.images.resolve,
            )
        progress(95, "保存文件")
        return pdf

    def render_xlsx(self, data: RankingNoticeData, progress: ProgressCallback) -> bytes:
        progress(20, "写入考核结果")
        wb = xlsx.new_workbook()
        caption = self.title(data)
        if data.published:
            caption += f"（{data.published_label}）"
        else:
            caption += f"（{DRAFT_WATERMARK}，依据{data.basis_label}得分）"
        xlsx.add_table_sheet(
            wb,
            "考核结果通报",
            [
                xlsx.Column("名次", 7, xlsx.INTEGER),
                xlsx.Column("地区代码", 10),
                xlsx.Column("地区", 16),
                xlsx.Column("综合得分", 10, xlsx.SCORE),
                xlsx.Column("等级", 6),
                xlsx.Column("上年得分", 10, xlsx.SCORE),
                xlsx.Column("增减", 9, xlsx.SIGNED),
                xlsx.Column("上年名次", 9, xlsx.INTEGER),
                xlsx.Column("名次变化", 9, xlsx.SIGNED_INT),
                xlsx.Column("一票否决", 9),
            ],
            (
                (
                    r.rank,
                    r.region_code,
                    r.region_name,
                    r.total,
                    r.grade,
                    r.previous_total,
                    r.change,
                    r.previous_rank,
                    r.rank_change,
                    "是" if r.vetoed else "",
                )
                for r in data.rows
            ),
            caption=caption,
        )
        progress(95, "保存文件")
        return xlsx.workbook_bytes(wb, title=self.title(data))
