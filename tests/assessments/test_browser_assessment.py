"""Chromium walks the stage board and one county's verification page (Playwright)."""

from __future__ import annotations

import pytest

from assessments.models import Finding, Stage
from indicators.models import Figure
from tests.assessments.conftest import JULU, NINGJIN, YEAR

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_stage_board_and_a_verification_page_in_chromium(
    cycle, live_login, page, offsite_requests, console_errors, artifacts_dir
):
    cycle.to_verification()
    page.on("dialog", lambda dialog: dialog.accept())  # the "确认…" dialogs of assessments.js

    base = live_login(cycle.users["reviewer"])
    page.goto(f"{base}/assessments/")
    page.click(f"text={cycle.assessment.name}")
    page.wait_for_selector("#stage-board")
    assert page.inner_text(".stepper li.current").startswith("4. 现场核查")
    rows = page.locator("#stage-board tbody tr")
    assert rows.count() == 2
    assert page.inner_text(f'tr[data-region="{NINGJIN}"]').count("现场核查") >= 1
    assert "第一核查组" in page.inner_text(f'tr[data-region="{NINGJIN}"]')
    assert "材料审核通过" in page.inner_text("#transitions")
    page.screenshot(path=str(artifacts_dir / "assessment-stage-board.png"), full_page=True)

    page.context.clear_cookies()  # sign out: the verifier uses their own session
    live_login(cycle.users["verifier_a"])
    page.goto(f"{base}/assessments/{cycle.assessment.pk}/")
    page.click(f'tr[data-region="{NINGJIN}"] a[href$="/verification/"]')
    page.wait_for_selector("#indicator-findings")
    assert "第一核查组" in page.inner_text("main")
    # The group's other county is not offered: 巨鹿县 belongs to the second group.
    assert page.locator(f'a[href$="/regions/{JULU}/verification/"]').count() == 0

    certs = page.locator("#ind-QM_QMS_CERTIFICATES")
    certs.locator('input[name="value"]').fill("16")
    certs.locator('input[name="reason"]').fill("2 张证书已过期")
    certs.locator("button").click()
    page.wait_for_selector(".msg-success")
    assert page.inner_text("#ind-QM_QMS_CERTIFICATES td.verified") == "16"
    assert page.inner_text("#ind-QM_QMS_CERTIFICATES td.reported") == "18"

    for code in ("PQ_SAMPLING_PASS", "EN_MAJOR_ACCIDENTS"):
        page.locator(f"#ind-{code} button").click()
        page.wait_for_selector(".msg-success")
    item_row = page.locator(f"#item-{cycle.item.pk}")
    item_row.locator('input[name="value"]').fill("9")
    item_row.locator("button").click()
    page.wait_for_selector(".msg-success")
    page.screenshot(path=str(artifacts_dir / "assessment-verification.png"), full_page=True)

    page.click("#verification-done")
    page.wait_for_selector(".msg-success")
    assert page.inner_text("#county-stage") == "综合评定"

    figure = Figure.objects.get(region__code=NINGJIN, indicator__code="QM_QMS_CERTIFICATES", year=YEAR)
    assert (figure.reported_value, figure.verified_value) == (18, 16)
    assert Finding.objects.filter(assessment_region__region__code=NINGJIN, adjusted=True).count() == 1
    assert cycle.row(NINGJIN).stage == Stage.FINAL
    assert offsite_requests == []
    assert console_errors == []
