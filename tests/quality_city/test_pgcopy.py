"""quality_city.pgcopy.copy_out: the libpq-level COPY reader the scoring service uses."""

from __future__ import annotations

import time

import pytest
from django.db import connection, transaction
from psycopg import errors

from indicators.models import Figure, Region
from quality_city.pgcopy import background_copy, copy_out
from tests.indicators.scoring_helpers import fig

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL only"),
]


def _psycopg_copy(statement: str) -> bytes:
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        return b"".join(copy)


def test_it_returns_what_psycopgs_own_copy_returns(catalog):
    for code, value in (("130521", 98), ("130522", "97.1234"), ("130523", 0)):
        fig(code, "PQ_SAMPLING_PASS", 2015, value)
    statement = (
        "COPY (SELECT r.code, f.year, f.reported_value, f.verified_value, r.name "
        "FROM indicators_figure f JOIN indicators_region r ON r.id = f.region_id ORDER BY r.code) TO STDOUT"
    )
    data = copy_out(statement)

    assert data == _psycopg_copy(statement)
    assert data.count(b"\n") == Figure.objects.count() == 3
    name = Region.objects.get(code="130522").name
    assert f"130522\t2015\t97.1234\t97.1234\t{name}\n".encode() in data  # names arrive as UTF-8
    assert name.encode() != name.encode("ascii", "ignore")


def test_no_rows_give_empty_bytes(catalog):
    assert copy_out("COPY (SELECT 1 WHERE false) TO STDOUT") == b""


def test_a_failing_statement_raises_the_database_error_and_the_connection_stays_usable(catalog):
    with pytest.raises(errors.UndefinedColumn), transaction.atomic():
        copy_out("COPY (SELECT no_such_column FROM indicators_figure) TO STDOUT")
    # An error raised while the rows stream (division by zero on the third row).
    with pytest.raises(errors.DivisionByZero), transaction.atomic():
        copy_out("COPY (SELECT 1 / (3 - g) FROM generate_series(1, 5) g) TO STDOUT")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1")
        assert cursor.fetchone() == (42,)
    assert copy_out("COPY (SELECT 'ok') TO STDOUT") == b"ok\n"


def test_a_statement_that_is_not_copy_to_stdout_is_refused(catalog):
    with pytest.raises(errors.ProgrammingError, match="COPY"), transaction.atomic():
        copy_out("SELECT 1")
    assert copy_out("COPY (SELECT 2) TO STDOUT") == b"2\n"


# --------------------------------------------------------------------------- background_copy


def assert_backend_gone(pid: int | None) -> None:
    """The server process of a closed connection leaves pg_stat_activity (it exits
    just after the client closes: asked for up to 5 s).

    PostgreSQL keeps one snapshot of pg_stat_activity per transaction, and a test runs
    in one: without clearing it, a backend seen once would be seen until the end."""
    assert pid is not None
    for _ in range(50):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid])
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"backend {pid} is still connected")


def test_background_copy_gives_what_copy_out_gives_and_closes_its_connection(catalog):
    statement = "COPY (SELECT g, 'ü' || g, g::numeric / 7 FROM generate_series(1, 5000) g) TO STDOUT"
    with background_copy(statement) as pending:
        # This connection stays free for other reads meanwhile.
        assert copy_out("COPY (SELECT 'meanwhile') TO STDOUT") == b"meanwhile\n"
        data = pending.result()
    assert data == copy_out(statement)
    assert data.count(b"\n") == 5000
    assert pending.connected and pending.backend_pid != connection.connection.info.backend_pid
    assert_backend_gone(pending.backend_pid)


def test_background_copy_parses_in_its_thread(catalog):
    with background_copy(
        "COPY (SELECT g FROM generate_series(1, 3) g) TO STDOUT", parse=bytes.split
    ) as pending:
        assert pending.result() == [b"1", b"2", b"3"]


def test_a_failing_background_statement_raises_its_error_at_result(catalog):
    statement = "COPY (SELECT 1 / (3 - g) FROM generate_series(1, 5) g) TO STDOUT"
    with background_copy(statement) as pending, pytest.raises(errors.DivisionByZero):
        pending.result()
    assert copy_out("COPY (SELECT 'still usable') TO STDOUT") == b"still usable\n"


def test_an_error_in_the_block_cancels_the_background_query(catalog):
    with (
        pytest.raises(RuntimeError, match="caller failed"),
        background_copy("COPY (SELECT pg_sleep(60)) TO STDOUT") as pending,
    ):
        raise RuntimeError("caller failed")
    # The query was cancelled (not waited out for a minute) and its connection closed.
    with pytest.raises(errors.QueryCanceled):
        pending.result()
    assert_backend_gone(pending.backend_pid)


def test_a_connection_on_a_descriptor_above_1024_is_read(catalog):
    """`select` cannot watch descriptors from 1,024 up; a busy process has them."""
    import os
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip(f"the open-file limit ({hard}) leaves no descriptor above 1,024")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with background_copy("COPY (SELECT g FROM generate_series(1, 3) g) TO STDOUT") as pending:
            assert pending.result() == b"1\n2\n3\n"
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
