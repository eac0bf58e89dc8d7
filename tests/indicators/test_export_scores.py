"""export_scores: DESIGN §4 columns, round trip to the stored rows, numbers as numbers, no formulas."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import load_workbook

from indicators.models import Region, RegionScore, TargetScore
from indicators.score_export import REGION_HEADER, TARGET_HEADER
from indicators.scoring_service import compute_scores
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig, tgt

pytestmark = pytest.mark.django_db

XT = "130500"
EVIL = '=HYPERLINK("http://evil.example","点我")'


@pytest.fixture
def scored(catalog, region):
    xingtai = region(XT)
    # A county whose name a spreadsheet would run as a formula.
    evil = Region.objects.create(
        code="130599", name=EVIL, level="county", parent=xingtai, path=f"{xingtai.path}130599/"
    )
    for code in ("130521", "130522", evil.code):
        tgt(code, "PQ_SAMPLING_PASS", 2015, 98, weight=4)
        tgt(code, "EN_LUBAN_AWARDS", 2015, 2, weight=6)
    fig("130521", "PQ_SAMPLING_PASS", 2015, "97.25", verified="96.5")
    fig("130521", "EN_LUBAN_AWARDS", 2015, 3)
    fig("130522", "PQ_SAMPLING_PASS", 2015, 99)
    fig(evil.code, "PQ_SAMPLING_PASS", 2015, 90)
    compute_scores(year=2015, region=xingtai)
    return xingtai


def dec(value) -> Decimal | None:
    if value in (None, ""):
        return None
    return Decimal(str(value))


def expected_regions() -> dict[tuple[str, str], tuple]:
    return {
        (s.region.code, s.basis): (s.region.name, s.year, s.total, s.grade, s.rank, s.rank_of)
        for s in RegionScore.objects.filter(region__path__startswith="/130000/130500/").select_related(
            "region"
        )
    }


def expected_targets() -> dict[tuple[str, str, str], tuple]:
    return {
        (t.region.code, t.indicator.code, t.basis): (
            t.year,
            t.actual,
            t.target,
            t.completion,
            t.points,
            t.weight,
            t.status,
        )
        for t in TargetScore.objects.filter(region__path__startswith="/130000/130500/").select_related(
            "region", "indicator"
        )
    }


def test_csv_export_round_trips_to_the_stored_scores(scored, tmp_path):
    out = tmp_path / "scores.csv"
    call_command("export_scores", "--year", "2015", "--region", XT, "--format", "csv", "-o", str(out))

    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == REGION_HEADER
    got = {
        (r[0], r[3]): (r[1].removeprefix("'"), int(r[2]), dec(r[4]), r[5], int(r[6]), int(r[7]))
        for r in rows[1:]
    }
    assert got == expected_regions()
    assert len(got) == 6  # 3 counties x 2 bases

    with (tmp_path / "scores_targets.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == TARGET_HEADER
    assert rows[0][:9] == [
        "region_code",
        "indicator_code",
        "year",
        "actual",
        "target",
        "completion",
        "points",
        "weight",
        "status",
    ]
    got = {
        (r[0], r[1], r[9]): (int(r[2]), dec(r[3]), dec(r[4]), dec(r[5]), dec(r[6]), dec(r[7]), r[8])
        for r in rows[1:]
    }
    assert got == expected_targets()
    assert got[("130521", "PQ_SAMPLING_PASS", "verified")][1] == Decimal("96.5")
    assert got[("130522", "EN_LUBAN_AWARDS", "self")][1] is None  # missing: an empty cell


def test_csv_text_cells_that_look_like_formulas_are_escaped(scored, tmp_path):
    out = tmp_path / "s.csv"
    call_command("export_scores", "--year", "2015", "--region", XT, "--format", "csv", "-o", str(out))
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text
    for line in text.splitlines()[1:]:
        for cell in next(csv.reader([line])):
            assert not cell.startswith(("=", "+", "@")), cell
            assert not (cell.startswith("-") and not cell[1:].replace(".", "").isdigit()), cell


def test_xlsx_export_has_two_sheets_of_numbers_that_round_trip(scored, tmp_path):
    out = tmp_path / "scores.xlsx"
    call_command("export_scores", "--year", "2015", "--region", XT, "--format", "xlsx", "-o", str(out))
    wb = load_workbook(out)
    regions, targets = wb.worksheets
    assert [c.value for c in regions[1]] == REGION_HEADER
    assert [c.value for c in targets[1]] == TARGET_HEADER

    got = {}
    for row in regions.iter_rows(min_row=2):
        code, name, year, basis, total, grade, rank, rank_of = row
        assert total.data_type == "n" and isinstance(total.value, (int, float))
        assert isinstance(year.value, int) and isinstance(rank.value, int) and isinstance(rank_of.value, int)
        assert name.data_type == "s"  # the formula-looking name is a literal string
        got[(code.value, basis.value)] = (
            name.value,
            year.value,
            dec(total.value),
            grade.value,
            rank.value,
            rank_of.value,
        )
    assert got == expected_regions()
    assert got[("130599", "self")][0] == EVIL

    got = {}
    for row in targets.iter_rows(min_row=2, values_only=True):
        code, indicator, year, actual, target, completion, points, weight, status, basis = row
        for number in (target, points, weight):
            assert isinstance(number, (int, float))
        got[(code, indicator, basis)] = (
            year,
            dec(actual),
            dec(target),
            dec(completion),
            dec(points),
            dec(weight),
            status,
        )
    assert got == expected_targets()


def test_the_region_option_limits_the_export_to_that_subtree(scored, tmp_path):
    out = tmp_path / "one.csv"
    call_command(
        "export_scores",
        "--year",
        "2015",
        "--region",
        "130521",
        "--format",
        "csv",
        "-o",
        str(out),
        "--basis",
        "verified",
    )
    rows = list(csv.reader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert [r[0] for r in rows[1:]] == ["130521"]
    assert rows[1][3] == "verified"


def test_the_command_refuses_unknown_regions_and_formats(scored, tmp_path):
    with pytest.raises(CommandError, match="未知地区代码"):
        call_command(
            "export_scores",
            "--year",
            "2015",
            "--region",
            "999999",
            "--format",
            "csv",
            "-o",
            str(tmp_path / "x.csv"),
        )
    with pytest.raises(CommandError):
        call_command(
            "export_scores",
            "--year",
            "2015",
            "--region",
            XT,
            "--format",
            "pdf",
            "-o",
            str(tmp_path / "x.pdf"),
        )


def test_the_download_asks_the_policy(scored, client):
    client.force_login(make_user("130300", "leader"))  # 秦皇岛市: outside
    assert client.get(f"/scores/{XT}/2015/export.xlsx").status_code == 403
    client.force_login(make_user("130521", "staff"))  # a county of 邢台市: only its own subtree
    assert client.get(f"/scores/{XT}/2015/export.csv").status_code == 403
    response = client.get("/scores/130521/2015/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r[0] for r in rows[1:]} == {"130521"}

    client.force_login(make_user(XT, "leader"))
    response = client.get(f"/scores/{XT}/2015/export.xlsx")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="scores_130500_2015.xlsx"'
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["地区得分", "指标得分"]
    assert wb.worksheets[0].max_row == 7
    targets_csv = client.get(f"/scores/{XT}/2015/export.csv?part=targets").content.decode("utf-8-sig")
    assert targets_csv.splitlines()[0] == ",".join(TARGET_HEADER)
    assert client.get(f"/scores/{XT}/2015/export.pdf").status_code == 404
