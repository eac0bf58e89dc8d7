"""The {% summary_box %} tag renders what the overview's summary <section> rendered.

SUMMARY below is the markup templates/dashboards/overview.html had before the tag
replaced it (issue 9): the tag must give the same text for every branch (score or
none, previous year or none, up / down / level, vetoed with or without reasons, a
link to the comparison or none), escaping and translations included, in both languages.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.template import engines
from django.utils import translation

from indicators.models import RegionScore
from tests.factories import make_user

LANGUAGES = ["zh-hans", "en"]
NASTY = "A&B <i>\"引号\"</i> '单'"

SUMMARY = """<section class="dash-summary" aria-label="{% translate "总体情况" %}">
  <div class="dash-score{% if score %} grade-bg-{{ score.grade }}{% endif %}">
    <div class="dash-score-label">{% blocktranslate with year=filters.year %}{{ year }} 年总分（{{ basis_label }}）{% endblocktranslate %}</div>
    {% if score %}
    <div class="dash-score-main"><span class="dash-total">{{ score.total }}</span><span class="dash-unit">{% translate "分" %}</span>
      <span class="dash-grade grade-badge-{{ score.grade }}" title="{% translate "等级" %}">{% blocktranslate with grade=score.grade %}{{ grade }} 级{% endblocktranslate %}</span></div>
    <div class="dash-rank">{% blocktranslate with rank=score.rank rank_of=score.rank_of %}第 <b>{{ rank }}</b> / {{ rank_of }} 名{% endblocktranslate %}{% if score.vetoed %} · <span class="dash-veto">{% translate "一票否决" %}</span>{% endif %}</div>
    {% if score.vetoed and vetoes %}<div class="dash-change">{% blocktranslate with reasons=vetoes|join:"、" %}否决原因：{{ reasons }}未达标（总分照算，等级定为 D）{% endblocktranslate %}</div>{% endif %}
    <div class="dash-change">
      {% if prev %}{% translate "较上年" %} <b class="{% if delta > 0 %}up{% elif delta < 0 %}down{% endif %}">{% blocktranslate with delta=delta|signed %}{{ delta }} 分{% endblocktranslate %}</b>{% translate "，" %}
        {% if rank_change > 0 %}{% blocktranslate %}排名<b class="up">上升 {{ rank_change }} 位</b>{% endblocktranslate %}{% elif rank_change < 0 %}{% widthratio rank_change 1 -1 as fall %}{% blocktranslate %}排名<b class="down">下降 {{ fall }} 位</b>{% endblocktranslate %}{% else %}{% translate "排名持平" %}{% endif %}
        <span class="muted">{% blocktranslate with year=prev.year total=prev.total grade=prev.grade rank=prev.rank rank_of=prev.rank_of %}（{{ year }} 年 {{ total }} 分 · {{ grade }} 级 · 第 {{ rank }} / {{ rank_of }} 名）{% endblocktranslate %}</span>
      {% else %}<span class="muted">{% translate "上年无得分" %}</span>{% endif %}
    </div>
    {% else %}
    <div class="dash-score-main"><span class="dash-total">—</span></div>
    <div class="dash-change muted">{% blocktranslate with year=filters.year %}本地区 {{ year }} 年（{{ basis_label }}）无得分{% endblocktranslate %}</div>
    {% if compare_url %}<div class="dash-change"><a href="{{ compare_url }}">{% translate "查看下级地区得分与排名 →" %}</a></div>{% endif %}
    {% endif %}
  </div>
  <a class="dash-count met" href="#targets">
    <span class="dash-count-n">{{ counts.met }}</span><span class="dash-count-l">{% translate "达标" %}</span></a>
  <a class="dash-count not_met" href="#targets">
    <span class="dash-count-n">{{ counts.not_met }}</span><span class="dash-count-l">{% translate "未达标" %}</span></a>
  <a class="dash-count missing" href="#targets">
    <span class="dash-count-n">{{ counts.missing }}</span><span class="dash-count-l">{% translate "缺报" %}</span></a>
  <a class="dash-count risk" href="#at-risk">
    <span class="dash-count-n">{{ at_risk|length }}</span><span class="dash-count-l">{% translate "规划目标有风险" %}</span></a>
</section>"""


@dataclass(frozen=True)
class Line:
    """The attributes of a score the box reads (dashboards.selectors.ScoreLine)."""

    year: int
    total: Decimal
    grade: str
    rank: int
    rank_of: int
    vetoed: bool = False


@dataclass(frozen=True)
class Filters:
    year: int


def _old(**context) -> str:
    return engines["django"].from_string("{% load i18n dashboards_tags %}" + SUMMARY).render(context)


def _new(**context) -> str:
    return engines["django"].from_string("{% load dashboards_tags %}{% summary_box %}").render(context)


SCORES = {
    "none": None,
    "scored": Line(2015, Decimal("92.50"), "A", 1, 3),
    "vetoed": Line(2015, Decimal("1234.5"), "D", 3, 12, vetoed=True),
}
PREVS = {"none": None, "prev": Line(2014, Decimal("88.07"), "B", 2, 3)}
DELTAS = [4.43, -1.005, 0.0, -0.001]  # the last one shows as 0.00 in a "down" <b>
RANK_CHANGES = [2, -3, 0]
VETOES = [[], [NASTY, "乙<b>指标"]]
COMPARE_URLS = [None, "/dashboards/130500/compare/?year=2015&basis=verified"]


def _contexts(score):
    for prev, delta, rank_change, vetoes, compare_url in itertools.product(
        PREVS.values(), DELTAS, RANK_CHANGES, VETOES, COMPARE_URLS
    ):
        yield {
            "filters": Filters(2015),
            "basis_label": NASTY,
            "score": score,
            "prev": prev,
            "delta": delta if score and prev else None,
            "rank_change": rank_change if score and prev else None,
            "vetoes": vetoes,
            "compare_url": compare_url,
            "counts": {"met": 41, "not_met": 12, "missing": 3},
            "at_risk": [{"name": NASTY}, {"name": "b"}],
        }


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("score", SCORES, ids=str)
def test_summary_box_is_the_section(language, score):
    seen = set()
    with translation.override(language):
        for context in _contexts(SCORES[score]):
            old = _old(**context)
            assert _new(**context) == old, context
            seen.add(old)
    # The comparison is not vacuous: the section is there, its values escaped, and
    # the branches render different markup.
    assert len(seen) == {"none": 2, "scored": 13, "vetoed": 26}[score]
    for old in seen:
        assert old.startswith('<section class="dash-summary"') and old.endswith("</section>")
        assert "A&amp;B &lt;i&gt;&quot;引号&quot;&lt;/i&gt; &#x27;单&#x27;" in old
        assert "<i>" not in old
        assert ("Total score for 2015" if language == "en" else "2015 年总分") in old
        assert '<span class="dash-count-n">41</span>' in old and '<span class="dash-count-n">2</span>' in old


def test_every_branch_was_compared():
    """The contexts above reach every branch of the old section."""
    with translation.override("zh-hans"):
        pages = [_old(**c) for score in SCORES.values() for c in _contexts(score)]
    for text in (
        'dash-total">—',
        "查看下级地区得分与排名",
        'grade-bg-A"',
        '<span class="dash-total">92.50</span>',
        '<span class="dash-total">1234.5</span>',
        "第 <b>3</b> / 12 名 · <span",
        "否决原因：A&amp;B",
        "、乙&lt;b&gt;指标未达标",
        '<b class="up">+4.43 分</b>',
        '<b class="down">−1.00 分</b>',
        '<b class="">0.00 分</b>',
        '<b class="down">0.00 分</b>',
        '排名<b class="up">上升 2 位</b>',
        '排名<b class="down">下降 3 位</b>',
        "排名持平",
        "（2014 年 88.07 分 · B 级 · 第 2 / 3 名）",
        "上年无得分",
    ):
        assert any(text in page for page in pages), text
    # A vetoed score without reasons shows the veto badge but no reasons.
    assert any("dash-veto" in p and "否决原因" not in p for p in pages)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_overview_page_shows_the_summary(client, city, language):
    county = city["counties"][2]
    now = RegionScore.objects.get(region=county, year=2015, basis="verified")
    client.force_login(make_user(city["province"].code, "leader"))  # sees the county too
    client.cookies["django_language"] = language
    try:
        response = client.get(f"/dashboards/{county.code}/?year=2015&basis=verified")
        province = client.get(f"/dashboards/{city['province'].code}/")
    finally:
        translation.deactivate()  # LocaleMiddleware leaves the language active in this thread
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('<section class="dash-summary"') == 1
    assert f'<span class="dash-total">{now.total}</span>' in body
    if language == "en":
        assert f"Grade {now.grade}</span>" in body
        assert f"Rank <b>{now.rank}</b> of {now.rank_of}" in body
    else:
        assert f"{now.grade} 级</span>" in body
        assert f"第 <b>{now.rank}</b> / {now.rank_of} 名" in body
    # The page's box is what the old section renders with the page's context.
    for page in (response, province):
        assert page.status_code == 200
        names = page.context.keys()  # a ContextList: one context per template rendered
        context = {key: page.context[key] for key in names}
        with translation.override(language):
            old = _old(**context)
        assert old.startswith('<section class="dash-summary"') and old in page.content.decode()
