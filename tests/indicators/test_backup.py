from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command

from indicators.backup import _models
from indicators.models import Figure, Indicator, Region, Target
from tests.factories import make_user


def _snapshot():
    """Every row of every backed-up model, as plain values."""
    snap = {}
    for model in _models():
        fields = [f.attname for f in model._meta.concrete_fields]
        snap[model._meta.label_lower] = sorted(
            (tuple(str(v) for v in row) for row in model._default_manager.values_list(*fields)),
        )
    return snap


@pytest.mark.django_db(transaction=True)
def test_export_all_and_import_all_round_trip_every_row_exactly(catalog, tmp_path):
    user = make_user("130528", "staff", username="backup_staff")
    fig = Figure.objects.create(
        region=Region.objects.get(code="130528"),
        indicator=Indicator.objects.get(code="PQ_SAMPLING_PASS"),
        year=2015,
        value=Decimal("97.1234"),
        reported_value=Decimal("97.1234"),
        entered_by=user,
    )
    fig.value = fig.reported_value = Decimal("98.5")
    fig._change_reason = "更正"
    fig.save()
    Target.objects.create(
        region=Region.objects.get(code="130500"),
        indicator=Indicator.objects.get(code="PQ_SAMPLING_PASS"),
        year=2015,
        comparator=">=",
        value=Decimal("98"),
        weight=Decimal("4"),
    )
    before = _snapshot()
    assert len(before["indicators.historicalfigure"]) == 2

    path = tmp_path / "backup.json.gz"
    call_command("export_all", "-o", str(path))
    call_command("flush", interactive=False)
    assert Figure.objects.count() == 0 and Region.objects.count() == 0

    call_command("import_all", str(path))
    assert _snapshot() == before
    restored = Figure.objects.get()
    assert restored.value == Decimal("98.5") and restored.entered_by.username == "backup_staff"
    assert [h.history_change_reason for h in restored.history.order_by("history_date")] == [None, "更正"]
    # New rows still get fresh primary keys after a restore with explicit pks.
    new = Figure.objects.create(
        region=restored.region,
        indicator=restored.indicator,
        year=2016,
        value=Decimal("1"),
        reported_value=Decimal("1"),
    )
    assert new.pk > restored.pk


@pytest.mark.django_db(transaction=True)
def test_import_all_refuses_a_non_empty_database(catalog, tmp_path):
    path = tmp_path / "b.json.gz"
    call_command("export_all", "-o", str(path))
    regions = Region.objects.count()
    with pytest.raises(CommandError, match="目标数据库非空"):
        call_command("import_all", str(path))
    assert Region.objects.count() == regions


@pytest.mark.django_db(transaction=True)
def test_import_all_rejects_a_corrupted_file(catalog, tmp_path):
    import gzip

    path = tmp_path / "b.json.gz"
    call_command("export_all", "-o", str(path))
    with gzip.open(path, "rb") as fh:
        head, data = fh.readline(), fh.read()
    with gzip.open(path, "wb") as fh:
        fh.write(head + data.replace(b"\xe9\x82\xa2\xe5\x8f\xb0", b"\xe9\x82\xa2\xe5\x8f\xb1", 1))
    call_command("flush", interactive=False)
    with pytest.raises(CommandError, match="校验失败"):
        call_command("import_all", str(path))
    assert Region.objects.count() == 0


def test_the_backup_covers_every_project_model():
    labels = {m._meta.label_lower for m in _models()}
    assert {
        "indicators.figure",
        "indicators.historicalfigure",
        "indicators.target",
        "indicators.regionscore",
        "indicators.targetscore",
        "indicators.scorerun",
        "accounts.profile",
        "auth.user",
    } <= labels
    for app in ("awards", "assessments", "reports"):
        if apps.is_installed(app):
            for model in apps.get_app_config(app).get_models():
                assert model._meta.label_lower in labels
