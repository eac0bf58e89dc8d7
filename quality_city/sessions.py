"""Database sessions, read with one hand-written SELECT.

Every page of a signed-in user reads its session first. Django's database store
builds an ORM query for that (``Session.objects.get(session_key=..., expire_date__gt=now)``),
which took about three times as long as PostgreSQL takes to answer it (0.98 ms
against 0.22 ms on the national benchmark database). The store below reads the same
row with the same condition through a plain cursor and is otherwise Django's: the
same table, the same writes, the same expiry; sessions stay in the database (a
cache-backed session would fail every page while Redis is down).

`SessionMiddleware` is Django's middleware with this store when SESSION_ENGINE is
the database engine (any other engine is used as configured).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.sessions.backends import db
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import connections, router
from django.utils import timezone

from accounts.backends import SUCCEEDS

DATABASE_ENGINE = "django.contrib.sessions.backends.db"


class SessionStore(db.SessionStore):
    def load(self):
        """The session's data; a sign-in by a backend that was replaced names its successor.

        `accounts.backends.SUCCEEDS` maps Django's ModelBackend to the project's, which
        reads the same users: without this every user signed in before the change
        would be signed out (Django ends sessions of unconfigured backends).
        """
        data = super().load()
        backend = data.get(BACKEND_SESSION_KEY)
        successor = SUCCEEDS.get(backend) if backend not in settings.AUTHENTICATION_BACKENDS else None
        if successor in settings.AUTHENTICATION_BACKENDS:
            data[BACKEND_SESSION_KEY] = successor
        return data

    def _get_session_from_db(self):
        """The unexpired session row of this key (None, and no key, when there is none),
        as ``db.SessionStore._get_session_from_db`` reads it."""
        model = self.model
        connection = connections[router.db_for_read(model)]
        sql = (
            f"SELECT {model._meta.get_field('session_data').column} FROM {model._meta.db_table}"  # noqa: S608
            f" WHERE {model._meta.get_field('session_key').column} = %s"
            f" AND {model._meta.get_field('expire_date').column} > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])


class SessionMiddleware(DjangoSessionMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        if settings.SESSION_ENGINE == DATABASE_ENGINE:
            self.SessionStore = SessionStore
