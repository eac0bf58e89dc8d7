"""The annual report workbook: values equal the stored scores; formatted like the screen."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from indicators.models import RegionScore, TargetScore
from reports.exporters import AnnualReportExporter
from tests.reports.builders import build_scored_city
from tests.reports.conftest import built_and_rolled_back

# Also makes pytest-django create the test database before the module fixture runs.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def book(django_db_setup, django_db_blocker, tmp_path_factory):
    def build():
        scored = build_scored_city()
        export = AnnualReportExporter(region=scored.city, year=2015, basis="verified").render("xlsx")
        return {
            "export": export,
            "wb": load_workbook(io.BytesIO(export.data)),
            "city": RegionScore.objects.get(region=scored.city, year=2015, basis="verified"),
            "city_2014": RegionScore.objects.get(region=scored.city, year=2014, basis="verified"),
            "targets": {
                t.indicator.code: t
                for t in TargetScore.objects.filter(
                    region=scored.city, year=2015, basis="verified"
                ).select_related("indicator")
            },
            "children": {
                s.region.code: s
                for s in RegionScore.objects.filter(
                    region__parent=scored.city, year=2015, basis="verified"
                ).select_related("region")
            },
            "children_2014": {
                s.region.code: s
                for s in RegionScore.objects.filter(
                    region__parent=scored.city, year=2014, basis="verified"
                ).select_related("region")
            },
        }

    return built_and_rolled_back(django_db_blocker, tmp_path_factory.mktemp("media"), build)


def dec(value) -> Decimal:
    """A cell's number as Decimal (openpyxl reads numbers back as float or int)."""
    assert isinstance(value, (int, float)), f"expected a number, got {value!r}"
    return Decimal(str(value))


def records(ws, header_row: int) -> list[dict]:
    headers = [c.value for c in ws[header_row]]
    return [
        dict(zip(headers, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=header_row + 1)
        if any(c.value is not None for c in row)
    ]


def test_it_has_summary_indicator_and_children_sheets(book):
    assert book["wb"].sheetnames == ["概况", "指标得分", "定性评分", "下级地区"]
    assert book["export"].filename == "邢台市2015年度质量强市工作考核报告（核定）.xlsx"


def test_summary_values_equal_the_database_score(book):
    summary = {row["项目"]: row["数值"] for row in records(book["wb"]["概况"], 2)}
    city, before = book["city"], book["city_2014"]
    assert summary["地区"] == "邢台市"
    assert summary["年度"] == 2015
    assert dec(summary["综合得分"]) == city.total
    assert summary["等级"] == city.grade
    assert summary["排名"] == city.rank
    assert summary["参评数"] == city.rank_of
    assert dec(summary["得分"]) == city.points
    assert dec(summary["满分"]) == city.max_points
    assert (summary["达标数"], summary["未达标数"], summary["缺报数"]) == (
        city.met,
        city.not_met,
        city.missing,
    )
    assert dec(summary["上年综合得分"]) == before.total
    assert dec(summary["较上年增减"]) == city.total - before.total


def test_indicator_rows_equal_the_database_target_scores(book):
    rows = records(book["wb"]["指标得分"], 1)
    assert len(rows) == len(book["targets"]) == 12
    for row in rows:
        stored = book["targets"][row["指标代码"]]
        assert row["指标名称"] == stored.indicator.name_zh
        assert dec(row["目标值"]) == stored.target
        assert dec(row["实际值"]) == stored.actual
        assert dec(row["完成率"]) == stored.completion
        assert dec(row["权重"]) == stored.weight
        assert dec(row["得分"]) == stored.points
        assert row["状态"] == stored.get_status_display()


def test_children_rows_equal_the_database_scores_in_rank_order(book):
    rows = records(book["wb"]["下级地区"], 1)
    assert len(rows) == 19
    assert [r["排名"] for r in rows] == sorted(r["排名"] for r in rows)
    for row in rows:
        stored = book["children"][row["地区代码"]]
        before = book["children_2014"][row["地区代码"]]
        assert row["地区"] == stored.region.name
        assert dec(row["综合得分"]) == stored.total
        assert row["等级"] == stored.grade
        assert row["排名"] == stored.rank
        assert dec(row["上年得分"]) == before.total
        assert dec(row["增减"]) == stored.total - before.total


def test_sheets_are_formatted_like_the_screen(book):
    wb = book["wb"]
    indicators = wb["指标得分"]
    assert [c.value for c in indicators[1]][:4] == ["类别", "指标代码", "指标名称", "单位"]
    assert indicators.freeze_panes == "A2"
    assert wb["概况"].freeze_panes == "A3"  # below the caption and the header
    assert wb["下级地区"].freeze_panes == "A2"
    header = {c.value: c.column_letter for c in indicators[1]}
    assert indicators[f"{header['完成率']}2"].number_format == "0.0%"
    assert indicators[f"{header['得分']}2"].number_format == "0.00"
    assert indicators.column_dimensions[header["指标名称"]].width >= 30
    assert indicators[f"{header['得分']}2"].data_type == "n"  # numbers stored as numbers
    children = wb["下级地区"]
    ch = {c.value: c.column_letter for c in children[1]}
    assert children[f"{ch['综合得分']}2"].number_format == "0.00"
    assert children[f"{ch['综合得分']}2"].data_type == "n"
    assert indicators[f"{header['类别']}1"].font.bold
