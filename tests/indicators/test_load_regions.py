import pytest
from django.core.management import call_command

from indicators.catalog import PLACEHOLDER_NAMES, load_regions
from indicators.models import Region

pytestmark = pytest.mark.django_db


def test_it_loads_the_whole_national_list(catalog):
    assert Region.objects.count() >= 3000
    assert Region.objects.filter(level="province").count() == 34
    assert Region.objects.filter(level="city").count() > 300
    assert Region.objects.filter(level="county").count() > 2800


@pytest.mark.parametrize(
    ("code", "name", "parent_code", "parent_name", "level"),
    [
        ("130500", "邢台市", "130000", "河北省", "city"),
        ("130722", "张北县", "130700", "张家口市", "county"),
        ("140525", "泽州县", "140500", "晋城市", "county"),
        # 省直辖县级行政区划 is a placeholder: its children hang under the province.
        ("429004", "仙桃市", "420000", "湖北省", "county"),
        # 市辖区 of a municipality is a placeholder too.
        ("110101", "东城区", "110000", "北京市", "county"),
    ],
)
def test_it_links_parents(catalog, code, name, parent_code, parent_name, level):
    region = Region.objects.select_related("parent").get(code=code)
    assert region.name == name
    assert region.level == level
    assert region.parent.code == parent_code
    assert region.parent.name == parent_name
    assert region.path.endswith(f"/{parent_code}/{code}/")


def test_it_skips_placeholder_rows(catalog):
    assert not Region.objects.filter(name__in=PLACEHOLDER_NAMES).exists()
    assert not Region.objects.filter(code="130501").exists()  # 邢台市 市辖区


def test_it_keeps_coordinates(catalog):
    xingtai = Region.objects.get(code="130500")
    assert float(xingtai.longitude) == pytest.approx(114.504677)
    assert float(xingtai.latitude) == pytest.approx(37.070834)


def test_every_non_province_has_a_parent(catalog):
    assert not Region.objects.exclude(level="province").filter(parent__isnull=True).exists()


def test_a_second_run_changes_nothing(catalog):
    before = list(Region.objects.order_by("code").values_list("pk", "code", "name", "parent_id", "path"))
    result = load_regions()
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == len(before)
    after = list(Region.objects.order_by("code").values_list("pk", "code", "name", "parent_id", "path"))
    assert after == before


def test_the_command_reports_counts(catalog, capsys):
    call_command("load_regions")
    assert "新增 0，更新 0" in capsys.readouterr().out


def test_it_repairs_a_changed_row(catalog):
    Region.objects.filter(code="130500").update(name="错误名称")
    result = load_regions()
    assert result.updated == 1
    assert Region.objects.get(code="130500").name == "邢台市"
