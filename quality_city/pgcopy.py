"""Reading `COPY (...) TO STDOUT` on Django's PostgreSQL connection in one tight loop.

PostgreSQL sends one CopyData message per row. psycopg's `cursor.copy()` iterator
hands each one to Python through five generator frames (about 3–4 µs a row): for
the 360,000 rows a national scoring run reads, that is over a second of Python
around half a second of database work. `copy_out` asks libpq for the rows itself
(`psycopg.pq`, psycopg's documented libpq wrapper), one C call per row, and
appends them to one buffer.

The scoring service reads its inputs with it, and the benchmark's floor reads the
same rows with it, so both sides of that comparison use the same client loop.
"""

from __future__ import annotations

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
    pgconn = conn.pgconn
    encoding = conn.info.encoding
    with conn.lock:  # the lock psycopg's own cursors take around a query
        pgconn.send_query(statement.encode(encoding))
        result = pgconn.get_result()
        if result is None or result.status != pq.ExecStatus.COPY_OUT:
            _drain(pgconn)
            if result is not None and result.status == pq.ExecStatus.FATAL_ERROR:
                raise errors.error_from_result(result, encoding=encoding)
            status = pq.ExecStatus(result.status).name if result is not None else "no result"
            raise errors.ProgrammingError(f"copy_out: expected COPY ... TO STDOUT, got {status}")
        out = bytearray()
        get_copy_data = pgconn.get_copy_data
        while True:
            # async=0: libpq waits for the next row itself; -1 ends the data.
            size, data = get_copy_data(0)
            if size < 0:
                break
            out += data
        result = pgconn.get_result()  # the COPY's own final result
        _drain(pgconn)
        if result is None or result.status != pq.ExecStatus.COMMAND_OK:
            if result is not None and result.status == pq.ExecStatus.FATAL_ERROR:
                raise errors.error_from_result(result, encoding=encoding)
            raise errors.ProgrammingError("copy_out: the COPY did not finish")
    return bytes(out)


def _drain(pgconn: pq.abc.PGconn) -> None:
    """Read the results left of the query, so the connection can take the next one."""
    while pgconn.get_result() is not None:
        pass
