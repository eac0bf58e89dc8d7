"""Chart building blocks: palette, number formats, and valid plotly figures."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
import pytest
from django.conf import settings

from dashboards import charts


def test_grade_palette_is_okabe_ito_and_matches_the_css():
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    for grade, colour in charts.GRADE_COLORS.items():
        assert re.search(rf"--grade-{grade.lower()}:\s*{colour.lower()}", css)
    assert charts.GRADE_COLORS == {"A": "#0072B2", "B": "#009E73", "C": "#E69F00", "D": "#D55E00"}


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (98.5, "%", "98.50%"),
        (12, "count", "12 项"),
        (5200, "10k CNY", "5,200.0 万元"),
        (79.5, "points", "79.50 分"),
        (None, "%", "—"),
    ],
)
def test_values_carry_chinese_units(value, unit, text):
    assert charts.format_value(value, unit) == text


def test_grade_for_uses_the_national_cut_offs():
    assert [charts.grade_for(v) for v in (95, 90, 89.99, 80, 60, 59.9)] == ["A", "A", "B", "B", "C", "D"]


def _valid(fig: dict) -> dict:
    # Building a graph object validates every property against plotly's schema.
    go.Figure(fig)
    return fig


def test_ranking_bar_highlights_the_own_region_and_colours_by_grade():
    df = pd.DataFrame(
        [
            {
                "地区代码": "1",
                "地区": "甲县",
                "总分": 92.0,
                "等级": "A",
                "排名": 1,
                "参评数": 3,
                "_url": "/dashboards/1/",
            },
            {
                "地区代码": "2",
                "地区": "乙县",
                "总分": 85.0,
                "等级": "B",
                "排名": 2,
                "参评数": 3,
                "_url": "/dashboards/2/",
            },
            {
                "地区代码": "3",
                "地区": "丙县",
                "总分": 55.0,
                "等级": "D",
                "排名": 3,
                "参评数": 3,
                "_url": "/dashboards/3/",
            },
        ]
    )
    data = _valid(charts.ranking_bar(df, highlight="2", mean=77.33))
    colours = {t["name"]: t["marker"]["color"] for t in data["data"]}
    assert colours == {"A 级": "#0072B2", "B 级": "#009E73", "D 级": "#D55E00"}
    b = next(t for t in data["data"] if t["name"] == "B 级")
    assert list(b["y"]) == ["<b>乙县 ◀ 本地区</b>"]
    assert list(b["marker"]["line"]["width"]) == [3]
    assert data["layout"]["annotations"][0]["text"] == "平均 77.33"


def test_empty_data_gives_a_figure_that_says_so():
    data = _valid(
        charts.category_scores(pd.DataFrame(columns=["类别", "得分", "满分", "得分率(%)", "指标数"]))
    )
    assert data["layout"]["annotations"][0]["text"] == "本年度暂无指标得分"
    assert len(data["data"]) == 1


def test_the_map_is_a_plain_scatter_with_equal_aspect():
    df = pd.DataFrame(
        [
            {"地区代码": "1", "地区": "甲", "经度": 114.5, "纬度": 37.0, "总分": 90.0, "等级": "A", "_url": "/d/1/", "_total_text": "90.00 分", "_grade_text": "A 级"},
            {"地区代码": "2", "地区": "乙", "经度": 115.5, "纬度": 37.5, "总分": None, "等级": "", "_url": "/d/2/", "_total_text": "—", "_grade_text": "无得分"},
        ]
    )  # fmt: skip
    data = _valid(charts.score_map(df, highlight=None))
    assert data["data"][0]["type"] == "scatter"
    assert data["layout"]["yaxis"]["scaleanchor"] == "x"
    assert data["layout"]["yaxis"]["scaleratio"] == pytest.approx(1 / 0.79, rel=0.02)  # 1 / cos(37.25°)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["", "compare/", "trend/", "brands/", "verification/"])
def test_every_figure_on_every_page_passes_plotly_validation(client, city, page):
    """Pages build plain dicts for speed; plotly's graph objects check them against the schema here."""
    import json

    from tests.factories import make_user

    client.force_login(make_user(city["city"].code, "leader"))
    body = client.get(f"/dashboards/{city['city'].code}/{page}?year=2015").content.decode()
    blocks = re.findall(r'<script id="fig-[^"]+" type="application/json">(.*?)</script>', body, re.S)
    assert blocks
    for block in blocks:
        fig = json.loads(block)
        go.Figure(fig)  # raises ValueError on any invalid property
        assert fig["data"], "every chart has at least one trace"
