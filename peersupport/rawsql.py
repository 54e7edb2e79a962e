"""Values read by hand-written SQL, made what the ORM would have given (they import only Django).

Not an app: any app may import it, whatever its layer (docs/architecture.md, "Layers"). Pages
that read their rows through one hand-written statement instead of the ORM (issue 21) get the
driver's values: SQLite gives a date or a datetime read through a UNION as text, and a datetime
otherwise naive in the database's time zone; PostgreSQL gives them typed and aware.
"""

from datetime import date, datetime

from django.db import connection
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
