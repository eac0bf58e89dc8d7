"""The scoring run's figures read on a second connection while the rest is prepared.

A national `compute_scores` called outside any transaction streams the figures on a
connection of its own (`load_inputs(background=True)`); inside a caller's
transaction, or for a scope below the country, it reads them on its own connection
(which alone sees a caller's uncommitted rows). Either
way the inputs, and so every stored score and hash, are the same. PostgreSQL only:
the data is committed (transaction=True) so the second connection can see it.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

import pandas as pd
import pytest
from django.db import connection, transaction
from psycopg import errors

from indicators import scoring_service
from indicators.models import Figure, ScoreRun, TargetScore
from indicators.scoring_service import compute_scores, load_inputs, score_rows_snapshot
from tests.indicators.scoring_helpers import D, fig
from tests.indicators.test_scoring_integration import _build_scenario
from tests.quality_city.test_pgcopy import assert_backend_gone

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a second connection reads with COPY"),
]


@pytest.fixture
def scenario(catalog):
    root = _build_scenario()
    # A figure of an indicator no region has a target for: read, then left out.
    fig("130521", "BR_TIME_HONORED", 2015, 4)
    return root


class BackgroundReads(list):
    """The statements `load_inputs` handed to `background_copy` (which still runs),
    and the reads it started (`pending`)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list = []


@pytest.fixture
def background_reads(monkeypatch) -> BackgroundReads:
    seen = BackgroundReads()
    real = scoring_service.background_copy

    @contextmanager
    def recording(statement, parse=None):
        seen.append(statement)
        with real(statement, parse) as pending:
            seen.pending.append(pending)
            yield pending

    monkeypatch.setattr(scoring_service, "background_copy", recording)
    return seen


def _frames(inputs) -> dict[str, pd.DataFrame]:
    return {
        "targets": inputs.targets,
        "figures_self": inputs.figures_self,
        "figures_verified": inputs.figures_verified,
        "items_self": inputs.items_self,
        "items_verified": inputs.items_verified,
        "regions": inputs.regions,
        "indicators": inputs.indicators,
    }


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("region_code", "indicator_code", "item_code") if c in frame.columns]
    return frame.sort_values(keys).reset_index(drop=True) if keys else frame


def test_background_and_serial_reads_give_the_same_inputs_and_hashes(scenario, background_reads):
    serial = load_inputs(year=2015, root=None)
    background = load_inputs(year=2015, root=None, background=True)

    assert len(background_reads) == 1 and "indicators_figure" in background_reads[0]
    for name, frame in _frames(serial).items():
        pd.testing.assert_frame_equal(_sorted(_frames(background)[name]), _sorted(frame), obj=name)
    assert len(background.figures_self) == Figure.objects.filter(year=2015).count() - 1  # not BR_TIME_HONORED
    for basis in ("self", "verified"):
        assert scoring_service.basis_inputs_hash(background, basis) == scoring_service.basis_inputs_hash(
            serial, basis
        )
        result, expected = (scoring_service.engine_result(i, basis) for i in (background, serial))
        pd.testing.assert_frame_equal(result.targets, expected.targets)
        pd.testing.assert_frame_equal(result.regions, expected.regions)


def test_a_run_outside_a_transaction_reads_in_the_background_and_stores_what_a_serial_run_stores(
    scenario, background_reads
):
    with transaction.atomic():  # a caller's transaction: the serial read
        compute_scores(year=2015)
    assert background_reads == []
    serial_rows = score_rows_snapshot(year=2015)
    TargetScore.objects.all().delete()
    scoring_service.RegionScore.objects.all().delete()

    compute_scores(year=2015)

    assert len(background_reads) == 1
    assert score_rows_snapshot(year=2015) == serial_rows
    hashes = list(ScoreRun.objects.order_by("pk").values_list("basis", "inputs_hash"))
    assert hashes[:2] == hashes[2:]


def test_a_scoped_run_reads_on_its_own_connection(scenario, background_reads):
    compute_scores(year=2015, region=scenario)
    assert background_reads == []
    assert ScoreRun.objects.filter(status=ScoreRun.Status.DONE).count() == 2


def test_inside_a_callers_transaction_the_run_sees_its_uncommitted_figures(scenario, background_reads):
    with transaction.atomic():
        Figure.objects.filter(region__code="130521", indicator__code="PQ_SAMPLING_PASS", year=2015).update(
            reported_value=D("91.5")
        )
        compute_scores(year=2015, bases=["self"])
        row = TargetScore.objects.get(
            region__code="130521", indicator__code="PQ_SAMPLING_PASS", year=2015, basis="self"
        )
        assert row.actual == D("91.5")
    assert background_reads == []


def test_without_a_second_connection_the_figures_are_read_on_the_runs_own(
    scenario, background_reads, monkeypatch, caplog
):
    compute_scores(year=2015)
    expected = score_rows_snapshot(year=2015)
    TargetScore.objects.all().delete()
    scoring_service.RegionScore.objects.all().delete()
    params = connection.get_connection_params()
    # Nothing listens on port 1: the second connection is refused for real.
    monkeypatch.setattr(connection, "get_connection_params", lambda: {**params, "port": 1})

    with caplog.at_level(logging.WARNING, logger="indicators.scoring_service"):
        compute_scores(year=2015)

    assert len(background_reads) == 2
    assert "no second database connection" in caplog.text
    assert score_rows_snapshot(year=2015) == expected


def test_a_failing_background_read_fails_the_run_and_keeps_the_stored_scores(
    scenario, background_reads, monkeypatch
):
    compute_scores(year=2015)
    before = score_rows_snapshot(year=2015)
    real = scoring_service.copy_statement
    # The figures' statement fails on the server, on the third row it streams.
    monkeypatch.setattr(
        scoring_service,
        "copy_statement",
        lambda qs: (
            "COPY (SELECT 1 / (3 - g) FROM generate_series(1, 5) g) TO STDOUT"
            if qs.model is Figure
            else real(qs)
        ),
    )

    with pytest.raises(errors.DivisionByZero):
        compute_scores(year=2015)

    failed = ScoreRun.objects.filter(status=ScoreRun.Status.FAILED)
    assert failed.count() == 2
    assert all("DivisionByZero" in run.error for run in failed)
    assert score_rows_snapshot(year=2015) == before


def test_an_error_while_the_figures_stream_cancels_their_read(scenario, background_reads, monkeypatch):
    def broken(self):
        raise ValueError("targets: malformed")

    monkeypatch.setattr(scoring_service.ScopeInputs, "prepare_shared", broken)
    with pytest.raises(ValueError, match="malformed"):
        compute_scores(year=2015)
    assert len(background_reads) == 1
    (pending,) = background_reads.pending
    assert_backend_gone(pending.backend_pid)  # the second connection is closed
