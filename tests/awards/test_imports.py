"""Enterprise and grant imports (.csv and .xlsx): all or nothing, one message per problem."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from awards.imports import enterprises_import, enterprises_plan, grants_import
from awards.models import Enterprise, Grant
from indicators.models import Figure
from indicators.tabular import TableError
from tests.awards.conftest import COUNTY_A, COUNTY_B, OTHER_COUNTY, credit_code
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GOOD_A, GOOD_B = credit_code(COUNTY_A, 101), credit_code(COUNTY_B, 102)


def csv_bytes(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


def xlsx_bytes(rows) -> bytes:
    wb = Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_enterprises_import_from_csv_with_chinese_headers(catalog):
    data = csv_bytes(
        "统一社会信用代码,单位名称,地区代码,行业门类",
        f"{GOOD_A},宁晋电缆集团,{COUNTY_A},C",
        f"{GOOD_B},隆尧食品有限公司,{COUNTY_B},制造业",
    )
    plan = enterprises_import(user=None, data=data, filename="企业.csv")
    assert (plan.created, plan.updated) == (2, 0)
    assert Enterprise.objects.get(credit_code=GOOD_B).industry == "C"


def test_one_bad_row_rejects_the_whole_file_with_row_and_column(catalog):
    data = csv_bytes(
        "credit_code,name,region_code",
        f"{GOOD_A},宁晋电缆集团,{COUNTY_A}",
        f"{GOOD_A[:-1]}X,错误校验码,{COUNTY_A}",
        f"{GOOD_B.lower()},小写,{COUNTY_B}",
        f"{GOOD_A},重复,{COUNTY_A}",
        f"{GOOD_B[:10]},太短,999999",
        f"{credit_code(COUNTY_B, 7)},,{COUNTY_B}",
    )
    with pytest.raises(TableError) as info:
        enterprises_import(user=None, data=data, filename="e.csv")
    messages = [str(e) for e in info.value.errors]
    assert messages == [
        f"第 3 行，统一社会信用代码（credit_code） 列：第 18 位校验码错误：按 GB 32100 计算应为 {GOOD_A[-1]}，当前为 X",
        f"第 4 行，统一社会信用代码（credit_code） 列：统一社会信用代码须使用大写字母，不能含小写字母 {'、'.join(sorted({c for c in GOOD_B.lower() if c.islower()}))}",
        "第 5 行，统一社会信用代码（credit_code） 列：与第 2 行重复",
        "第 6 行，统一社会信用代码（credit_code） 列：统一社会信用代码须为 18 位，当前为 10 位",
        "第 6 行，地区代码（region_code） 列：地区代码“999999”不存在",
        "第 7 行，单位名称（name） 列：不能为空",
    ]
    assert not Enterprise.objects.exists()


def test_a_county_cannot_import_enterprises_of_another(catalog):
    staff = make_user(COUNTY_A, "staff")
    data = csv_bytes("credit_code,name,region_code", f"{GOOD_A},甲,{COUNTY_A}", f"{GOOD_B},乙,{COUNTY_B}")
    plan = enterprises_plan(user=staff, data=data, filename="e.csv")
    assert [str(e) for e in plan.errors] == ["第 3 行，地区代码（region_code） 列：无权在“隆尧县”登记企业"]


def test_reimporting_updates_by_credit_code(catalog):
    enterprises_import(
        user=None,
        data=csv_bytes("credit_code,name,region_code", f"{GOOD_A},旧名,{COUNTY_A}"),
        filename="e.csv",
    )
    plan = enterprises_import(
        user=None,
        data=csv_bytes("credit_code,name,region_code", f"{GOOD_A},新名,{COUNTY_A}"),
        filename="e.csv",
    )
    assert (plan.created, plan.updated) == (0, 1)
    assert Enterprise.objects.get(credit_code=GOOD_A).name == "新名"


@pytest.fixture
def enterprises(catalog):
    enterprises_import(
        user=None,
        data=csv_bytes(
            "credit_code,name,region_code",
            f"{GOOD_A},宁晋电缆集团,{COUNTY_A}",
            f"{GOOD_B},隆尧食品,{COUNTY_B}",
        ),
        filename="e.csv",
    )


def test_grants_import_from_xlsx_and_one_recompute_follows(
    award_types, enterprises, django_capture_on_commit_callbacks
):
    data = xlsx_bytes(
        [
            ["奖项类型", "统一社会信用代码", "产品或品牌名称", "获得年度", "有效期至", "证书编号"],
            ["省名牌产品", GOOD_A, "宁晋牌电缆", 2015, None, "HB-2015-1"],
            ["PROV_TOP_BRAND", GOOD_B, "隆尧挂面", 2016.0, 2019, None],
            ["中华老字号", GOOD_B, "隆尧老店", "2012", "", ""],
        ]
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        plan = grants_import(user=None, data=data, filename="授予.xlsx")
    assert (plan.created, plan.updated) == (3, 0)
    assert len(callbacks) == 1
    assert Grant.objects.get(name="宁晋牌电缆").valid_until == 2017
    assert Grant.objects.get(name="隆尧挂面").valid_until == 2019
    assert Grant.objects.get(name="隆尧老店").valid_until is None
    city = Figure.objects.get(region__code="130500", indicator__code="BR_PROV_TOP_BRAND", year=2016)
    assert city.value == 2 and city.source == Figure.Source.DERIVED


def test_a_bad_grant_file_writes_nothing(award_types, enterprises):
    unknown = credit_code(OTHER_COUNTY, 5)
    data = csv_bytes(
        "award_type,credit_code,name,year_granted,valid_until",
        f"省名牌产品,{GOOD_A},宁晋牌电缆,2015,",
        f"不存在的奖,{GOOD_A},x,2015,",
        f"省名牌产品,{unknown},y,2015,",
        f"省名牌产品,{GOOD_A},z,二〇一五,",
        f"省名牌产品,{GOOD_A},w,2015,2014",
        f"省名牌产品,{GOOD_A},宁晋牌电缆,2015,",
        f"省名牌产品,{GOOD_A},v,2015.5,",
    )
    with pytest.raises(TableError) as info:
        grants_import(user=None, data=data, filename="g.csv")
    assert [str(e) for e in info.value.errors] == [
        "第 3 行，奖项类型（award_type） 列：奖项类型“不存在的奖”不在目录中",
        f"第 4 行，统一社会信用代码（credit_code） 列：统一社会信用代码 {unknown} 未登记，请先导入企业",
        "第 5 行，获得年度（year_granted） 列：“二〇一五”不是整数年份",
        "第 6 行，有效期至（valid_until） 列：有效期至 2014 年早于获得年度 2015 年",
        "第 7 行，产品或品牌名称（name） 列：与第 2 行重复（同一奖项类型、企业、名称和年度）",
        "第 8 行，获得年度（year_granted） 列：“2015.5”不是整数年份",
    ]
    assert not Grant.objects.exists()


def test_hostile_files_are_refused_by_the_shared_reader(award_types):
    with pytest.raises(TableError, match="不接受含宏的工作簿"):
        grants_import(user=None, data=b"PK\x03\x04", filename="g.xlsm")
    with pytest.raises(TableError, match="缺少必填列"):
        grants_import(user=None, data=csv_bytes("award_type,name", "a,b"), filename="g.csv")


def test_the_import_page_previews_errors_then_imports_on_confirm(client, catalog):
    client.force_login(make_user(COUNTY_A, "staff"))
    url = reverse("awards:import", args=["enterprises"])
    bad = io.BytesIO(csv_bytes("credit_code,name,region_code", f"{GOOD_A[:-1]}X,甲,{COUNTY_A}"))
    bad.name = "e.csv"
    response = client.post(url, {"file": bad})
    body = response.content.decode()
    assert "第 2 行，统一社会信用代码（credit_code） 列：第 18 位校验码错误" in body
    assert "未导入任何数据" in body and not Enterprise.objects.exists()

    good = io.BytesIO(csv_bytes("credit_code,name,region_code", f"{GOOD_A},宁晋电缆集团,{COUNTY_A}"))
    good.name = "e.csv"
    preview = client.post(url, {"file": good})
    assert preview.context["plan"].created == 1 and "宁晋电缆集团" in preview.content.decode()
    assert not Enterprise.objects.exists()  # a preview writes nothing
    done = client.post(url, {"confirm": "1", "token": preview.context["token"]})
    assert done.status_code == 302
    assert Enterprise.objects.get(credit_code=GOOD_A).name == "宁晋电缆集团"
    again = client.post(url, {"confirm": "1", "token": preview.context["token"]}, follow=True)
    assert "预览已过期" in again.content.decode()


def test_the_import_page_needs_the_right_to_register(client, catalog):
    client.force_login(make_user("130500", "leader"))
    assert client.get(reverse("awards:import", args=["grants"])).status_code == 403
    assert client.get(reverse("awards:import", args=["nonsense"])).status_code == 404


def test_the_commands_import_and_report_errors(tmp_path, award_types, capsys):
    enterprises = tmp_path / "e.csv"
    enterprises.write_bytes(csv_bytes("credit_code,name,region_code", f"{GOOD_A},宁晋电缆集团,{COUNTY_A}"))
    call_command("import_enterprises", str(enterprises))
    assert "企业：新增 1，更新 0" in capsys.readouterr().out
    grants = tmp_path / "g.csv"
    grants.write_bytes(
        csv_bytes("award_type,credit_code,name,year_granted", f"鲁班奖,{GOOD_A},宁晋体育馆,2016")
    )
    call_command("import_grants", str(grants))
    assert Grant.objects.get().award_type.code == "LUBAN_PRIZE"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("award_type,credit_code,name,year_granted", f"鲁班奖,{GOOD_A},x,今年"))
    with pytest.raises(CommandError, match="第 2 行，获得年度（year_granted） 列"):
        call_command("import_grants", str(bad))
    with pytest.raises(CommandError, match="没有用户 nobody"):
        call_command("import_grants", str(grants), "--user", "nobody")
