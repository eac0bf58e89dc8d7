"""The county ranking notice (考核结果通报): rank order, shared ranks, draft marking."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from indicators.models import RegionScore
from reports.errors import ReportError
from reports.exporters import RankingNoticeExporter
from tests.reports.builders import build_scored_city
from tests.reports.conftest import built_and_rolled_back, pdf_text, save_pages_as_png, squeeze

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def notice(django_db_setup, django_db_blocker, tmp_path_factory):
    def build():
        scored = build_scored_city(with_evidence=False, with_awards=False)
        exporter = RankingNoticeExporter(region=scored.city, year=2015, basis="verified")
        scores = RegionScore.objects.filter(region__parent=scored.city, basis="verified").select_related(
            "region"
        )
        return {
            "tied": scored.tied,
            "pdf": exporter.render("pdf").data,
            "xlsx": RankingNoticeExporter(region=scored.city, year=2015, basis="verified").render("xlsx"),
            "now": {s.region.code: s for s in scores if s.year == 2015},
            "before": {s.region.code: s for s in scores if s.year == 2014},
        }

    return built_and_rolled_back(django_db_blocker, tmp_path_factory.mktemp("media"), build)


def competition_ranks(totals: dict[str, Decimal]) -> dict[str, int]:
    """DESIGN §3: 1 + the number of strictly higher totals (1, 2, 2, 4)."""
    return {code: 1 + sum(1 for t in totals.values() if t > total) for code, total in totals.items()}


def test_ties_share_a_rank_and_the_next_rank_is_skipped(notice):
    now = notice["now"]
    a, b = notice["tied"]
    assert now[a].total == now[b].total
    assert now[a].rank == now[b].rank
    expected = competition_ranks({code: s.total for code, s in now.items()})
    assert {code: s.rank for code, s in now.items()} == expected
    tied_rank = now[a].rank
    assert not any(s.rank == tied_rank + 1 for s in now.values())  # 1, 2, 2, 4


def test_the_xlsx_lists_the_counties_in_rank_order_with_shared_ranks(notice):
    wb = load_workbook(io.BytesIO(notice["xlsx"].data))
    ws = wb["考核结果通报"]
    assert "未发布" in ws["A1"].value  # live scores: marked as a draft
    headers = [c.value for c in ws[2]]
    rows = [dict(zip(headers, (c.value for c in r), strict=True)) for r in ws.iter_rows(min_row=3)]
    now, before = notice["now"], notice["before"]
    assert len(rows) == len(now) == 19
    ordered = sorted(now.values(), key=lambda s: (s.rank, -s.total, s.region.code))
    assert [r["地区代码"] for r in rows] == [s.region.code for s in ordered]
    for row in rows:
        stored = now[row["地区代码"]]
        assert row["名次"] == stored.rank
        assert Decimal(str(row["综合得分"])) == stored.total
        assert row["等级"] == stored.grade
        assert Decimal(str(row["上年得分"])) == before[row["地区代码"]].total
        assert Decimal(str(row["增减"])) == stored.total - before[row["地区代码"]].total
        assert row["上年名次"] == before[row["地区代码"]].rank
    a, b = notice["tied"]
    tied = [r["名次"] for r in rows if r["地区代码"] in (a, b)]
    assert tied[0] == tied[1]
    assert ws.freeze_panes == "A3"


def test_the_pdf_lists_the_counties_in_rank_order_with_shared_ranks(notice, artifacts_dir):
    text = pdf_text(notice["pdf"])
    flat = squeeze(text)
    table = flat[flat.index("一、考核结果") : flat.index("二、等级分布")]
    ordered = sorted(notice["now"].values(), key=lambda s: (s.rank, -s.total, s.region.code))
    positions = [table.index(s.region.name) for s in ordered]
    assert positions == sorted(positions)
    # Each row reads "<rank><name><total><grade>": the tied counties print the same rank.
    for s in ordered:
        assert f"{s.rank}{s.region.name}{s.total:.2f}{s.grade}" in table
    assert "综合得分相同者名次并列" in flat
    assert "邢台市" in text and "2015" in text
    save_pages_as_png(notice["pdf"], artifacts_dir, "notice-130500-2015", first=1, last=1)


def test_an_unpublished_notice_is_marked_as_a_draft(notice):
    flat = squeeze(pdf_text(notice["pdf"]))
    assert "未发布·草稿" in flat
    assert "考核结果尚未发布" in flat
    assert notice["xlsx"].filename.endswith("（未发布草稿）.xlsx")


def test_a_county_has_no_notice(catalog, region):
    with pytest.raises(ReportError, match="没有下级地区"):
        RankingNoticeExporter(region=region("130528"), year=2015, basis="verified").collect()


def test_a_city_without_scores_is_refused_clearly(catalog, region):
    with pytest.raises(ReportError, match="秦皇岛市下级地区2015年度尚无核定得分"):
        RankingNoticeExporter(region=region("130300"), year=2015, basis="verified").collect()


def _publish(city, year: int, totals: dict[str, tuple[str, str, int]], version: int = 1):
    """A published assessment of `city` with frozen verified totals {code: (total, grade, rank)}."""
    import datetime as dt

    from assessments.models import Assessment, Publication, PublishedRegionScore
    from indicators.models import Region, ScoringScheme

    assessment, _ = Assessment.objects.get_or_create(
        assessing_region=city,
        year=year,
        defaults={
            "name": f"{city.name}{year}年度质量强市考核",
            "scheme": ScoringScheme.objects.get(is_default=True),
            "window_start": dt.date(year, 7, 1),
            "window_end": dt.date(year + 1, 6, 30),
            "stage": "published",
            "version": version,
        },
    )
    pub = Publication.objects.create(
        assessment=assessment, version=version, title=f"{city.name}{year}年度考核结果"
    )
    for code, (total, grade, rank) in totals.items():
        PublishedRegionScore.objects.create(
            publication=pub,
            region=Region.objects.get(code=code),
            year=year,
            basis="verified",
            total=Decimal(total),
            grade=grade,
            rank=rank,
            rank_of=len(totals),
            points=Decimal(total),
            max_points=Decimal(100),
        )
    return pub


def test_a_published_assessment_prints_its_frozen_results_without_the_draft_mark(catalog, media_root):
    scored = build_scored_city(n_counties=4, n_indicators=4, with_evidence=False, with_awards=False)
    a, b, c, d = (county.code for county in scored.counties)
    # Frozen results that differ from the live scores (and tie 2 and 3).
    _publish(
        scored.city,
        2015,
        {a: ("95.00", "A", 1), b: ("88.50", "B", 2), c: ("88.50", "B", 2), d: ("70.25", "C", 4)},
    )

    data = RankingNoticeExporter(region=scored.city, year=2015, basis="self").collect()
    assert data.published is True
    assert data.basis == "verified"  # published results are the verified ranking
    assert data.published_label.startswith("第1版，")
    assert [(r.region_code, r.rank, r.total) for r in data.rows] == [
        (a, 1, Decimal("95.00")),
        (b, 2, Decimal("88.50")),
        (c, 2, Decimal("88.50")),
        (d, 4, Decimal("70.25")),
    ]
    live_2014 = RegionScore.objects.get(region__code=a, year=2014, basis="verified")
    assert data.rows[0].previous_total == live_2014.total  # no 2014 publication: live scores

    export = RankingNoticeExporter(region=scored.city, year=2015, basis="verified").render("pdf")
    flat = squeeze(pdf_text(export.data))
    assert "未发布" not in flat
    assert "依据已发布的考核结果：第1版" in flat
    assert f"2{scored.counties[1].name}88.50B" in flat and f"2{scored.counties[2].name}88.50B" in flat
    assert not export.filename.endswith("（未发布草稿）.pdf")


def test_a_republished_version_replaces_the_earlier_one(catalog, media_root):
    scored = build_scored_city(
        n_counties=2, n_indicators=4, years=(2015,), with_evidence=False, with_awards=False
    )
    a, b = (county.code for county in scored.counties)
    _publish(scored.city, 2015, {a: ("91.00", "A", 1), b: ("85.00", "B", 2)})
    _publish(scored.city, 2015, {a: ("84.00", "B", 2), b: ("85.00", "B", 1)}, version=2)

    data = RankingNoticeExporter(region=scored.city, year=2015, basis="verified").collect()
    assert [(r.region_code, r.rank) for r in data.rows] == [(b, 1), (a, 2)]
    assert data.published_label.startswith("第2版，")
