"""Shared personas: one account per role, in one small department, as in STYLE.md.

Every persona who holds a role beyond plain employee has TOTP set up (MFA is enforced for them)
and ``client_for(persona)`` returns a client signed in as that persona with MFA satisfied.
"""

import os

import pytest
from django.test import Client
from hypothesis import settings as hypothesis_settings

from peersupport.accounts.models import Role, Unit

from .factories import EmployeeFactory, UnitFactory, UserFactory, enable_totp, grant

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# CI (`.ci/run`) tries the same examples on every run, so its verdict is about the change
# under test; every other `make test` searches anew, and what a search finds is fixed and then
# kept as an @example of its test.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)


def _flush_with_audit_maintenance():
    """Django's flush empties every table between transactional tests, the append-only audit
    table too; the triggers allow it only in maintenance, which only this turns on."""
    from django.core.management.commands import flush
    from django.db import connections

    from peersupport.audit.maintenance import audit_maintenance

    original = flush.Command.handle

    def handle(self, **options):
        with audit_maintenance(connections[options.get("database") or "default"]):
            return original(self, **options)

    flush.Command.handle = handle


_flush_with_audit_maintenance()


@pytest.fixture(autouse=True)
def _no_kept_pdfs():
    """Each web process keeps the PDFs it made (web/pdf.py); each test starts with none."""
    from peersupport.web import pdf

    pdf._kept.clear()


@pytest.fixture(autouse=True)
def _fresh_codename_limits():
    """The codename page counts wrong tries in process memory (support/limits.py), which no
    test's rollback empties: each test starts with no counts."""
    from django.core.cache import caches

    caches["codename-limits"].clear()
    yield
    caches["codename-limits"].clear()


@pytest.fixture(autouse=True)
def _in_default_agency(request):
    """Every test works for the default agency, as every request and worker tick of a
    one-agency install does (docs/design/agencies.md §2.4): units, employees and roles belong to
    an agency, and tests call services, selectors and factories directly, outside any request.
    The entry points that must set an agency themselves (the middleware, the worker's ticks, the
    management commands, the API and SCIM) are proven by tests marked ``no_agency``, which run
    outside any agency and would fail with ``tenancy.NoAgency`` if one forgot. Lazy: a test
    that never asks reads nothing."""
    if request.node.get_closest_marker("no_agency"):
        yield
        return
    from django.utils.functional import SimpleLazyObject

    from peersupport.accounts.agencies import default_agency
    from peersupport.tenancy import using_agency

    with using_agency(SimpleLazyObject(default_agency)):
        yield


# persona name -> (role granted, or None for derived roles)
PERSONAS = {
    "employee": None,
    "supporter": Role.PEER_SUPPORTER,
    "coordinator": Role.COORDINATOR,
    "bhs_manager": Role.BHS_MANAGER,
    "advocacy_supervisor": Role.ADVOCACY_SUPERVISOR,
    "chief": Role.CHIEF,
    "supervisor": None,  # derived: supervises the patrol unit
    "panelist": Role.PANELIST,
    "committee_member": Role.COMMITTEE_MEMBER,
    "sysadmin": Role.SYSADMIN,
}
# The role each persona is there to exercise.
PERSONA_ROLE = {name: (role or Role(name)) for name, role in PERSONAS.items()}


class Department:
    """A tiny department: HQ > Patrol Bureau > North Precinct > Day Patrol."""

    def __init__(self):
        self.hq = UnitFactory(name="Demo PD", kind=Unit.Kind.DEPARTMENT)
        self.bureau = UnitFactory(name="Patrol Bureau", kind=Unit.Kind.BUREAU, parent=self.hq)
        self.precinct = UnitFactory(
            name="North Precinct", kind=Unit.Kind.PRECINCT, parent=self.bureau
        )
        self.squad = UnitFactory(name="Day Patrol", kind=Unit.Kind.UNIT, parent=self.precinct)
        self.users = {}
        for name, role in PERSONAS.items():
            user = UserFactory(email=f"{name}@pd.example.org", display_name=name.title())
            if name != "sysadmin":
                EmployeeFactory(user=user, unit=self.squad, work_email=user.email)
            if role is not None:
                grant(user, role)
            self.users[name] = user
        sup = self.users["supervisor"].employee
        self.squad.supervisor = sup
        self.squad.save(update_fields=["supervisor"])
        for name, user in self.users.items():
            if name != "employee":
                enable_totp(user)


@pytest.fixture
def dept(db):
    return Department()


@pytest.fixture
def personas(dept):
    return dept.users


def signed_in_client(user) -> Client:
    """A client whose session is signed in as ``user``, as after password + TOTP."""
    from allauth.mfa.models import Authenticator
    from django.utils import timezone

    from peersupport.accounts.middleware import MFA_SEEN_KEY, SESSION_RENEWED_KEY

    client = Client()
    client.force_login(user, backend="allauth.account.auth_backends.AuthenticationBackend")
    # As after a request a moment ago: the idle limit was just renewed (and the authenticator,
    # if any, seen at that renewal), so the first page a test asks for does not also write the
    # session (query counts stay those of the page).
    session = client.session
    session[SESSION_RENEWED_KEY] = timezone.now().timestamp()
    if Authenticator.objects.filter(user=user).exists():
        session[MFA_SEEN_KEY] = session[SESSION_RENEWED_KEY]
    session.save()
    return client


@pytest.fixture
def client_for(personas):
    cache = {}

    def make(name: str) -> Client:
        if name not in cache:
            cache[name] = signed_in_client(personas[name])
        return cache[name]

    return make
