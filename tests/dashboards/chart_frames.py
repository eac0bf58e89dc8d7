"""Deterministic chart inputs for the golden-output test of the comparison charts.

`golden_charts.json` holds what `dashboards.charts` built from these frames before
the builders were rewritten to partition plain lists instead of filtering the data
frame once per grade, year or group (issue 9): the figures must not change, since
the PDF report draws the same builders.
"""

from __future__ import annotations

import random

import pandas as pd

RANK_COLUMNS = [
    "地区代码", "地区", "总分", "等级", "排名", "参评数", "较上年(分)", "上年排名",
    "达标", "未达标", "缺报", "一票否决", "_url",
]  # fmt: skip
HEAT_COLUMNS = [
    "地区代码", "地区", "指标代码", "指标", "实际值", "目标值", "完成率(%)", "状态",
    "_status", "_url", "_actual_text", "_target_text",
]  # fmt: skip
DIST_COLUMNS = ["地区代码", "地区", "年度", "总分", "等级", "排名", "_url"]
MAP_COLUMNS = ["地区代码", "地区", "经度", "纬度", "总分", "等级", "_url", "_total_text", "_grade_text"]
HISTORY_COLUMNS = ["年度", "总分", "等级", "排名", "参评数"]
CATEGORY_COLUMNS = ["类别", "得分", "满分", "得分率(%)", "指标数"]
LOST_COLUMNS = [
    "指标代码", "指标", "状态", "失分", "权重", "得分", "实际值", "目标值", "完成率(%)",
    "_status", "_veto", "_actual_text", "_target_text", "_completion_text",
]  # fmt: skip


def _regions(n: int) -> list[tuple[str, str]]:
    return [(f"51{i:04d}", f"县{i:02d}") for i in range(1, n + 1)]


def ranking_frame(n: int, seed: int) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for code, name in _regions(n):
        total = round(rnd.uniform(40, 100), 2)
        rows.append(
            {
                "地区代码": code,
                "地区": name,
                "总分": total,
                "等级": rnd.choice("ABCD"),
                "排名": 0,
                "参评数": n,
                "较上年(分)": None if rnd.random() < 0.2 else round(rnd.uniform(-5, 5), 2),
                "上年排名": None if rnd.random() < 0.2 else rnd.randint(1, n),
                "达标": rnd.randint(0, 56),
                "未达标": rnd.randint(0, 56),
                "缺报": rnd.randint(0, 5),
                "一票否决": "是" if rnd.random() < 0.1 else "",
                "_url": f"/dashboards/{code}/?year=2024&basis=verified",
            }
        )
    rows.sort(key=lambda r: -r["总分"])
    for i, r in enumerate(rows, 1):
        r["排名"] = i
    return pd.DataFrame(rows, columns=RANK_COLUMNS)


def heat_frame(n: int, indicators: int, seed: int) -> tuple[pd.DataFrame, list[str], list[str]]:
    rnd = random.Random(seed)
    rows = []
    inds = [(f"IND_{j:02d}", f"指标名称第{j:02d}项（较长的名称会被截短）") for j in range(indicators)]
    regions = _regions(n)
    for ind_code, ind_name in inds:
        for code, name in regions:
            if rnd.random() < 0.05:
                continue  # no target
            status = rnd.choice(["met", "not_met", "missing"])
            completion = None if status == "missing" else round(rnd.uniform(30, 130), 2)
            rows.append(
                {
                    "地区代码": code,
                    "地区": name,
                    "指标代码": ind_code,
                    "指标": ind_name,
                    "实际值": None if status == "missing" else round(rnd.uniform(0, 100), 4),
                    "目标值": round(rnd.uniform(0, 100), 4),
                    "完成率(%)": completion,
                    "状态": {"met": "达标", "not_met": "未达标", "missing": "缺报"}[status],
                    "_status": status,
                    "_url": f"/dashboards/{code}/?year=2024",
                    "_actual_text": "—" if status == "missing" else f"{rnd.uniform(0, 100):.2f}%",
                    "_target_text": f"≥ {rnd.uniform(0, 100):.2f}%",
                }
            )
    df = pd.DataFrame(rows, columns=HEAT_COLUMNS)
    names = [name for _, name in regions]
    return df, [*names[::-1], "无数据县"], [name for _, name in inds]


def distribution_frame(n: int, seed: int) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for code, name in _regions(n):
        for year in (2023, 2024):
            if rnd.random() < 0.1:
                continue
            rows.append(
                {
                    "地区代码": code,
                    "地区": name,
                    "年度": year,
                    "总分": round(rnd.uniform(40, 100), 2),
                    "等级": rnd.choice("ABCD"),
                    "排名": rnd.randint(1, n),
                    "_url": f"/dashboards/{code}/",
                }
            )
    return pd.DataFrame(rows, columns=DIST_COLUMNS)


def map_frame(n: int, seed: int, *, unscored: float = 0.2, unplaced: float = 0.1) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for code, name in _regions(n):
        scored = rnd.random() >= unscored
        placed = rnd.random() >= unplaced
        total = round(rnd.uniform(40, 100), 2) if scored else None
        rows.append(
            {
                "地区代码": code,
                "地区": name,
                "经度": round(rnd.uniform(100, 110), 6) if placed else None,
                "纬度": round(rnd.uniform(26, 34), 6) if placed else None,
                "总分": total,
                "等级": rnd.choice("ABCD") if scored else "",
                "_url": f"/dashboards/{code}/",
                "_total_text": f"{total:.2f} 分" if scored else "—",
                "_grade_text": "B 级" if scored else "无得分",
            }
        )
    return pd.DataFrame(rows, columns=MAP_COLUMNS)


def history_frame(n: int, seed: int) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = [
        {
            "年度": 2010 + i,
            "总分": round(rnd.uniform(40, 100), 2),
            "等级": rnd.choice("ABCD"),
            "排名": rnd.randint(1, 20),
            "参评数": 20,
        }
        for i in range(n)
    ]
    return pd.DataFrame(rows, columns=HISTORY_COLUMNS)


def category_frame(n: int, seed: int) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        mx = round(rnd.uniform(5, 20), 4)
        pts = round(rnd.uniform(0, mx), 4)
        rows.append(
            {
                "类别": f"类别{i}",
                "得分": pts,
                "满分": mx,
                "得分率(%)": round(100 * pts / mx, 2),
                "指标数": rnd.randint(1, 9),
            }
        )
    return pd.DataFrame(rows, columns=CATEGORY_COLUMNS)


def lost_frame(n: int, seed: int, *, statuses: tuple[str, ...] = ("not_met", "missing")) -> pd.DataFrame:
    rnd = random.Random(seed)
    rows = []
    for i in range(n):
        status = rnd.choice(statuses)
        weight = round(rnd.uniform(1, 5), 2)
        points = 0.0 if status == "missing" else round(rnd.uniform(0, weight - 0.01), 2)
        rows.append(
            {
                "指标代码": f"IND_{i:02d}",
                "指标": f"第{i:02d}项指标，名称较长时图中截短",
                "状态": {"not_met": "未达标", "missing": "缺报"}[status],
                "失分": round(weight - points, 4),
                "权重": weight,
                "得分": points,
                "实际值": None if status == "missing" else round(rnd.uniform(0, 100), 4),
                "目标值": round(rnd.uniform(0, 100), 4),
                "完成率(%)": None if status == "missing" else round(rnd.uniform(10, 99), 2),
                "_status": status,
                "_veto": rnd.random() < 0.2,
                "_actual_text": "—" if status == "missing" else f"{rnd.uniform(0, 100):.2f}%",
                "_target_text": f"≥ {rnd.uniform(0, 100):.2f}%",
                "_completion_text": "—" if status == "missing" else f"{rnd.uniform(10, 99):.1f}%",
            }
        )
    rows.sort(key=lambda r: -r["失分"])
    return pd.DataFrame(rows, columns=LOST_COLUMNS)


def cases() -> dict[str, tuple[str, tuple]]:
    """name -> (chart function, arguments)."""
    heat, heat_regions, heat_inds = heat_frame(20, 12, seed=3)
    small_heat, small_regions, small_inds = heat_frame(3, 4, seed=4)
    ranking = ranking_frame(20, seed=1)
    return {
        "ranking_20": ("ranking_bar", (ranking, "510005", 71.5)),
        "ranking_no_highlight": ("ranking_bar", (ranking_frame(5, seed=2), None, None)),
        "ranking_reindexed": ("ranking_bar", (ranking.iloc[::-1].reset_index(drop=True), "510007", 70.0)),
        "ranking_empty": ("ranking_bar", (pd.DataFrame(columns=RANK_COLUMNS), None, None)),
        "heatmap_20x12": ("completion_heatmap", (heat, heat_regions, heat_inds)),
        "heatmap_small": ("completion_heatmap", (small_heat, small_regions, small_inds)),
        "heatmap_empty": ("completion_heatmap", (pd.DataFrame(columns=HEAT_COLUMNS), [], [])),
        "distribution_20": ("score_distribution", (distribution_frame(20, seed=5), 2024)),
        "distribution_one_year": (
            "score_distribution",
            (distribution_frame(4, seed=6).query("年度 == 2024").reset_index(drop=True), 2024),
        ),
        "distribution_empty": ("score_distribution", (pd.DataFrame(columns=DIST_COLUMNS), 2024)),
        "map_20": ("score_map", (map_frame(20, seed=7), "510003")),
        "map_all_scored": ("score_map", (map_frame(6, seed=8, unscored=0, unplaced=0), None)),
        "map_none_scored": ("score_map", (map_frame(4, seed=9, unscored=1, unplaced=0), "510001")),
        "map_unplaced": ("score_map", (map_frame(3, seed=10, unscored=0, unplaced=1), None)),
        "history_6": ("score_history", (history_frame(6, seed=11),)),
        "history_1": ("score_history", (history_frame(1, seed=12),)),
        "history_empty": ("score_history", (pd.DataFrame(columns=HISTORY_COLUMNS),)),
        "categories_11": ("category_scores", (category_frame(11, seed=13),)),
        "categories_empty": ("category_scores", (pd.DataFrame(columns=CATEGORY_COLUMNS),)),
        "lost_10": ("points_lost", (lost_frame(10, seed=14),)),
        "lost_missing_only": ("points_lost", (lost_frame(4, seed=15, statuses=("missing",)),)),
        "lost_not_met_only": ("points_lost", (lost_frame(3, seed=16, statuses=("not_met",)),)),
        "lost_empty": ("points_lost", (pd.DataFrame(columns=LOST_COLUMNS),)),
    }
