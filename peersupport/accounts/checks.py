"""Refuse to start with a second active agency until the product can serve one.

Since step 3 of docs/design/agencies.md every row belongs to an agency and is read in it, but
nothing yet takes a person to a second agency (every session works for the default one until
step 5's switcher and the anonymous visitor's chooser), and the settings are the install's
until step 4. A second active agency (made in the admin, the shell or a migration) would be
half served, so it stops ``migrate`` and ``manage.py check --database default`` instead.
"""

from django.core import checks
from django.db import DatabaseError

SCOPED = False  # True once a second agency is served whole (step 5)


def active_agency_count() -> int:
    from .models import Agency

    return Agency.objects.filter(active=True).count()


@checks.register(checks.Tags.database)
def check_one_active_agency(app_configs=None, **kwargs):
    if SCOPED:
        return []
    try:
        count = active_agency_count()
    except DatabaseError:
        return []  # not migrated yet; migrate will come first
    if count <= 1:
        return []
    return [
        checks.Error(
            f"{count} agencies are active, but this version serves one: nothing would take "
            "anyone to the others, and their settings would be the install's.",
            hint="Deactivate all but one agency. A second agency becomes possible with step 5 "
            "of docs/design/agencies.md.",
            id="accounts.E001",
        )
    ]
