"""The English interface is real: the `en` catalogue is complete and the UI's switch uses it.

The language switch in templates/base.html posts to Django's `set_language` view
(/i18n/setlang/), which stores the choice in the `django_language` cookie that
LocaleMiddleware reads on later requests.
"""

from __future__ import annotations

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

pytestmark = pytest.mark.django_db

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
PO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
MO_PATH = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.mo"

CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
PLACEHOLDER = re.compile(
    r"%\([A-Za-z_]\w*\)[sdif]|%[sdif]|\{[A-Za-z_]\w*\}|</?[A-Za-z][^>]*>",
)
# The switch lists every language under its own name; that option is Chinese on purpose.
OWN_NAME_OPTION = re.compile(r'<option value="zh-hans"[^>]*>简体中文</option>')


@pytest.fixture(autouse=True)
def _reset_active_language():
    """LocaleMiddleware leaves the last request's language active in this thread."""
    yield
    translation.deactivate()


def english(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    return client


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def chinese_left(body: str) -> list[str]:
    """Runs of Chinese text on the page, apart from the language switch's own-name option."""
    return re.findall(r"[^\s<>\"]*[\u4e00-\u9fff][^\s<>\"]*", OWN_NAME_OPTION.sub("", body))


# --- the catalogue ---------------------------------------------------------------------------


def _unquote(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text)


def read_po(path: Path) -> list[dict]:
    """A minimal .po reader: one dict per entry with msgctxt, msgid, msgid_plural, msgstr (list)
    and flags. Obsolete (#~) entries are returned with obsolete=True."""
    entries = []
    for block in re.split(r"\n\s*\n", path.read_text(encoding="utf-8")):
        entry: dict = {"flags": set(), "msgstr": [], "obsolete": False}
        field = None
        for line in block.splitlines():
            if line.startswith("#~"):
                entry["obsolete"] = True
                line = line[2:].strip()
            if line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
                continue
            if not line or line.startswith("#"):
                continue
            match = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+"(.*)"$', line)
            if match:
                field, value = match.group(1), _unquote(match.group(2))
                if field.startswith("msgstr"):
                    entry["msgstr"].append(value)
                else:
                    entry[field] = value
                continue
            more = re.match(r'"(.*)"$', line)
            assert more and field, f"unreadable line in {path.name}: {line!r}"
            if field.startswith("msgstr"):
                entry["msgstr"][-1] += _unquote(more.group(1))
            else:
                entry[field] += _unquote(more.group(1))
        if "msgid" in entry:
            entries.append(entry)
    return entries


def messages() -> list[dict]:
    return [e for e in read_po(PO_PATH) if e["msgid"] and not e["obsolete"]]


def test_the_english_catalogue_is_complete():
    entries = read_po(PO_PATH)
    header = next(e for e in entries if e["msgid"] == "")
    assert "Language: en\n" in header["msgstr"][0]
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"][0]
    assert "fuzzy" not in header["flags"]
    assert not [e["msgid"] for e in entries if e["obsolete"]]
    msgs = messages()
    assert len(msgs) > 700
    untranslated = [e["msgid"] for e in msgs if not all(s.strip() for s in e["msgstr"])]
    fuzzy = [e["msgid"] for e in msgs if "fuzzy" in e["flags"]]
    still_chinese = [e["msgid"] for e in msgs if any(CJK.search(s) for s in e["msgstr"])]
    assert untranslated == []
    assert fuzzy == []
    assert still_chinese == []
    plural = [e for e in msgs if "msgid_plural" in e]
    assert plural and all(len(e["msgstr"]) == 2 for e in plural)


def test_placeholders_survive_translation():
    wrong = []
    for e in messages():
        expected = sorted(PLACEHOLDER.findall(e["msgid"]))
        if "msgid_plural" in e:
            assert sorted(PLACEHOLDER.findall(e["msgid_plural"])) == expected
        for text in e["msgstr"]:
            if sorted(PLACEHOLDER.findall(text)) != expected:
                wrong.append((e["msgid"], text))
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    """django.mo is committed (no gettext at runtime): it must be compiled from the current .po."""
    with MO_PATH.open("rb") as fh:
        compiled = gettext.GNUTranslations(fh)
    stale = []
    for e in messages():
        if "msgid_plural" in e:
            got = [compiled.ngettext(e["msgid"], e["msgid_plural"], n) for n in (1, 2)]
        elif "msgctxt" in e:
            got = [compiled.pgettext(e["msgctxt"], e["msgid"])]
        else:
            got = [compiled.gettext(e["msgid"])]
        if got != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == []


def test_django_translates_with_the_catalogue():
    with translation.override("en"):
        assert translation.gettext("质量强市看板") == "Quality City Dashboard"
        assert translation.gettext("自评得分") == "Self-assessed score"
        assert translation.gettext("核定得分") == "Verified score"
        assert (
            translation.ngettext("共 %(n)s 项待审核", "共 %(n)s 项待审核", 1) % {"n": 1}
            == "1 entry awaiting review"
        )
        assert (
            translation.ngettext("共 %(n)s 项待审核", "共 %(n)s 项待审核", 3) % {"n": 3}
            == "3 entries awaiting review"
        )
    with translation.override("zh-hans"):
        assert translation.gettext("质量强市看板") == "质量强市看板"


# --- pages ---------------------------------------------------------------------------------------


def test_home_page_in_english(client, catalog):
    body = page(english(client), "/")
    assert '<html lang="en">' in body
    assert '<option value="en" selected>English</option>' in body
    for text in (
        "<title>Quality City Dashboard</title>",
        "Log in to the system",
        "An integrated system for municipal and county quality (market regulation) bureaus",
        "Data for authorised personnel within their jurisdiction only",
        ">Log in</a>",
    ):
        assert text in body
    for text in ("质量强市看板", "登录系统", "质监", "数据仅限授权人员"):
        assert text not in body
    assert chinese_left(body) == []


def test_login_page_in_english(client, catalog):
    english(client)
    body = page(client, "/accounts/login/")
    assert "<title>Log in · Quality City Dashboard</title>" in body
    assert '<label for="id_username">Username</label>' in body
    assert '<label for="id_password">Password</label>' in body
    assert chinese_left(body) == []
    wrong = client.post("/accounts/login/", {"username": "nobody", "password": "wrong-pass-1"})
    body = wrong.content.decode()
    assert "Incorrect username or password. Please try again." in body
    assert "用户名或密码不正确" not in body


def test_accept_language_alone_selects_english(client, catalog):
    body = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Log in to the system" in body
    assert "登录系统" not in body


@pytest.fixture
def clerk(catalog):
    from tests.factories import make_user

    return make_user("130528", "staff")


def test_signed_in_home_and_nav_in_english(client, clerk):
    client.force_login(clerk)
    body = page(english(client), "/")
    for text in (
        ">Home</a>",
        ">Data entry</a>",
        ">Entry progress</a>",
        ">Target assessment</a>",
        ">Leadership dashboard</a>",
        ">Change password</a>",
        ">Log out</button>",
        "Open leadership dashboard: ",
        '<div class="card-label">Roles</div>',
        '<div class="card-value">Data entry clerk</div>',
        '<div class="card-label">Administrative regions</div>',
    ):
        assert text in body
    for text in ("首页", "数据填报", "目标考核", "领导看板", "修改密码", "退出", "角色", "填报员"):
        assert text not in body


def test_entry_grid_in_english(client, clerk):
    client.force_login(clerk)
    body = page(english(client), "/entry/130528/2015/")
    for text in (
        "Annual indicator data",
        "Annual data entry",
        "Save draft",
        "Save and submit all",
        "Download Excel entry template",
        "Not entered",
    ):
        assert text in body
    for text in ("年度指标数据", "年度数据填报", "保存草稿", "保存并全部提交", "未填报"):
        assert text not in body


def test_chinese_stays_the_default_and_can_be_switched_back(client, clerk):
    client.force_login(clerk)
    body = page(client, "/")
    assert '<html lang="zh-hans">' in body
    for text in ("质量强市看板", "数据填报", "领导看板", "退出", "填报员", "进入领导看板："):
        assert text in body
    assert "Quality City Dashboard" not in body
    assert "Data entry clerk" not in body

    english(client)
    assert "Quality City Dashboard" in page(client, "/")
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    body = page(client, "/entry/130528/2015/")
    assert "保存草稿" in body and "年度指标数据" in body
    assert "Save draft" not in body


def test_a_second_role_is_listed_with_a_localised_separator(client, catalog):
    from tests.factories import make_user

    user = make_user("130500", "leader", "reviewer")
    client.force_login(user)
    assert '<div class="card-value">领导、审核员</div>' in page(client, "/")
    assert '<div class="card-value">Leader, Reviewer</div>' in page(english(client), "/")


def test_leader_dashboard_overview_in_english(client, catalog):
    from indicators.models import RegionScore
    from tests.dashboards import builders
    from tests.factories import make_user

    county = builders.build_city(2)["counties"][0]
    score = RegionScore.objects.get(region=county, year=2015, basis="verified")
    client.force_login(make_user(county.code, "leader"))
    url = f"/dashboards/{county.code}/?year=2015&basis=verified"

    body = page(client, url)
    for text in (
        "规划目标风险提示",
        "全部指标得分明细（",
        "较上年 <b",
        f"第 <b>{score.rank}</b> / {score.rank_of} 名",
        '<span class="dash-count-l">缺报</span>',
        '<option value="">全部类别</option>',
    ):
        assert text in body
    assert "Plan targets at risk" not in body

    body = page(english(client), url)
    for text in (
        "<h2>Plan targets at risk</h2>",
        "Score details for all indicators (",
        "Change on previous year <b",
        f"Rank <b>{score.rank}</b> of {score.rank_of}",
        f"Grade {score.grade}",
        '<span class="dash-count-l">Not reported</span>',
        '<option value="">All categories</option>',
        '<th class="num">Completion rate</th>',
    ):
        assert text in body
    # Chart titles, indicator names and status labels come from Python, not these templates.
    for text in ("规划目标风险提示", "全部指标得分明细", "较上年", "全部类别", "得分 / 权重"):
        assert text not in body
