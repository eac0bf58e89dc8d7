"""Redis down, in-process: pages and data entry keep working; scoring and other tasks run inline.

The app is pointed at a port where nothing listens (the broker, the result
backend and the cache alike), so every Redis call fails the way it does when
the server is stopped: connection refused. The shared Redis is never touched.
The end-to-end version with real processes and a Redis that is stopped and
started again is `test_faults.py::test_redis_down_...` (integration).

These tests commit (transaction=True): approvals enqueue their re-score in
`transaction.on_commit`, which is where a dead broker used to turn a committed
approval into a 500.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.urls import reverse

from indicators.models import Figure, Region, RegionScore, ScoreRun
from indicators.scoring_service import compute_scores, score_rows_snapshot
from quality_city import resilience
from quality_city.resilience import INLINE_NOTICE
from tests.factories import make_user
from tests.indicators.scoring_helpers import fig, tgt

pytestmark = pytest.mark.django_db(transaction=True)

DEAD = "redis://127.0.0.1:6390/0"  # nothing listens here
COUNTY, OTHER_COUNTY, CITY = "130528", "130521", "130500"


@pytest.fixture
def redis_down(settings):
    """Celery (not eager) and the cache both pointed at a dead Redis; restored afterwards."""
    from quality_city.celery import app

    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": DEAD}
    }
    saved_conf = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    saved_pools = (app._pool, app.amqp._producer_pool, app._local.__dict__.pop("backend", None))
    app._pool = app.amqp._producer_pool = None
    app.conf.update(broker_url=DEAD, result_backend=DEAD, task_always_eager=False)
    yield
    app._local.__dict__.pop("backend", None)
    app.conf.update(saved_conf)
    app._pool, app.amqp._producer_pool = saved_pools[:2]
    if saved_pools[2] is not None:
        app._local.backend = saved_pools[2]


@pytest.fixture
def people(catalog):
    return {
        "staff": make_user(COUNTY, "staff", username="nj_clerk"),
        "reviewer": make_user(CITY, "reviewer", username="xt_checker"),
        "leader": make_user(CITY, "leader", username="xt_mayor"),
    }


@pytest.fixture
def scored_2015(people):
    """Targets for two counties of 邢台市 and one approved figure each, scored once (Redis up)."""
    for county, actual in ((COUNTY, 96), (OTHER_COUNTY, 99)):
        tgt(county, "PQ_SAMPLING_PASS", 2015, 98, weight=6)
        tgt(county, "PQ_GRADE_RATE", 2015, 85, weight=4)
        fig(county, "PQ_SAMPLING_PASS", 2015, actual)
    compute_scores(year=2015, region=Region.objects.get(code="130000"), trigger="setup")


def _eager_rows() -> tuple:
    """What a normal run stores for the same inputs (computed now, then compared)."""
    compute_scores(year=2015, region=Region.objects.get(code="130000"), trigger="check")
    return score_rows_snapshot(year=2015)


def test_pages_data_entry_and_approval_work_and_scores_are_right(client, people, scored_2015, redis_down):
    grid = reverse("entry:grid", args=[COUNTY, 2015])
    client.force_login(people["staff"])
    assert client.get(grid).status_code == 200
    saved = client.post(
        grid, {"v_PQ_GRADE_RATE": "83", "o_PQ_GRADE_RATE": "", "ver_PQ_GRADE_RATE": "0", "action": "save"}
    )
    assert saved.status_code == 302
    figure = Figure.objects.get(region__code=COUNTY, indicator__code="PQ_GRADE_RATE", year=2015)
    submitted = client.post(
        reverse("entry:figure-action", args=[figure.pk, "submit"]), {"version": figure.version}
    )
    assert submitted.status_code == 302

    client.force_login(people["reviewer"])
    figure.refresh_from_db()
    started = time.monotonic()
    approved = client.post(
        reverse("entry:figure-action", args=[figure.pk, "approve"]), {"version": figure.version}, follow=True
    )
    assert approved.status_code == 200
    assert time.monotonic() - started < 20, "the dead broker must not stall the page"
    assert INLINE_NOTICE in approved.content.decode()
    figure.refresh_from_db()
    assert figure.status == Figure.Status.APPROVED and figure.value == Decimal("83")

    # The approval's re-score ran inline, visibly marked, and is what a normal run stores.
    inline = ScoreRun.objects.filter(trigger="approval-inline")
    assert sorted(inline.values_list("basis", "status")) == [("self", "done"), ("verified", "done")]
    stored = score_rows_snapshot(year=2015)
    assert (COUNTY, "PQ_GRADE_RATE", 2015, "verified", Decimal("83")) in {t[:5] for t in stored[1]}
    assert stored == _eager_rows()

    client.force_login(people["leader"])
    for url in (
        reverse("dashboards:overview", args=[CITY]) + "?year=2015",
        reverse("dashboards:compare", args=[CITY]) + "?year=2015",
        reverse("scores:index") + f"?region={CITY}&year=2015",
        reverse("scores:explain", args=[COUNTY, 2015]),
    ):
        assert client.get(url).status_code == 200, url


def test_the_rescore_button_scores_inline_with_a_notice(client, people, scored_2015, redis_down):
    Figure.objects.filter(region__code=COUNTY, indicator__code="PQ_SAMPLING_PASS").update(
        value=Decimal("90"), verified_value=Decimal("90"), reported_value=Decimal("90")
    )
    client.force_login(people["reviewer"])
    response = client.post(reverse("scores:run"), {"region": CITY, "year": "2015"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert INLINE_NOTICE in page and "评分完成" in page
    assert ScoreRun.objects.filter(trigger="page-inline", status="done").count() == 2
    county = RegionScore.objects.get(region__code=COUNTY, year=2015, basis="verified")
    assert county.points == Decimal("5.5102")  # 6 x 90 / 98; PQ_GRADE_RATE is missing: 0
    assert score_rows_snapshot(year=2015) == _eager_rows()


def test_an_api_approval_answers_200_and_says_it_ran_inline(client, people, scored_2015, redis_down):
    figure = fig(COUNTY, "PQ_GRADE_RATE", 2015, 88, status="submitted")
    client.force_login(people["reviewer"])
    response = client.post(
        f"/api/v1/figures/{figure.pk}/approve/", {"version": figure.version}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response["X-QC-Degraded"] == "inline-tasks"
    assert ScoreRun.objects.filter(trigger="approval-inline", status="done").count() == 2
    assert score_rows_snapshot(year=2015) == _eager_rows()


def test_with_redis_up_nothing_runs_inline(people, scored_2015, monkeypatch):
    """The fallback is only for a dead broker: a reachable one gets the task (and no notice)."""
    from indicators.tasks import compute_scores_task

    sent = []
    monkeypatch.setattr(compute_scores_task, "apply_async", lambda **kw: sent.append(kw) or "queued")
    dispatch = resilience.enqueue_or_run_inline(compute_scores_task, kwargs={"year": 2015})
    assert dispatch == resilience.Dispatch("queued") and not dispatch.inline
    assert sent[0]["ignore_result"] is True and sent[0]["retry_policy"] == resilience.PUBLISH_RETRY


def test_a_report_request_is_rendered_inline_instead_of_left_pending(client, people, scored_2015, redis_down):
    from reports.models import ReportArtifact

    client.force_login(people["leader"])
    response = client.post(
        "/api/v1/reports/",
        {"kind": "annual_report", "format": "xlsx", "region": COUNTY, "year": 2015},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response["X-QC-Degraded"] == "inline-tasks"
    artifact = ReportArtifact.objects.get()
    assert artifact.status == ReportArtifact.Status.DONE and artifact.size > 0


def test_a_grant_recomputes_the_brand_counts_inline(people, scored_2015, redis_down):
    from awards.catalog import load_award_types
    from awards.credit_code import make_credit_code
    from awards.models import AwardType, Enterprise
    from awards.services import grant_create

    load_award_types()
    enterprise = Enterprise.objects.create(
        name="停机测试企业",
        credit_code=make_credit_code("91130528MA0000077"),
        region=Region.objects.get(code=COUNTY),
    )
    award = AwardType.objects.get(code="CHINA_TOP_BRAND")
    grant_create(user=None, award_type=award, enterprise=enterprise, name="某产品", year_granted=2015)
    derived = Figure.objects.get(region__code=COUNTY, indicator=award.indicator, year=2015)
    assert derived.source == Figure.Source.DERIVED and derived.value == Decimal("1")
