"""Refuse to start with a second active agency while the rows of the domains are not scoped.

Step 1 of docs/design/agencies.md made the agencies and the context, but no model's rows belong
to an agency yet: with two active agencies, every person of one would read the other's
requests, contacts and reports. Until the scoping lands (step 5 makes a second agency possible,
after steps 2-4), a second active agency (made in the admin, the shell or a migration) stops
``migrate`` and ``manage.py check --database default`` instead of leaking.
"""

from django.core import checks
from django.db import DatabaseError

SCOPED = False  # True once every domain's rows belong to an agency (step 5)


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
            f"{count} agencies are active, but the records of the program do not belong to an "
            "agency yet: every agency would read the others' records.",
            hint="Deactivate all but one agency. A second agency becomes possible with step 5 "
            "of docs/design/agencies.md.",
            id="accounts.E001",
        )
    ]
