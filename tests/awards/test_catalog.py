"""The award-type fixture: every type the seeds name, idempotent, validity editable."""

import csv

import pytest
from django.core.management import call_command

from awards.catalog import AWARD_TYPES_CSV, load_award_types
from awards.models import AwardType
from awards.services import award_type_update
from indicators.models import Indicator

pytestmark = pytest.mark.django_db

SEED_NAMES = [
    "中国名牌产品",
    "中国驰名商标",
    "省名牌产品",
    "省优质产品",
    "省服务名牌",
    "省著名商标",
    "地理标志保护产品",
    "地理标志证明商标",
    "中华老字号",
    "省级老字号",
    "中国质量奖（组织）",
    "中国质量奖（个人）",
    "中国质量奖提名奖",
    "省政府质量奖（组织奖）",
    "省政府质量奖（个人奖）",
    "省政府质量奖提名奖",
    "市政府质量奖（组织奖）",
    "市政府质量奖（个人奖）",
    "市政府质量奖提名奖",
    "鲁班奖",
]


def test_every_type_the_seeds_name_is_loaded_with_level_validity_and_indicator(catalog):
    result = load_award_types()
    assert result.created == len(SEED_NAMES)
    types = {t.name: t for t in AwardType.objects.select_related("indicator")}
    assert sorted(types) == sorted(SEED_NAMES)
    assert types["省名牌产品"].validity_years == 3
    assert types["省名牌产品"].level == AwardType.Level.PROVINCIAL
    assert types["中华老字号"].validity_years is None
    assert types["中华老字号"].indicator.code == types["省级老字号"].indicator.code == "BR_TIME_HONORED"
    assert types["市政府质量奖（组织奖）"].indicator.code == "QM_MUNICIPAL_QUALITY_AWARD"
    assert types["市政府质量奖（组织奖）"].tier == AwardType.Tier.ORGANISATION
    assert types["市政府质量奖提名奖"].indicator is None
    assert types["鲁班奖"].indicator.code == "EN_LUBAN_AWARDS"


def test_every_indicator_code_of_the_fixture_exists(catalog):
    with AWARD_TYPES_CSV.open(encoding="utf-8") as fh:
        codes = {r["indicator_code"] for r in csv.DictReader(fh) if r["indicator_code"]}
    assert codes <= set(Indicator.objects.values_list("code", flat=True))
    assert {
        "BR_CHINA_TOP_BRAND",
        "BR_GI_CERT_TM",
        "QM_NATIONAL_QUALITY_AWARD",
        "QM_PROVINCIAL_QUALITY_AWARD",
    } <= codes


def test_loading_twice_changes_nothing_and_keeps_an_edited_validity(catalog):
    load_award_types()
    brand = AwardType.objects.get(code="PROV_TOP_BRAND")
    award_type_update(user=None, award_type=brand, validity_years=5, indicator=brand.indicator)
    again = load_award_types()
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(SEED_NAMES))
    assert AwardType.objects.get(code="PROV_TOP_BRAND").validity_years == 5
    assert str(again) == f"新增 0，更新 0，未变 {len(SEED_NAMES)}"


def test_load_catalog_reports_the_award_types(catalog, capsys):
    call_command("load_catalog")
    assert "奖项类型：" in capsys.readouterr().out
    assert AwardType.objects.count() == len(SEED_NAMES)


def test_only_a_superuser_edits_the_national_catalogue(catalog):
    from django.core.exceptions import PermissionDenied

    from tests.factories import make_user

    load_award_types()
    brand = AwardType.objects.get(code="PROV_TOP_BRAND")
    with pytest.raises(PermissionDenied):
        award_type_update(
            user=make_user("130500", "admin"), award_type=brand, validity_years=4, indicator=None
        )
    assert AwardType.objects.get(code="PROV_TOP_BRAND").validity_years == 3
