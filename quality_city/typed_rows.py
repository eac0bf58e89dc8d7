"""Rows of hand-written SELECTs, typed as the ORM types them.

A few hot reads (the dashboards' score rows, the signed-in user) are plain SELECTs:
building them through the ORM takes longer than the database takes to answer. Their
values must still be what the ORM would give, so each column goes through the
converters the ORM applies to its field: SQLite's datetimes, Decimals and booleans;
PostgreSQL needs none.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db.models import Field


def column_converters(connection, fields: tuple[Field | None, ...]) -> tuple:
    """(column index, column, converters) of the columns `connection`'s backend converts.

    A column without a field (None) is taken as the driver gives it. Worked out once per
    database alias, backend and fields (not per connection object: threads have their own).
    """
    return _column_converters(connection.alias, connection.vendor, fields)


@functools.cache
def _column_converters(alias: str, vendor: str, fields: tuple[Field | None, ...]) -> tuple:
    from django.db import connections

    connection = connections[alias]
    out = []
    for index, field in enumerate(fields):
        if field is None:
            continue
        col = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            out.append((index, col, tuple(found)))
    return tuple(out)


def typed_row(row: Sequence, converters: tuple, connection) -> list:
    """`row` (as the driver gives it) with `column_converters`' converters applied."""
    values = list(row)
    for index, col, found in converters:
        value = values[index]
        for convert in found:
            value = convert(value, col, connection)
        values[index] = value
    return values
