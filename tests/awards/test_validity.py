"""When a grant counts: granted in or before the year, validity not ended, not revoked
on or before 31 December. The Python rule and the database filter must agree."""

import datetime as dt

import pytest

from awards import services
from awards.models import Grant
from awards.selectors import valid_in_year
from tests.awards.conftest import COUNTY_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant_of(award_types, make_enterprise):
    enterprise = make_enterprise(COUNTY_A)

    def make(year_granted, valid_until=None, revoked_on=None, code="PROV_TOP_BRAND"):
        grant = Grant.objects.create(
            award_type=award_types[code],
            enterprise=enterprise,
            name=f"产品{Grant.objects.count()}",
            year_granted=year_granted,
            valid_until=valid_until,
            revoked_on=revoked_on,
            revoke_reason="抽查不合格" if revoked_on else "",
        )
        return grant

    return make


def _valid_years(grant, years):
    python = {y for y in years if grant.is_valid_in(y)}
    database = {y for y in years if Grant.objects.filter(valid_in_year(y), pk=grant.pk).exists()}
    assert python == database  # one rule, two implementations
    return python


YEARS = range(2012, 2022)


def test_not_valid_before_the_year_granted_and_valid_in_it(grant_of):
    assert _valid_years(grant_of(2015, 2017), YEARS) == {2015, 2016, 2017}


def test_valid_until_is_inclusive_and_the_next_year_is_out(grant_of):
    grant = grant_of(2014, 2016)
    assert grant.is_valid_in(2016)
    assert not grant.is_valid_in(2017)


def test_a_grant_without_end_stays_valid(grant_of):
    assert _valid_years(grant_of(2013, None, code="CHINA_TIME_HONORED"), YEARS) == set(range(2013, 2022))


def test_revoked_mid_year_is_not_counted_that_year(grant_of):
    grant = grant_of(2015, 2017, revoked_on=dt.date(2016, 6, 30))
    assert _valid_years(grant, YEARS) == {2015}


def test_revoked_on_31_december_is_not_counted_that_year(grant_of):
    assert _valid_years(grant_of(2015, 2017, revoked_on=dt.date(2016, 12, 31)), YEARS) == {2015}


def test_revoked_on_1_january_still_counts_the_year_before(grant_of):
    assert _valid_years(grant_of(2015, 2017, revoked_on=dt.date(2017, 1, 1)), YEARS) == {2015, 2016}


def test_revoked_in_the_year_granted_never_counts(grant_of):
    assert _valid_years(grant_of(2015, 2017, revoked_on=dt.date(2015, 3, 1)), YEARS) == set()


def test_valid_until_defaults_to_the_types_validity(award_types, make_enterprise):
    enterprise = make_enterprise(COUNTY_A)
    three_years = services.grant_create(
        user=None,
        award_type=award_types["PROV_TOP_BRAND"],
        enterprise=enterprise,
        name="甲",
        year_granted=2015,
    )
    forever = services.grant_create(
        user=None, award_type=award_types["GI_PROTECTED"], enterprise=enterprise, name="乙", year_granted=2015
    )
    assert three_years.valid_until == 2017  # 2015, 2016, 2017
    assert forever.valid_until is None


def test_valid_until_before_the_year_granted_is_refused(award_types, make_enterprise):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        services.grant_create(
            user=None,
            award_type=award_types["PROV_TOP_BRAND"],
            enterprise=make_enterprise(COUNTY_A),
            name="甲",
            year_granted=2015,
            valid_until=2014,
        )
    assert "有效期至 2014 年早于获得年度 2015 年" in str(info.value)


def test_a_revocation_needs_a_reason_and_cannot_predate_the_grant(grant_of):
    from django.core.exceptions import ValidationError

    grant = grant_of(2015, 2017)
    with pytest.raises(ValidationError) as info:
        services.grant_revoke(user=None, grant=grant, revoked_on=dt.date(2014, 5, 1), reason="")
    messages = str(info.value)
    assert "早于获得年度" in messages and "请填写撤销原因" in messages
    services.grant_revoke(user=None, grant=grant, revoked_on=dt.date(2016, 5, 1), reason="抽查不合格")
    with pytest.raises(ValidationError, match="已于 2016-05-01 撤销"):
        services.grant_revoke(user=None, grant=grant, revoked_on=dt.date(2016, 6, 1), reason="再次")
