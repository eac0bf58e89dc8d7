"""The entry grid driven in headless Chromium: log in, enter values, see browser-side validation,
save, submit a selection; the database rows are checked afterwards."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators.models import Figure
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_clerk_enters_and_submits_figures_in_the_grid(
    live_login, page, catalog, offsite_requests, console_errors, artifacts_dir
):
    clerk = make_user("130528", "staff", username="browser_clerk", first_name="宁晋填报员")
    base = live_login(clerk)
    page.goto(f"{base}/entry/130528/2025/")
    assert page.locator("h1").inner_text().startswith("宁晋县")

    # Browser-side validation: a wrong value is flagged next to the field and blocks saving.
    page.fill("#v_PQ_SAMPLING_PASS", "九十七")
    assert "不是数字" in page.inner_text("#err_PQ_SAMPLING_PASS")
    page.fill("#v_BR_CHINA_TOP_BRAND", "2.5")
    assert "须为整数" in page.inner_text("#err_BR_CHINA_TOP_BRAND")
    page.click("button[value=save]")
    assert page.is_visible("#js-form-error")
    assert Figure.objects.count() == 0

    # Correct values save as drafts.
    page.fill("#v_PQ_SAMPLING_PASS", "97.5")
    page.fill("#v_BR_CHINA_TOP_BRAND", "3")
    page.fill("input[name=n_PQ_SAMPLING_PASS]", "省局抽查通报")
    assert page.inner_text("#err_PQ_SAMPLING_PASS").strip() == ""
    with page.expect_navigation():
        page.click("button[value=save]")
    assert "已保存 2 项" in page.inner_text(".messages")
    rows = {f.indicator.code: f for f in Figure.objects.select_related("indicator")}
    assert set(rows) == {"PQ_SAMPLING_PASS", "BR_CHINA_TOP_BRAND"}
    assert rows["PQ_SAMPLING_PASS"].value == Decimal("97.5")
    assert rows["PQ_SAMPLING_PASS"].note == "省局抽查通报"
    assert rows["BR_CHINA_TOP_BRAND"].value == 3
    assert {f.status for f in rows.values()} == {"draft"}

    # Tick one row and submit the selection.
    page.check("input[name=sel_PQ_SAMPLING_PASS]")
    with page.expect_navigation():
        page.click("button[value=submit_selected]")
    assert "提交审核 1 项" in page.inner_text(".messages")
    statuses = dict(Figure.objects.values_list("indicator__code", "status"))
    assert statuses == {"PQ_SAMPLING_PASS": "submitted", "BR_CHINA_TOP_BRAND": "draft"}
    submitted = Figure.objects.get(indicator__code="PQ_SAMPLING_PASS")
    assert submitted.entered_by == clerk and submitted.submitted_at is not None
    assert "已提交" in page.inner_text("#row-PQ_SAMPLING_PASS")
    assert page.locator("#v_PQ_SAMPLING_PASS").count() == 0  # locked while under review

    page.screenshot(path=str(artifacts_dir / "entry-grid.png"), full_page=True)
    assert offsite_requests == []
    assert console_errors == []
