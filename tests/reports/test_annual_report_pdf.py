"""The annual assessment report as PDF: contents read back from the file itself."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from indicators.models import Evidence, RegionScore, TargetScore
from reports import fonts
from reports.errors import ReportError
from reports.exporters import AnnualReportExporter
from tests.reports.builders import build_scored_city
from tests.reports.conftest import built_and_rolled_back, pdf_text, save_pages_as_png, squeeze

# Also makes pytest-django create the test database before the module fixture runs.
pytestmark = pytest.mark.django_db

CHART_BUILDERS = ("category_scores", "score_history", "points_lost", "ranking_bar")


@pytest.fixture(scope="module")
def report(django_db_setup, django_db_blocker, tmp_path_factory):
    """邢台市 2015 (verified): the PDF once for the module, and the rows it must show."""
    from dashboards import charts

    def build():
        scored = build_scored_city()
        called: list[str] = []
        originals = {name: getattr(charts, name) for name in CHART_BUILDERS}

        def spy(name):
            def wrapper(*args, **kwargs):
                called.append(name)
                return originals[name](*args, **kwargs)

            return wrapper

        for name in CHART_BUILDERS:
            setattr(charts, name, spy(name))
        try:
            export = AnnualReportExporter(region=scored.city, year=2015, basis="verified").render("pdf")
        finally:
            for name, original in originals.items():
                setattr(charts, name, original)
        scores = RegionScore.objects.filter(year__in=[2014, 2015], basis="verified").select_related("region")
        return {
            "pdf": export.data,
            "called": called,
            "city": {s.year: s for s in scores if s.region_id == scored.city.pk},
            "children": sorted(
                (s for s in scores if s.region.parent_id == scored.city.pk and s.year == 2015),
                key=lambda s: (s.rank, -s.total, s.region.code),
            ),
            "targets": list(
                TargetScore.objects.filter(region=scored.city, year=2015, basis="verified").select_related(
                    "indicator"
                )
            ),
            "evidence": list(Evidence.objects.filter(figure__region=scored.city, figure__year=2015)),
        }

    return built_and_rolled_back(django_db_blocker, tmp_path_factory.mktemp("media"), build)


def test_it_prints_region_name_year_total_and_grade(report, artifacts_dir):
    score = report["city"][2015]
    text = pdf_text(report["pdf"])

    assert report["pdf"].startswith(b"%PDF")
    assert "邢台市" in text
    assert "2015" in text
    assert f"{score.total:.2f}" in text
    assert f"{score.grade}级" in squeeze(text)
    assert "质量强市工作考核报告" in squeeze(text)

    pngs = save_pages_as_png(report["pdf"], artifacts_dir, "report-annual-130500-2015", first=1, last=2)
    assert [p.name for p in pngs] == ["report-annual-130500-2015-1.png", "report-annual-130500-2015-2.png"]
    assert all(p.stat().st_size > 10_000 for p in pngs)  # a real page, not a blank one


def test_it_numbers_pages_as_page_n_of_m(report):
    pages = PdfReader(io.BytesIO(report["pdf"])).pages
    assert len(pages) >= 5
    assert f"第{len(pages)}页共{len(pages)}页" in squeeze(pages[-1].extract_text())
    assert f"第2页共{len(pages)}页" in squeeze(pages[1].extract_text())


def test_it_compares_with_last_year(report):
    now, before = report["city"][2015], report["city"][2014]
    change = now.total - before.total
    text = squeeze(pdf_text(report["pdf"]))
    sign = "+" if change > 0 else "−"
    assert f"{sign}{abs(change):.2f}" in text
    assert f"上年度综合得分{before.total:.2f}分" in text


def test_it_lists_every_indicator_by_category_with_completion_and_status(report):
    text = squeeze(pdf_text(report["pdf"]))
    assert len(report["targets"]) == 12
    for row in report["targets"]:
        assert row.indicator.name_zh in text
        assert f"{row.points:.2f}" in text
        assert f"{row.completion * 100:.1f}%" in text
    assert "（一）产品质量" in text
    assert "达标" in text and "未达标" in text


def test_it_shows_self_and_verified_points_of_qualitative_items(report):
    text = squeeze(pdf_text(report["pdf"]))
    assert "定性评分项目" in text
    assert "规划实施：制定并落实质量发展规划和年度计划" in text
    # self 4.50 and verified 3.50 for the planning item; totals 12.50 / 11.50 of 14.00.
    assert "满分14.00分；自评12.50分，核定11.50分" in text


def test_it_ranks_the_children_in_order(report):
    text = squeeze(pdf_text(report["pdf"]))
    section = text[text.index("下级地区考核排名") :]
    assert len(report["children"]) == 19
    positions = [section.index(c.region.name) for c in report["children"]]
    assert positions == sorted(positions)


def test_it_lists_awards_granted_in_the_year(report):
    text = squeeze(pdf_text(report["pdf"]))
    assert "河北省名牌产品" in text
    assert "测试牌1号产品" in text and "测试牌3号产品" in text


def test_annex_lists_every_evidence_file_with_its_checksum(report):
    text = squeeze(pdf_text(report["pdf"]))
    annex = text[text.index("佐证材料清单") :]
    assert len(report["evidence"]) == 2
    for ev in report["evidence"]:
        assert ev.sha256 in annex
        assert squeeze(ev.original_name) in annex


def test_charts_are_images_built_by_the_dashboard_builders(report):
    assert report["called"] == list(CHART_BUILDERS)
    reader = PdfReader(io.BytesIO(report["pdf"]))
    widths = {}
    for page in reader.pages:
        for name, ref in (page["/Resources"].get("/XObject") or {}).items():
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Image" and "/SMask" in xobject:  # PNG with alpha: a chart
                widths[name] = int(xobject["/Width"])
    assert len(widths) == 4
    assert all(w >= 1200 for w in widths.values())  # rendered at 2x for print


def test_it_refuses_to_print_boxes_when_no_cjk_font_is_installed(catalog, media_root, monkeypatch):
    small = build_scored_city(n_counties=2, n_indicators=4, years=(2015,))
    monkeypatch.setattr(fonts, "cjk_families", lambda: ())
    exporter = AnnualReportExporter(region=small.city, year=2015, basis="verified")
    with pytest.raises(ReportError, match="未找到中文（CJK）字体") as excinfo:
        exporter.render("pdf")
    assert "fonts-noto-cjk" in str(excinfo.value)


def test_the_font_check_finds_the_installed_cjk_font():
    fonts.cjk_families.cache_clear()
    choice = fonts.pdf_fonts()
    assert choice.chart in fonts.cjk_families()
    assert choice.chart in choice.heading


def test_a_region_without_a_score_is_refused_with_a_clear_message(catalog, region):
    exporter = AnnualReportExporter(region=region("130300"), year=2015, basis="verified")
    with pytest.raises(ReportError, match="秦皇岛市2015年度尚无核定得分"):
        exporter.render("pdf")


def test_a_county_report_without_children_items_or_evidence_still_reads_well(catalog, media_root):
    small = build_scored_city(
        n_counties=2, n_indicators=4, years=(2015,), with_items=False, with_evidence=False, with_awards=False
    )
    county = small.counties[0]
    score = RegionScore.objects.get(region=county, year=2015, basis="self")
    export = AnnualReportExporter(region=county, year=2015, basis="self").render("pdf")
    flat = squeeze(pdf_text(export.data))
    assert f"{county.name}" in flat and f"{score.total:.2f}" in flat
    assert "（自评口径）" in flat
    assert "上年度无同口径得分，无法比较" in flat
    assert "本年度无定性评分项目记录" in flat
    assert f"{county.name}本年度无下级地区参评得分" in flat
    assert "年度辖区内无新获品牌与质量奖项记录" in flat
    assert "本年度未上传佐证材料" in flat
    assert export.filename == f"{county.name}2015年度质量强市工作考核报告（自评）.pdf"


def test_no_text_runs_past_the_right_margin(report, tmp_path):
    """Every word after the cover lies inside the 18 mm right margin (pdftotext -bbox)."""
    import re
    import subprocess

    source = tmp_path / "report.pdf"
    source.write_bytes(report["pdf"])
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(source), "-"], capture_output=True, text=True, check=True
    ).stdout
    margin = 18 / 25.4 * 72  # @page margin-right in points
    pages = re.split(r"<page ", boxes)[1:]
    assert len(pages) >= 3
    beyond = []
    for number, page in enumerate(pages, start=1):
        if number == 1:
            continue  # the cover is printed without margins on purpose
        width = float(re.match(r'width="([\d.]+)"', page).group(1))
        for x_max, word in re.findall(r'xMax="([\d.]+)"[^>]*>([^<]*)</word>', page):
            if float(x_max) > width - margin + 1:
                beyond.append((number, word, round(float(x_max) - (width - margin), 1)))
    assert beyond == []
