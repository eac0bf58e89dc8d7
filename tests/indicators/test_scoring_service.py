"""compute_scores: loading, both bases, scope, ranking, storing, idempotence, audit."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.management import call_command

from indicators import scoring_service
from indicators.models import (
    Figure,
    ItemScore,
    QualitativeItem,
    RegionScore,
    ScoreRun,
    ScoringScheme,
    Target,
    TargetScore,
)
from indicators.scoring_service import compute_scores, load_inputs, score_rows_snapshot
from tests.factories import make_user
from tests.indicators.scoring_helpers import D, fig, tgt

pytestmark = pytest.mark.django_db

XINGTAI, XT_COUNTY, LINCHENG, NEIQIU = "130500", "130521", "130522", "130523"


def ts(region: str, indicator: str, basis: str, year: int = 2015) -> TargetScore:
    return TargetScore.objects.get(region__code=region, indicator__code=indicator, basis=basis, year=year)


def rs(region: str, basis: str, year: int = 2015) -> RegionScore:
    return RegionScore.objects.get(region__code=region, basis=basis, year=year)


@pytest.fixture
def two_counties(catalog):
    """Two counties of 邢台市 with two targets each (weights 4 and 6)."""
    for county in (XT_COUNTY, LINCHENG):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98, weight=4)
        tgt(county, "EN_LUBAN_AWARDS", 2015, 2, weight=6)
    fig(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 98)
    fig(XT_COUNTY, "EN_LUBAN_AWARDS", 2015, 1)
    fig(LINCHENG, "PQ_SAMPLING_PASS", 2015, 99, verified=97)  # adjusted down on site


def test_it_stores_each_target_and_region_with_the_arithmetic_of_design_3(two_counties, region):
    compute_scores(year=2015, region=region(XINGTAI))

    # 邢台县: 98/98 = 1 -> 4 * 1 = 4; 1/2 = 0.5 -> 6 * 0.5 = 3; total 100 * 7 / 10 = 70.00 -> C
    assert ts(XT_COUNTY, "PQ_SAMPLING_PASS", "verified").points == D("4")
    assert ts(XT_COUNTY, "EN_LUBAN_AWARDS", "verified").completion == D("0.5")
    assert ts(XT_COUNTY, "EN_LUBAN_AWARDS", "verified").points == D("3")
    assert ts(XT_COUNTY, "EN_LUBAN_AWARDS", "verified").status == "not_met"
    xt = rs(XT_COUNTY, "verified")
    assert (xt.total, xt.grade, xt.points, xt.max_points) == (D("70.00"), "C", D("7"), D("10"))
    assert (xt.met, xt.not_met, xt.missing) == (1, 1, 0)

    # 临城县 self: reported 99 >= 98 -> 4 points; Luban missing -> 0; 100 * 4 / 10 = 40.00 -> D
    # 临城县 verified: 97 / 98 = 0.98979591.. -> 0.989796; 4 * 0.98979591.. = 3.9592; 39.59 -> D
    assert ts(LINCHENG, "PQ_SAMPLING_PASS", "self").actual == D("99")
    assert ts(LINCHENG, "PQ_SAMPLING_PASS", "self").points == D("4")
    v = ts(LINCHENG, "PQ_SAMPLING_PASS", "verified")
    assert (v.actual, v.completion, v.points, v.status) == (D("97"), D("0.989796"), D("3.9592"), "not_met")
    missing = ts(LINCHENG, "EN_LUBAN_AWARDS", "verified")
    assert (missing.actual, missing.completion, missing.points, missing.status) == (
        None,
        None,
        D(0),
        "missing",
    )
    assert rs(LINCHENG, "self").total == D("40.00")
    assert rs(LINCHENG, "verified").total == D("39.59")

    # Ranked among the two siblings (the city itself has no target: no score).
    assert (rs(XT_COUNTY, "verified").rank, rs(LINCHENG, "verified").rank) == (1, 2)
    assert rs(XT_COUNTY, "verified").rank_of == 2
    assert not RegionScore.objects.filter(region__code=XINGTAI).exists()


def test_running_twice_leaves_identical_rows(two_counties, region):
    first = compute_scores(year=2015, region=region(XINGTAI))
    before = score_rows_snapshot(year=2015)
    second = compute_scores(year=2015, region=region(XINGTAI))
    after = score_rows_snapshot(year=2015)

    assert after == before
    assert len(before[0]) == 4 and len(before[1]) == 8  # 2 regions x 2 bases; 4 targets x 2 bases
    # Same inputs, same hash; the old run's rows were replaced, not added to.
    assert [s.run.inputs_hash for s in first] == [s.run.inputs_hash for s in second]
    # Nothing changed, so nothing was written: every row still names the run that wrote it.
    assert set(RegionScore.objects.values_list("run", flat=True)) == {s.run.pk for s in first}
    assert TargetScore.objects.count() == 8


def test_national_run_and_scoped_run_agree(two_counties, region):
    tgt("130300", "PQ_SAMPLING_PASS", 2015, 98)  # 秦皇岛市, a sibling city of 邢台市
    tgt(XINGTAI, "PQ_SAMPLING_PASS", 2015, 98)
    fig("130300", "PQ_SAMPLING_PASS", 2015, 97)
    fig(XINGTAI, "PQ_SAMPLING_PASS", 2015, 99)
    compute_scores(year=2015)
    national = score_rows_snapshot(year=2015)

    compute_scores(year=2015, region=region(XINGTAI))
    assert score_rows_snapshot(year=2015) == national
    # 邢台市 100.00 ranks 1 of 2 among the Hebei cities, 秦皇岛市 98.98 ranks 2.
    assert (rs(XINGTAI, "verified").rank, rs(XINGTAI, "verified").rank_of) == (1, 2)
    assert rs("130300", "verified").rank == 2


def test_a_scoped_run_reranks_the_root_among_its_siblings_outside_the_scope(catalog, region):
    tgt("130300", "PQ_SAMPLING_PASS", 2015, 98)
    tgt(XINGTAI, "PQ_SAMPLING_PASS", 2015, 98)
    fig("130300", "PQ_SAMPLING_PASS", 2015, 97)
    xingtai_figure = fig(XINGTAI, "PQ_SAMPLING_PASS", 2015, 96)
    compute_scores(year=2015)
    assert rs("130300", "verified").rank == 1

    Figure.objects.filter(pk=xingtai_figure.pk).update(reported_value=99, verified_value=99, value=99)
    compute_scores(year=2015, region=region(XINGTAI))
    # Only 邢台市's subtree was scored, yet 秦皇岛市's stored rank follows.
    assert (rs(XINGTAI, "verified").rank, rs("130300", "verified").rank) == (1, 2)
    assert rs("130300", "verified").rank_of == 2


def test_ties_share_a_rank_and_the_next_rank_is_skipped(catalog, region):
    for county, value in [(XT_COUNTY, 98), (LINCHENG, 98), (NEIQIU, 49), ("130524", 99)]:
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98)
        fig(county, "PQ_SAMPLING_PASS", 2015, value)
    compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    ranks = dict(RegionScore.objects.values_list("region__code", "rank"))
    assert ranks == {XT_COUNTY: 1, LINCHENG: 1, "130524": 1, NEIQIU: 4}


def test_self_uses_reported_values_of_sent_figures_and_verified_only_approved_ones(catalog, region):
    for code in ("PQ_SAMPLING_PASS", "PQ_GRADE_RATE", "PQ_FOOD_PASS"):
        tgt(XT_COUNTY, code, 2015, 80, weight=1)
    fig(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 40, status=Figure.Status.SUBMITTED)
    fig(XT_COUNTY, "PQ_GRADE_RATE", 2015, 60, status=Figure.Status.DRAFT)
    fig(XT_COUNTY, "PQ_FOOD_PASS", 2015, 80, verified=64)
    compute_scores(year=2015, region=region(XT_COUNTY))

    assert ts(XT_COUNTY, "PQ_SAMPLING_PASS", "self").actual == D(40)  # submitted: reported
    assert ts(XT_COUNTY, "PQ_SAMPLING_PASS", "verified").status == "missing"  # not approved yet
    assert ts(XT_COUNTY, "PQ_GRADE_RATE", "self").status == "missing"  # a draft is not reported
    assert ts(XT_COUNTY, "PQ_FOOD_PASS", "self").actual == D(80)
    assert ts(XT_COUNTY, "PQ_FOOD_PASS", "verified").actual == D(64)
    # self: (0.5 + 0 + 1) / 3 = 50.00; verified: (0 + 0 + 0.8) / 3 = 26.666.. -> 26.67
    assert rs(XT_COUNTY, "self").total == D("50.00")
    assert rs(XT_COUNTY, "verified").total == D("26.67")


def test_qualitative_items_add_self_or_verified_points_and_their_max(catalog, region):
    scheme = ScoringScheme.objects.get(is_default=True)
    item = QualitativeItem.objects.create(scheme=scheme, code="Q1", name="组织领导", max_points=D(10))
    tgt(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 98, weight=90)
    fig(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 98)
    ItemScore.objects.create(
        item=item, region=region(XT_COUNTY), year=2015, self_points=D(9), verified_points=D(6)
    )
    # 邢台市 has an item score but no target that year: it gets no score (DESIGN §3).
    ItemScore.objects.create(item=item, region=region(XINGTAI), year=2015, self_points=D(5))
    compute_scores(year=2015, region=region(XINGTAI))

    # self: 100 * (90 + 9) / (90 + 10) = 99.00; verified: 100 * (90 + 6) / 100 = 96.00
    assert (rs(XT_COUNTY, "self").total, rs(XT_COUNTY, "self").max_points) == (D("99.00"), D(100))
    assert rs(XT_COUNTY, "verified").total == D("96.00")
    assert not RegionScore.objects.filter(region__code=XINGTAI).exists()


def test_sum_indicators_roll_up_from_the_counties_figures(catalog, region):
    tgt(XINGTAI, "EN_LUBAN_AWARDS", 2015, 4)  # sum indicator, the city enters nothing
    fig(XT_COUNTY, "EN_LUBAN_AWARDS", 2015, 1)
    fig(LINCHENG, "EN_LUBAN_AWARDS", 2015, 2)
    tgt(XINGTAI, "PQ_SAMPLING_PASS", 2015, 98)  # `none`: never rolls up
    fig(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 99)
    compute_scores(year=2015, region=region(XINGTAI))

    rolled = ts(XINGTAI, "EN_LUBAN_AWARDS", "verified")
    assert (rolled.actual, rolled.completion, rolled.points) == (D(3), D("0.75"), D(3))
    assert ts(XINGTAI, "PQ_SAMPLING_PASS", "verified").status == "missing"


def test_veto_forces_grade_d_and_keeps_the_total(catalog, region):
    tgt(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 98, weight=96)
    tgt(XT_COUNTY, "EN_MAJOR_ACCIDENTS", 2015, 0, weight=4, veto=True)
    fig(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 98)
    fig(XT_COUNTY, "EN_MAJOR_ACCIDENTS", 2015, 1)
    compute_scores(year=2015, region=region(XT_COUNTY), bases=["verified"])
    score = rs(XT_COUNTY, "verified")
    # <= target 0 missed by 1: c = 0 (T = 0) -> 0 points; total 96.00 stays, grade forced to D.
    assert (score.total, score.grade, score.vetoed) == (D("96.00"), "D", True)


def test_a_scope_run_deletes_results_of_targets_that_no_longer_exist(two_counties, region):
    compute_scores(year=2015, region=region(XINGTAI))
    Target.objects.filter(region__code=LINCHENG).delete()
    compute_scores(year=2015, region=region(XINGTAI))
    assert not RegionScore.objects.filter(region__code=LINCHENG).exists()
    assert not TargetScore.objects.filter(region__code=LINCHENG).exists()
    assert rs(XT_COUNTY, "verified").rank_of == 1


def test_a_run_outside_the_scope_leaves_other_regions_alone(two_counties, region):
    tgt("130302", "PQ_SAMPLING_PASS", 2015, 98)  # 秦皇岛市海港区
    compute_scores(year=2015)
    assert RegionScore.objects.filter(region__code="130302").count() == 2
    compute_scores(year=2015, region=region(XINGTAI))
    assert RegionScore.objects.filter(region__code="130302").count() == 2
    assert RegionScore.objects.filter(year=2015).count() == 6


def test_each_run_is_recorded_with_trigger_user_times_counts_and_hash(two_counties, region):
    user = make_user(XINGTAI, "reviewer")
    summaries = compute_scores(year=2015, region=region(XINGTAI), trigger="page", user=user)
    runs = list(ScoreRun.objects.order_by("pk"))
    assert [r.basis for r in runs] == ["self", "verified"]
    for run, summary in zip(runs, summaries, strict=True):
        assert run.status == ScoreRun.Status.DONE
        assert (run.trigger, run.triggered_by, run.region.code, run.year) == ("page", user, XINGTAI, 2015)
        assert run.finished_at >= run.started_at
        assert (run.region_rows, run.target_rows) == (2, 4)
        assert re.fullmatch(r"[0-9a-f]{64}", run.inputs_hash)
        assert summary.as_dict()["region_rows"] == 2
    # The two bases read different inputs, so their hashes differ.
    assert runs[0].inputs_hash != runs[1].inputs_hash


def test_a_changed_input_changes_the_hash(two_counties, region):
    (first,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    Figure.objects.filter(region__code=XT_COUNTY, indicator__code="EN_LUBAN_AWARDS").update(verified_value=2)
    (second,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    assert first.run.inputs_hash != second.run.inputs_hash
    assert rs(XT_COUNTY, "verified").total == D("100.00")


def test_a_failing_run_is_recorded_and_the_previous_results_stay(two_counties, region, monkeypatch):
    compute_scores(year=2015, region=region(XINGTAI))
    before = score_rows_snapshot(year=2015)

    def broken(*args, **kwargs):
        raise ValueError("engine exploded")

    monkeypatch.setattr(scoring_service.scoring, "score", broken)
    with pytest.raises(ValueError, match="engine exploded"):
        compute_scores(year=2015, region=region(XINGTAI), bases=["self"])
    failed = ScoreRun.objects.order_by("-pk").first()
    assert failed.status == ScoreRun.Status.FAILED
    assert "engine exploded" in failed.error
    assert score_rows_snapshot(year=2015) == before


def test_a_year_without_targets_scores_nothing(catalog):
    (summary, _) = compute_scores(year=2014)
    assert summary.run.region_rows == 0 and summary.run.status == ScoreRun.Status.DONE
    assert not RegionScore.objects.exists()


def test_inputs_load_in_a_few_queries(two_counties, region, django_assert_max_num_queries):
    xingtai = region(XINGTAI)
    with django_assert_max_num_queries(6):
        inputs = load_inputs(year=2015, root=xingtai)
    assert len(inputs.targets) == 4
    assert set(inputs.figures_self["region_code"]) == {XT_COUNTY, LINCHENG}
    assert len(inputs.figures_verified) == 3


def test_an_unknown_basis_is_refused(catalog):
    with pytest.raises(ValueError, match="口径"):
        compute_scores(year=2015, bases=["both"])


def test_the_command_prints_a_summary_per_basis(two_counties, capsys):
    call_command("compute_scores", "--year", "2015", "--region", XINGTAI)
    out = capsys.readouterr().out
    assert "邢台市（130500）及下辖地区 · 自评口径：评分地区 2 个，指标得分 4 条" in out
    assert "核定口径：评分地区 2 个，指标得分 4 条，等级 C 1 / D 1" in out
    assert RegionScore.objects.count() == 4


def test_the_command_scores_one_basis_and_refuses_unknown_regions(two_counties):
    call_command("compute_scores", "--year", "2015", "--basis", "self")
    assert set(RegionScore.objects.values_list("basis", flat=True)) == {"self"}
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="未知地区代码"):
        call_command("compute_scores", "--year", "2015", "--region", "999999")


def test_stored_numbers_are_exact_decimals(catalog, region):
    # c = 30 / 90 = 1/3 -> stored 0.333333; points 3 * 1/3 = 1.0000; total 100 * 1 / 3 = 33.33
    tgt(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 90, weight=3)
    fig(XT_COUNTY, "PQ_SAMPLING_PASS", 2015, 30)
    compute_scores(year=2015, region=region(XT_COUNTY), bases=["verified"])
    score = ts(XT_COUNTY, "PQ_SAMPLING_PASS", "verified")
    assert score.completion == Decimal("0.333333")
    assert score.points == Decimal("1.0000")
    assert rs(XT_COUNTY, "verified").total == Decimal("33.33")


# --- storing only what changed (scoring_service._merge) -------------------------------------


def _target_rows() -> dict[tuple, tuple]:
    """(region, indicator, basis) -> (id, run id, points) of every stored target score."""
    return {
        (r, i, b): (pk, run, points)
        for pk, r, i, b, run, points in TargetScore.objects.values_list(
            "pk", "region__code", "indicator__code", "basis", "run_id", "points"
        )
    }


def assert_same_as_a_run_into_empty_tables(root, bases: list[str], year: int = 2015) -> None:
    """The stored rows (merged run after run) are exactly those a run into empty tables stores."""
    merged = score_rows_snapshot(year=year)
    TargetScore.objects.all().delete()
    RegionScore.objects.all().delete()
    compute_scores(year=year, region=root, bases=bases)
    assert score_rows_snapshot(year=year) == merged


def test_a_rerun_with_unchanged_inputs_rewrites_no_target_score(two_counties, region):
    first = compute_scores(year=2015, region=region(XINGTAI))
    before = _target_rows()
    second = compute_scores(year=2015, region=region(XINGTAI))

    # Same rows, same ids, still naming the run that wrote them.
    assert _target_rows() == before
    assert {run for _, run, _ in before.values()} == {s.run.pk for s in first}
    assert [s.target_changes.total for s in second] == [0, 0]
    assert [s.target_changes.inserted for s in first] == [4, 4]
    # The region totals too; the run still counts what it scored.
    assert set(RegionScore.objects.values_list("run", flat=True)) == {s.run.pk for s in first}
    assert [(s.run.region_rows, s.run.target_rows) for s in second] == [(2, 4), (2, 4)]


def test_a_changed_figure_rewrites_only_the_rows_it_changes(two_counties, region):
    (first,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    before = _target_rows()
    Figure.objects.filter(region__code=XT_COUNTY, indicator__code="EN_LUBAN_AWARDS").update(verified_value=2)
    (second,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])

    after = _target_rows()
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {(XT_COUNTY, "EN_LUBAN_AWARDS", "verified")}
    pk, run, points = after[(XT_COUNTY, "EN_LUBAN_AWARDS", "verified")]
    assert (pk, run, points) == (before[(XT_COUNTY, "EN_LUBAN_AWARDS", "verified")][0], second.run.pk, D("6"))
    assert (second.target_changes.inserted, second.target_changes.updated, second.target_changes.deleted) == (
        0,
        1,
        0,
    )
    assert after[(LINCHENG, "PQ_SAMPLING_PASS", "verified")][1] == first.run.pk


def test_a_region_row_names_the_run_that_last_changed_its_total_or_rank(two_counties, region):
    (first,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    ids = dict(RegionScore.objects.values_list("region__code", "pk"))
    assert (rs(XT_COUNTY, "verified").rank, rs(LINCHENG, "verified").rank) == (1, 2)
    assert {rs(c, "verified").run_id for c in (XT_COUNTY, LINCHENG)} == {first.run.pk}

    # 临城县 gets its Luban award: 39.59 -> 99.59, so it passes 邢台县 (70.00), whose
    # total stays but whose rank falls to 2. Both rows change, in place.
    fig(LINCHENG, "EN_LUBAN_AWARDS", 2015, 2)
    (second,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    xt, lc = rs(XT_COUNTY, "verified"), rs(LINCHENG, "verified")
    assert (xt.total, xt.rank, xt.run_id) == (D("70.00"), 2, second.run.pk)
    assert (lc.total, lc.rank, lc.run_id) == (D("99.59"), 1, second.run.pk)
    assert dict(RegionScore.objects.values_list("region__code", "pk")) == ids

    # A third run that changes nothing leaves both naming the second.
    compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    assert {rs(c, "verified").run_id for c in (XT_COUNTY, LINCHENG)} == {second.run.pk}
    assert_same_as_a_run_into_empty_tables(region(XINGTAI), ["verified"])


def test_added_and_removed_targets_are_inserted_and_deleted(two_counties, region):
    compute_scores(year=2015, region=region(XINGTAI), bases=["self"])
    Target.objects.filter(region__code=LINCHENG, indicator__code="EN_LUBAN_AWARDS").delete()
    tgt(XT_COUNTY, "PQ_GRADE_RATE", 2015, 80, weight=5)
    (run,) = compute_scores(year=2015, region=region(XINGTAI), bases=["self"])

    assert (run.target_changes.inserted, run.target_changes.deleted) == (1, 1)
    assert not TargetScore.objects.filter(region__code=LINCHENG, indicator__code="EN_LUBAN_AWARDS").exists()
    assert ts(XT_COUNTY, "PQ_GRADE_RATE", "self").status == "missing"
    assert_same_as_a_run_into_empty_tables(region(XINGTAI), ["self"])


def test_the_command_says_when_nothing_was_rewritten(two_counties, capsys):
    call_command("compute_scores", "--year", "2015", "--region", XINGTAI, "--basis", "verified")
    assert "指标得分行新增 4、更新 0、删除 0" in capsys.readouterr().out
    call_command("compute_scores", "--year", "2015", "--region", XINGTAI, "--basis", "verified")
    assert "指标得分与已存结果相同，未改写" in capsys.readouterr().out


def test_runs_and_scores_are_view_only_in_the_admin(two_counties, region, client):
    from django.contrib.auth.models import User

    (summary,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    client.force_login(User.objects.create_superuser("root", "r@example.invalid", "x-Very-long-pass-1"))
    score = ts(XT_COUNTY, "PQ_SAMPLING_PASS", "verified")
    total = rs(XT_COUNTY, "verified")
    for model, pk in (("scorerun", summary.run.pk), ("regionscore", total.pk), ("targetscore", score.pk)):
        assert client.get(f"/admin/indicators/{model}/").status_code == 200, model
        page = client.get(f"/admin/indicators/{model}/{pk}/change/")
        assert page.status_code == 200 and 'name="_save"' not in page.content.decode(), model
        assert client.get(f"/admin/indicators/{model}/add/").status_code == 403, model
        assert client.post(f"/admin/indicators/{model}/{pk}/delete/", {"post": "yes"}).status_code == 403, (
            model
        )
    # Nothing was changed or deleted.
    assert ScoreRun.objects.filter(pk=summary.run.pk).exists()
    assert ts(XT_COUNTY, "PQ_SAMPLING_PASS", "verified").points == score.points


# --- per-region digests of the target rows (RegionScore.targets_digest) ---------------------


def _digests() -> dict[tuple[str, str], str]:
    return {
        (r, b): d for r, b, d in RegionScore.objects.values_list("region__code", "basis", "targets_digest")
    }


def _merged_target_regions(monkeypatch, model=TargetScore) -> list[set[int]]:
    """Record, for each merge of `model`, the region ids of the rows handed to it."""
    seen: list[set[int]] = []
    real_merge = scoring_service._merge

    def merge(merged_model, frame, stored, **kwargs):
        if merged_model is model:
            seen.append(set(frame["region_id"].tolist()))
        return real_merge(merged_model, frame, stored, **kwargs)

    monkeypatch.setattr(scoring_service, "_merge", merge)
    return seen


def test_a_rerun_compares_no_region_row_and_a_rank_change_compares_the_regions_it_moves(
    two_counties, region, monkeypatch
):
    compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    seen = _merged_target_regions(monkeypatch, RegionScore)

    (same,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    assert seen == [] and same.target_changes.total == 0

    # 临城县's total rises past 邢台县's: its own row and 邢台县's rank change; 邢台县's
    # target rows and total do not, so only its rank tells that its row differs.
    fig(LINCHENG, "EN_LUBAN_AWARDS", 2015, 2)
    targets = _merged_target_regions(monkeypatch)
    compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    assert targets == [{region(LINCHENG).pk}]
    assert (rs(XT_COUNTY, "verified").rank, rs(LINCHENG, "verified").rank) == (2, 1)
    assert_same_as_a_run_into_empty_tables(region(XINGTAI), ["verified"])


def test_each_region_row_carries_a_digest_of_its_target_rows(two_counties, region):
    compute_scores(year=2015, region=region(XINGTAI))
    digests = _digests()

    assert set(digests) == {(c, b) for c in (XT_COUNTY, LINCHENG) for b in ("self", "verified")}
    assert all(re.fullmatch(r"[0-9a-f]{32}", d) for d in digests.values())
    # 临城县's verified actual differs from its reported one; 邢台县's do not.
    assert digests[(LINCHENG, "self")] != digests[(LINCHENG, "verified")]
    assert digests[(XT_COUNTY, "self")] == digests[(XT_COUNTY, "verified")]
    assert len({digests[(XT_COUNTY, "self")], digests[(LINCHENG, "self")]}) == 2


def test_a_rerun_compares_the_rows_of_changed_regions_only(two_counties, region, monkeypatch):
    compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    before, digests = _target_rows(), _digests()
    seen = _merged_target_regions(monkeypatch)

    (same,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    assert seen == [] and same.target_changes.total == 0  # nothing compared, nothing written

    Figure.objects.filter(region__code=LINCHENG, indicator__code="PQ_SAMPLING_PASS").update(verified_value=90)
    (changed,) = compute_scores(year=2015, region=region(XINGTAI), bases=["verified"])
    assert seen == [{region(LINCHENG).pk}]
    assert changed.target_changes.updated == 1
    after = _target_rows()
    assert {k for k in after if after[k] != before[k]} == {(LINCHENG, "PQ_SAMPLING_PASS", "verified")}
    assert _digests()[(XT_COUNTY, "verified")] == digests[(XT_COUNTY, "verified")]
    assert _digests()[(LINCHENG, "verified")] != digests[(LINCHENG, "verified")]

    assert_same_as_a_run_into_empty_tables(region(XINGTAI), ["verified"])


def test_a_region_that_loses_all_its_targets_loses_its_rows(two_counties, region):
    compute_scores(year=2015, region=region(XINGTAI), bases=["self"])
    Target.objects.filter(region__code=LINCHENG).delete()
    (run,) = compute_scores(year=2015, region=region(XINGTAI), bases=["self"])

    assert run.target_changes.deleted == 2
    assert not TargetScore.objects.filter(region__code=LINCHENG).exists()
    assert not RegionScore.objects.filter(region__code=LINCHENG).exists()
    assert TargetScore.objects.filter(region__code=XT_COUNTY).count() == 2


def test_an_unknown_digest_makes_the_run_compare_and_repair_every_row(two_counties, region):
    """A row edited behind the service's back is repaired once its region's digest is cleared
    (an empty digest means unknown: a restored backup, a new column, a hand repair)."""
    compute_scores(year=2015, region=region(XINGTAI), bases=["self"])
    expected = score_rows_snapshot(year=2015)
    TargetScore.objects.filter(region__code=XT_COUNTY).update(points=D("0.5"))
    RegionScore.objects.update(targets_digest="")

    (run,) = compute_scores(year=2015, region=region(XINGTAI), bases=["self"])

    assert run.target_changes.updated == 2
    assert score_rows_snapshot(year=2015) == expected
    assert all(len(d) == 32 for d in _digests().values())


def test_digests_change_with_any_stored_value_of_the_region_and_only_its_own():
    import numpy as np
    import pandas as pd

    base = pd.DataFrame(
        {
            "region_id": [7, 7, 9],
            "indicator_id": [1, 2, 1],
            "actual": [98.5, np.nan, 1.0],
            "target": ["98.0000", "2.0000", "98.0000"],
            "comparator": [">=", ">=", "<="],
            "completion": [1.005102, np.nan, 0.5],
            "points": [4.0, 0.0, -0.0],
            "weight": ["4.0000", "6.0000", "4.0000"],
            "status": ["met", "missing", "not_met"],
            "veto": [False, False, True],
        }
    )
    digests = scoring_service._target_digests(base)
    assert scoring_service._target_digests(base.copy()) == digests
    # -0.0 and 0.0 are the same stored number; any NaN is "no value".
    same = base.copy()
    same.loc[2, "points"] = 0.0
    same.loc[1, "actual"] = float("nan")
    assert scoring_service._target_digests(same) == digests
    changes = {
        "indicator_id": 3,
        "actual": 98.5001,
        "target": "98.0001",
        "comparator": "<=",
        "completion": 1.005103,
        "points": 4.0001,
        "weight": "4.0001",
        "status": "not_met",
        "veto": True,
    }
    for column, value in changes.items():
        changed = base.copy()
        changed.loc[0, column] = value
        new = scoring_service._target_digests(changed)
        assert new[7] != digests[7], column
        assert new[9] == digests[9], column
    missing = base.copy()
    missing.loc[0, "actual"] = np.nan
    assert scoring_service._target_digests(missing)[7] != digests[7]
    # A row more or less is a different set of rows.
    assert scoring_service._target_digests(base.iloc[[0, 2]])[7] != digests[7]

    # With the region rows: each of their values but the rank changes its own region's digest.
    regions = pd.DataFrame(
        {
            "region_id": [9, 7],
            "total": [70.0, 39.59],
            "grade": ["C", "D"],
            "rank": [1, 2],
            "rank_of": [2, 2],
            "points": [10.0, 3.9592],
            "max_points": [10.0, 10.0],
            "met": [1, 1],
            "not_met": [0, 1],
            "missing": [0, 0],
            "vetoed": [False, True],
        }
    )
    with_regions = scoring_service._target_digests(base, regions=regions)
    assert with_regions[7] != digests[7] and with_regions[9] != digests[9]
    reranked = regions.assign(rank=[2, 1], rank_of=[3, 3])
    assert scoring_service._target_digests(base, regions=reranked) == with_regions
    region_changes = {
        "total": 39.6,
        "grade": "C",
        "points": 3.9593,
        "max_points": 10.5,
        "met": 2,
        "not_met": 0,
        "missing": 1,
        "vetoed": False,
    }
    assert set(region_changes) == set(scoring_service._REGION_DIGESTED)
    for column, value in region_changes.items():
        changed = regions.copy()
        changed.loc[1, column] = value
        new = scoring_service._target_digests(base, regions=changed)
        assert new[7] != with_regions[7], column
        assert new[9] == with_regions[9], column


def test_the_inputs_hash_reuses_the_shared_frames_and_stays_the_same(two_counties, region):
    from indicators import scoring

    inputs = load_inputs(year=2015, root=region(XINGTAI))
    frames = lambda basis: (  # noqa: E731
        inputs.figures(basis),
        inputs.targets,
        inputs.items(basis),
        inputs.regions,
        inputs.indicators,
        {"basis": basis},
    )
    sections: dict = {}
    for basis in ("self", "verified"):
        assert scoring.inputs_hash(*frames(basis), sections=sections) == scoring.inputs_hash(*frames(basis))
    # Figures and items of each basis, plus targets, regions and indicators once; no mapping.
    assert len(sections) == 7
    assert sum(1 for position, _ in sections if position == 1) == 1
    # Another frame at the same position is hashed afresh, even with the old one's id.
    other = inputs.targets.astype({"weight": object})  # a copy (text columns may be categorical)
    other.loc[0, "weight"] = "9"
    assert scoring.inputs_hash(inputs.figures("self"), other, sections=sections) == scoring.inputs_hash(
        inputs.figures("self"), other
    )


def test_rows_are_stored_under_the_right_ids_when_ids_do_not_follow_code_order(catalog, region):
    """The stored rows take their region and indicator ids from the targets as read,
    put in the engine's order (by code) through each code's rank: regions created
    in reverse code order, and indicators whose catalogue order is not their code
    order (EN_ < PQ_), must still land on their own rows."""
    from indicators.models import Region

    xingtai = region(XINGTAI)
    created = [
        Region.objects.create(
            code=code, name=f"县{code}", level="county", parent=xingtai, path=f"{xingtai.path}{code}/"
        )
        for code in ("130599", "130598", "130597")
    ]
    assert [r.pk for r in created] == sorted(r.pk for r in created)  # ids rise as codes fall
    for n, county in enumerate(created):
        tgt(county.code, "PQ_SAMPLING_PASS", 2015, 98, weight=4)
        tgt(county.code, "EN_LUBAN_AWARDS", 2015, 2, weight=6)
        fig(county.code, "PQ_SAMPLING_PASS", 2015, 90 + n)
        fig(county.code, "EN_LUBAN_AWARDS", 2015, n)

    compute_scores(year=2015, region=xingtai)

    for n, county in enumerate(created):
        assert ts(county.code, "PQ_SAMPLING_PASS", "verified").actual == D(90 + n)
        assert ts(county.code, "PQ_SAMPLING_PASS", "verified").target == D(98)
        assert ts(county.code, "EN_LUBAN_AWARDS", "verified").actual == D(n)
        assert ts(county.code, "EN_LUBAN_AWARDS", "verified").weight == D(6)
    assert_same_as_a_run_into_empty_tables(xingtai, ["self", "verified"])
