"""python manage.py export_report --year Y --region CODE --format pdf|xlsx -o PATH."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from indicators.models import RegionScore
from reports.models import ReportArtifact
from tests.reports.builders import build_scored_city
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_city(catalog, media_root):
    return build_scored_city(n_counties=3, n_indicators=4, with_awards=False)


def run(*args) -> str:
    out = io.StringIO()
    call_command("export_report", *args, stdout=out)
    return out.getvalue()


def test_it_writes_the_pdf_report(small_city, tmp_path):
    path = tmp_path / "out" / "report.pdf"
    message = run("--year", "2015", "--region", "130500", "--format", "pdf", "-o", str(path))
    score = RegionScore.objects.get(region=small_city.city, year=2015, basis="verified")
    text = pdf_text(path.read_bytes())
    assert "邢台市" in text and f"{score.total:.2f}" in text
    artifact = ReportArtifact.objects.get()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == artifact.sha256
    assert "新生成" in message and artifact.sha256 in message


def test_a_second_run_with_unchanged_inputs_copies_the_archived_file(small_city, tmp_path, render_counts):
    run("--year", "2015", "--region", "130500", "--format", "xlsx", "-o", str(tmp_path / "a.xlsx"))
    renders = render_counts()["annual_report"]
    message = run("--year", "2015", "--region", "130500", "--format", "xlsx", "-o", str(tmp_path / "b.xlsx"))
    assert "输入未变化，复用存档报告" in message
    assert render_counts()["annual_report"] == renders
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert ReportArtifact.objects.count() == 1


def test_the_notice_and_the_self_basis(small_city, tmp_path):
    path = tmp_path / "notice.xlsx"
    run(
        "--year",
        "2015",
        "--region",
        "130500",
        "--format",
        "xlsx",
        "-o",
        str(path),
        "--kind",
        "notice",
        "--basis",
        "self",
    )
    ws = load_workbook(path)["考核结果通报"]
    codes = [row[1].value for row in ws.iter_rows(min_row=3)]
    stored = RegionScore.objects.filter(region__parent=small_city.city, year=2015, basis="self").order_by(
        "rank", "-total", "region__code"
    )
    assert codes == [s.region.code for s in stored]
    assert "自评" in ws["A1"].value


def test_errors_are_clear(catalog, tmp_path):
    with pytest.raises(CommandError, match="地区代码不存在"):
        run("--year", "2015", "--region", "999999", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="秦皇岛市2015年度尚无核定得分"):
        run("--year", "2015", "--region", "130300", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert not (tmp_path / "x.pdf").exists()
