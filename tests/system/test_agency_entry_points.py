"""The ways in that put the code inside an agency themselves (issue 23, step 2).

Every other test runs inside the default agency (tests/conftest.py), so a path that forgot to
enter one would pass there. These run outside any agency, as the worker and an operator's
command start, and would fail with ``tenancy.NoAgency`` (or write a row without an agency) if
the entry point did not set one. The web's own entry, ``AgencyMiddleware``, is proven in
tests/accounts/test_agencies.py.
"""

import dataclasses
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from peersupport.accounts.agencies import default_agency_id
from peersupport.accounts.models import Employee, Role, RoleGrant, RoleGrantRequest
from peersupport.accounts.roster_sync import roster_csv, roster_rows_on_record
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.tenancy import current_agency_id_or_none, using_agency

from ..conftest import Department
from ..factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.no_agency]


@pytest.fixture
def dept():
    """The personas' department, built inside the default agency; the test then runs outside."""
    with using_agency(default_agency_id()):
        return Department()


def test_nothing_is_current_here(dept):
    assert current_agency_id_or_none() is None


def test_the_kernel_tick_lapses_each_agencys_grant_requests_inside_it(dept):
    from peersupport.accounts.services import role_request
    from peersupport.web.tasks import kernel_tick

    with using_agency(default_agency_id()):
        req = role_request(
            actor=dept.users["sysadmin"],
            user=UserFactory(),
            role=Role.COORDINATOR,
            reason="Cover the desk",
        )
    RoleGrantRequest.everywhere.filter(pk=req.pk).update(lapses_at=timezone.now() - timedelta(1))
    assert kernel_tick.call()["grant_requests_lapsed"] == 1
    req.refresh_from_db()
    assert req.status == RoleGrantRequest.Status.LAPSED
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANT_LAPSED)
    assert event.agency_id == default_agency_id()


def test_grant_role_works_for_the_default_agency(db):
    user = UserFactory(email="first-bhs@pd.example.org")
    call_command("grant_role", user.email, "bhs_manager", reason="Install", operator="ops")
    grant = RoleGrant.everywhere.get(user=user)
    assert (grant.role, grant.agency_id) == (Role.BHS_MANAGER, default_agency_id())
    event = AuditEvent.objects.get(action=AuditAction.ROLE_GRANTED)
    assert event.agency_id == default_agency_id()


def test_import_roster_works_for_the_default_agency(dept, tmp_path, capsys):
    with using_agency(default_agency_id()):
        rows = list(roster_rows_on_record())
    number = dept.users["employee"].employee.employee_number
    new = dataclasses.replace(rows[0], employee_number="NEW-1", work_email="new1@pd.example.org")
    path = tmp_path / "roster.csv"
    path.write_text(roster_csv([*rows, new]))
    call_command("import_roster", str(path))
    assert "Imported." in capsys.readouterr().out
    added = Employee.everywhere.get(employee_number="NEW-1")
    assert added.agency_id == default_agency_id()
    assert Employee.everywhere.get(employee_number=number).agency_id == default_agency_id()
