"""The explain page: per target actual, target, completion, points, points lost and why, both bases."""

from __future__ import annotations

import re

import pytest

from indicators.models import RegionScore, TargetScore
from indicators.scoring_service import compute_scores
from tests.factories import make_user
from tests.indicators.scoring_helpers import D, fig, tgt

pytestmark = pytest.mark.django_db

COUNTY = "130521"  # 邢台县
URL = f"/scores/{COUNTY}/2015/explain/"


@pytest.fixture
def scored(catalog, region):
    tgt(COUNTY, "PQ_SAMPLING_PASS", 2015, 98, weight=4)
    fig(COUNTY, "PQ_SAMPLING_PASS", 2015, 99, verified=97)  # over-reported: 99 claimed, 97 verified
    tgt(COUNTY, "EN_LUBAN_AWARDS", 2015, 2, weight=6)  # no figure: missing
    tgt(COUNTY, "EN_MAJOR_ACCIDENTS", 2015, 0, weight=4, veto=True)
    fig(COUNTY, "EN_MAJOR_ACCIDENTS", 2015, 1)
    tgt(COUNTY, "PQ_GRADE_RATE", 2015, 85, weight=6)
    fig(COUNTY, "PQ_GRADE_RATE", 2015, 90)
    compute_scores(year=2015, region=region(COUNTY))


def row_html(body: str, indicator: str) -> str:
    match = re.search(rf'<tr data-indicator="{indicator}".*?</tr>', body, re.S)
    assert match, indicator
    return re.sub(r"\s+", " ", match.group(0))


def cells(html: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", html, re.S)]


def test_every_target_shows_both_bases_points_lost_and_the_reason(scored, client):
    client.force_login(make_user("130500", "leader"))
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()

    # 抽查合格率 ≥ 98, weight 4: self 99 -> met 4; verified 97 -> 97/98 = 98.98 %, 3.9592, lost 0.0408.
    c = cells(row_html(body, "PQ_SAMPLING_PASS"))
    assert c[1].startswith("≥ 98") and c[2] == "4"
    assert c[4:9] == ["99", "101.02%", "4", "0", "达标"]
    assert c[9:14] == ["97", "98.98%", "3.9592", "0.0408", "未达标：实际值 97 低于目标值 98"]
    assert c[14] == "+0.0408"  # self minus verified points

    c = cells(row_html(body, "EN_LUBAN_AWARDS"))
    assert c[4:9] == ["—", "—", "0", "6", "缺报：无实际值，得 0 分"]

    c = cells(row_html(body, "EN_MAJOR_ACCIDENTS"))
    assert c[9:14] == ["1", "0.00%", "0", "4", "未达标：实际值 1 高于目标值 0；一票否决，等级降为 D"]

    # Totals: self (4 + 0 + 0 + 6) / 20 = 50.00; verified (3.9592 + 6) / 20 = 49.796 -> 49.80; both D (veto).
    assert re.search(r'id="self-total">50.00 <span class="grade-D">D</span>', body)
    assert re.search(r'id="verified-total">49.80 <span class="grade-D">D</span>', body)
    assert "一票否决：" in body
    assert ">+0.2<" in body  # 50.00 - 49.80


def test_the_numbers_come_from_the_stored_results_not_a_recomputation(scored, client):
    TargetScore.objects.filter(region__code=COUNTY, indicator__code="PQ_GRADE_RATE", basis="verified").update(
        points=D("1.2345")
    )
    RegionScore.objects.filter(region__code=COUNTY, basis="verified").update(total=D("12.34"), grade="C")
    client.force_login(make_user("130500", "leader"))
    body = client.get(URL).content.decode()
    assert cells(row_html(body, "PQ_GRADE_RATE"))[11] == "1.2345"
    assert 'id="verified-total">12.34 <span class="grade-C">C</span>' in body


def test_a_region_without_results_says_so(catalog, client):
    client.force_login(make_user("130500", "leader"))
    body = client.get("/scores/130522/2015/explain/").content.decode()
    assert "尚未计算得分" in body


def test_the_page_is_limited_to_the_users_subtree(scored, client):
    assert client.get(URL).status_code == 302  # anonymous: to the login page
    client.force_login(make_user("130522", "leader"))  # a sibling county
    assert client.get(URL).status_code == 403
    client.force_login(make_user(COUNTY, "staff"))
    assert client.get(URL).status_code == 200
    assert client.get("/scores/000000/2015/explain/").status_code == 404


def test_it_names_the_latest_run_covering_the_region_even_when_that_run_changed_nothing(
    scored, client, region
):
    from indicators.models import ScoreRun

    first = {r.basis: r for r in ScoreRun.objects.all()}
    # A later scoped run of the whole city finds the same values and writes nothing ...
    later = {
        s.run.basis: s.run for s in compute_scores(year=2015, region=region("130500"), trigger="夜间重算")
    }
    assert set(RegionScore.objects.filter(region__code=COUNTY).values_list("run", flat=True)) == {
        r.pk for r in first.values()
    }
    # ... a failed run and a run of another city do not count ...
    ScoreRun.objects.create(year=2015, basis="verified", trigger="失败的运行", status=ScoreRun.Status.FAILED)
    compute_scores(year=2015, region=region("130300"), trigger="秦皇岛重算")
    # ... and the page says the numbers come from the latest run that covered the county.
    client.force_login(make_user("130500", "leader"))
    body = client.get(URL).content.decode()
    note = re.search(r"以上数字均取自最近一次评分运行保存的结果.*?</p>", body, re.S).group(0)
    assert note.count("夜间重算") == 2
    assert "失败的运行" not in note and "秦皇岛重算" not in note
    assert set(later) == {"self", "verified"}
