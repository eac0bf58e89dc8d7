"""Django's ModelBackend, reading the signed-in user's row with one hand-written SELECT.

Every request of a signed-in user loads its user from the id in the session
(``django.contrib.auth.get_user`` asks the backend that signed the user in). Django's
``ModelBackend.get_user`` builds an ORM query for that (``User._default_manager.get(pk=...)``),
which took longer than PostgreSQL takes to answer it. The backend below reads the same
row through a plain cursor, types its values with the fields' own database converters
(SQLite's datetimes and booleans) and builds the instance as the ORM builds it
(``Model.from_db``); authentication, permissions and the active check are Django's
(tests/accounts/test_backends.py compares the users with Django's backend).

Sessions name the backend that signed the user in, and Django ends a session whose
backend is no longer configured. Sessions made while Django's own ``ModelBackend`` was
configured name it: the session store reads them as naming this one (``SUCCEEDS``,
``quality_city.sessions``), so nobody is signed out by the change.
"""

from __future__ import annotations

import functools

from django.contrib.auth import backends, get_user_model
from django.db import connections, router

from quality_city.typed_rows import column_converters, typed_row

# Backend paths this module's backends took over from: path in old sessions -> path now.
SUCCEEDS = {"django.contrib.auth.backends.ModelBackend": "accounts.backends.ModelBackend"}


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        """``ModelBackend.get_user``: the active user with this id, else None."""
        user = load_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def load_user(user_id):
    """``get_user_model()._default_manager.get(pk=user_id)`` with one plain SELECT; None
    when there is no such user."""
    model = get_user_model()
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, attnames, converters = _user_read(model, alias)
    with connection.cursor() as cursor:
        cursor.execute(sql, [model._meta.pk.get_db_prep_value(user_id, connection)])
        row = cursor.fetchone()
    if row is None:
        return None
    return model.from_db(alias, attnames, typed_row(row, converters, connection))


@functools.cache
def _user_read(model, alias: str) -> tuple[str, list[str], tuple]:
    """The SELECT of one user row by primary key on database `alias`, the fields' attribute
    names, and (column index, column, converters) of the columns that backend converts
    (SQLite converts datetimes and booleans, PostgreSQL nothing)."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    fields = model._meta.concrete_fields
    sql = (
        f"SELECT {', '.join(quote(f.column) for f in fields)} FROM {quote(model._meta.db_table)}"  # noqa: S608 (names from the model's _meta)
        f" WHERE {quote(model._meta.pk.column)} = %s"
    )
    converters = column_converters(connection, tuple(fields))
    return sql, [f.attname for f in fields], converters
