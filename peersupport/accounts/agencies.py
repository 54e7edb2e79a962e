"""The install's agencies as the rest of the code reads them (issue 23, step 1).

The default agency is read once per process and kept: ``AgencyMiddleware`` hands it to every
request, and a query per request for a row that never changes would be waste. Nothing can change
it while the process runs until step 5 (no page or command makes or edits an agency; its name and
time zone follow the settings, which change only with a restart), so keeping it is safe until
then; step 5 must forget it when an agency changes. Tests that change agencies call
``forget_default_agency()``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps as installed_apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError
from django.dispatch import Signal

from .models import Agency

_default: Agency | None = None

# Sent once when an agency is made (step 5's ``agency_create``; tests' agency B), inside
# ``tenancy.using_agency(agency)`` and the transaction that made it, with ``agency``. The domains
# that keep per-agency program data (exception categories and policy documents, committee seats,
# outreach plans) connect it in ``ready()`` and seed that agency's defaults, the same data their
# migrations seeded for agency 1 (docs/design/agencies.md §1.3).
agency_created = Signal()


def announce_agency(agency: Agency) -> None:
    """Let the domains seed a new agency's program data (inside that agency)."""
    from peersupport.tenancy import using_agency

    with using_agency(agency):
        agency_created.send(sender=Agency, agency=agency)


def default_agency() -> Agency:
    """The default agency (agency 1 of the migration), read once per process."""
    global _default
    if _default is None:
        _default = Agency.objects.get(is_default=True)
    return _default


def forget_default_agency() -> None:
    """Read the default agency again at its next use (tests; step 5 after an agency changes)."""
    global _default
    _default = None


def default_agency_id() -> int:
    return default_agency().pk


@contextmanager
def in_default_agency() -> Iterator[None]:
    """Work for the default agency inside the block: the management commands that read or write
    an agency's rows (units, employees, roles), which no request or worker tick puts in an
    agency. Until step 5 lets an operator name the agency, it is the only one there can be."""
    from peersupport.tenancy import using_agency

    with using_agency(default_agency()):
        yield


def work_for_default_agency() -> None:
    """For a script that works for the default agency from start to end (bench/, the tests'
    writer processes): the rest of the process is inside it. Lazy: the agency is read at its
    first use, so a script may call this before it migrates."""
    from django.utils.functional import SimpleLazyObject

    from peersupport.tenancy import enter_for_process

    enter_for_process(SimpleLazyObject(default_agency))


def active_agencies() -> list[Agency]:
    """Every active agency, by name: the periodic work runs once for each."""
    return list(Agency.objects.filter(active=True).order_by("name", "pk"))


def task_agency_id() -> int:
    """The agency a task enqueued now works for: the current one. Until step 2 gives the tests
    and commands a context, code outside one (a test calling a service, a seeding command) works
    for the default agency, which is the only one there can be (accounts/checks.py)."""
    from peersupport.tenancy import current_agency_id_or_none

    current = current_agency_id_or_none()
    return default_agency_id() if current is None else current


def sync_default_agency(sender=None, *, apps=None, using=DEFAULT_DB_ALIAS, **kwargs) -> None:
    """After every migrate (post_migrate): there is a default agency, and its name and time zone
    are DEPARTMENT_NAME and TIME_ZONE, so an operator's setting keeps working until the
    per-agency settings page of step 4 takes over. Also remakes it after a test's flush, and
    reads it again for this process (a flush may have given it another id)."""
    try:
        model = (apps or installed_apps).get_model("accounts", "Agency")
    except LookupError:
        return  # migrated back to before agencies
    agencies = model.objects.using(using)
    wanted = {"name": settings.DEPARTMENT_NAME, "time_zone": settings.TIME_ZONE}
    if not agencies.filter(is_default=True).exists():
        from django.utils.text import slugify

        from .models import new_link_code

        slug = slugify(settings.DEPARTMENT_NAME)[:50].strip("-") or "agency-1"
        if agencies.filter(slug=slug).exists():
            slug = f"{slug[:40]}-{new_link_code()[:6].lower()}"
        agencies.create(slug=slug, is_default=True, link_code=new_link_code(), **wanted)
    else:
        agencies.filter(is_default=True).exclude(**wanted).update(**wanted)
    forget_default_agency()
    if using == DEFAULT_DB_ALIAS:
        try:
            default_agency()  # read now, so that no request of this process has to
        except DatabaseError:
            forget_default_agency()  # migrated back to before a later field of Agency
