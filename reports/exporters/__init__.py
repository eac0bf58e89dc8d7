"""One exporter class per report (pretix style). `EXPORTERS` maps ReportArtifact.kind to it."""

from reports.exporters.annual_report import AnnualReportExporter
from reports.exporters.base import BaseExporter, ExportFile, ReportError
from reports.exporters.ranking_notice import RankingNoticeExporter

EXPORTERS: dict[str, type[BaseExporter]] = {
    AnnualReportExporter.identifier: AnnualReportExporter,
    RankingNoticeExporter.identifier: RankingNoticeExporter,
}


def exporter_for(kind: str) -> type[BaseExporter]:
    try:
        return EXPORTERS[kind]
    except KeyError:
        raise ReportError(f"未知的报告类型：{kind}") from None


__all__ = ["EXPORTERS", "BaseExporter", "ExportFile", "ReportError", "exporter_for"]
