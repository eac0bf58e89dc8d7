"""Pages of the registry: list with filters per region, create, edit, revoke, all under the policy."""

import datetime as dt

import pytest
from django.urls import reverse

from awards import services
from awards.models import Enterprise, Grant
from indicators.models import Figure
from tests.awards.conftest import CITY, COUNTY_A, COUNTY_B, OTHER_COUNTY, credit_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def grants(award_types, make_enterprise):
    rows = [
        (COUNTY_A, "PROV_TOP_BRAND", 2015, None),
        (COUNTY_A, "GI_PROTECTED", 2012, None),
        (COUNTY_B, "PROV_TOP_BRAND", 2016, dt.date(2017, 3, 1)),
        (OTHER_COUNTY, "PROV_TOP_BRAND", 2016, None),
    ]
    out = []
    for code, type_code, year, revoked in rows:
        grant = services.grant_create(
            user=None,
            award_type=award_types[type_code],
            enterprise=make_enterprise(code),
            name=f"{code}-{type_code}",
            year_granted=year,
        )
        if revoked:
            services.grant_revoke(user=None, grant=grant, revoked_on=revoked, reason="抽查不合格")
        out.append(grant)
    return out


def _listed(client, **params):
    response = client.get(reverse("awards:grant_list"), params)
    assert response.status_code == 200
    return sorted(g.name for g in response.context["page"])


def test_the_list_shows_the_users_subtree_only(client, grants):
    client.force_login(make_user(CITY, "leader"))
    assert _listed(client) == sorted(g.name for g in grants[:3])
    client.force_login(make_user(COUNTY_B, "staff"))
    assert _listed(client) == [grants[2].name]
    assert client.get(reverse("awards:grant_list"), {"region": COUNTY_A}).status_code == 404
    assert client.get(reverse("awards:grant_list"), {"region": OTHER_COUNTY}).status_code == 404


def test_the_list_filters_by_region_indicator_type_year_and_status(client, grants):
    client.force_login(make_user(CITY, "leader"))
    assert _listed(client, region=COUNTY_A) == sorted(g.name for g in grants[:2])
    assert _listed(client, indicator="BR_GI_PROTECTED") == [grants[1].name]
    assert _listed(client, award_type="PROV_TOP_BRAND") == sorted([grants[0].name, grants[2].name])
    assert _listed(client, year=2016, indicator="BR_PROV_TOP_BRAND") == sorted(
        [grants[0].name, grants[2].name]
    )
    assert _listed(client, year=2017, indicator="BR_PROV_TOP_BRAND") == [
        grants[0].name
    ]  # B revoked 2017-03-01
    assert _listed(client, status="revoked") == [grants[2].name]
    assert _listed(client, status="valid") == [grants[1].name]  # 2015-2017 has expired by now
    assert _listed(client, status="expired") == [grants[0].name]
    assert _listed(client, q=grants[1].enterprise.credit_code) == [grants[1].name]
    body = client.get(reverse("awards:grant_list"), {"region": COUNTY_A}).content.decode()
    assert "品牌奖项登记" in body and "宁晋县" in body


def test_staff_register_a_grant_on_the_page_and_the_figures_follow(
    client, award_types, make_enterprise, django_capture_on_commit_callbacks
):
    enterprise = make_enterprise(COUNTY_A)
    client.force_login(make_user(COUNTY_A, "staff"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("awards:grant_create"),
            {
                "award_type": award_types["CHINA_TOP_BRAND"].pk,
                "enterprise": enterprise.pk,
                "name": "宁晋牌电缆",
                "year_granted": 2015,
                "valid_until": "",
                "certificate_no": "ZGMP-2015-001",
            },
        )
    assert response.status_code == 302
    grant = Grant.objects.get(name="宁晋牌电缆")
    assert grant.valid_until == 2017 and grant.certificate_no == "ZGMP-2015-001"
    assert (
        Figure.objects.get(region__code=COUNTY_A, indicator__code="BR_CHINA_TOP_BRAND", year=2016).value == 1
    )


def test_the_create_form_offers_only_enterprises_the_user_may_register(client, make_enterprise):
    mine, theirs = make_enterprise(COUNTY_A), make_enterprise(COUNTY_B)
    client.force_login(make_user(COUNTY_A, "staff"))
    form = client.get(reverse("awards:grant_create")).context["form"]
    assert list(form.fields["enterprise"].queryset) == [mine]
    assert theirs not in form.fields["enterprise"].queryset


def test_a_leader_reads_but_cannot_register(client, grants):
    client.force_login(make_user(CITY, "leader"))
    assert client.get(reverse("awards:grant_create")).status_code == 403
    assert client.get(reverse("awards:grant_edit", args=[grants[0].pk])).status_code == 403
    assert client.post(reverse("awards:grant_revoke", args=[grants[0].pk]), {}).status_code == 403


def test_a_county_cannot_touch_another_countys_grant(client, grants):
    client.force_login(make_user(COUNTY_B, "staff"))
    assert client.get(reverse("awards:grant_edit", args=[grants[0].pk])).status_code == 404


def test_edit_and_revoke_on_the_page(client, grants, django_capture_on_commit_callbacks):
    grant = grants[0]
    client.force_login(make_user(CITY, "staff"))  # the city keeps its whole subtree's registry
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("awards:grant_edit", args=[grant.pk]),
            {
                "award_type": grant.award_type.pk,
                "enterprise": grant.enterprise.pk,
                "name": grant.name,
                "year_granted": 2015,
                "valid_until": 2016,
            },
        )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.valid_until == 2016
    assert (
        Figure.objects.get(region__code=COUNTY_A, indicator__code="BR_PROV_TOP_BRAND", year=2016).value == 1
    )
    page = client.get(reverse("awards:grant_revoke", args=[grant.pk]))
    assert page.status_code == 200
    response = client.post(
        reverse("awards:grant_revoke", args=[grant.pk]), {"revoked_on": "2016-08-01", "reason": ""}
    )
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("awards:grant_revoke", args=[grant.pk]),
            {"revoked_on": "2016-08-01", "reason": "冒用标志"},
        )
    grant.refresh_from_db()
    assert grant.revoked_on == dt.date(2016, 8, 1) and grant.revoke_reason == "冒用标志"
    assert (
        Figure.objects.get(region__code=COUNTY_A, indicator__code="BR_PROV_TOP_BRAND", year=2016).value == 0
    )
    history = client.get(reverse("awards:grant_edit", args=[grant.pk])).context["history"]
    assert len(history) == 3


def test_an_enterprise_with_a_bad_credit_code_is_refused_with_the_rule(client, catalog):
    client.force_login(make_user(COUNTY_A, "staff"))
    response = client.post(
        reverse("awards:enterprise_create"),
        {"name": "宁晋测试厂", "credit_code": "91130528MA0000001X", "region": COUNTY_A},
    )
    assert response.status_code == 200
    assert "第 18 位校验码错误" in response.content.decode()
    response = client.post(
        reverse("awards:enterprise_create"),
        {"name": "宁晋测试厂", "credit_code": credit_code(COUNTY_A, 1).lower(), "region": COUNTY_A},
    )
    assert "须使用大写字母" in response.content.decode()
    assert not Enterprise.objects.exists()
    good = credit_code(COUNTY_A, 1)
    response = client.post(
        reverse("awards:enterprise_create"),
        {"name": "宁晋测试厂", "credit_code": good, "region": COUNTY_A, "industry": "C"},
    )
    assert response.status_code == 302
    assert Enterprise.objects.get(credit_code=good).industry == "C"
    duplicate = client.post(
        reverse("awards:enterprise_create"), {"name": "又一个", "credit_code": good, "region": COUNTY_A}
    )
    assert "已存在" in duplicate.content.decode()


def test_a_county_cannot_register_an_enterprise_elsewhere(client, catalog):
    client.force_login(make_user(COUNTY_A, "staff"))
    response = client.post(
        reverse("awards:enterprise_create"),
        {"name": "隆尧测试厂", "credit_code": credit_code(COUNTY_B, 1), "region": COUNTY_B},
    )
    assert response.status_code == 200 and response.context["form"].errors["region"]
    assert not Enterprise.objects.exists()


def test_enterprise_list_filters(client, make_enterprise):
    a, b = make_enterprise(COUNTY_A, "宁晋电缆厂"), make_enterprise(COUNTY_B, "隆尧食品厂")
    client.force_login(make_user(CITY, "leader"))
    names = lambda **p: [e.name for e in client.get(reverse("awards:enterprise_list"), p).context["page"]]  # noqa: E731
    assert names() == ["宁晋电缆厂", "隆尧食品厂"] or names() == ["隆尧食品厂", "宁晋电缆厂"]
    assert names(region=COUNTY_B) == ["隆尧食品厂"]
    assert names(q="电缆") == ["宁晋电缆厂"]
    assert names(q=a.credit_code) == ["宁晋电缆厂"]
    assert b.name not in names(region=COUNTY_A)


def test_the_award_type_page_lists_every_type(client, award_types):
    client.force_login(make_user(COUNTY_A, "staff"))
    body = client.get(reverse("awards:award_type_list")).content.decode()
    for name in ("中国名牌产品", "地理标志证明商标", "市政府质量奖（组织奖）", "鲁班奖"):
        assert name in body


def test_pages_need_a_login(client, catalog):
    response = client.get(reverse("awards:grant_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
