"""import_targets: all or nothing, one message per bad row with its row and column."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from indicators.models import Plan, Target
from indicators.targets import TargetImportError, targets_import
from tests.factories import make_user
from tests.indicators.scoring_helpers import D

pytestmark = pytest.mark.django_db

HEADER = "region_code,indicator_code,year,comparator,target,weight,rule,rule_param,veto\n"


def csv_bytes(body: str, header: str = HEADER) -> bytes:
    return (header + body).encode("utf-8")


def test_a_good_csv_creates_the_plan_and_its_targets(catalog):
    data = csv_bytes(
        "130521,PQ_SAMPLING_PASS,2014,>=,97,6,,,\n"
        "130521,PQ_SAMPLING_PASS,2015,>=,98,6,threshold,,0\n"
        "130522,EN_MAJOR_ACCIDENTS,2015,<=,0,8,deduct,2.5,1\n"
    )
    result = targets_import(data=data, filename="t.csv", plan_name="县域目标2014-2015")

    assert (result.created, result.updated, result.plan_created) == (3, 0, True)
    plan = Plan.objects.get(name="县域目标2014-2015")
    # The lowest common ancestor of 邢台县 and 临城县 is 邢台市; years span the rows.
    assert (plan.region.code, plan.base_year, plan.start_year, plan.end_year) == ("130500", 2013, 2014, 2015)
    t = Target.objects.get(region__code="130522", indicator__code="EN_MAJOR_ACCIDENTS", year=2015)
    assert (t.comparator, t.value, t.weight, t.rule, t.rule_param, t.veto, t.plan) == (
        "<=",
        D(0),
        D(8),
        "deduct",
        D("2.5"),
        True,
        plan,
    )
    assert Target.objects.get(region__code="130521", year=2014).rule == "ratio"  # default


def test_chinese_headers_and_an_xlsx_with_numbers_are_accepted(catalog):
    wb = Workbook()
    ws = wb.active
    ws.append(["地区代码", "指标代码", "年度", "比较符", "目标值", "权重", "一票否决"])
    ws.append(["130500", "PQ_GRADE_RATE", 2015, "≥", 85.5, 4, 0])
    buf = io.BytesIO()
    wb.save(buf)
    result = targets_import(data=buf.getvalue(), filename="目标.xlsx", plan_name="P")
    assert result.created == 1
    assert Target.objects.get(indicator__code="PQ_GRADE_RATE").value == D("85.5")


def test_any_bad_row_rejects_the_whole_file_with_one_message_per_problem(catalog):
    data = csv_bytes(
        "130521,PQ_SAMPLING_PASS,2015,>=,98,4,,,\n"  # row 2: fine
        "999999,PQ_SAMPLING_PASS,2015,>=,98,4,,,\n"  # row 3: unknown region
        "130521,NO_SUCH,2015,>=,98,4,,,\n"  # row 4: unknown indicator
        "130521,PQ_GRADE_RATE,二〇一五,>=,abc,4,,,\n"  # row 5: year and target not numbers
        "130521,PQ_FOOD_PASS,2015,>,101,-1,,,\n"  # row 6: comparator, out of range, weight
        "130521,PQ_SAMPLING_PASS,2015,>=,97,4,,,\n"  # row 7: duplicate of row 2
        "130521,EN_LUBAN_AWARDS,2015,>=,2,4,bonus,x,2\n"  # row 8: rule, rule_param, veto
        "130521,EN_LUBAN_AWARDS,3000,>=,2,4,,,\n"  # row 9: year out of range
    )
    with pytest.raises(TargetImportError) as caught:
        targets_import(data=data, filename="bad.csv", plan_name="坏文件")

    messages = [str(e) for e in caught.value.errors]
    expected = [
        ("第 3 行，地区代码（region_code） 列", "未知地区代码“999999”"),
        ("第 4 行，指标代码（indicator_code） 列", "未知指标代码“NO_SUCH”"),
        ("第 5 行，年度（year） 列", "不是"),
        ("第 5 行，目标值（target） 列", "“abc”不是数字"),
        ("第 6 行，比较符（comparator） 列", "应为 >= 或 <="),
        ("第 6 行，目标值（target） 列", "大于指标上限 100"),
        ("第 6 行，权重（weight） 列", "权重不能为负数"),
        ("第 7 行，年度（year） 列", "与第 2 行重复"),
        ("第 8 行，计分规则（rule） 列", "计分规则“bonus”无效"),
        ("第 8 行，扣分系数（rule_param） 列", "“x”不是数字"),
        ("第 8 行，一票否决（veto） 列", "应为 1 或 0"),
        ("第 9 行，年度（year） 列", "年度 3000 超出允许范围"),
    ]
    for where, what in expected:
        assert any(m.startswith(where) and what in m for m in messages), (where, what, messages)
    assert len(messages) == len(expected)
    assert not Target.objects.exists()
    assert not Plan.objects.filter(name="坏文件").exists()


def test_rows_outside_an_existing_plan_are_rejected(catalog, region):
    Plan.objects.create(
        name="邢台规划", region=region("130500"), base_year=2010, start_year=2011, end_year=2015
    )
    data = csv_bytes("130302,PQ_SAMPLING_PASS,2015,>=,98,4,,,\n130521,PQ_SAMPLING_PASS,2016,>=,98,4,,,\n")
    with pytest.raises(TargetImportError) as caught:
        targets_import(data=data, filename="t.csv", plan_name="邢台规划")
    messages = [str(e) for e in caught.value.errors]
    assert any("第 2 行" in m and "不在规划“邢台规划”所属的邢台市范围内" in m for m in messages)
    assert any("第 3 行" in m and "超出规划“邢台规划”的年度范围 2011–2015" in m for m in messages)
    assert not Target.objects.exists()


def test_reimporting_updates_the_plans_targets_but_never_another_plans(catalog, region):
    data = csv_bytes("130521,PQ_SAMPLING_PASS,2015,>=,98,4,,,\n")
    targets_import(data=data, filename="t.csv", plan_name="P1")
    again = targets_import(
        data=csv_bytes("130521,PQ_SAMPLING_PASS,2015,>=,97,5,,,\n"), filename="t.csv", plan_name="P1"
    )
    assert (again.created, again.updated) == (0, 1)
    t = Target.objects.get()
    assert (t.value, t.weight) == (D(97), D(5))

    with pytest.raises(TargetImportError) as caught:
        targets_import(
            data=csv_bytes("130521,PQ_SAMPLING_PASS,2015,>=,90,4,,,\n"), filename="t.csv", plan_name="P2"
        )
    assert "已有目标，属于规划“P1”" in str(caught.value.errors[0])
    assert Target.objects.get().value == D(97)
    assert not Plan.objects.filter(name="P2").exists()


def test_a_user_may_only_import_targets_of_regions_they_manage(catalog):
    county_admin = make_user("130521", "admin")
    data = csv_bytes("130521,PQ_SAMPLING_PASS,2015,>=,98,4,,,\n130522,PQ_SAMPLING_PASS,2015,>=,98,4,,,\n")
    with pytest.raises(TargetImportError) as caught:
        targets_import(data=data, filename="t.csv", plan_name="P", user=county_admin)
    assert [str(e) for e in caught.value.errors] == [
        "第 3 行，地区代码（region_code） 列：无权为临城县设定目标"
    ]
    assert not Target.objects.exists()


def test_file_level_problems_are_reported_without_rows(catalog):
    with pytest.raises(TargetImportError) as caught:
        targets_import(data=b"region_code,year\n130521,2015\n", filename="t.csv", plan_name="P")
    assert any("缺少必填列" in str(e) for e in caught.value.errors)
    with pytest.raises(TargetImportError):
        targets_import(data=b"x", filename="t.pdf", plan_name="P")


def test_the_command_imports_or_rejects_with_row_messages(catalog, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(b"\xef\xbb\xbf" + csv_bytes("130521,PQ_SAMPLING_PASS,2015,>=,98,4,,,\n"))
    call_command("import_targets", str(good), "--plan", "命令规划")
    assert "新增目标 1 条" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes("130521,PQ_GRADE_RATE,2015,>=,98,4,,,\n130521,PQ_FOOD_PASS,2015,>=,x,4,,,\n"))
    with pytest.raises(CommandError, match="导入被拒绝，共 1 处错误"):
        call_command("import_targets", str(bad), "--plan", "命令规划")
    assert "第 3 行，目标值（target） 列：“x”不是数字" in capsys.readouterr().err
    assert Target.objects.count() == 1
