"""Reading `COPY (...) TO STDOUT` in one tight loop, on Django's connection or in the background.

PostgreSQL sends one CopyData message per row. psycopg's `cursor.copy()` iterator
hands each one to Python through five generator frames (about 3–4 µs a row): for
the 360,000 rows a national scoring run reads, that is over a second of Python
around half a second of database work. `copy_out` asks libpq for the rows itself
(`psycopg.pq`, psycopg's documented libpq wrapper), one C call per row, and
appends them to one buffer.

`background_copy` runs the same loop in a thread, on a connection of its own, so
the caller can read and work on other rows meanwhile: PostgreSQL produces the
rows in its own process, and while the thread waits for them (in `poll`, with
the GIL released) the caller's thread runs.

The scoring service reads its inputs with these, and the benchmark's floor reads
the same rows with `copy_out`, so both sides of that comparison use the same
client loop.
"""

from __future__ import annotations

import contextlib
import select
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection
from psycopg import errors, pq


def copy_out(statement: str) -> bytes:
    """The whole text output of `statement` (a `COPY ... TO STDOUT`) as bytes.

    Runs on Django's connection, inside the caller's transaction if there is one.
    A failing statement raises the matching psycopg error (as `cursor.execute`
    would, e.g. `errors.UndefinedColumn`) and leaves the connection usable (in a
    failed transaction if one was open, which the caller's `atomic` rolls back).
    """
    connection.ensure_connection()
    conn = connection.connection
    with conn.lock:  # the lock psycopg's own cursors take around a query
        conn.pgconn.send_query(statement.encode(conn.info.encoding))
        return _receive(conn)


def _receive(conn: psycopg.Connection) -> bytes:
    """The output of the `COPY ... TO STDOUT` just sent on `conn`."""
    pgconn = conn.pgconn
    encoding = conn.info.encoding
    result = _next_result(pgconn)
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        _drain(pgconn)
        if result is not None and result.status == pq.ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=encoding)
        status = pq.ExecStatus(result.status).name if result is not None else "no result"
        raise errors.ProgrammingError(f"copy_out: expected COPY ... TO STDOUT, got {status}")
    out = bytearray()
    get_copy_data = pgconn.get_copy_data
    wait = _readable(pgconn)
    while True:
        # async=1: a row if libpq has one buffered (size > 0), 0 if it must wait for
        # the network, -1 at the end of the data. The wait is a `poll` on the
        # socket, which releases the GIL (libpq's own blocking wait may not).
        size, data = get_copy_data(1)
        if size > 0:
            out += data
        elif size == 0:
            wait()
            pgconn.consume_input()
        else:
            break
    result = _next_result(pgconn)  # the COPY's own final result
    _drain(pgconn)
    if result is None or result.status != pq.ExecStatus.COMMAND_OK:
        if result is not None and result.status == pq.ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding=encoding)
        raise errors.ProgrammingError("copy_out: the COPY did not finish")
    return bytes(out)


def _readable(pgconn: pq.abc.PGconn) -> Callable[[], object]:
    """A function that waits until the connection's socket has data (GIL released).

    `poll`, not `select`: a process with over 1,024 open files (a busy web server)
    may hand the connection a descriptor `select` cannot watch.
    """
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLERR | select.POLLHUP)
    return poller.poll


def _next_result(pgconn: pq.abc.PGconn) -> pq.abc.PGresult | None:
    """`get_result()`, waiting for it in `poll` (GIL released) rather than in libpq.

    psycopg's libpq calls keep the GIL while they block, and PostgreSQL sends a
    query's first message only once it has rows to go with it (or is done): a
    blocking `get_result` would stop every other thread of the process meanwhile.
    """
    wait = None
    while True:
        pgconn.consume_input()
        if not pgconn.is_busy():
            return pgconn.get_result()
        wait = wait or _readable(pgconn)
        wait()


def _drain(pgconn: pq.abc.PGconn) -> None:
    """Read the results left of the query, so the connection can take the next one."""
    while _next_result(pgconn) is not None:
        pass


class PendingCopy:
    """A `COPY ... TO STDOUT` being read by a thread on its own connection."""

    def __init__(self, statement: str, parse: Callable[[bytes], Any] | None = None) -> None:
        self._statement = statement
        self._parse = parse
        # Taken here, in the caller's thread: Django's connections are per thread.
        # The settings Django's own connection uses (same database, user, options).
        self._params = connection.get_connection_params()
        self._new_connection = connection.get_new_connection
        self._data: Any = None
        self._error: BaseException | None = None
        self._conn: psycopg.Connection | None = None
        self.connected = False  # whether the thread got its connection
        self.backend_pid: int | None = None  # its server process (pg_stat_activity.pid)
        # Guards sending the query against cancelling it: a cancel that comes
        # before the query is sent stops it from being sent at all.
        self._lock = threading.Lock()
        self._sent = self._cancelled = False
        self._thread = threading.Thread(target=self._run, name="copy-out", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        try:
            # In autocommit: it sees what is committed, like any statement of a READ
            # COMMITTED transaction would.
            self._conn = conn = self._new_connection(self._params)
            conn.autocommit = True
            self.backend_pid = conn.info.backend_pid
            self.connected = True
            with self._lock:
                if self._cancelled:
                    raise errors.QueryCanceled("copy_out: cancelled before it was sent")
                conn.pgconn.send_query(self._statement.encode(conn.info.encoding))
                self._sent = True
            data = _receive(conn)
            conn.close()  # before parsing: the server's side is done
            self._data = self._parse(data) if self._parse else data
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc
        finally:
            if self._conn is not None:
                self._conn.close()

    def result(self) -> Any:
        """Wait for the rows (as `parse` returned them, or bytes); raise what the thread
        raised (a database error, say)."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._data

    def cancel(self) -> None:
        """Stop the query if it still runs and wait for the thread (the caller failed)."""
        with self._lock:
            self._cancelled = True
            if self._sent and self._conn is not None and not self._conn.closed:
                # Finished meanwhile? Then the join below returns at once anyway.
                with contextlib.suppress(psycopg.Error):
                    self._conn.cancel_safe(timeout=5)
        self._thread.join()


@contextmanager
def background_copy(statement: str, parse: Callable[[bytes], Any] | None = None) -> Iterator[PendingCopy]:
    """Read `statement` (a `COPY ... TO STDOUT`) in a thread while the block runs.

    The rows come from a second connection, so only committed rows are seen: call
    it where the caller's own transaction has written nothing the statement reads.
    `pending.result()` gives the bytes `copy_out` would give, or `parse(bytes)`
    (run in the thread too). If the block raises, the query is cancelled and the
    connection closed before the error goes on.
    """
    pending = PendingCopy(statement, parse)
    pending.start()
    try:
        yield pending
    except BaseException:
        pending.cancel()
        raise
    else:
        pending.cancel()  # result() was not asked for: stop and close cleanly
