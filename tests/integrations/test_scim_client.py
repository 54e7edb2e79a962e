"""A real SCIM client library against the endpoint: scim2-client (with scim2-models checking
every request and response against RFC 7643's schemas) drives the provisioning round trip, and
scim2-tester's checker runs its conformance checks. The client calls the Django WSGI
application in process (scim2-client's WSGI engine): the same request path as a server, with
no network and the test's database."""

import pytest
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import (
    EnterpriseUser,
    Group,
    GroupMember,
    Manager,
    Name,
    PatchOp,
    PatchOperation,
    ResourceType,
    ScimProvider,
    SearchRequest,
    User,
)

from peersupport.accounts.models import Employee, RoleGrant, Unit
from peersupport.integrations import services
from peersupport.integrations.registry import SCIM
from peersupport.roster.models import SupporterProfile

from ..factories import SupporterProfileFactory

pytestmark = pytest.mark.django_db

BASE = "http://testserver/scim/v2"
Employee_ = User[EnterpriseUser]


@pytest.fixture
def wsgi():
    """The WSGI handler closes the database connection after each request, as a server
    should; inside a test's transaction it must not (Django's test client does the same)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def raw(dept):
    return services.token_create(actor=dept.users["sysadmin"], label="Okta", scopes=[SCIM])[1]


@pytest.fixture
def client(wsgi, raw):
    provider = ScimProvider(
        models=[User, EnterpriseUser, Group],
        resource_types=[
            ResourceType.from_resource(Employee_),
            ResourceType.from_resource(Group),
        ],
    )
    return WSGISCIMClient(
        wsgi, base_url=BASE, headers={"Authorization": f"Bearer {raw}"}, provider=provider
    )


def test_round_trip_with_scim2_client(client, dept):
    supervisor = dept.users["supervisor"].employee
    new = Employee_(
        user_name="a.lee@pd.example.org",
        name=Name(given_name="Ann", family_name="Lee"),
        title="Police Officer",
        user_type="sworn",
    )
    new[EnterpriseUser] = EnterpriseUser(
        employee_number="DEMO-000415", department="Demo PD/Patrol Bureau/North Precinct/Day Patrol"
    )
    made = client.create(new)
    assert made.id and made.active is True
    assert made[EnterpriseUser].manager == Manager(
        value=str(supervisor.pk),
        ref=f"{BASE}/Users/{supervisor.pk}",
        display_name=supervisor.full_name,
    )
    found = client.query(
        Employee_, query_parameters=SearchRequest(filter='userName eq "a.lee@pd.example.org"')
    )
    assert found.total_results == 1 and found.resources[0].id == made.id

    # Update: a PUT of the whole user, then a PATCH.
    made.title = "Detective"
    assert client.replace(made).title == "Detective"
    patch = PatchOp[Employee_](
        operations=[PatchOperation(op="replace", path="nickName", value="Annie")]
    )
    client.modify(Employee_, made.id, patch)
    assert Employee.objects.get(pk=made.id).preferred_name == "Annie"

    # Move unit: a new unit, and the person added to its members.
    k9 = client.create(Group(display_name="Demo PD/Patrol Bureau/North Precinct/K9"))
    add = PatchOp[Group](
        operations=[PatchOperation(op="add", path="members", value=[GroupMember(value=made.id)])]
    )
    client.modify(Group, k9.id, add)
    group = client.query(Group, k9.id)
    assert [m.value for m in group.members] == [made.id]
    assert Employee.objects.get(pk=made.id).unit == Unit.objects.get(pk=k9.id)

    # Deactivate: a PATCH of active, as Okta sends it.
    user = Employee.objects.get(pk=made.id).user  # none yet: an account comes at sign-in
    assert user is None
    off = PatchOp[Employee_](operations=[PatchOperation(op="replace", path="active", value=False)])
    client.modify(Employee_, made.id, off)
    assert client.query(Employee_, made.id).active is False
    assert Employee.objects.get(pk=made.id).status == Employee.Status.SEPARATED


def test_deactivating_a_supporter_with_scim2_client(client, dept):
    # A panelist with a supporter's profile: a peer supporter's grant is a confidential role,
    # which no token separates (integrations/guard.py, tests/integrations/test_guard.py).
    supporter = dept.users["panelist"]
    SupporterProfileFactory(user=supporter, status=SupporterProfile.Status.ACTIVE)
    epoch = supporter.session_epoch
    client.delete(Employee_, str(supporter.employee.pk))
    assert SupporterProfile.objects.get(user=supporter).status == SupporterProfile.Status.RETIRED
    assert not RoleGrant.objects.current().filter(user=supporter).exists()
    supporter.refresh_from_db()
    assert supporter.session_epoch > epoch


def test_scim2_tester_checks(wsgi, raw, dept):
    """scim2-tester's checker, run offline against the discovered schemas. Its discovery
    checks all pass. Its create/replace checks fill every attribute with random UUIDs, which
    an employee number (32 characters), a user type (sworn, civilian, corrections) and a unit's
    path (under the one department) refuse with a SCIM 400 that says why: those it reports,
    and never anything else (no 500, no answer that is not SCIM)."""
    from scim2_tester import check_server
    from scim2_tester.utils import Status

    client = WSGISCIMClient(wsgi, base_url=BASE, headers={"Authorization": f"Bearer {raw}"})
    client.discover()
    results = check_server(client)
    assert len(results) > 20
    for result in results:
        if result.tags & {"discovery", "service-provider-config", "resource-types", "schemas"}:
            assert result.status == Status.SUCCESS, result
        if result.status == Status.ERROR:
            assert any(
                reason in (result.reason or "")
                for reason in ("employeeNumber", "There is one department", "userType")
            ), result
