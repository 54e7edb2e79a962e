"""A second agency sees none of the first's kernel rows (issue 23, step 2; the whole canary of
every page is step 3d's tests/system/test_second_agency.py).

Agency B is made here directly (no page or command makes one before step 5), with the system
check that refuses two active agencies silenced for the test. B's system administrator and BHS
manager sign in; until the switcher of step 5 every session works for the default agency, so
the middleware is pointed at B for B's people. They must see none of A's units, employees,
role grants and audit events, and A's people none of B's.
"""

from django.urls import reverse

from peersupport.accounts.models import Employee, Role, RoleGrant
from peersupport.accounts.services import unit_create
from peersupport.audit.models import AuditEvent
from peersupport.tenancy import using_agency

from ..conftest import signed_in_client

A_CANARIES = ("North Precinct", "Patrol Bureau", "Day Patrol", "coordinator@pd.example.org")
B_CANARIES = ("Zebra Crossing Unit", "Quokka Station", "b-sysadmin@b.example.org")


def _page(client, name) -> str:
    response = client.get(reverse(name))
    assert response.status_code == 200, name
    return response.content.decode()


def test_b_sees_none_of_as_kernel_rows(dept, client_for, agency_b):
    a_sysadmin = client_for("sysadmin")
    # Something audited in A, by A's system administrator.
    unit_create(
        actor=dept.users["sysadmin"],
        name="Otter Unit",
        kind="unit",
        parent=dept.hq,
        supervisor=None,
    )
    b_sysadmin = signed_in_client(agency_b["sysadmin"])
    b_bhs = signed_in_client(agency_b["bhs"])
    for name in ("accounts:unit_list", "accounts:employee_list", "accounts:role_list"):
        theirs = _page(b_sysadmin, name)
        for canary in (*A_CANARIES, "Otter Unit"):
            assert canary not in theirs, (name, canary)
        ours = _page(a_sysadmin, name)
        for canary in B_CANARIES:
            assert canary not in ours, (name, canary)
    assert "Zebra Crossing Unit" in _page(b_sysadmin, "accounts:unit_list")  # the search works
    assert "Otter Unit" in _page(a_sysadmin, "accounts:unit_list")
    events = _page(b_bhs, "audit:event_list")
    assert "sysadmin@pd.example.org" not in events
    assert "b-sysadmin@b.example.org" in events
    a_events = _page(client_for("bhs_manager"), "audit:event_list")
    assert "b-sysadmin@b.example.org" not in a_events
    assert "sysadmin@pd.example.org" in a_events
    # B's BHS manager is no role holder of A, and A's grants are not B's.
    with using_agency(agency_b["agency"]):
        assert not Employee.objects.filter(unit=dept.squad).exists()
        assert set(RoleGrant.objects.values_list("user_id", flat=True)) == {
            agency_b["sysadmin"].pk,
            agency_b["bhs"].pk,
        }
        agency_b["bhs"].forget_roles()  # read in A's context when the authenticator was added
        assert Role.BHS_MANAGER in agency_b["bhs"].roles
    assert agency_b["bhs"].pk not in {u.pk for u in _holders(Role.BHS_MANAGER)}
    b_events = AuditEvent.objects.filter(agency_id=agency_b["agency"].pk)
    assert b_events.exists()


def _holders(role):
    from peersupport.accounts.selectors import role_holders

    return role_holders(role)
