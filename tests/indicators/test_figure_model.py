from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from indicators.models import Figure, Indicator, Region
from tests.factories import FigureFactory, make_user

pytestmark = pytest.mark.django_db


def _figure(**kw) -> Figure:
    defaults = {
        "region": Region.objects.get(code="130528"),
        "indicator": Indicator.objects.get(code="PQ_SAMPLING_PASS"),
        "year": 2015,
        "value": Decimal("97.5"),
        "reported_value": Decimal("97.5"),
    }
    defaults.update(kw)
    return Figure(**defaults)


def test_a_valid_figure_saves(catalog):
    fig = _figure()
    fig.full_clean()
    fig.save()
    assert Figure.objects.get(pk=fig.pk).value == Decimal("97.5000")


def test_the_database_rejects_a_duplicate_key(catalog):
    _figure().save()
    with pytest.raises(IntegrityError), transaction.atomic():
        _figure(value=Decimal("90")).save()
    assert Figure.objects.count() == 1


def test_the_database_rejects_an_unknown_status(catalog):
    with pytest.raises(IntegrityError), transaction.atomic():
        _figure(status="published").save()
    assert Figure.objects.count() == 0


@pytest.mark.parametrize("year", [1989, 2101])
def test_the_database_rejects_a_year_out_of_range(catalog, year):
    with pytest.raises(IntegrityError), transaction.atomic():
        _figure(year=year).save()
    assert Figure.objects.count() == 0


def test_the_database_rejects_approved_without_verified_value(catalog):
    with pytest.raises(IntegrityError), transaction.atomic():
        _figure(status="approved", verified_value=None).save()


def test_clean_rejects_a_rate_above_100(catalog):
    with pytest.raises(ValidationError) as exc:
        _figure(value=Decimal("100.5"), reported_value=Decimal("100.5")).full_clean()
    assert "大于指标上限 100" in str(exc.value)


def test_clean_rejects_a_negative_count(catalog):
    count = Indicator.objects.get(code="BR_CHINA_TOP_BRAND")
    with pytest.raises(ValidationError) as exc:
        _figure(indicator=count, value=Decimal("-1"), reported_value=Decimal("-1")).full_clean()
    assert "小于指标下限 0" in str(exc.value)


def test_clean_rejects_a_fractional_count(catalog):
    count = Indicator.objects.get(code="BR_CHINA_TOP_BRAND")
    with pytest.raises(ValidationError) as exc:
        _figure(indicator=count, value=Decimal("2.5"), reported_value=Decimal("2.5")).full_clean()
    assert "须为整数" in str(exc.value)


def test_clean_rejects_a_year_out_of_range(catalog):
    with pytest.raises(ValidationError) as exc:
        _figure(year=1900).full_clean()
    assert "year" in exc.value.message_dict


def test_history_records_every_change_with_who_and_why(catalog):
    user = make_user("130528", "staff")
    fig = FigureFactory(value=Decimal("95"), reported_value=Decimal("95"))
    fig.value = fig.reported_value = Decimal("96.5")
    fig._history_user = user
    fig._change_reason = "更正录入错误"
    fig.save()
    rows = list(fig.history.order_by("history_date"))
    assert [r.history_type for r in rows] == ["+", "~"]
    assert [r.value for r in rows] == [Decimal("95"), Decimal("96.5")]
    assert rows[-1].history_user == user
    assert rows[-1].history_change_reason == "更正录入错误"
    delta = rows[-1].diff_against(rows[0])
    assert {c.field: (c.old, c.new) for c in delta.changes}["value"] == (Decimal("95"), Decimal("96.5"))


def test_value_errors_follow_the_active_language(catalog):
    from django.utils import translation

    rate = Indicator.objects.get(code="PQ_SAMPLING_PASS")  # 0-100 %
    count = Indicator.objects.get(code="EN_LUBAN_AWARDS")
    assert rate.value_errors(Decimal("120")) == ["数值 120 大于指标上限 100"]
    with translation.override("en"):
        assert rate.value_errors(Decimal("120")) == ["The value 120 is above the indicator's maximum of 100"]
        assert rate.value_errors(Decimal("-1")) == ["The value -1 is below the indicator's minimum of 0"]
        assert count.value_errors(Decimal("1.5")) == ["A count indicator takes whole numbers; got 1.5"]


def _indexed_columns(table: str) -> set[tuple[str, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    return {
        tuple(c["columns"]) for c in constraints.values() if c["index"] or c["unique"] or c["primary_key"]
    }


def test_figures_and_their_history_carry_no_index_a_write_does_not_need():
    """Every figure write also writes its history row: each index costs both (an import
    writes 100,000 of each). Region alone is served by the unique key it starts."""
    figure = _indexed_columns(Figure._meta.db_table)
    assert ("region_id", "indicator_id", "year") in figure
    assert ("region_id",) not in figure
    history = _indexed_columns(Figure.history.model._meta.db_table)
    assert history == {("history_id",), ("id",), ("history_date",), ("history_user_id",)}
