"""Reopen (admin only, with a reason) and republish: version 1 stays readable, version 2 is shown."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from accounts import policy
from assessments import freeze, services
from assessments.models import Publication, PublishedRegionScore, Stage, StageTransition
from indicators import services as figure_services
from indicators.models import Figure
from tests.assessments.conftest import JULU, NINGJIN, YEAR

pytestmark = pytest.mark.django_db


def _totals(publication: Publication) -> dict[str, Decimal]:
    return dict(
        PublishedRegionScore.objects.filter(publication=publication, basis="verified").values_list(
            "region__code", "total"
        )
    )


def test_only_an_admin_reopens_and_only_with_a_reason(cycle):
    cycle.publish()
    with pytest.raises(PermissionDenied, match="只有管理员"):
        services.assessment_reopen(actor=cycle.users["reviewer"], assessment=cycle.assessment, reason="更正")
    with pytest.raises(services.AssessmentError, match="须填写原因"):
        services.assessment_reopen(actor=cycle.users["admin"], assessment=cycle.assessment, reason="  ")
    assert cycle.refresh().stage == Stage.PUBLISHED
    assert freeze.is_frozen(region_id=cycle.counties[JULU].pk, year=YEAR)


def test_reopen_and_republish_keeps_version_1_readable_and_shows_version_2(cycle, client):
    v1 = cycle.publish()
    v1_totals = _totals(v1)
    assert v1_totals == {NINGJIN: Decimal("91.00"), JULU: Decimal("98.16")}

    services.assessment_reopen(
        actor=cycle.users["admin"], assessment=cycle.assessment, reason="巨鹿县抽检合格率统计口径有误，需更正"
    )
    assessment = cycle.refresh()
    assert (assessment.stage, assessment.version, assessment.signed_off_at) == (Stage.FINAL, 1, None)
    v1.refresh_from_db()
    assert (v1.reopen_reason, v1.reopened_by) == (
        "巨鹿县抽检合格率统计口径有误，需更正",
        cycle.users["admin"],
    )
    log = StageTransition.objects.filter(assessment=assessment).last()
    assert (log.kind, log.from_stage, log.to_stage, log.by) == (
        "reopen",
        Stage.PUBLISHED,
        Stage.FINAL,
        cycle.users["admin"],
    )
    assert not freeze.is_frozen(region_id=cycle.counties[JULU].pk, year=YEAR)
    assert policy.published_to(cycle.staff(NINGJIN), cycle.counties[JULU], YEAR) is False

    # The correction goes through the normal data-entry workflow now that the data is unfrozen.
    figure = Figure.objects.get(region__code=JULU, indicator__code="PQ_SAMPLING_PASS", year=YEAR)
    figure = figure_services.figure_reopen(
        actor=cycle.users["reviewer"], figure=figure, expected_version=figure.version, reason="统计口径有误"
    )
    figure = figure_services.figure_save(
        actor=cycle.staff(JULU),
        region=figure.region,
        indicator=figure.indicator,
        year=YEAR,
        value="85.5",
        expected_version=figure.version,
    )
    figure = figure_services.figure_submit(
        actor=cycle.staff(JULU), figure=figure, expected_version=figure.version
    )
    figure_services.figure_approve(
        actor=cycle.users["reviewer"], figure=figure, expected_version=figure.version
    )
    services.assessment_sign_off(actor=cycle.users["reviewer"], assessment=assessment)
    v2 = services.assessment_publish(actor=cycle.users["reviewer"], assessment=assessment)

    assert v2.version == 2 and cycle.refresh().version == 2 and cycle.assessment.stage == Stage.PUBLISHED
    # 巨鹿县: 40 * 85.5/95 = 36 + 30 + 20 + 9 = 95.00; 宁晋县 unchanged.
    assert _totals(v2) == {NINGJIN: Decimal("91.00"), JULU: Decimal("95.00")}
    assert _totals(Publication.objects.get(pk=v1.pk)) == v1_totals  # version 1 untouched

    client.force_login(cycle.staff(NINGJIN))  # every signed-in user of the assessing region
    url = reverse("assessments:results", args=[cycle.assessment.pk])
    current = client.get(url).content.decode()
    assert 'data-version="2"' in current and "现行版本" in current
    assert re.search(rf'data-region="{JULU}">.*?<td class="num total">95.00</td>', current, re.S)
    old = client.get(url + "?version=1").content.decode()
    assert 'data-version="1"' in old and "历史版本" in old and "统计口径有误" in old
    assert re.search(rf'data-region="{JULU}">.*?<td class="num total">98.16</td>', old, re.S)

    versions = client.get(f"/api/v1/assessments/{cycle.assessment.pk}/publications/").json()
    assert [(v["version"], v["current"]) for v in versions] == [(1, False), (2, True)]
    assert versions[0]["reopen_reason"] == "巨鹿县抽检合格率统计口径有误，需更正"
    v1_api = client.get(f"/api/v1/assessments/{cycle.assessment.pk}/publications/1/?region={JULU}").json()
    assert {r["region"]: r["total"] for r in v1_api["regions"]} == {NINGJIN: "91.00", JULU: "98.16"}
    assert {t["indicator"]: t["actual"] for t in v1_api["targets"]}["PQ_SAMPLING_PASS"] == "93.0000"


def test_published_results_are_readable_by_every_user_of_the_assessing_region_only(cycle, client):
    cycle.publish()
    url = reverse("assessments:results", args=[cycle.assessment.pk])
    client.force_login(cycle.staff(JULU))
    assert client.get(url).status_code == 200
    # The hook dashboards use: a county user may read a sibling county's published result.
    assert policy.can_read_scores(cycle.staff(JULU), cycle.counties[NINGJIN], YEAR) is True
    assert policy.can_read_scores(cycle.staff(JULU), cycle.counties[NINGJIN], YEAR - 1) is False
    from tests.factories import make_user

    outsider = make_user("130700", "leader")
    assert policy.can_read_scores(outsider, cycle.counties[NINGJIN], YEAR) is False
    client.force_login(outsider)
    assert client.get(url).status_code == 404
