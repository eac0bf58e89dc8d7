"""The registry and a round in a real browser: filter grants, follow a derived count, score."""

import pytest

from awards.demo import ROUND_NAME, seed_awards
from awards.models import Application, Grant, QualityAwardRound, ReviewAssignment, Stage
from indicators.demo import SeedResult
from indicators.models import Figure
from tests.factories import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bureau_filters_grants_and_a_reviewer_scores(
    live_login, page, catalog, offsite_requests, console_errors, artifacts_dir
):
    seed_awards(SeedResult())
    bureau = make_user("130500", "reviewer", username="browser_bureau")
    base = live_login(bureau)

    county = Grant.objects.filter(enterprise__region__parent__code="130500").first().enterprise.region
    page.goto(f"{base}/awards/grants/")
    page.select_option("select[name=region]", county.code)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("networkidle")
    regions = page.locator("table.data tbody tr td:nth-child(4)").all_inner_texts()
    assert regions and set(regions) == {county.name}
    page.screenshot(path=str(artifacts_dir / "awards-grants-county.png"), full_page=True)

    figure = (
        Figure.objects.filter(source=Figure.Source.DERIVED, region__code="130500").order_by("year").first()
    )
    page.goto(base + figure.source_ref)
    assert f"共 {int(figure.value)} 项" in page.inner_text("main")

    rnd = QualityAwardRound.objects.get(name=ROUND_NAME)
    page.goto(f"{base}/awards/rounds/{rnd.pk}/")
    assert page.locator("table.data tbody tr").count() == 5
    page.screenshot(path=str(artifacts_dir / "awards-round.png"), full_page=True)

    application = Application.objects.filter(round=rnd, stage=Stage.ONSITE_REVIEW).order_by("pk").first()
    pending = ReviewAssignment.objects.filter(
        application=application, stage=Stage.ONSITE_REVIEW, submitted_at__isnull=True
    ).first()
    expert = pending.reviewer
    expert.set_password("Expert-pass-2026!")
    expert.save()
    page.context.clear_cookies()
    live_login(expert, "Expert-pass-2026!")
    page.goto(f"{base}/awards/applications/{application.pk}/score/onsite_review/")
    for category in rnd.categories.all():
        page.fill(f"input[name=score_{category.code}]", str(category.max_points * 3 // 4))
    page.fill("input[name=score_results]", "401")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "“结果”得分 401 超过该类目满分 400" in page.inner_text("main")
    page.fill("input[name=score_results]", "300")
    page.click("main form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "评分已提交" in page.inner_text("main")
    page.screenshot(path=str(artifacts_dir / "awards-application-reviewer.png"), full_page=True)
    pending.refresh_from_db()
    assert pending.submitted_at is not None
    assert offsite_requests == []
    assert console_errors == []
