"""The SCIM 2.0 endpoint (peersupport/integrations/scim*.py): RFC 7643 §8 and RFC 7644's
examples adapted to employee records and units, a provisioning round trip through the HR
roster's code path, its refusals (always SCIM errors, never a 500), and who may reach it."""

import datetime
import json

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peersupport.accounts.models import Employee, RoleGrant, Unit
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.integrations import services
from peersupport.integrations.registry import SCIM, register_scope
from peersupport.integrations.scim_schemas import ENTERPRISE, ERROR, GROUP, LIST, PATCH, USER
from peersupport.roster.models import SupporterProfile

from ..factories import EmployeeFactory, SupporterProfileFactory
from ..queries import page_queries

pytestmark = pytest.mark.django_db

SQUAD = "Demo PD/Patrol Bureau/North Precinct/Day Patrol"


class Scim:
    """A client that calls /scim/v2/ as an identity provider does."""

    def __init__(self, raw: str, client: Client | None = None):
        self.client = client or Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"} if raw else {}

    def call(self, method: str, path: str, body=None, *, raw: bytes | None = None, **params):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        url = "/scim/v2/" + path
        if method == "GET":
            response = self.client.get(url, params, **self.auth)
        else:
            response = self.client.generic(
                method, url, data, content_type="application/scim+json", **self.auth
            )
        if response.content:
            assert response["Content-Type"] == "application/scim+json", response.content
        return response

    def get(self, path, **params):
        return self.call("GET", path, **params)

    def post(self, path, body):
        return self.call("POST", path, body)

    def put(self, path, body):
        return self.call("PUT", path, body)

    def patch(self, path, *operations):
        return self.call("PATCH", path, {"schemas": [PATCH], "Operations": list(operations)})

    def delete(self, path):
        return self.call("DELETE", path)


@pytest.fixture
def token(dept):
    return services.token_create(actor=dept.users["sysadmin"], label="Entra ID", scopes=[SCIM])


@pytest.fixture
def scim(token):
    return Scim(token[1])


def _bjensen(number="E-7001", email="bjensen@pd.example.org", **extra):
    """RFC 7643 §8.2's full user, as Entra ID or Okta would send it for an employee."""
    return {
        "schemas": [USER, ENTERPRISE],
        "externalId": "701984",
        "userName": email,
        "name": {
            "formatted": "Ms. Barbara J Jensen, III",
            "familyName": "Jensen",
            "givenName": "Barbara",
            "middleName": "Jane",
        },
        "displayName": "Babs Jensen",
        "nickName": "Babs",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza"}],
        "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
        "userType": "Sworn",
        "title": "Sergeant",
        "preferredLanguage": "en-US",
        "active": True,
        ENTERPRISE: {
            "employeeNumber": number,
            "department": SQUAD,
            "organization": "Demo PD",
        },
        **extra,
    }


def _error(response, status, scim_type=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["schemas"] == [ERROR]
    assert body["status"] == str(status)
    assert body["detail"]
    if scim_type:
        assert body["scimType"] == scim_type
    return body


# --- RFC 7644's examples -------------------------------------------------------------------


def test_create_a_user_and_get_it(scim, dept):
    response = scim.post("Users", _bjensen())
    assert response.status_code == 201, response.content
    made = response.json()
    assert response["Location"] == made["meta"]["location"]
    assert made["userName"] == "bjensen@pd.example.org"
    assert made["name"]["givenName"] == "Barbara"
    assert made["nickName"] == "Babs"
    assert made["active"] is True
    assert made[ENTERPRISE]["employeeNumber"] == "E-7001"
    assert made[ENTERPRISE]["department"] == SQUAD
    # The squad's head is the person's manager.
    assert made[ENTERPRISE]["manager"]["value"] == str(dept.users["supervisor"].employee.pk)
    employee = Employee.objects.get(employee_number="E-7001")
    assert (employee.rank_title, employee.employee_type, employee.unit) == (
        "Sergeant",
        "sworn",
        dept.squad,
    )
    assert scim.get(f"Users/{employee.pk}").json() == made
    # Nothing the department has no use for is kept (addresses, phone numbers).
    assert "555-555-5555" not in str(Employee.objects.filter(pk=employee.pk).values().get())


def test_a_department_that_is_not_a_unit_path_places_a_new_user_in_the_department(scim, dept):
    for number, department in (("E-1", "Patrol / "), ("E-2", "Patrol North"), ("E-3", None)):
        body = _bjensen(number, f"{number}@pd.example.org")
        body[ENTERPRISE]["department"] = department
        response = scim.post("Users", body)
        assert response.status_code == 201, response.content
        assert Employee.objects.get(employee_number=number).unit == dept.hq


def test_filter_users(scim, dept):
    scim.post("Users", _bjensen())
    for expression in (
        'userName eq "BJensen@pd.example.org"',
        'externalId eq "E-7001"',
        'emails.value eq "bjensen@pd.example.org"',
        'emails[type eq "work" and value co "bjensen"]',
        f'{ENTERPRISE}:employeeNumber eq "E-7001"',
        'name.familyName sw "Jen" and active eq true',
        'userName eq "nobody@x.org" or title eq "Sergeant"',
        'not (title ne "Sergeant")',
        "nickName pr",
    ):
        body = scim.get("Users", filter=expression).json()
        assert body["schemas"] == [LIST]
        assert [u["userName"] for u in body["Resources"]] == ["bjensen@pd.example.org"], expression
        assert body["totalResults"] == 1
    body = scim.get("Users", filter='userName eq "nobody@pd.example.org"').json()
    assert body["totalResults"] == 0 and body["Resources"] == []


def test_pages_of_users(scim, dept):
    everyone = Employee.objects.count()
    first = scim.get("Users", startIndex=1, count=3).json()
    assert first["totalResults"] == everyone and first["itemsPerPage"] == 3
    rest = scim.get("Users", startIndex=4, count=100).json()
    ids = [u["id"] for u in first["Resources"] + rest["Resources"]]
    assert len(ids) == everyone == len(set(ids))
    assert scim.get("Users", count=0).json()["Resources"] == []
    slim = scim.get("Users", count=1, attributes="userName").json()["Resources"][0]
    assert set(slim) == {"schemas", "id", "meta", "userName"}


def test_replace_a_user(scim, dept):
    made = scim.post("Users", _bjensen()).json()
    body = _bjensen(title="Lieutenant", nickName="", name={"givenName": "Barb", "familyName": "J"})
    response = scim.put(f"Users/{made['id']}", body)
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Lieutenant"
    employee = Employee.objects.get(pk=made["id"])
    assert (employee.first_name, employee.last_name, employee.preferred_name) == ("Barb", "J", "")


def test_patch_active_false_separates(scim, dept):
    supporter = dept.users["panelist"]  # a role no token is refused for (guard.PROTECTED_ROLES)
    SupporterProfileFactory(user=supporter, status=SupporterProfile.Status.ACTIVE)
    epoch = supporter.session_epoch
    pk = supporter.employee.pk
    # As Entra ID sends it: a capitalised op and the boolean as a string.
    response = scim.patch(f"Users/{pk}", {"op": "Replace", "path": "active", "value": "False"})
    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    employee = Employee.objects.get(pk=pk)
    assert employee.status == Employee.Status.SEPARATED and employee.separation_date
    assert not RoleGrant.objects.current().filter(user=supporter).exists()
    assert SupporterProfile.objects.get(user=supporter).status == SupporterProfile.Status.RETIRED
    supporter.refresh_from_db()
    assert supporter.session_epoch > epoch


def test_group_patch_adds_a_member(scim, dept):
    made = scim.post("Users", _bjensen()).json()
    bureau = dept.bureau.pk
    response = scim.patch(
        f"Groups/{bureau}",
        {"op": "add", "path": "members", "value": [{"value": made["id"]}]},
    )
    assert response.status_code == 200, response.content
    assert made["id"] in [m["value"] for m in response.json()["members"]]
    assert Employee.objects.get(pk=made["id"]).unit_id == bureau
    assert scim.get(f"Users/{made['id']}").json()[ENTERPRISE]["department"] == (
        "Demo PD/Patrol Bureau"
    )


# --- A round trip --------------------------------------------------------------------------


def test_round_trip_create_update_move_deactivate(scim, token, dept):
    made, key = scim.post("Users", _bjensen()).json(), token[0].key
    user_id = made["id"]
    # Update: Okta's PATCH without a path.
    response = scim.patch(
        f"Users/{user_id}", {"op": "replace", "value": {"title": "Lieutenant", "nickName": "B"}}
    )
    assert response.json()["title"] == "Lieutenant"
    # A new unit under the precinct, then the move into it.
    response = scim.post(
        "Groups", {"schemas": [GROUP], "displayName": "Demo PD/Patrol Bureau/North Precinct/K9"}
    )
    assert response.status_code == 201, response.content
    k9 = response.json()["id"]
    assert Unit.objects.get(pk=k9).parent == dept.precinct
    assert (
        scim.get(
            "Groups", filter='displayName eq "Demo PD/Patrol Bureau/North Precinct/K9"'
        ).json()["totalResults"]
        == 1
    )
    response = scim.patch(
        f"Groups/{k9}", {"op": "add", "path": "members", "value": [{"value": user_id}]}
    )
    assert [m["value"] for m in response.json()["members"]] == [user_id]
    # Out of the squad again: removing moves them to the unit above.
    response = scim.patch(
        f"Groups/{k9}", {"op": "remove", "path": f'members[value eq "{user_id}"]'}
    )
    assert response.json().get("members") == []
    assert Employee.objects.get(pk=user_id).unit == dept.precinct
    # Deactivate (DELETE separates, never deletes).
    assert scim.delete(f"Users/{user_id}").status_code == 204
    employee = Employee.objects.get(pk=user_id)
    assert employee.status == Employee.Status.SEPARATED
    assert scim.get(f"Users/{user_id}").json()["active"] is False
    # Re-hired: active again.
    response = scim.patch(f"Users/{user_id}", {"op": "replace", "path": "active", "value": True})
    assert response.json()["active"] is True
    assert Employee.objects.get(pk=user_id).separation_date is None
    # Every change is audited as the system, with the token's key and no names.
    imports = AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED)
    assert imports.count() == 6
    for event in imports:
        assert event.actor_id is None and event.actor_label == "system"
        assert event.details["source"] == "scim" and event.details["token"] == key
        assert "Jensen" not in json.dumps(event.details)
    created = AuditEvent.objects.get(action=AuditAction.UNIT_CREATED)
    assert created.details == {"token": key, "source": "scim"}


def test_group_replace_members_and_rename(scim, dept):
    precinct = dept.precinct.pk
    employee = dept.users["employee"].employee
    response = scim.put(
        f"Groups/{precinct}",
        {
            "schemas": [GROUP],
            "displayName": "Demo PD/Patrol Bureau/North",
            "members": [{"value": str(employee.pk)}],
        },
    )
    assert response.status_code == 200, response.content
    assert response.json()["displayName"] == "Demo PD/Patrol Bureau/North"
    assert Unit.objects.get(pk=precinct).name == "North"
    employee.refresh_from_db()
    assert employee.unit_id == precinct
    listed = scim.get("Groups", excludedAttributes="members").json()
    assert all("members" not in g for g in listed["Resources"])
    assert listed["totalResults"] == Unit.objects.count()
    # The squad's other members are where they were.
    assert Employee.objects.filter(unit=dept.squad).count() == 8


def test_a_manager_heads_a_unit_without_one_and_never_replaces_a_head(scim, dept):
    """HR's supervisor, as a one-row import reads it (docs/hr-import.md, "Supervisors"), for a
    unit with no head yet; a unit's head stays whatever one person's manager says."""
    captain = EmployeeFactory(unit=dept.precinct, employee_number="CAPT-1")
    made = scim.post("Users", _bjensen()).json()
    manager = {"op": "add", "path": f"{ENTERPRISE}:manager", "value": str(captain.pk)}
    assert scim.patch(f"Users/{made['id']}", manager).status_code == 200
    dept.squad.refresh_from_db()
    assert dept.squad.supervisor == dept.users["supervisor"].employee
    k9 = scim.post("Groups", {"displayName": "Demo PD/Patrol Bureau/North Precinct/K9"}).json()
    handler = scim.post(
        "Users",
        _bjensen(
            "E-7002",
            "handler@pd.example.org",
            **{ENTERPRISE: {"employeeNumber": "E-7002", "department": k9["displayName"]}},
        ),
    ).json()
    assert handler[ENTERPRISE]["department"] == k9["displayName"]
    response = scim.patch(f"Users/{handler['id']}", manager)
    assert response.json()[ENTERPRISE]["manager"]["value"] == str(captain.pk)
    assert Unit.objects.get(pk=k9["id"]).supervisor == captain
    _error(
        scim.patch(
            f"Users/{made['id']}", {"op": "add", "path": "manager", "value": {"value": "999999"}}
        ),
        400,
        "invalidValue",
    )


# --- Refusals ------------------------------------------------------------------------------


def test_conflicts_are_409(scim, dept):
    assert scim.post("Users", _bjensen()).status_code == 201
    _error(scim.post("Users", _bjensen(email="other@pd.example.org")), 409, "uniqueness")
    _error(scim.post("Users", _bjensen(number="E-7002")), 409, "uniqueness")
    _error(scim.post("Groups", {"displayName": "Demo PD/Patrol Bureau"}), 409, "uniqueness")


def test_bad_input_is_a_scim_error_and_changes_nothing(scim, dept):
    employees, units = Employee.objects.count(), Unit.objects.count()
    pk = dept.users["employee"].employee.pk
    cases = [
        ("POST", "Users", b"{not json"),
        ("POST", "Users", b"[]"),
        ("POST", "Users", b"\xff\xfe"),
        ("POST", "Users", b"[" * 5000 + b"]" * 5000),
        ("POST", "Users", json.dumps({"userName": 5})),
        ("POST", "Users", json.dumps(_bjensen(email="a\ud800@pd.example.org"))),
        ("POST", "Users", json.dumps(_bjensen(nickName="a\x00b"))),
        ("POST", "Users", json.dumps({"userName": "x@y.org", "name": "flat"})),
        ("POST", "Users", json.dumps({"schemas": ["urn:nope"], "userName": "x@y.org"})),
        ("POST", "Users", json.dumps(_bjensen(number="no spaces allowed"))),
        ("POST", "Users", json.dumps({**_bjensen(), "title": ""})),
        ("POST", "Users", json.dumps({**_bjensen(), "userType": "astronaut"})),
        ("POST", "Users", json.dumps({**_bjensen(), "active": "maybe"})),
        ("POST", "Users", json.dumps({**_bjensen(), ENTERPRISE: {}, "externalId": None})),
        ("PATCH", f"Users/{pk}", json.dumps({"Operations": "all"})),
        ("PATCH", f"Users/{pk}", json.dumps({"Operations": [{"op": "frobnicate"}]})),
        ("PATCH", f"Users/{pk}", json.dumps({"Operations": [{"op": "remove"}]})),
        ("PATCH", f"Users/{pk}", json.dumps({"Operations": [{"op": "add", "value": 3}]})),
        ("PATCH", f"Users/{pk}", json.dumps({"Operations": [{"op": "add", "path": 3}]})),
        (
            "PATCH",
            f"Users/{pk}",
            json.dumps(
                {"Operations": [{"op": "replace", "path": "employeeNumber", "value": "Z9"}]}
            ),
        ),
        ("PUT", f"Users/{pk}", json.dumps({"userName": ""})),
        ("POST", "Groups", json.dumps({"displayName": "Elsewhere/Unit"})),
        ("POST", "Groups", json.dumps({"displayName": "Second Department"})),
        ("POST", "Groups", json.dumps({"displayName": "Demo PD//x"})),
        ("POST", "Groups", json.dumps({"displayName": None})),
        ("POST", "Groups", json.dumps({"displayName": "Demo PD/New", "members": "everyone"})),
        ("POST", "Groups", json.dumps({"displayName": "Demo PD/New", "members": [{"value": "x"}]})),
        (
            "PATCH",
            f"Groups/{dept.hq.pk}",
            json.dumps({"Operations": [{"op": "remove", "path": "members[value eq"}]}),
        ),
        (
            "PATCH",
            f"Groups/{dept.squad.pk}",
            json.dumps({"Operations": [{"op": "remove", "path": 'members[display eq "x"]'}]}),
        ),
        (
            "PATCH",
            f"Groups/{dept.squad.pk}",
            json.dumps(
                {"Operations": [{"op": "replace", "path": "displayName", "value": "Demo PD"}]}
            ),
        ),
        (
            "PATCH",
            f"Groups/{dept.bureau.pk}",
            json.dumps(
                {"Operations": [{"op": "replace", "path": "displayName", "value": SQUAD + "/Loop"}]}
            ),
        ),
        ("DELETE", f"Groups/{dept.squad.pk}", ""),
    ]
    for method, path, raw in cases:
        response = scim.call(method, path, raw=raw.encode() if isinstance(raw, str) else raw)
        assert 400 <= response.status_code < 500, (method, path, raw[:80], response.content)
        _error(response, response.status_code)
    assert (Employee.objects.count(), Unit.objects.count()) == (employees, units)
    assert not AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).exists()


def test_unknown_ids_are_404(scim, dept):
    for path in ("Users/999999", "Users/abc", "Groups/999999", "Groups/x", "Schemas/urn:x"):
        _error(scim.get(path), 404)
    _error(scim.call("PATCH", "Users/999999", {"Operations": []}), 404)
    _error(scim.get("ResourceTypes/Robot"), 404)


def test_bad_filters_are_invalid_filter(scim, dept):
    for expression in (
        "userName",
        "userName eq",
        'userName zz "x"',
        'password eq "x"',
        '(userName eq "x"',
        'userName eq "x" and',
        'meta.lastModified gt "2011-05-13T04:42:34Z"',
        "active gt true",
        "(" * 100 + 'userName eq "x"' + ")" * 100,
        " or ".join(['userName eq "x"'] * 100),
        'userName eq "unterminated',
        "userName eq @",
        'userName eq "\\ud800"',
        'userName eq "\\u0000"',
        'userName eq "\x00"',
    ):
        _error(scim.get("Users", filter=expression), 400, "invalidFilter")
    _error(scim.get("Groups", filter='members eq "1"'), 400, "invalidFilter")
    _error(scim.get("Users", startIndex="one"), 400, "invalidValue")


def test_discovery(scim):
    config = scim.get("ServiceProviderConfig").json()
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["authenticationSchemes"][0]["type"] == "oauthbearertoken"
    types = scim.get("ResourceTypes").json()
    assert {t["id"] for t in types["Resources"]} == {"User", "Group"}
    assert scim.get("ResourceTypes/User").json()["schemaExtensions"][0]["schema"] == ENTERPRISE
    found = scim.get("Schemas").json()
    assert {s["id"] for s in found["Resources"]} == {USER, GROUP, ENTERPRISE}
    user = scim.get(f"Schemas/{USER}").json()
    assert "userName" in {a["name"] for a in user["attributes"]}


# --- Who may reach it ----------------------------------------------------------------------


def test_only_a_scim_token_gets_in(dept, token, client_for):
    register_scope("test-other", label="Other")
    _made, other = services.token_create(
        actor=dept.users["sysadmin"], label="API", scopes=["test-other"]
    )
    for raw in ("", other, token[1][:-2] + "xx", "psk_nonsense"):
        for path in ("Users", "Groups", "ServiceProviderConfig"):
            response = Scim(raw).get(path)
            _error(response, 401)
            assert response["WWW-Authenticate"].startswith("Bearer")
    # A session cookie, however strong its roles, is not a way in.
    for persona in ("sysadmin", "chief", "employee"):
        signed_in = Scim("", client_for(persona))
        _error(signed_in.get("Users"), 401)
        _error(signed_in.post("Users", _bjensen()), 401)
        _error(signed_in.call("DELETE", f"Users/{dept.users['employee'].employee.pk}"), 401)
    assert Employee.objects.get(pk=dept.users["employee"].employee.pk).status == "active"
    services.token_revoke(actor=dept.users["sysadmin"], token_id=token[0].pk)
    _error(Scim(token[1]).get("Users"), 401)


def test_no_csrf_token_is_needed_with_a_bearer_token(token, dept):
    scim = Scim(token[1], Client(enforce_csrf_checks=True))
    assert scim.post("Users", _bjensen()).status_code == 201


@override_settings(SCIM_SEPARATIONS_PER_DAY=2)
def test_one_token_separates_only_so_many_people_a_day(scim, token, dept):
    """What a stolen token can do is bounded: a few separations a day, then 403, audited."""
    people = [dept.users[name].employee.pk for name in ("employee", "panelist", "committee_member")]
    assert scim.delete(f"Users/{people[0]}").status_code == 204
    off = {"op": "replace", "path": "active", "value": False}
    assert scim.patch(f"Users/{people[1]}", off).status_code == 200
    _error(scim.patch(f"Users/{people[2]}", off), 403)
    _error(scim.delete(f"Users/{people[2]}"), 403)
    assert Employee.objects.get(pk=people[2]).status == Employee.Status.ACTIVE
    refused = AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED, outcome="denied")
    assert refused.count() == 2
    assert refused.first().details == {
        "source": "scim",
        "token": token[0].key,
        "why": "separations_per_day",
    }
    # Other changes go on; another token has its own count; a day later this one may again.
    title = {"op": "replace", "path": "title", "value": "Detective"}
    assert scim.patch(f"Users/{people[2]}", title).status_code == 200
    _made, other = services.token_create(actor=dept.users["sysadmin"], label="B", scopes=[SCIM])
    assert Scim(other).patch(f"Users/{people[2]}", off).status_code == 200
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1, minutes=1)):
        assert scim.patch(f"Users/{people[0]}", {**off, "value": True}).status_code == 200
        assert scim.delete(f"Users/{people[0]}").status_code == 204


@override_settings(API_RATE_LIMIT=2)
def test_calls_over_the_rate_wait(scim):
    assert scim.get("ServiceProviderConfig").status_code == 200
    assert scim.get("ServiceProviderConfig").status_code == 200
    response = scim.get("ServiceProviderConfig")
    _error(response, 429)
    assert int(response["Retry-After"]) > 0


def test_unsupported_methods_are_405(scim, dept):
    _error(scim.call("DELETE", "Users"), 405)
    _error(scim.call("POST", "ServiceProviderConfig", {}), 405)


# --- Cost ----------------------------------------------------------------------------------


def test_a_page_of_users_costs_the_same_whatever_the_department(token, dept):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token[1]}")
    users = "/scim/v2/Users?count=50"
    few = page_queries(client, users, warm=True)  # warm: the token's last use written once
    EmployeeFactory.create_batch(60, unit=dept.squad)
    assert page_queries(client, users) == few
    groups = page_queries(client, "/scim/v2/Groups")
    EmployeeFactory.create_batch(5, unit=dept.precinct)
    assert page_queries(client, "/scim/v2/Groups") == groups


def test_a_patch_reads_only_the_records_it_changes(scim, dept):
    """One change plans one row, reading the person, the holders of their address and the
    units' heads, never every record (accounts/roster_sync.py, ``FEW_ROWS``)."""
    pk = dept.users["employee"].employee.pk
    op = {"op": "replace", "path": "title", "value": "Detective"}
    scim.patch(f"Users/{pk}", op)
    EmployeeFactory.create_batch(60, unit=dept.squad)
    with CaptureQueriesContext(connection) as ctx:
        assert scim.patch(f"Users/{pk}", {**op, "value": "Sergeant"}).status_code == 200
    selects = [q["sql"] for q in ctx.captured_queries if "accounts_employee" in q["sql"]]
    assert not any("WHERE" not in sql for sql in selects if sql.startswith("SELECT")), selects


def test_a_plan_of_a_few_rows_is_the_plan_of_every_record(dept, monkeypatch):
    """Reading only the records a few rows can touch changes nothing in what the plan says."""
    import dataclasses

    from peersupport.accounts import roster_sync

    rows = {r.employee_number: r for r in roster_sync.roster_rows_on_record()}
    employee = dept.users["employee"].employee
    captain = EmployeeFactory(unit=dept.precinct, employee_number="CAPT-1")
    changed = [
        dataclasses.replace(
            rows[employee.employee_number],
            rank_title="Detective",
            unit=("Demo PD", "Patrol Bureau", "North Precinct", "K9"),
            supervisor_number=captain.employee_number,
        ),
        dataclasses.replace(
            rows[dept.users["chief"].employee.employee_number],
            work_email=dept.users["coordinator"].employee.work_email,
        ),
    ]
    few = roster_sync.roster_plan(changed)
    monkeypatch.setattr(roster_sync, "FEW_ROWS", 0)
    every = roster_sync.roster_plan(changed)
    assert few.errors == every.errors and few.errors
    changed.pop()
    few = roster_sync.roster_plan(changed)
    monkeypatch.setattr(roster_sync, "FEW_ROWS", 50)
    assert roster_sync.roster_plan(changed).fingerprint == few.fingerprint
    monkeypatch.setattr(roster_sync, "FEW_ROWS", 0)
    every = roster_sync.roster_plan(changed)
    assert few.fingerprint == every.fingerprint
    assert few.counts == every.counts and few.unit_supervisors == every.unit_supervisors
    assert few.unit_supervisors  # the captain heads the new K9 unit


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
_keys = st.sampled_from(
    [
        "userName",
        "name",
        "active",
        "title",
        "userType",
        "emails",
        "members",
        "displayName",
        "externalId",
        ENTERPRISE,
        "Operations",
        "op",
        "path",
        "value",
        "schemas",
    ]
)
_member = st.dictionaries(_keys, _json, max_size=4)
_scimish = st.one_of(
    _json,
    st.dictionaries(_keys, _json | st.lists(_member, max_size=3) | _member, max_size=6),
    st.fixed_dictionaries(
        {
            "Operations": st.lists(
                st.fixed_dictionaries(
                    {"op": st.sampled_from(["add", "Replace", "remove", "x"])},
                    optional={
                        "path": st.sampled_from(
                            [
                                "active",
                                "members",
                                "displayName",
                                "name.givenName",
                                "emails",
                                'members[value eq "1"]',
                                f"{ENTERPRISE}:manager",
                                "title",
                            ]
                        )
                        | st.text(max_size=20),
                        "value": _json | st.lists(_member, max_size=3) | _member,
                    },
                ),
                max_size=4,
            )
        }
    ),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    body=_scimish,
    target=st.sampled_from(["Users", "user", "Groups", "group"]),
    method=st.sampled_from(["POST", "PUT", "PATCH"]),
)
def test_no_body_gets_a_500(scim, dept, body, target, method):
    """Whatever JSON arrives, the answer is SCIM: a success or a 4xx error, never a 500."""
    path = {
        "Users": "Users",
        "Groups": "Groups",
        "user": f"Users/{dept.users['employee'].employee.pk}",
        "group": f"Groups/{dept.precinct.pk}",
    }[target]
    if target in ("Users", "Groups"):
        method = "POST"
    response = scim.call(method, path, body)
    assert response.status_code < 500, response.content
    if response.status_code >= 400:
        _error(response, response.status_code)


def test_a_token_provisions_its_own_agency_only(scim, dept, settings):
    """Issue 23, step 2: SCIM works inside the token's agency. A token of another agency sees
    none of this one's people, and what it creates is its own agency's."""
    from peersupport.accounts.models import Agency, Employee
    from peersupport.tenancy import using_agency

    settings.SILENCED_SYSTEM_CHECKS = [*settings.SILENCED_SYSTEM_CHECKS, "accounts.E001"]
    scim.post("Users", _bjensen())
    assert scim.get("Users").json()["totalResults"] > 1
    other = Agency.objects.create(slug="b-county", name="B County", time_zone=settings.TIME_ZONE)
    with using_agency(other):
        _token, raw = services.token_create(actor=None, label="B's Entra", scopes=[SCIM])
    theirs = Scim(raw)
    listed = theirs.get("Users").json()
    assert listed["totalResults"] == 0 and listed["Resources"] == []
    found = theirs.get("Users", filter='userName eq "bjensen@pd.example.org"').json()
    assert found["totalResults"] == 0
    assert Employee.everywhere.filter(agency=other).count() == 0
