"""After publication every write path is refused and the data is unchanged.

Pages (entry grid, figure actions, target edit, the cycle's own pages), the API,
imports (page and service), the admin and the commands; each refusal is logged
as a FrozenAttempt with its channel. Live re-scoring stays allowed (documented
in assessments.freeze) and leaves the published snapshot alone.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from assessments.freeze import FROZEN_MESSAGE, Frozen
from assessments.models import FrozenAttempt, PublishedRegionScore
from indicators.models import Figure, Indicator, ItemScore, Plan, Target
from tests.assessments.conftest import JULU, NINGJIN, YEAR
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple:
    """Everything publication froze, to compare before and after each refused write."""
    return (
        sorted(
            Figure.objects.filter(year=YEAR).values_list(
                "region__code",
                "indicator__code",
                "value",
                "reported_value",
                "verified_value",
                "status",
                "version",
            )
        ),
        sorted(
            Target.objects.filter(year=YEAR).values_list("region__code", "indicator__code", "value", "weight")
        ),
        sorted(
            ItemScore.objects.filter(year=YEAR).values_list("region__code", "self_points", "verified_points")
        ),
        Figure.history.count(),
        sorted(PublishedRegionScore.objects.values_list("region__code", "basis", "total", "rank")),
    )


@pytest.fixture
def published(cycle):
    cycle.publish()
    return cycle


def _figure(code: str, indicator: str = "PQ_SAMPLING_PASS") -> Figure:
    return Figure.objects.get(region__code=code, indicator__code=indicator, year=YEAR)


def _channels() -> list[str]:
    return list(FrozenAttempt.objects.order_by("at", "id").values_list("channel", flat=True))


def test_page_writes_are_refused(published, client):
    before = _snapshot()
    figure = _figure(NINGJIN)
    # A county clerk edits a value on the entry grid.
    client.force_login(published.staff(NINGJIN))
    grid = client.post(
        reverse("entry:grid", args=[NINGJIN, YEAR]),
        {
            "action": "save",
            "v_PQ_FOOD_PASS": "99",
            "o_PQ_FOOD_PASS": "",
            "ver_PQ_FOOD_PASS": "0",
        },
    )
    assert grid.status_code == 403 and FROZEN_MESSAGE in grid.content.decode()
    # A reviewer reopens an approved figure to change it.
    client.force_login(published.users["reviewer"])
    reopen = client.post(
        reverse("entry:figure-action", args=[figure.pk, "reopen"]),
        {"reo-reason": "想改一下", "reo-version": str(figure.version)},
    )
    assert reopen.status_code == 403 and FROZEN_MESSAGE in reopen.content.decode()
    # The city's admin edits a target.
    client.force_login(published.users["admin"])
    target = client.post(
        reverse("scores:target_edit", args=[NINGJIN, "PQ_SAMPLING_PASS", YEAR]),
        {"comparator": ">=", "value": "90", "weight": "40", "rule": "ratio", "rule_param": "", "note": ""},
    )
    assert target.status_code == 403 and FROZEN_MESSAGE in target.content.decode()
    # A county clerk changes an item's self-score on the cycle's own page.
    client.force_login(published.staff(JULU))
    item = client.post(
        reverse("assessments:item-self", args=[published.assessment.pk, JULU, published.item.pk]),
        {"points": "10", "reason": "改为满分"},
    )
    assert item.status_code == 403
    assert _snapshot() == before
    assert _channels() == ["page"] * 4
    assert list(FrozenAttempt.objects.values_list("username", flat=True).order_by("at", "id")) == [
        "nj_staff",
        "xt_quality",
        "xt_admin",
        "jl_staff",
    ]


def test_api_writes_are_refused(published, client):
    before = _snapshot()
    figure = _figure(JULU)
    client.force_login(published.staff(JULU))
    update = client.patch(
        f"/api/v1/figures/{figure.pk}/",
        {"value": "99", "version": figure.version},
        content_type="application/json",
    )
    assert update.status_code == 403 and update.json()["detail"] == FROZEN_MESSAGE
    create = client.post(
        "/api/v1/figures/",
        {"region": JULU, "indicator": "PQ_FOOD_PASS", "year": YEAR, "value": "97", "note": ""},
        content_type="application/json",
    )
    assert create.status_code == 403 and create.json()["detail"] == FROZEN_MESSAGE
    client.force_login(published.users["reviewer"])
    reopen = client.post(
        f"/api/v1/figures/{figure.pk}/reopen/",
        {"reason": "更正", "version": figure.version},
        content_type="application/json",
    )
    assert reopen.status_code == 403
    # The cycle's own API: a verification finding after publication.
    client.force_login(published.users["verifier_b"])
    finding = client.post(
        f"/api/v1/assessments/{published.assessment.pk}/regions/{JULU}/findings/",
        {"indicator": "PQ_SAMPLING_PASS", "value": "80", "reason": "再核"},
        content_type="application/json",
    )
    assert finding.status_code == 403
    assert _snapshot() == before
    assert _channels() == ["api"] * 4


def _csv(rows: list[str], header: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


FIGURES_HEADER = "region_code,indicator_code,year,value,note"


def test_import_is_refused_on_the_page_and_in_the_service(published, client):
    from accounts.policy import SYSTEM
    from indicators.imports import commit_import

    before = _snapshot()
    data = _csv([f"{NINGJIN},PQ_FOOD_PASS,{YEAR},97.5,补报"], FIGURES_HEADER)
    client.force_login(published.staff(NINGJIN))
    preview = client.post(
        reverse("entry:import"),
        {"file": SimpleUploadedFile("figures.csv", data, content_type="text/csv"), "status": "draft"},
    )
    assert preview.status_code == 200
    commit = client.post(reverse("entry:import-commit"), {"token": preview.context["token"]})
    assert commit.status_code == 403 and FROZEN_MESSAGE in commit.content.decode()
    with pytest.raises(Frozen) as exc:
        commit_import(actor=SYSTEM, data=data, filename="figures.csv", status="approved")
    assert str(exc.value) == FROZEN_MESSAGE
    assert _snapshot() == before
    assert not Figure.objects.filter(indicator__code="PQ_FOOD_PASS", year=YEAR, region__code=NINGJIN).exists()
    assert _channels() == ["page", "command"]


def test_commands_are_refused(published, tmp_path):
    before = _snapshot()
    figures = tmp_path / "figures.csv"
    figures.write_bytes(_csv([f"{JULU},PQ_FOOD_PASS,{YEAR},97.5,"], FIGURES_HEADER))
    with pytest.raises(CommandError, match="数据已冻结"):
        call_command("import_figures", str(figures), "--status", "approved")
    targets = tmp_path / "targets.csv"
    targets.write_bytes(
        _csv(
            [f"{JULU},PQ_FOOD_PASS,{YEAR},>=,98,5"],
            "region_code,indicator_code,year,comparator,target,weight",
        )
    )
    with pytest.raises(CommandError, match="数据已冻结"):
        call_command("import_targets", str(targets), "--plan", "巨鹿县补充目标")
    assert not Plan.objects.filter(name="巨鹿县补充目标").exists()
    assert _snapshot() == before
    attempts = list(FrozenAttempt.objects.values_list("channel", "username", "what").order_by("at", "id"))
    assert attempts == [
        ("command", "系统", "导入年度数据文件 figures.csv"),
        ("command", "系统", "导入目标文件 targets.csv"),
    ]


def test_admin_writes_are_refused(published, client):
    before = _snapshot()
    admin = UserFactory(is_staff=True, is_superuser=True, username="root")
    client.force_login(admin)
    figure = _figure(NINGJIN)
    deleted = client.post(reverse("admin:indicators_figure_delete", args=[figure.pk]), {"post": "yes"})
    assert deleted.status_code == 403 and FROZEN_MESSAGE in deleted.content.decode()
    target = Target.objects.get(region__code=NINGJIN, indicator__code="PQ_SAMPLING_PASS", year=YEAR)
    changed = client.post(
        reverse("admin:indicators_target_change", args=[target.pk]),
        {
            "plan": "",
            "region": target.region_id,
            "indicator": target.indicator_id,
            "year": YEAR,
            "comparator": ">=",
            "value": "50",
            "weight": "40",
            "rule": "ratio",
            "rule_param": "",
            "note": "",
        },
    )
    assert changed.status_code == 403
    score = ItemScore.objects.get(region__code=JULU, item=published.item, year=YEAR)
    item = client.post(
        reverse("admin:indicators_itemscore_change", args=[score.pk]),
        {
            "item": published.item.pk,
            "region": score.region_id,
            "year": YEAR,
            "self_points": "10",
            "self_reason": "x",
            "verified_points": "10",
            "verified_reason": "x",
            "verified_by": "",
        },
    )
    assert item.status_code == 403
    bulk = client.post(
        reverse("admin:indicators_figure_changelist"),
        {"action": "delete_selected", "_selected_action": [figure.pk], "post": "yes"},
    )
    assert bulk.status_code == 403
    assert _snapshot() == before
    assert _channels() == ["admin"] * 4
    # Another year of the same counties is not frozen: the admin still works there.
    other = Target.objects.create(
        region=target.region, indicator=target.indicator, year=YEAR + 1, comparator=">=", value=Decimal("96")
    )
    ok = client.post(reverse("admin:indicators_target_delete", args=[other.pk]), {"post": "yes"})
    assert ok.status_code == 302 and not Target.objects.filter(pk=other.pk).exists()


def test_live_rescoring_is_allowed_and_leaves_the_published_snapshot(published):
    before = _snapshot()
    call_command("compute_scores", "--year", str(YEAR), "--region", "130500")
    assert _snapshot() == before
    assert not FrozenAttempt.objects.exists()


def test_writes_to_other_years_and_unrelated_regions_still_work(published):
    from indicators import services as figure_services

    staff = published.staff(NINGJIN)
    figure = figure_services.figure_save(
        actor=staff,
        region=published.counties[NINGJIN],
        indicator=Indicator.objects.get(code="PQ_FOOD_PASS"),
        year=YEAR + 1,
        value="97",
        expected_version=None,
    )
    assert figure.pk and figure.year == YEAR + 1
    assert not FrozenAttempt.objects.exists()
