"""The entry grid page: every indicator by category, last year, target, derived values, saving,
server-side validation, submission, conflicts, evidence and the template download."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from accounts.policy import SYSTEM
from indicators import services
from indicators.models import Figure, Indicator, Region
from tests.factories import TargetFactory, make_user

pytestmark = pytest.mark.django_db

YEAR = 2025
URL = f"/entry/130528/{YEAR}/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def clerk(catalog):
    return make_user("130528", "staff", username="ningjin_clerk", first_name="宁晋填报员")


@pytest.fixture
def clerk_client(client, clerk):
    client.force_login(clerk)
    return client


def grid_post(current: dict[str, str] | None = None, **rows) -> dict:
    """POST data for the grid: rows = {code: value or (value, note)}; `current` what the page showed."""
    data: dict = {"action": "save"}
    for code, val in rows.items():
        value, note = val if isinstance(val, tuple) else (val, "")
        shown = (current or {}).get(code, ("", "", 0))
        data |= {
            f"v_{code}": value,
            f"n_{code}": note,
            f"o_{code}": shown[0],
            f"on_{code}": shown[1],
            f"ver_{code}": str(shown[2]),
        }
    return data


def shown(fig: Figure) -> tuple[str, str, int]:
    return (services.format_value(fig.reported_value), fig.note, fig.version)


def save(actor, code: str, value: str, region: str = "130528", year: int = YEAR) -> Figure:
    return services.figure_save(
        actor=actor,
        region=Region.objects.get(code=region),
        indicator=Indicator.objects.get(code=code),
        year=year,
        value=value,
        expected_version=None,
    )


def test_it_shows_every_indicator_grouped_by_category(clerk_client):
    response = clerk_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count('class="js-value num-input"') == 56
    assert body.count('<tr class="group">') == 11
    for label in ("产品质量", "品牌建设", "激励保障"):
        assert f'<th colspan="9">{label}</th>' in body
    assert "宁晋县 · 2025 年度指标数据" in body
    assert 'data-kind="count"' in body and 'data-max="100"' in body


def test_each_row_shows_last_years_value_and_this_years_target(clerk_client, clerk):
    save(SYSTEM, "PQ_SAMPLING_PASS", "96.4", year=YEAR - 1)
    TargetFactory(region=Region.objects.get(code="130528"), year=YEAR, value=Decimal("98"))
    row = _row(clerk_client.get(URL).content.decode(), "PQ_SAMPLING_PASS")
    assert ">96.4<" in row
    assert "≥ 98" in row


def test_a_city_sees_the_sum_of_its_counties_for_sum_indicators_it_did_not_enter(client, catalog):
    save(SYSTEM, "AG_STD_ZONES", "3", region="130528")
    save(SYSTEM, "AG_STD_ZONES", "4", region="130529")
    leader = make_user("130500", "staff")
    client.force_login(leader)
    body = client.get(f"/entry/130500/{YEAR}/").content.decode()
    row = _row(body, "AG_STD_ZONES")
    n_counties = Region.objects.filter(parent__code="130500").count()
    assert "下级汇总：7" in row
    assert f"2/{n_counties} 个下级已填报" in row
    assert "留空则用下级汇总" in row  # the city may still enter its own value


def test_a_derived_figure_is_read_only_with_its_source(clerk_client, catalog):
    Figure.objects.create(
        region=Region.objects.get(code="130528"),
        indicator=catalog["BR_PROV_TOP_BRAND"],
        year=YEAR,
        value=5,
        reported_value=5,
        source="derived",
        source_ref="品牌登记：5 项有效",
    )
    row = _row(clerk_client.get(URL).content.decode(), "BR_PROV_TOP_BRAND")
    assert 'name="v_BR_PROV_TOP_BRAND"' not in row
    assert "系统推导" in row and "品牌登记：5 项有效" in row


def test_saving_creates_drafts_and_redirects(clerk_client, clerk):
    response = clerk_client.post(URL, grid_post(PQ_SAMPLING_PASS=("97.5", "省抽查"), BR_CHINA_TOP_BRAND="2"))
    assert response.status_code == 302
    figs = {f.indicator.code: f for f in Figure.objects.all()}
    assert figs["PQ_SAMPLING_PASS"].value == Decimal("97.5")
    assert figs["PQ_SAMPLING_PASS"].note == "省抽查"
    assert figs["BR_CHINA_TOP_BRAND"].value == 2
    assert {f.status for f in figs.values()} == {"draft"}
    assert {f.entered_by for f in figs.values()} == {clerk}
    assert "已保存 2 项" in clerk_client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("code", "raw", "message"),
    [
        ("PQ_SAMPLING_PASS", "abc", "“abc”不是数字"),
        ("PQ_SAMPLING_PASS", "101", "大于指标上限 100"),
        ("BR_CHINA_TOP_BRAND", "1.5", "数量类指标须为整数"),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field_and_nothing_is_saved(clerk_client, code, raw, message):
    response = clerk_client.post(URL, grid_post(PQ_FOOD_PASS="95", **{code: raw}))
    assert response.status_code == 400
    body = response.content.decode()
    row = _row(body, code)
    assert message in row
    assert f'value="{raw}"' in row  # what the clerk typed is kept
    assert Figure.objects.count() == 0  # the valid row was not saved either


def test_clearing_a_stored_value_is_refused_not_silently_deleted(clerk_client, clerk):
    fig = save(clerk, "PQ_FOOD_PASS", "95")
    response = clerk_client.post(URL, grid_post({"PQ_FOOD_PASS": shown(fig)}, PQ_FOOD_PASS=""))
    assert response.status_code == 400
    assert "不能清空" in response.content.decode()
    assert Figure.objects.get().value == Decimal("95")


def test_submit_selected_sends_only_the_ticked_rows(clerk_client, clerk):
    data = grid_post(PQ_SAMPLING_PASS="97.5", PQ_FOOD_PASS="95") | {
        "action": "submit_selected",
        "sel_PQ_SAMPLING_PASS": "1",
    }
    assert clerk_client.post(URL, data).status_code == 302
    got = dict(Figure.objects.values_list("indicator__code", "status"))
    assert got == {"PQ_SAMPLING_PASS": "submitted", "PQ_FOOD_PASS": "draft"}


def test_submit_all_sends_every_open_figure(clerk_client, clerk):
    earlier = save(clerk, "PQ_QCI", "80")
    data = grid_post({"PQ_QCI": shown(earlier)}, PQ_SAMPLING_PASS="97.5") | {"action": "submit_all"}
    assert clerk_client.post(URL, data).status_code == 302
    assert set(Figure.objects.values_list("status", flat=True)) == {"submitted"}
    assert Figure.objects.get(indicator__code="PQ_QCI").submitted_at is not None


def test_a_concurrent_edit_gets_a_conflict_showing_the_current_value(clerk_client, clerk):
    other = make_user("130528", "staff", username="other_clerk", first_name="另一填报员")
    fig = save(clerk, "PQ_SAMPLING_PASS", "95")
    page_state = {"PQ_SAMPLING_PASS": shown(fig)}
    # Someone else saves 96 after our page was rendered.
    services.figure_save(
        actor=other,
        region=fig.region,
        indicator=fig.indicator,
        year=YEAR,
        value="96",
        expected_version=fig.version,
    )
    response = clerk_client.post(URL, grid_post(page_state, PQ_SAMPLING_PASS="97", PQ_FOOD_PASS="90"))
    assert response.status_code == 409
    row = _row(response.content.decode(), "PQ_SAMPLING_PASS")
    assert "当前值为 96" in row and "另一填报员" in row
    assert 'value="97"' in row  # the clerk's input is kept
    assert 'name="ver_PQ_SAMPLING_PASS" value="3"' not in row
    assert f'name="ver_PQ_SAMPLING_PASS" value="{fig.version + 1}"' in row
    assert Figure.objects.get(indicator__code="PQ_SAMPLING_PASS").value == Decimal("96")
    assert not Figure.objects.filter(indicator__code="PQ_FOOD_PASS").exists()
    # Having seen 96, the clerk saves 97 deliberately: both values survive in history.
    current = Figure.objects.get(indicator__code="PQ_SAMPLING_PASS")
    again = clerk_client.post(URL, grid_post({"PQ_SAMPLING_PASS": shown(current)}, PQ_SAMPLING_PASS="97"))
    assert again.status_code == 302
    history = list(current.history.order_by("history_date").values_list("value", "history_user__username"))
    assert history == [
        (Decimal("95"), "ningjin_clerk"),
        (Decimal("96"), "other_clerk"),
        (Decimal("97"), "ningjin_clerk"),
    ]


def test_untouched_rows_never_conflict(clerk_client, clerk):
    """A row the clerk did not change is not written, even if someone changed it meanwhile."""
    fig = save(clerk, "PQ_QCI", "80")
    state = {"PQ_QCI": shown(fig)}
    services.figure_save(
        actor=SYSTEM, region=fig.region, indicator=fig.indicator, year=YEAR, value="81", expected_version=1
    )
    response = clerk_client.post(URL, grid_post(state, PQ_QCI="80", PQ_FOOD_PASS="95"))
    assert response.status_code == 302
    assert Figure.objects.get(indicator__code="PQ_QCI").value == Decimal("81")


def test_a_returned_figure_shows_its_reason_to_the_clerk(clerk_client, clerk):
    reviewer = make_user("130500", "reviewer")
    fig = save(clerk, "PQ_SAMPLING_PASS", "97.5")
    fig = services.figure_submit(actor=clerk, figure=fig, expected_version=fig.version)
    services.figure_return(
        actor=reviewer, figure=fig, expected_version=fig.version, reason="请附省局抽查通报"
    )
    body = clerk_client.get(URL).content.decode()
    assert "1 项数据被退回" in body
    assert "请附省局抽查通报" in _row(body, "PQ_SAMPLING_PASS")
    assert 'name="v_PQ_SAMPLING_PASS"' in _row(body, "PQ_SAMPLING_PASS")  # editable again


def test_an_approved_row_is_locked_on_the_page(clerk_client, clerk):
    reviewer = make_user("130500", "reviewer")
    fig = save(clerk, "PQ_SAMPLING_PASS", "97.5")
    fig = services.figure_submit(actor=clerk, figure=fig, expected_version=fig.version)
    fig = services.figure_approve(actor=reviewer, figure=fig, expected_version=fig.version)
    row = _row(clerk_client.get(URL).content.decode(), "PQ_SAMPLING_PASS")
    assert 'name="v_PQ_SAMPLING_PASS"' not in row and "已审核" in row
    # A crafted POST cannot change it either.
    response = clerk_client.post(URL, grid_post({"PQ_SAMPLING_PASS": shown(fig)}, PQ_SAMPLING_PASS="99"))
    assert response.status_code == 400
    assert Figure.objects.get().value == Decimal("97.5")


def test_a_leader_sees_the_grid_read_only(client, clerk):
    save(clerk, "PQ_SAMPLING_PASS", "97.5")
    client.force_login(make_user("130500", "leader"))
    response = client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "js-value" not in body and "97.5" in body and "只有查看权限" in body
    assert client.post(URL, grid_post(PQ_FOOD_PASS="95")).status_code == 403
    assert Figure.objects.count() == 1


def test_evidence_is_uploaded_with_the_row(clerk_client):
    data = grid_post(PQ_SAMPLING_PASS="97.5") | {
        "ev_PQ_SAMPLING_PASS": SimpleUploadedFile("抽查通报.pdf", PDF, "application/octet-stream")
    }
    assert clerk_client.post(URL, data).status_code == 302
    ev = Figure.objects.get().evidence.get()
    assert ev.original_name == "抽查通报.pdf" and ev.content_type == "application/pdf"
    assert "抽查通报.pdf" in _row(clerk_client.get(URL).content.decode(), "PQ_SAMPLING_PASS")


def test_bad_evidence_rolls_back_the_whole_save(clerk_client):
    data = grid_post(PQ_SAMPLING_PASS="97.5") | {
        "ev_PQ_SAMPLING_PASS": SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    }
    response = clerk_client.post(URL, data)
    assert response.status_code == 400
    assert "内容与扩展名 .pdf 不符" in response.content.decode()
    assert Figure.objects.count() == 0


def test_the_template_download_is_an_xlsx_for_the_region_and_year(clerk_client, clerk):
    save(clerk, "PQ_QCI", "80")
    response = clerk_client.get(f"{URL}template.xlsx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    ws = load_workbook(io.BytesIO(response.content))["填报数据"]
    rows = {r[2]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["PQ_QCI"][0] == "130528" and rows["PQ_QCI"][6] == 80


def test_the_picker_redirects_to_the_canonical_url(clerk_client):
    response = clerk_client.get("/entry/?region=130528&year=2024")
    assert response.status_code == 302 and response["Location"] == "/entry/130528/2024/"
    assert clerk_client.get("/entry/")["Location"].startswith("/entry/130528/")


def _row(body: str, code: str) -> str:
    start = body.index(f'id="row-{code}"')
    return body[start : body.index("</tr>", start)]
