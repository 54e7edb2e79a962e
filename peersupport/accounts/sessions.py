"""The session store (``SESSION_ENGINE``): Django's database sessions, read with one
hand-written query.

Every signed-in request loads its session first. Django's store builds a ``Session`` model
instance through the ORM for it; building the query cost more than running it (issue 21).
This store asks the same question (the key, not yet expired) for the one column it needs and
decodes it exactly as Django does; everything else (creating, saving with a new expiry,
rotating the key at sign-in, deleting at sign-out, clearing expired rows) is Django's own.
tests/accounts/test_sessions.py covers it.
"""

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone


class SessionStore(DatabaseSessionStore):
    def load(self) -> dict:
        data = self._session_data_from_db()
        if data is None:
            # As Django's store: an unknown or expired key is forgotten, so a new one is made
            # when the session is saved (never the key the browser sent).
            self._session_key = None
            return {}
        return self.decode(data)

    def _session_data_from_db(self) -> str | None:
        if self.session_key is None:
            return None
        connection = connections[router.db_for_read(self.model)]
        sql = (
            f"SELECT session_data FROM {connection.ops.quote_name(self.model._meta.db_table)} "  # noqa: S608 (the table name comes from the model; every value is a parameter)
            "WHERE session_key = %s AND expire_date > %s"
        )
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, now])
            row = cursor.fetchone()
        return row[0] if row else None
