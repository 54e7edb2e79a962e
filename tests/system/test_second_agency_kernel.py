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


def test_the_person_picker_finds_only_this_agencys_people(dept, personas, agency_b):
    """Accounts are the install's: the picker names the agency's people itself. B's people find
    none of A's in any pool (by name or by exact e-mail), A's none of B's; an account no agency
    has yet is found by whoever grants roles in either."""
    from peersupport.accounts.selectors import people_search
    from peersupport.tenancy import using_agency

    from ..factories import UserFactory

    fresh = UserFactory(email="fresh@nowhere.example.org", display_name="Freshly Made")
    a_people = {u.pk for u in personas.values()}
    b_employee = agency_b.person(None, "b-employee@b.example.org", last_name="Wombatson")
    b_people = {u.pk for u in agency_b.users.values()}

    def found(viewer, pool, query):
        return {u.pk for u in people_search(viewer=viewer, pool=pool, query=query).people}

    with using_agency(agency_b["agency"]):
        for viewer, pool in ((agency_b["sysadmin"], "account"), (b_employee, "colleague")):
            viewer.forget_roles()
            assert not found(viewer, pool, "pd.example.org") & a_people
            assert not found(viewer, pool, "coordinator@pd.example.org")
            for person in personas.values():
                if getattr(person, "employee", None):
                    assert not found(viewer, pool, person.employee.last_name) & a_people
        assert found(agency_b["sysadmin"], "account", "Wombatson") == {b_employee.pk}
        assert found(agency_b["sysadmin"], "account", "Freshly") == {fresh.pk}
        assert found(b_employee, "colleague", "Wombatson") == {b_employee.pk}
    for viewer, pool in ((personas["sysadmin"], "account"), (personas["employee"], "colleague")):
        assert not found(viewer, pool, "Wombat") & b_people
        assert not found(viewer, pool, "b-sysadmin@b.example.org")
    assert found(personas["sysadmin"], "account", "coordinator@pd.example.org") == {
        personas["coordinator"].pk
    }
    assert found(personas["sysadmin"], "account", "Freshly") == {fresh.pk}
