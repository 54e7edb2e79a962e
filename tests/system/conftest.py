"""Agency B for the second-agency tests (issue 23): made here directly (no page or command makes
one before step 5), with the system check that refuses two active agencies silenced.

Until step 5's switcher every session works for the default agency, so the middleware is
pointed at B for B's people only. ``agency_b.person(role, email)`` adds a signed-in person of B
holding ``role``; A's people are ``client_for`` as everywhere else.
"""

from dataclasses import dataclass, field

import pytest

from peersupport.accounts import middleware
from peersupport.accounts.agencies import announce_agency
from peersupport.accounts.models import Agency, Role, Unit
from peersupport.accounts.services import unit_create
from peersupport.tenancy import using_agency

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UnitFactory, UserFactory, enable_totp, grant


@dataclass
class AgencyB:
    agency: Agency
    hq: Unit
    users: dict = field(default_factory=dict)

    def __getitem__(self, key):  # agency_b["sysadmin"], agency_b["agency"]
        return self.agency if key == "agency" else self.users[key]

    def person(
        self, role: str | None, email: str, *, employee: bool = True, last_name: str = "Wombat"
    ):
        """A person of B holding ``role`` (none: a plain employee), with an employee record in
        B's headquarters unless ``employee`` is false, kept under ``role`` (or ``email``) in
        ``users``."""
        with using_agency(self.agency):
            user = UserFactory(email=email)
            if employee:
                EmployeeFactory(user=user, unit=self.hq, work_email=email, last_name=last_name)
            if role is not None:
                grant(user, role)
        enable_totp(user)
        self.users[role or email] = user
        return user

    def client(self, role: str):
        return signed_in_client(self.users[role])


@pytest.fixture
def agency_b(dept, settings, monkeypatch) -> AgencyB:
    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    b = Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)
    announce_agency(b)  # B's program defaults, as step 5's agency_create will
    with using_agency(b):
        hq = UnitFactory(name="Quokka Station", kind=Unit.Kind.DEPARTMENT)
    made = AgencyB(agency=b, hq=hq)
    sysadmin = made.person(Role.SYSADMIN, "b-sysadmin@b.example.org", employee=False)
    made.users["sysadmin"] = sysadmin
    bhs = made.person(Role.BHS_MANAGER, "b-bhs@b.example.org")
    made.users["bhs"] = bhs
    with using_agency(b):
        unit_create(
            actor=sysadmin, name="Zebra Crossing Unit", kind="unit", parent=hq, supervisor=None
        )
    original_call = middleware.AgencyMiddleware.__call__

    def call(self, request):
        if getattr(request.user, "pk", None) in {u.pk for u in made.users.values()}:
            request.agency = b
            with using_agency(b):
                return self.get_response(request)
        return original_call(self, request)

    monkeypatch.setattr(middleware.AgencyMiddleware, "__call__", call)
    return made
