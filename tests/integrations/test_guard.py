"""The guard between a token and the separation of people (peersupport/integrations/guard.py),
each test playing an attack a stolen token could try: the whole department separated by one
roster import, SCIM and the import each used up to the limit, parallel calls that all count
before any writes, the program's own people separated, a body nested to crash the server, and
a separated person re-hired by removing ``active``."""

import json
import threading

import pytest
from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from peersupport.accounts.models import Employee
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.integrations import guard, services
from peersupport.integrations.api_roster import ROSTER_IMPORT
from peersupport.integrations.registry import SCIM
from peersupport.integrations.scim_schemas import PATCH, USER

from ..factories import EmployeeFactory
from .test_scim import Scim

pytestmark = pytest.mark.django_db

SQUAD = "Demo PD/Patrol Bureau/North Precinct/Day Patrol"
HEADER = (
    "employee_number,first_name,last_name,work_email,unit,position,supervisor_number,status,"
    "hire_date,separation_date,employee_type\n"
)


def _token(dept, scope):
    return services.token_create(actor=dept.users["sysadmin"], label="Other", scopes=[scope])


def _line(e: Employee, status: str | None = None) -> str:
    return (
        f"{e.employee_number},{e.first_name},{e.last_name},{e.work_email or ''},{SQUAD},"
        f"{e.rank_title or 'Officer'},,{status or e.status},,,{e.employee_type}"
    )


def _csv(employees, separate=()) -> str:
    lines = [_line(e, "separated" if e in separate else None) for e in employees]
    return HEADER + "\n".join(lines) + "\n"


def _import(body: str, raw: str, **params):
    query = "&".join(f"{k}={v}" for k, v in {"apply": "true", **params}.items())
    return Client().post(
        f"/api/v1/roster/import?{query}",
        body.encode(),
        content_type="text/csv",
        headers={"Authorization": f"Bearer {raw}"},
    )


def _people(dept, count: int) -> list[Employee]:
    return [EmployeeFactory(unit=dept.squad) for _ in range(count)]


def _everyone() -> list[Employee]:
    return list(Employee.objects.order_by("pk"))


def _separated() -> int:
    return Employee.objects.filter(status=Employee.Status.SEPARATED).count()


def _refusals(why: str):
    return AuditEvent.objects.filter(
        action=AuditAction.ROSTER_IMPORTED, outcome="denied", details__why=why
    )


# --- 1. The roster import: a per-token limit nothing lifts ---------------------------------


@override_settings(SCIM_SEPARATIONS_PER_DAY=10)
def test_an_import_token_cannot_separate_the_department(dept):
    """A full file of the personas only: 30 others would be separated. allow_many_separated
    answers the tenth-of-the-department warning, never the token's limit."""
    made, raw = _token(dept, ROSTER_IMPORT)
    personas = _everyone()
    _people(dept, 30)
    response = _import(_csv(personas), raw, full="true", allow_many_separated="true")
    assert response.status_code == 403, response.content
    answer = response.json()
    assert answer["applied"] is False and answer["counts"]["separated"] == 30
    assert "SCIM_SEPARATIONS_PER_DAY" in answer["detail"]
    assert _separated() == 0
    refused = _refusals(guard.PER_DAY).get()
    assert refused.details == {"source": "api", "token": made.key, "why": guard.PER_DAY}


@override_settings(SCIM_SEPARATIONS_PER_DAY=3)
def test_partial_imports_of_separated_rows_count_too(dept):
    """Not full, a few status=separated rows at a time: counted from the token's own events,
    so the fourth person in a day is refused and the refusal changes nothing."""
    made, raw = _token(dept, ROSTER_IMPORT)
    people = _people(dept, 4)
    response = _import(_csv(people[:2], separate=people[:2]), raw)
    assert response.status_code == 200, response.content
    event = AuditEvent.objects.get(action=AuditAction.ROSTER_IMPORTED, outcome="success")
    assert event.details["source"] == "api" and event.details["token"] == made.key
    assert guard.separations_today(made.key) == 2
    response = _import(_csv(people[2:], separate=people[2:]), raw)  # 2 + 2 > 3
    assert response.status_code == 403, response.content
    assert _separated() == 2
    assert _import(_csv(people[2:3], separate=people[2:3]), raw).status_code == 200
    assert _import(_csv(people[3:], separate=people[3:]), raw).status_code == 403
    assert _refusals(guard.PER_DAY).count() == 2


@override_settings(SCIM_SEPARATIONS_PER_DAY=2)
def test_the_limit_is_shared_by_scim_and_the_import(dept):
    """One token with both scopes: two SCIM separations use the day's limit up for the import
    too, and the reverse."""
    made, raw = services.token_create(
        actor=dept.users["sysadmin"], label="Both", scopes=[SCIM, ROSTER_IMPORT]
    )
    people = _people(dept, 3)
    scim = Scim(raw)
    assert scim.delete(f"Users/{people[0].pk}").status_code == 204
    assert _import(_csv(people[1:2], separate=people[1:2]), raw).status_code == 200
    assert guard.separations_today(made.key) == 2
    assert scim.delete(f"Users/{people[2].pk}").status_code == 403
    assert _import(_csv(people[2:], separate=people[2:]), raw).status_code == 403
    assert Employee.objects.get(pk=people[2].pk).status == Employee.Status.ACTIVE
    sources = set(_refusals(guard.PER_DAY).values_list("details__source", flat=True))
    assert sources == {"scim", "api"}


# --- 2. The count after the token's lock -----------------------------------------------------


def test_the_token_is_locked_before_its_separations_are_counted(dept, monkeypatch):
    """The lock, then the count, in the change's transaction (on PostgreSQL a FOR UPDATE of
    the token's row; SQLite has none: its transactions are one writer at a time already)."""
    made, raw = _token(dept, SCIM)
    person = _people(dept, 1)[0]
    steps = []
    hold, count = guard.hold, guard.separations_today
    monkeypatch.setattr(guard, "hold", lambda key: steps.append("lock") or hold(key))
    monkeypatch.setattr(guard, "separations_today", lambda key: steps.append("count") or count(key))
    with CaptureQueriesContext(connection) as queries:
        assert Scim(raw).delete(f"Users/{person.pk}").status_code == 204
    assert steps == ["lock", "count"]
    if connection.vendor == "postgresql":
        sql = [q["sql"] for q in queries.captured_queries]
        lock = next(
            i for i, s in enumerate(sql) if "integrations_apitoken" in s and "FOR UPDATE" in s
        )
        counted = next(i for i, s in enumerate(sql) if '"audit_auditevent"' in s)
        assert lock < counted


@pytest.mark.django_db(transaction=True)
@override_settings(SCIM_SEPARATIONS_PER_DAY=1)
def test_parallel_deletes_separate_no_more_than_the_limit(dept):
    """Four DELETEs at the same moment on four connections, a limit of one: the token's lock
    makes them count one after another, so one separates and three are refused."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for parallel connections")
    made, raw = _token(dept, SCIM)
    people = _people(dept, 4)
    start = threading.Barrier(4)
    statuses = []

    def delete(person):
        try:
            start.wait()
            statuses.append(Scim(raw).delete(f"Users/{person.pk}").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=delete, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [204, 403, 403, 403]
    assert _separated() == 1


# --- 3. The program's own people are never separated by a token ------------------------------


@pytest.mark.parametrize(
    "persona", ["supporter", "coordinator", "bhs_manager", "advocacy_supervisor", "chief"]
)
def test_scim_never_separates_a_confidential_role(dept, persona):
    made, raw = _token(dept, SCIM)
    scim = Scim(raw)
    pk = dept.users[persona].employee.pk
    off = {"op": "replace", "path": "active", "value": False}
    assert scim.delete(f"Users/{pk}").status_code == 403
    response = scim.call("PATCH", f"Users/{pk}", {"schemas": [PATCH], "Operations": [off]})
    assert response.status_code == 403
    assert "employee page" in response.json()["detail"]
    assert Employee.objects.get(pk=pk).status == Employee.Status.ACTIVE
    assert _refusals(guard.PROTECTED).count() == 2
    assert _refusals(guard.PROTECTED).first().details == {
        "source": "scim",
        "token": made.key,
        "why": guard.PROTECTED,
    }


def test_the_system_administrator_is_protected_too(dept):
    sysadmin = dept.users["sysadmin"]
    EmployeeFactory(user=sysadmin, unit=dept.squad, work_email=sysadmin.email)
    _made, raw = _token(dept, SCIM)
    assert Scim(raw).delete(f"Users/{sysadmin.employee.pk}").status_code == 403


def test_an_import_naming_a_confidential_role_is_refused_whole(dept):
    """Two people separated, one of them the BHS manager: nothing is imported, and the error
    names the manager's line; a full file leaving the Chief out names line 0."""
    made, raw = _token(dept, ROSTER_IMPORT)
    plain = _people(dept, 1)
    everyone = _everyone()
    manager = dept.users["bhs_manager"].employee
    body = _csv(everyone, separate=[plain[0], manager])
    response = _import(body, raw)
    assert response.status_code == 403, response.content
    errors = response.json()["errors"]
    assert [e["line"] for e in errors] == [everyone.index(manager) + 2]
    assert _separated() == 0
    chief = dept.users["chief"].employee
    response = _import(_csv([e for e in everyone if e != chief]), raw, full="true")
    assert response.status_code == 403, response.content
    assert [e["line"] for e in response.json()["errors"]] == [0]
    assert chief.employee_number in response.json()["errors"][0]["message"]
    assert _separated() == 0
    assert _refusals(guard.PROTECTED).count() == 2


# --- 4. A body nested to exhaust the stack ----------------------------------------------------


def test_a_deeply_nested_body_is_refused_not_a_500(dept):
    _made, raw = _token(dept, SCIM)
    scim = Scim(raw)
    nested: dict = {"active": True}
    for _ in range(2000):
        nested = {USER: nested}
    text = json.dumps({"schemas": [USER], **nested})
    response = scim.call("POST", "Users", raw=text.encode())
    assert response.status_code == 400, response.content[:200]
    assert response.json()["scimType"] == "invalidSyntax"
    pk = dept.users["employee"].employee.pk
    deep = {"schemas": [PATCH], "Operations": [{"op": "replace", "value": nested}]}
    response = scim.call("PATCH", f"Users/{pk}", raw=json.dumps(deep).encode())
    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidSyntax"


# --- 5. Removing active, or null, never re-hires ---------------------------------------------


@pytest.mark.parametrize(
    "operation",
    [
        {"op": "remove", "path": "active"},
        {"op": "replace", "path": "active", "value": None},
        {"op": "replace", "value": {"active": None}},
    ],
)
def test_removing_active_does_not_rehire(dept, operation):
    _made, raw = _token(dept, SCIM)
    scim = Scim(raw)
    pk = dept.users["employee"].employee.pk
    assert scim.delete(f"Users/{pk}").status_code == 204
    response = scim.patch(f"Users/{pk}", operation)
    assert response.status_code == 400, response.content
    assert response.json()["scimType"] in ("mutability", "invalidValue")
    assert Employee.objects.get(pk=pk).status == Employee.Status.SEPARATED
