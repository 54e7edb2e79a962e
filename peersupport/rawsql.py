"""Values read by hand-written SQL, made what the ORM would have given (they import only Django).

Not an app: any app may import it, whatever its layer (docs/architecture.md, "Layers"). Pages
that read their rows through one hand-written statement instead of the ORM (issue 21) get the
driver's values: SQLite gives a date or a datetime read through a UNION as text, and a datetime
otherwise naive in the database's time zone; PostgreSQL gives them typed and aware.
"""

from datetime import date, datetime

from django.db import connection, connections
from django.db.models import QuerySet
from django.utils import timezone


def moment(value) -> datetime | None:
    """A datetime column as the ORM gives it: aware, in the database's time zone when the
    driver gave it naive or as text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, connection.timezone)
    return value


def day(value) -> date | None:
    """A date column as the ORM gives it (SQLite gives one read through a UNION as text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


# A query's database alias, SQL and parameters, compiled once (``compiled``) and run as often
# as needed (``run``). For queries whose SQL and parameters depend on nothing that changes
# while the process runs (or on what the caller keys them by), whose building cost more than
# running them. The rows are the driver's: plain numbers and text as the ORM gives them; use
# ``moment`` and ``day`` for datetimes and dates.
Compiled = tuple[str, str, tuple]


def compiled(found: QuerySet) -> Compiled:
    db = connections[found.db]
    sql, params = found.query.get_compiler(connection=db).as_sql()
    return found.db, sql, tuple(params)


def run(query: Compiled) -> list[tuple]:
    alias, sql, params = query
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
