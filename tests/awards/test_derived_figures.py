"""Brand-count figures derived from the registry, recomputed by a Celery task after commit.

The small registry (PROV_TOP_BRAND is valid three years; time-honoured brands forever):

    enterprise  region             grant                              valid
    a1          宁晋县 (county A)   省名牌产品 2014                     2014-2016
    a2          宁晋县              省名牌产品 2015                     2015-2017
    b1          隆尧县 (county B)   省名牌产品 2015                     2015-2017
    c1          邢台市 (the city)   省名牌产品 2016                     2016-2018
    q1          海港区 (秦皇岛市)    省名牌产品 2015                     2015-2017
    a1          宁晋县              中华老字号 2010                     forever
    b1          隆尧县              省级老字号 2012                     forever

Hand count of BR_PROV_TOP_BRAND (a region counts its own and its descendants' grants):

    year   county A   county B   邢台市 (A + B + c1)   河北省 (邢台 + q1)
    2014   1          -          1                     1
    2015   2          1          3                     4
    2016   2          1          4                     5
    2017   1          1          3                     4

After b1's brand is revoked on 2016-05-10 it still counts in 2015 but not from 2016:

    2016   2          0          3                     4
    2017   1          0          2                     3

BR_TIME_HONORED sums the national and the provincial type: 2011: A 1, 邢台 1; 2012: A 1, B 1, 邢台 2.
"""

import datetime as dt
from decimal import Decimal

import pytest

from awards import services
from awards.models import Grant
from awards.services import DERIVED_NOTE, derived_figures_rebuild, derived_figures_recompute
from awards.tasks import recompute_award_figures
from indicators.models import Figure, Region
from tests.awards.conftest import CITY, COUNTY_A, COUNTY_B, OTHER_COUNTY
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PROVINCE = "130000"


def value(code, indicator, year):
    figure = Figure.objects.filter(region__code=code, indicator__code=indicator, year=year).first()
    return None if figure is None else figure.value


def top_brand(code, year):
    return value(code, "BR_PROV_TOP_BRAND", year)


@pytest.fixture
def registry(award_types, make_enterprise, django_capture_on_commit_callbacks):
    a1, a2 = make_enterprise(COUNTY_A, "宁晋甲"), make_enterprise(COUNTY_A, "宁晋乙")
    b1, c1 = make_enterprise(COUNTY_B, "隆尧甲"), make_enterprise(CITY, "邢台市直")
    q1 = make_enterprise(OTHER_COUNTY, "海港甲")
    brand = award_types["PROV_TOP_BRAND"]
    rows = [
        (a1, brand, 2014),
        (a2, brand, 2015),
        (b1, brand, 2015),
        (c1, brand, 2016),
        (q1, brand, 2015),
        (a1, award_types["CHINA_TIME_HONORED"], 2010),
        (b1, award_types["PROV_TIME_HONORED"], 2012),
    ]
    grants = {}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for enterprise, award_type, year in rows:
            grants[(enterprise.name, award_type.code)] = services.grant_create(
                user=None,
                award_type=award_type,
                enterprise=enterprise,
                name=f"{enterprise.name}品牌",
                year_granted=year,
            )
    assert len(callbacks) == len(rows)  # one recompute enqueued per change, after commit
    return grants


HAND_COUNT = {
    # year: (county A, county B, 邢台市, 河北省)
    2014: (1, None, 1, 1),
    2015: (2, 1, 3, 4),
    2016: (2, 1, 4, 5),
    2017: (1, 1, 3, 4),
}


def test_derived_counts_match_the_hand_count(registry):
    for year, expected in HAND_COUNT.items():
        got = tuple(top_brand(code, year) for code in (COUNTY_A, COUNTY_B, CITY, PROVINCE))
        assert got == tuple(None if e is None else Decimal(e) for e in expected), year
    assert top_brand(COUNTY_A, 2013) is None  # nothing was ever valid: no row
    assert top_brand(COUNTY_A, 2018) is None  # zero and never derived: the county may still type it


def test_several_award_types_of_one_indicator_are_summed(registry):
    assert value(COUNTY_A, "BR_TIME_HONORED", 2011) == 1
    assert value(CITY, "BR_TIME_HONORED", 2011) == 1
    assert value(COUNTY_B, "BR_TIME_HONORED", 2012) == 1
    assert value(CITY, "BR_TIME_HONORED", 2012) == 2
    assert value(PROVINCE, "BR_TIME_HONORED", 2025) == 2


def test_a_revocation_changes_the_counts_from_its_year_on(registry, django_capture_on_commit_callbacks):
    grant = registry[("隆尧甲", "PROV_TOP_BRAND")]
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_revoke(
            user=None, grant=grant, revoked_on=dt.date(2016, 5, 10), reason="监督抽查不合格"
        )
    assert (top_brand(COUNTY_B, 2015), top_brand(CITY, 2015)) == (1, 3)
    assert (top_brand(COUNTY_A, 2016), top_brand(COUNTY_B, 2016), top_brand(CITY, 2016)) == (2, 0, 3)
    assert (top_brand(COUNTY_B, 2017), top_brand(CITY, 2017), top_brand(PROVINCE, 2017)) == (0, 2, 3)
    figure = Figure.objects.get(region__code=COUNTY_B, indicator__code="BR_PROV_TOP_BRAND", year=2016)
    assert figure.version == 2
    assert figure.history.count() == 2  # created with 1, then changed to 0


def test_a_derived_figure_is_marked_approved_and_links_to_its_grants(registry, client):
    figure = Figure.objects.get(region__code=CITY, indicator__code="BR_PROV_TOP_BRAND", year=2016)
    assert figure.source == Figure.Source.DERIVED
    assert figure.status == Figure.Status.APPROVED
    assert figure.value == figure.reported_value == figure.verified_value == 4
    assert figure.note == DERIVED_NOTE
    assert figure.source_ref == "/awards/grants/?region=130500&indicator=BR_PROV_TOP_BRAND&year=2016"
    client.force_login(make_user(CITY, "leader"))
    page = client.get(figure.source_ref)
    assert page.status_code == 200
    assert [g.enterprise.name for g in page.context["page"]] == ["邢台市直", "宁晋乙", "隆尧甲", "宁晋甲"]
    assert page.context["page"].paginator.count == figure.value


def test_a_figure_entered_by_hand_is_never_overwritten_and_the_clash_is_reported(registry, region, caplog):
    indicator_id = Figure.objects.filter(indicator__code="BR_PROV_TOP_BRAND").values("indicator")[:1]
    manual = Figure.objects.create(
        region=region(COUNTY_A),
        indicator_id=indicator_id,
        year=2019,
        value=Decimal("5"),
        reported_value=Decimal("5"),
        source=Figure.Source.MANUAL,
    )
    # a2 (2015-2017) extended to 2019: county A would derive 1 in 2019.
    grant = registry[("宁晋乙", "PROV_TOP_BRAND")]
    Grant.objects.filter(pk=grant.pk).update(valid_until=2019)
    region_ids = list(Region.objects.filter(code__in=[COUNTY_A, CITY]).values_list("pk", flat=True))
    result = recompute_award_figures.delay(region_ids, [2019], ["BR_PROV_TOP_BRAND"]).get()
    manual.refresh_from_db()
    assert manual.value == 5 and manual.source == Figure.Source.MANUAL and manual.version == 1
    assert len(result["conflicts"]) == 1
    assert (
        "宁晋县（130528）BR_PROV_TOP_BRAND 2019 年已有手工填报数据 5，登记库统计为 1，未覆盖"
        in result["conflicts"][0]
    )
    assert "derived figure conflict" in caplog.text
    assert top_brand(CITY, 2019) == 1  # the city has no hand-typed figure: derived as usual


def test_recomputing_twice_gives_the_same_rows_and_writes_nothing(registry):
    before = sorted(Figure.objects.values_list("region__code", "indicator__code", "year", "value", "version"))
    history = Figure.history.count()
    first = derived_figures_rebuild()
    second = derived_figures_rebuild()
    assert first.created == second.created == 0
    assert first.updated == second.updated == 0
    assert second.unchanged > 0
    assert (
        sorted(Figure.objects.values_list("region__code", "indicator__code", "year", "value", "version"))
        == before
    )
    assert Figure.history.count() == history


def test_editing_a_grants_validity_recomputes_the_years_it_leaves(
    registry, django_capture_on_commit_callbacks
):
    grant = registry[("宁晋乙", "PROV_TOP_BRAND")]  # 2015-2017
    with django_capture_on_commit_callbacks(execute=True):
        services.grant_update(user=None, grant=grant, valid_until=2015)
    assert (top_brand(COUNTY_A, 2015), top_brand(COUNTY_A, 2016), top_brand(COUNTY_A, 2017)) == (2, 1, 0)
    assert top_brand(CITY, 2017) == 2


def test_moving_an_enterprise_moves_its_counts(registry, region, django_capture_on_commit_callbacks):
    enterprise = registry[("隆尧甲", "PROV_TOP_BRAND")].enterprise
    with django_capture_on_commit_callbacks(execute=True):
        services.enterprise_update(user=None, enterprise=enterprise, region=region(COUNTY_A))
    assert (top_brand(COUNTY_A, 2015), top_brand(COUNTY_B, 2015), top_brand(CITY, 2015)) == (3, 0, 3)
    assert value(COUNTY_B, "BR_TIME_HONORED", 2012) == 0


def test_nothing_is_enqueued_when_the_transaction_rolls_back(
    award_types, make_enterprise, django_capture_on_commit_callbacks
):
    from django.core.exceptions import ValidationError

    enterprise = make_enterprise(COUNTY_A)
    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ValidationError):
        services.grant_create(
            user=None,
            award_type=award_types["PROV_TOP_BRAND"],
            enterprise=enterprise,
            name="",
            year_granted=2015,
        )
    assert callbacks == []
    assert not Figure.objects.filter(source=Figure.Source.DERIVED).exists()


def test_a_type_that_counts_toward_no_indicator_derives_nothing(
    award_types, make_enterprise, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.grant_create(
            user=None,
            award_type=award_types["MUNICIPAL_QUALITY_AWARD_INDIVIDUAL"],
            enterprise=make_enterprise(COUNTY_A),
            name="张三",
            year_granted=2020,
        )
    assert callbacks == []
    assert not Figure.objects.filter(source=Figure.Source.DERIVED).exists()


def test_the_service_can_be_called_directly_for_any_scope(registry):
    ids = list(Region.objects.filter(code__in=[COUNTY_A, CITY]).values_list("pk", flat=True))
    result = derived_figures_recompute(
        region_ids=ids, years=[2014, 2015], indicator_codes=["BR_PROV_TOP_BRAND"]
    )
    assert (result.created, result.updated, result.unchanged, result.conflicts) == (0, 0, 4, [])
