"""The PostgreSQL write path of figure imports (COPY + one INSERT ... SELECT for the history).

`commit_import` writes new figures on PostgreSQL with `imports._copy_creates` instead of
simple-history's `bulk_create_with_history` (kept for SQLite). These tests import the same
files both ways and compare every stored column of the figures and of their history rows
(PostgreSQL only), and check on both databases that a file mixing creates and updates and
a key stored meanwhile keep the import's all-or-nothing behaviour.
"""

from __future__ import annotations

import gc
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone
from openpyxl import Workbook

from accounts.policy import SYSTEM
from indicators import imports, services
from indicators.imports import ImportRejected, commit_import
from indicators.models import Figure, Region
from tests.factories import make_user

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the COPY path is PostgreSQL only"
)

HEADER = ["region_code", "indicator_code", "year", "value", "note"]
ROWS = [
    ["130528", "PQ_QCI", 2024, 80.5, "省局通报"],
    ["130528", "PQ_FOOD_PASS", 2024, "96.25", None],
    ["130528", "BR_CHINA_TOP_BRAND", 2024, 3, "  带空格的备注  "],
    ["130529", "PQ_QCI", 2024, "79", ""],
    ["130500", "PQ_SAMPLING_PASS", 2023, 97.1234, "市级"],
    ["130528", "PQ_SAMPLING_PASS", 2024, "", "空白数值行"],  # skipped, not zero
]

# Every stored column but the surrogate keys and the clocks, which are compared separately.
FIGURE_FIELDS = [
    f.attname
    for f in Figure._meta.concrete_fields
    if f.attname not in {"id", "created_at", "updated_at", "submitted_at", "approved_at"}
]
HISTORY_FIELDS = [*FIGURE_FIELDS, "history_type", "history_change_reason", "history_user_id"]


def xlsx_bytes(rows, header=HEADER) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def stored(filename: str) -> tuple[dict, dict]:
    """Figures and history rows an import wrote, keyed by (region, indicator, year)."""
    figures = {
        (f.region.code, f.indicator.code, f.year): f
        for f in Figure.objects.filter(source_ref=filename).select_related("region", "indicator")
    }
    by_id = {f.pk: key for key, f in figures.items()}
    history: dict[tuple, list] = {}
    for h in Figure.history.filter(id__in=by_id).order_by("history_id"):
        history.setdefault(by_id[h.id], []).append(h)
    return figures, history


def values(obj, fields) -> dict:
    return {name: getattr(obj, name) for name in fields}


def import_both_ways(monkeypatch, data: bytes, *, actor, status: str) -> tuple:
    """Import `data` with bulk_create_with_history, read it back, remove it; then with COPY."""
    name = "same.xlsx"
    with monkeypatch.context() as m:
        m.setattr(imports, "_copy_available", lambda: False)
        reference = commit_import(actor=actor, data=data, filename=name, status=status)
    expected = stored(name)
    Figure.history.filter(source_ref=name).delete()
    Figure.objects.filter(source_ref=name).delete()

    calls = []
    real = imports._copy_creates
    monkeypatch.setattr(imports, "_copy_creates", lambda *a, **k: calls.append(1) or real(*a, **k))
    before = timezone.now()
    result = commit_import(actor=actor, data=data, filename=name, status=status)
    after = timezone.now()
    assert calls == [1], "the COPY path was not taken"
    assert (result.created, result.updated, result.unchanged, result.blank) == (
        reference.created,
        reference.updated,
        reference.unchanged,
        reference.blank,
    )
    return expected, stored(name), (before, after)


@postgresql_only
@pytest.mark.parametrize(
    ("who", "status"),
    [("system", "approved"), ("system", "draft"), ("admin", "draft"), ("admin", "submitted")],
)
def test_copy_path_stores_what_bulk_create_with_history_stores(monkeypatch, catalog, who, status):
    actor = SYSTEM if who == "system" else make_user("130500", "admin")
    data = xlsx_bytes(ROWS)
    (ref_figures, ref_history), (figures, history), (before, after) = import_both_ways(
        monkeypatch, data, actor=actor, status=status
    )
    assert len(figures) == 5 and set(figures) == set(ref_figures)
    for key, fig in figures.items():
        ref = ref_figures[key]
        assert values(fig, FIGURE_FIELDS) == values(ref, FIGURE_FIELDS), key
        # One clock for the whole import: created = updated, and submitted/approved when set.
        assert before <= fig.created_at <= after
        assert fig.updated_at == fig.created_at
        for clock in ("submitted_at", "approved_at"):
            assert (getattr(fig, clock) is None) == (getattr(ref, clock) is None), (key, clock)
            if getattr(fig, clock) is not None:
                assert getattr(fig, clock) == fig.created_at

        assert len(history[key]) == len(ref_history[key]) == 1
        h, ref_h = history[key][0], ref_history[key][0]
        assert values(h, HISTORY_FIELDS) == values(ref_h, HISTORY_FIELDS), key
        assert h.id == fig.pk
        assert (h.created_at, h.updated_at, h.submitted_at, h.approved_at) == (
            fig.created_at,
            fig.updated_at,
            fig.submitted_at,
            fig.approved_at,
        )
        assert h.history_date == fig.created_at

    qci = figures[("130528", "PQ_QCI", 2024)]
    assert (qci.value, qci.reported_value, qci.note, qci.source, qci.version) == (
        Decimal("80.5"),
        Decimal("80.5"),
        "省局通报",
        "import",
        1,
    )
    assert qci.status == status
    assert qci.verified_value == (Decimal("80.5") if status == "approved" else None)
    assert qci.entered_by_id == (None if who == "system" else actor.pk)
    assert history[("130528", "PQ_QCI", 2024)][0].history_user_id == (None if who == "system" else actor.pk)
    assert history[("130528", "PQ_QCI", 2024)][0].history_change_reason == "文件导入：same.xlsx"
    assert figures[("130528", "BR_CHINA_TOP_BRAND", 2024)].note == "带空格的备注"
    assert figures[("130500", "PQ_SAMPLING_PASS", 2023)].value == Decimal("97.1234")
    assert ("130528", "PQ_SAMPLING_PASS", 2024) not in figures


def test_new_figures_get_ids_in_file_order(catalog):
    commit_import(actor=SYSTEM, data=xlsx_bytes(ROWS), filename="order.xlsx", status="draft")
    ids = {
        (region, indicator, year): pk
        for region, indicator, year, pk in Figure.objects.filter(source_ref="order.xlsx").values_list(
            "region__code", "indicator__code", "year", "pk"
        )
    }
    order = [ids[(r, i, y)] for r, i, y, v, _note in ROWS if v != ""]
    assert len(order) == 5 and order == sorted(order)


def test_a_file_mixing_creates_updates_and_unchanged_rows(catalog):
    county = Region.objects.get(code="130528")
    draft = services.figure_save(
        actor=SYSTEM, region=county, indicator=catalog["PQ_QCI"], year=2024, value="70", expected_version=None
    )
    same = services.figure_save(
        actor=SYSTEM,
        region=county,
        indicator=catalog["PQ_FOOD_PASS"],
        year=2024,
        value="96.25",
        expected_version=None,
    )
    result = commit_import(actor=SYSTEM, data=xlsx_bytes(ROWS), filename="mixed.xlsx", status="draft")
    assert (result.created, result.updated, result.unchanged, result.blank) == (3, 1, 1, 1)

    draft.refresh_from_db()
    assert (draft.value, draft.version, draft.note, draft.source_ref) == (
        Decimal("80.5"),
        2,
        "省局通报",
        "mixed.xlsx",
    )
    assert list(draft.history.order_by("history_id").values_list("history_type", "value")) == [
        ("+", Decimal("70")),
        ("~", Decimal("80.5")),
    ]
    same.refresh_from_db()
    assert (same.version, same.source_ref, same.history.count()) == (1, "", 1)
    created = Figure.objects.filter(source_ref="mixed.xlsx", version=1)
    assert created.count() == 3
    assert Figure.history.filter(source_ref="mixed.xlsx", history_type="+").count() == 3
    assert Figure.history.filter(source_ref="mixed.xlsx", history_type="~").count() == 1


@postgresql_only
def test_two_imports_in_one_transaction_reuse_the_staging_table(catalog):
    first = commit_import(actor=SYSTEM, data=xlsx_bytes(ROWS[:2]), filename="one.xlsx", status="draft")
    second = commit_import(actor=SYSTEM, data=xlsx_bytes(ROWS[2:]), filename="two.xlsx", status="draft")
    assert (first.created, second.created) == (2, 3)
    assert Figure.objects.count() == 5
    assert Figure.history.count() == 5
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('pg_temp.qc_import_new_figures')")
        assert cursor.fetchone()[0] is None


def test_a_key_written_meanwhile_rejects_the_whole_file_and_writes_nothing(monkeypatch, catalog):
    """Someone stores one of the file's keys after the plan: the unique key stops the COPY path."""
    county = Region.objects.get(code="130529")
    real = imports.ensure_none_frozen

    def meanwhile(**kwargs):
        real(**kwargs)
        Figure.objects.create(
            region=county,
            indicator=catalog["PQ_QCI"],
            year=2024,
            value=Decimal("1"),
            reported_value=Decimal("1"),
        )

    monkeypatch.setattr(imports, "ensure_none_frozen", meanwhile)
    before = (Figure.objects.count(), Figure.history.count())
    with pytest.raises(ImportRejected) as exc:
        commit_import(actor=SYSTEM, data=xlsx_bytes(ROWS), filename="race.xlsx", status="draft")
    assert "有人同时录入了相同的数据" in exc.value.errors[0].message
    assert (Figure.objects.count(), Figure.history.count()) == before
    assert not Figure.objects.filter(source_ref="race.xlsx").exists()


def test_planning_pauses_the_cyclic_gc_and_leaves_it_as_it_found_it(monkeypatch, catalog):
    seen = []
    real = imports.read_table
    monkeypatch.setattr(imports, "read_table", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    assert gc.isenabled()
    plan = imports.plan_import(actor=SYSTEM, data=xlsx_bytes(ROWS), filename="p.xlsx", status="draft")
    assert plan.summary["create"] == 5 and gc.isenabled()
    with pytest.raises(ImportRejected):
        commit_import(
            actor=SYSTEM,
            data=xlsx_bytes([["999999", "PQ_QCI", 2024, 1, ""]]),
            filename="bad.xlsx",
            status="draft",
        )
    assert gc.isenabled()
    assert seen == [False, False]
    gc.disable()
    try:
        imports.plan_import(actor=SYSTEM, data=xlsx_bytes(ROWS), filename="p.xlsx", status="draft")
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()
