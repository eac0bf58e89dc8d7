"""GB/T 19580 category table, score sheets, the mean of reviewers' totals and the ranking."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from awards import rounds
from awards.models import DEFAULT_CATEGORIES, Application, Stage
from awards.selectors import competition_ranks, round_ranking, stage_scores
from tests.awards.conftest import CITY, sheet

pytestmark = pytest.mark.django_db


def test_a_round_gets_the_gb_t_19580_table_by_default(rnd):
    table = [(c.code, c.name, c.max_points) for c in rnd.categories.all()]
    assert [(n, p) for _, n, p in table] == [
        ("领导", 110),
        ("战略", 90),
        ("顾客与市场", 90),
        ("资源", 130),
        ("过程管理", 100),
        ("测量、分析与改进", 80),
        ("结果", 400),
    ]
    assert rnd.max_total == 1000 == sum(p for _, _, p in DEFAULT_CATEGORIES)


def test_the_table_is_configurable_per_round_until_someone_scores(
    rnd, bureau, apply, advance, score_all, region
):
    other = rounds.round_create(
        user=bureau,
        region=region(CITY),
        name="邢台市县域质量奖",
        year=2025,
        document_pass_mark=Decimal("60"),
        onsite_pass_mark=Decimal("70"),
        categories=[("quality", "质量管理", 60), ("results", "经营结果", 40)],
    )
    assert other.max_total == 100 and rnd.max_total == 1000  # rounds do not share tables
    rounds.round_set_categories(
        user=bureau,
        rnd=rnd,
        categories=[*DEFAULT_CATEGORIES[:-1], ("results", "结果", 300), ("innovation", "创新", 100)],
    )
    assert rnd.max_total == 1000 and rnd.categories.get(code="innovation").max_points == 100
    application = advance(apply(), Stage.DOCUMENT_REVIEW)
    score_all(application, Stage.DOCUMENT_REVIEW, [0.7])
    with pytest.raises(ValidationError, match="已有评审员打分，评分类目不能再修改"):
        rounds.round_set_categories(user=bureau, rnd=rnd, categories=list(DEFAULT_CATEGORIES))


def test_bad_tables_and_pass_marks_are_refused(rnd, bureau, region):
    with pytest.raises(ValidationError, match="代码重复：a"):
        rounds.round_set_categories(user=bureau, rnd=rnd, categories=[("a", "甲", 10), ("a", "乙", 10)])
    with pytest.raises(ValidationError, match="满分须为正整数"):
        rounds.round_set_categories(user=bureau, rnd=rnd, categories=[("a", "甲", 0)])
    with pytest.raises(ValidationError) as info:
        rounds.round_create(
            user=bureau, region=region(CITY), name="x", year=2025, document_pass_mark=Decimal("1001")
        )
    assert "材料评审合格分 1001 超过评分总分 1000" in str(info.value)


@pytest.fixture
def in_document_review(apply, advance, experts, bureau):
    application = advance(apply(), Stage.DOCUMENT_REVIEW)
    assignment = rounds.review_assign(
        user=bureau, application=application, reviewer=experts[0], stage=Stage.DOCUMENT_REVIEW
    )
    return application, assignment


def test_a_category_above_its_maximum_or_below_zero_is_rejected(in_document_review, experts):
    application, assignment = in_document_review
    scores = sheet(application.round.categories.all(), 0.5)
    with pytest.raises(ValidationError) as info:
        rounds.review_submit(
            user=experts[0], assignment=assignment, scores={**scores, "leadership": "110.01", "results": "-1"}
        )
    assert info.value.messages == ["“领导”得分 110.01 超过该类目满分 110", "“结果”得分 -1 不能为负数"]
    assignment.refresh_from_db()
    assert assignment.submitted_at is None and not assignment.scores.exists()


def test_missing_non_numeric_and_unknown_categories_are_rejected(in_document_review, experts):
    application, assignment = in_document_review
    scores = sheet(application.round.categories.all(), 0.5)
    del scores["strategy"]
    with pytest.raises(ValidationError) as info:
        rounds.review_submit(
            user=experts[0], assignment=assignment, scores={**scores, "process": "八十", "x": 1}
        )
    assert info.value.messages == ["未知评分类目“x”", "“战略”未打分", "“过程管理”得分“八十”不是数字"]


def test_zero_and_the_maximum_are_accepted_and_the_total_is_their_sum(in_document_review, experts):
    application, assignment = in_document_review
    scores = {c.code: c.max_points for c in application.round.categories.all()}
    scores["results"] = 0
    done = rounds.review_submit(user=experts[0], assignment=assignment, scores=scores)
    assert done.total == 600 and done.submitted_at is not None
    assert done.scores.get(category__code="leadership").points == 110


def test_only_the_assigned_reviewer_scores_and_only_at_that_stage(
    in_document_review, experts, bureau, advance
):
    application, assignment = in_document_review
    scores = sheet(application.round.categories.all(), 0.7)
    for intruder in (experts[1], bureau):
        with pytest.raises(PermissionDenied):
            rounds.review_submit(user=intruder, assignment=assignment, scores=scores)
    onsite = rounds.review_assign(
        user=bureau, application=application, reviewer=experts[0], stage=Stage.ONSITE_REVIEW
    )
    with pytest.raises(ValidationError, match="申报当前处于“材料评审”，不在“现场评审”阶段，不能评分"):
        rounds.review_submit(user=experts[0], assignment=onsite, scores=scores)


def test_the_stage_score_is_the_mean_of_the_reviewers_totals(apply, advance, experts, bureau):
    application = advance(apply(), Stage.DOCUMENT_REVIEW)
    codes = [c.code for c in application.round.categories.all()]
    sheets = [
        [80, 60, 65, 90, 70, 55, 280],  # 700
        [70, 60, 60, 85, 65, 50, 260],  # 650
        [90, 70, 70, 100, 75, 60, 286],  # 751
    ]
    for expert, points in zip(experts, sheets, strict=True):
        assignment = rounds.review_assign(
            user=bureau, application=application, reviewer=expert, stage=Stage.DOCUMENT_REVIEW
        )
        rounds.review_submit(user=expert, assignment=assignment, scores=dict(zip(codes, points, strict=True)))
    totals = sorted(application.assignments.values_list("total", flat=True))
    assert totals == [Decimal("650"), Decimal("700"), Decimal("751")]
    score = stage_scores([application.pk], Stage.DOCUMENT_REVIEW)[application.pk]
    assert score.mean == Decimal("700.33")  # (700 + 650 + 751) / 3 = 2101 / 3 = 700.333... -> 700.33
    assert (score.submitted, score.assigned, score.complete) == (3, 3, True)


def test_resubmitting_a_sheet_replaces_it(in_document_review, experts):
    application, assignment = in_document_review
    categories = application.round.categories.all()
    rounds.review_submit(user=experts[0], assignment=assignment, scores=sheet(categories, 0.5))
    again = rounds.review_submit(user=experts[0], assignment=assignment, scores=sheet(categories, 0.6))
    assert again.total == 600  # 66+54+54+78+60+48+240 (0.6 of each maximum)
    assert again.scores.count() == 7


def test_competition_ranking_shares_ranks_and_skips():
    values = [Decimal("800"), Decimal("750"), None, Decimal("750"), Decimal("600")]
    assert competition_ranks(values) == [1, 2, None, 2, 4]


def test_applicants_are_ranked_within_their_category(apply, advance, score_all):
    def scored(share_list, category=Application.Category.ORGANISATION, name=""):
        application = advance(apply(category=category, applicant_name=name), Stage.DOCUMENT_REVIEW)
        if share_list:
            score_all(application, Stage.DOCUMENT_REVIEW, share_list)
        return application

    a = scored([0.6, 0.6])  # 600 (0.6 of each max: 66+54+54+78+60+48+240)
    b = scored([0.8, 0.8])  # 800 (88+72+72+104+80+64+320)
    c = scored([0.7, 0.9])  # (700 + 900) / 2 = 800: shares first place with b
    d = scored([])  # not scored yet: unranked
    p = scored([0.5], Application.Category.INDIVIDUAL, "李质量")  # ranked among individuals
    rows = round_ranking([a, b, c, d, p], Stage.DOCUMENT_REVIEW)
    ranking = [(r.application.pk, r.rank, r.rank_of) for r in rows]
    assert ranking == [
        (p.pk, 1, 1),
        (b.pk, 1, 3),
        (c.pk, 1, 3),
        (a.pk, 3, 3),
        (d.pk, None, 3),
    ]
    by_id = {r.application.pk: r for r in rows}
    assert by_id[c.pk].scores[Stage.DOCUMENT_REVIEW].mean == Decimal("800.00")
    assert by_id[a.pk].scores[Stage.ONSITE_REVIEW].mean is None


def test_the_default_ranking_uses_the_onsite_score_once_there_is_one(apply, advance, score_all):
    first = advance(apply(), Stage.ONSITE_REVIEW)  # document 750 (see conftest.advance)
    second = advance(apply(), Stage.ONSITE_REVIEW)
    score_all(first, Stage.ONSITE_REVIEW, [0.6, 0.6])
    score_all(second, Stage.ONSITE_REVIEW, [0.9, 0.9])
    rows = round_ranking([first, second])
    assert [(r.application.pk, r.rank) for r in rows] == [(second.pk, 1), (first.pk, 2)]
