"""The figure workflow services: entry, conflicts, submission, review, locking, history."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from accounts.policy import SYSTEM
from indicators import services
from indicators.models import Figure, Indicator, Region
from tests.factories import make_user

pytestmark = pytest.mark.django_db

YEAR = 2025


@pytest.fixture
def county(catalog) -> Region:
    return Region.objects.get(code="130528")  # 宁晋县


@pytest.fixture
def rate(catalog) -> Indicator:
    return catalog["PQ_SAMPLING_PASS"]


@pytest.fixture
def count(catalog) -> Indicator:
    return catalog["BR_CHINA_TOP_BRAND"]


@pytest.fixture
def staff(catalog):
    return make_user("130528", "staff", username="ningjin_clerk", first_name="宁晋填报员")


@pytest.fixture
def staff2(catalog):
    return make_user("130528", "staff", username="ningjin_clerk2", first_name="宁晋填报员二")


@pytest.fixture
def reviewer(catalog):
    return make_user("130500", "reviewer", username="xingtai_checker")


def _save(actor, region, indicator, value, version=None, note=""):
    return services.figure_save(
        actor=actor,
        region=region,
        indicator=indicator,
        year=YEAR,
        value=value,
        note=note,
        expected_version=version,
    )


def _submitted(staff, county, rate, value="97.5") -> Figure:
    fig = _save(staff, county, rate, value)
    return services.figure_submit(actor=staff, figure=fig, expected_version=fig.version)


# --- entry -------------------------------------------------------------------------


def test_it_creates_a_draft_with_who_and_why_in_history(staff, county, rate):
    fig = _save(staff, county, rate, "97.5", note="省抽查数据")
    fig.refresh_from_db()
    assert (fig.status, fig.value, fig.reported_value, fig.verified_value) == (
        "draft",
        Decimal("97.5"),
        Decimal("97.5"),
        None,
    )
    assert fig.entered_by == staff and fig.version == 1 and fig.note == "省抽查数据"
    record = fig.history.get()
    assert record.history_user == staff and record.history_change_reason == "新增填报"


@pytest.mark.parametrize(
    ("indicator_code", "raw", "message"),
    [
        ("PQ_SAMPLING_PASS", "abc", "“abc”不是数字"),
        ("PQ_SAMPLING_PASS", "100.5", "大于指标上限 100"),
        ("PQ_SAMPLING_PASS", "-1", "小于指标下限 0"),
        ("PQ_SAMPLING_PASS", "98.12345", "小数位数超过 4 位"),
        ("PQ_SAMPLING_PASS", "1,234", "千位分隔符"),
        ("PQ_SAMPLING_PASS", "NaN", "不是数字"),
        ("PQ_SAMPLING_PASS", "", "请填写数值"),
        ("BR_CHINA_TOP_BRAND", "2.5", "须为整数"),
    ],
)
def test_it_refuses_invalid_values_with_chinese_messages(
    staff, county, catalog, indicator_code, raw, message
):
    with pytest.raises(services.ValidationFailed) as exc:
        _save(staff, county, catalog[indicator_code], raw)
    assert message in exc.value.message
    assert Figure.objects.count() == 0


def test_it_accepts_full_width_digits_from_chinese_input_methods(staff, county, rate):
    fig = _save(staff, county, rate, "９８．５")
    assert fig.value == Decimal("98.5")


def test_saving_the_stored_value_again_writes_nothing(staff, county, rate):
    fig = _save(staff, county, rate, "97.5")
    again = _save(staff, county, rate, "97.50", version=fig.version)
    assert again.version == 1
    assert fig.history.count() == 1


def test_an_update_bumps_the_version_and_records_old_and_new(staff, county, rate):
    fig = _save(staff, county, rate, "97.5")
    fig = _save(staff, county, rate, "96", version=1)
    assert fig.version == 2
    values = [h.value for h in fig.history.order_by("history_date")]
    assert values == [Decimal("97.5"), Decimal("96")]


# --- conflicts ----------------------------------------------------------------------


def test_a_stale_save_gets_a_conflict_with_the_current_value_and_writes_nothing(staff, staff2, county, rate):
    first = _save(staff, county, rate, "95")
    # Both clerks read version 1; the first saves 96, the second tries 97 on version 1.
    _save(staff, county, rate, "96", version=first.version)
    with pytest.raises(services.ConflictError) as exc:
        _save(staff2, county, rate, "97", version=first.version)
    assert exc.value.current.value == Decimal("96")
    assert "当前值为 96" in exc.value.message
    assert "宁晋填报员" in exc.value.message
    fig = Figure.objects.get()
    assert (fig.value, fig.version) == (Decimal("96"), 2)


def test_after_a_conflict_both_values_survive_in_history(staff, staff2, county, rate):
    fig = _save(staff, county, rate, "95")
    _save(staff, county, rate, "96", version=fig.version)
    with pytest.raises(services.ConflictError) as exc:
        _save(staff2, county, rate, "97", version=fig.version)
    # The second clerk saw the current value and decides to save theirs deliberately.
    _save(staff2, county, rate, "97", version=exc.value.current.version)
    rows = list(
        Figure.objects.get().history.order_by("history_date").values_list("value", "history_user__username")
    )
    assert rows == [
        (Decimal("95"), "ningjin_clerk"),
        (Decimal("96"), "ningjin_clerk"),
        (Decimal("97"), "ningjin_clerk2"),
    ]


def test_creating_a_figure_someone_else_just_created_is_a_conflict(staff, staff2, county, rate):
    _save(staff, county, rate, "95")
    with pytest.raises(services.ConflictError):
        _save(staff2, county, rate, "99", version=0)
    assert Figure.objects.get().value == Decimal("95")


def test_a_stale_approval_is_a_conflict(staff, reviewer, county, rate):
    fig = _submitted(staff, county, rate)
    with pytest.raises(services.ConflictError):
        services.figure_approve(actor=reviewer, figure=fig, expected_version=fig.version - 1)
    assert Figure.objects.get().status == "submitted"


# --- workflow -----------------------------------------------------------------------


def test_submit_moves_a_draft_to_the_reviewers(staff, county, rate):
    fig = _submitted(staff, county, rate)
    fig.refresh_from_db()
    assert fig.status == "submitted" and fig.submitted_at is not None
    assert fig.history.latest().history_change_reason == "提交审核"


def test_nobody_approves_a_figure_they_entered(county, rate):
    both = make_user("130500", "reviewer", "admin", username="city_admin_reviewer")
    fig = services.figure_save(
        actor=both,
        region=Region.objects.get(code="130528"),
        indicator=rate,
        year=YEAR,
        value="90",
        expected_version=None,
    )
    fig = services.figure_submit(actor=both, figure=fig, expected_version=fig.version)
    with pytest.raises(PermissionDenied) as exc:
        services.figure_approve(actor=both, figure=fig, expected_version=fig.version)
    assert "不能审核自己填报的数据" in str(exc.value)
    fig.refresh_from_db()
    assert (fig.status, fig.approved_by, fig.verified_value) == ("submitted", None, None)


def test_approval_with_an_adjusted_value_keeps_the_reported_value(staff, reviewer, county, rate):
    fig = _submitted(staff, county, rate, "97.5")
    with pytest.raises(services.ValidationFailed) as exc:
        services.figure_approve(actor=reviewer, figure=fig, expected_version=fig.version, verified_value="96")
    assert "须填写调整原因" in exc.value.message
    fig = services.figure_approve(
        actor=reviewer, figure=fig, expected_version=fig.version, verified_value="96", reason="现场核查核减"
    )
    fig.refresh_from_db()
    assert (fig.status, fig.reported_value, fig.verified_value, fig.value) == (
        "approved",
        Decimal("97.5"),
        Decimal("96"),
        Decimal("96"),
    )
    assert fig.adjust_reason == "现场核查核减" and fig.approved_by == reviewer
    assert fig.history.latest().history_change_reason == "核定调整：现场核查核减"


def test_an_adjusted_value_is_validated_too(staff, reviewer, county, rate):
    fig = _submitted(staff, county, rate)
    with pytest.raises(services.ValidationFailed):
        services.figure_approve(
            actor=reviewer, figure=fig, expected_version=fig.version, verified_value="120", reason="x"
        )
    assert Figure.objects.get().status == "submitted"


def test_return_needs_a_reason_and_carries_it_back(staff, reviewer, county, rate):
    fig = _submitted(staff, county, rate)
    with pytest.raises(services.ValidationFailed):
        services.figure_return(actor=reviewer, figure=fig, expected_version=fig.version, reason="  ")
    fig = services.figure_return(
        actor=reviewer, figure=fig, expected_version=fig.version, reason="缺少抽查报告"
    )
    fig.refresh_from_db()
    assert (fig.status, fig.return_reason) == ("returned", "缺少抽查报告")
    # The clerk corrects and resubmits; the reason is cleared on approval.
    fig = _save(staff, county, rate, "96.8", version=fig.version)
    assert fig.status == "returned"
    fig = services.figure_submit(actor=staff, figure=fig, expected_version=fig.version)
    fig = services.figure_approve(actor=reviewer, figure=fig, expected_version=fig.version)
    assert (fig.status, fig.return_reason, fig.value) == ("approved", "", Decimal("96.8"))


def test_an_approved_figure_is_locked_until_reopened_with_a_reason(staff, reviewer, county, rate):
    fig = _submitted(staff, county, rate, "97.5")
    fig = services.figure_approve(actor=reviewer, figure=fig, expected_version=fig.version)
    with pytest.raises(services.LockedError) as exc:
        _save(staff, county, rate, "99", version=fig.version)
    assert "已审核锁定" in exc.value.message
    assert Figure.objects.get().value == Decimal("97.5")
    with pytest.raises(services.ValidationFailed):
        services.figure_reopen(actor=reviewer, figure=fig, expected_version=fig.version, reason="")
    with pytest.raises(PermissionDenied):  # the clerk cannot unlock it
        services.figure_reopen(actor=staff, figure=fig, expected_version=fig.version, reason="想改")
    fig = services.figure_reopen(
        actor=reviewer, figure=fig, expected_version=fig.version, reason="统计口径更正"
    )
    assert (fig.status, fig.return_reason, fig.verified_value) == ("returned", "统计口径更正", None)
    fig = _save(staff, county, rate, "99", version=fig.version)
    assert fig.value == Decimal("99")
    reasons = list(fig.history.order_by("history_date").values_list("history_change_reason", flat=True))
    assert reasons == ["新增填报", "提交审核", "审核通过", "重新打开：统计口径更正", "修改填报值"]


def test_a_submitted_figure_cannot_be_edited_by_the_clerk(staff, county, rate):
    fig = _submitted(staff, county, rate, "97.5")
    with pytest.raises(services.LockedError) as exc:
        _save(staff, county, rate, "90", version=fig.version)
    assert "已提交待审核" in exc.value.message
    assert Figure.objects.get().value == Decimal("97.5")


def test_a_derived_figure_is_not_typed_by_hand(staff, county, count):
    Figure.objects.create(
        region=county,
        indicator=count,
        year=YEAR,
        value=3,
        reported_value=3,
        source="derived",
        source_ref="品牌登记 3 项",
    )
    with pytest.raises(services.LockedError) as exc:
        _save(staff, county, count, "5", version=1)
    assert "系统" in exc.value.message
    assert Figure.objects.get().value == 3


def test_bulk_approve_is_all_or_nothing(staff, reviewer, county, catalog):
    a = _submitted(staff, county, catalog["PQ_SAMPLING_PASS"])
    b = _submitted(staff, county, catalog["PQ_FOOD_PASS"])
    with pytest.raises(services.BulkError) as exc:
        services.figure_bulk_approve(actor=reviewer, items=[(a.pk, a.version), (b.pk, b.version - 1)])
    assert set(exc.value.errors) == {b.pk}
    assert set(Figure.objects.values_list("status", flat=True)) == {"submitted"}
    done = services.figure_bulk_approve(actor=reviewer, items=[(a.pk, a.version), (b.pk, b.version)])
    assert len(done) == 2
    assert set(Figure.objects.values_list("status", flat=True)) == {"approved"}


def test_bulk_save_is_all_or_nothing(staff, county, catalog):
    entries = [
        services.Entry(catalog["PQ_SAMPLING_PASS"], "97"),
        services.Entry(catalog["BR_CHINA_TOP_BRAND"], "1.5"),
    ]
    with pytest.raises(services.BulkError) as exc:
        services.figure_bulk_save(actor=staff, region=county, year=YEAR, entries=entries)
    assert list(exc.value.errors) == ["BR_CHINA_TOP_BRAND"]
    assert Figure.objects.count() == 0


def test_an_approval_schedules_a_rescore_after_commit(staff, reviewer, county, rate, monkeypatch):
    calls = []
    import indicators.tasks

    monkeypatch.setattr(indicators.tasks, "schedule_rescore", lambda **kw: calls.append(kw))
    fig = _submitted(staff, county, rate)
    services.figure_approve(actor=reviewer, figure=fig, expected_version=fig.version)
    assert calls == [{"year": YEAR, "region_id": county.pk}]


def test_the_system_actor_may_write_anywhere_and_is_recorded_as_nobody(county, rate):
    fig = services.figure_save(
        actor=SYSTEM, region=county, indicator=rate, year=YEAR, value="90", expected_version=None
    )
    assert fig.entered_by is None
    assert fig.history.get().history_user is None


def test_parse_number_keeps_the_exact_decimal():
    assert services.parse_number(0.1) == Decimal("0.1")
    assert services.parse_number("1e2") == Decimal("100")
    assert services.format_value(Decimal("98.5000")) == "98.5"
    assert services.format_value(Decimal("100.0000")) == "100"
