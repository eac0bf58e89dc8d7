"""The annual assessment report (年度考核报告) of one region, year and basis: PDF and xlsx."""

from __future__ import annotations

from typing import ClassVar

from reports import xlsx
from reports.exporters._common import chart_images, today_cn
from reports.exporters.base import BaseExporter, ProgressCallback
from reports.figures import annual_report_charts
from reports.fonts import pdf_fonts
from reports.pdf import render_pdf
from reports.selectors import AnnualReportData, annual_report_data


class AnnualReportExporter(BaseExporter):
    identifier: ClassVar[str] = "annual_report"
    verbose_name: ClassVar[str] = "年度考核报告"
    version: ClassVar[str] = "1"
    render_count: ClassVar[int] = 0

    def collect_data(self) -> AnnualReportData:
        return annual_report_data(self.region, self.year, self.basis)

    def title(self, data: AnnualReportData) -> str:
        return f"{data.region_name}{data.year}年度质量强市工作考核报告（{data.basis_label}）"

    def filename(self, data: AnnualReportData, fmt: str) -> str:
        return f"{self.title(data)}.{fmt}"

    def render_pdf(self, data: AnnualReportData, progress: ProgressCallback) -> bytes:
        progress(5, "检查中文字体")
        fonts = pdf_fonts()
        with chart_images(
            lambda: annual_report_charts(data), fonts, progress, start=10, end=65, then=(70, "排版 PDF")
        ) as charts:
            pdf = render_pdf(
                "reports/pdf/annual_report.html",
                {
                    "data": data,
                    "charts": charts.items,
                    "title": self.title(data),
                    "running_title": self.title(data),
                    "generated_on": today_cn(),
                },
                fonts,
                images=charts.images.resolve,
            )
        progress(95, "保存文件")
        return pdf

    def render_xlsx(self, data: AnnualReportData, progress: ProgressCallback) -> bytes:
        progress(10, "写入概况")
        wb = xlsx.new_workbook()
        s, prev = data.score, data.previous
        summary = [
            ("地区", data.region_name, None),
            ("地区代码", data.region_code, None),
            ("年度", data.year, xlsx.INTEGER),
            ("口径", data.basis_label, None),
            ("综合得分", s.total, xlsx.SCORE),
            ("等级", s.grade, None),
            ("排名", s.rank, xlsx.INTEGER),
            ("参评数", s.rank_of, xlsx.INTEGER),
            ("得分", s.points, xlsx.POINTS),
            ("满分", s.max_points, xlsx.POINTS),
            ("达标数", s.met, xlsx.INTEGER),
            ("未达标数", s.not_met, xlsx.INTEGER),
            ("缺报数", s.missing, xlsx.INTEGER),
            ("一票否决", "是" if s.vetoed else "否", None),
            ("上年综合得分", prev.total if prev else None, xlsx.SCORE),
            ("上年等级", prev.grade if prev else None, None),
            ("上年排名", prev.rank if prev else None, xlsx.INTEGER),
            ("较上年增减", data.change, xlsx.SIGNED),
        ]
        ws = xlsx.add_table_sheet(
            wb,
            "概况",
            [xlsx.Column("项目", 16), xlsx.Column("数值", 22, xlsx.SCORE)],
            [(label, value) for label, value, _ in summary],
            caption=self.title(data),
        )
        for row, (_, value, number_format) in enumerate(summary, start=3):
            if number_format and value is not None:
                ws.cell(row=row, column=2).number_format = number_format

        progress(40, "写入指标得分")
        xlsx.add_table_sheet(
            wb,
            "指标得分",
            [
                xlsx.Column("类别", 12),
                xlsx.Column("指标代码", 24),
                xlsx.Column("指标名称", 34),
                xlsx.Column("单位", 8),
                xlsx.Column("比较", 6),
                xlsx.Column("目标值", 12, xlsx.VALUE),
                xlsx.Column("实际值", 12, xlsx.VALUE),
                xlsx.Column("完成率", 10, xlsx.PERCENT),
                xlsx.Column("权重", 8, xlsx.POINTS),
                xlsx.Column("得分", 9, xlsx.POINTS),
                xlsx.Column("状态", 8),
                xlsx.Column("一票否决", 9),
            ],
            (
                (
                    t.category_label,
                    t.indicator_code,
                    t.indicator_name,
                    t.unit,
                    t.comparator,
                    t.target,
                    t.actual,
                    t.completion,
                    t.weight,
                    t.points,
                    t.status_label,
                    "是" if t.veto else "",
                )
                for t in data.targets
            ),
        )
        if data.items:
            xlsx.add_table_sheet(
                wb,
                "定性评分",
                [
                    xlsx.Column("代码", 14),
                    xlsx.Column("评分项目", 40),
                    xlsx.Column("分值", 8, xlsx.POINTS),
                    xlsx.Column("自评分", 9, xlsx.POINTS),
                    xlsx.Column("核定分", 9, xlsx.POINTS),
                    xlsx.Column("核定增减", 10, xlsx.SIGNED),
                    xlsx.Column("核定说明", 40),
                ],
                (
                    (
                        i.code,
                        i.name,
                        i.max_points,
                        i.self_points,
                        i.verified_points,
                        i.difference,
                        i.verified_reason,
                    )
                    for i in data.items
                ),
            )
        progress(70, "写入下级地区排名")
        xlsx.add_table_sheet(
            wb,
            "下级地区",
            [
                xlsx.Column("排名", 7, xlsx.INTEGER),
                xlsx.Column("地区代码", 10),
                xlsx.Column("地区", 16),
                xlsx.Column("综合得分", 10, xlsx.SCORE),
                xlsx.Column("等级", 6),
                xlsx.Column("参评数", 8, xlsx.INTEGER),
                xlsx.Column("上年得分", 10, xlsx.SCORE),
                xlsx.Column("增减", 9, xlsx.SIGNED),
                xlsx.Column("上年排名", 9, xlsx.INTEGER),
                xlsx.Column("达标数", 8, xlsx.INTEGER),
                xlsx.Column("未达标数", 9, xlsx.INTEGER),
                xlsx.Column("缺报数", 8, xlsx.INTEGER),
            ],
            (
                (
                    r.rank,
                    r.region_code,
                    r.region_name,
                    r.total,
                    r.grade,
                    r.rank_of,
                    r.previous_total,
                    r.change,
                    r.previous_rank,
                    r.met,
                    r.not_met,
                    r.missing,
                )
                for r in data.children
            ),
        )
        progress(95, "保存文件")
        return xlsx.workbook_bytes(wb, title=self.title(data))
