"""SQL queries per page stay the same as the department grows.

Each main page is requested once with the small persona department and once after adding many
more employees, units and role grants; the number of queries must not change. The counts are
also printed (pytest -s) for the closing note.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peersupport.accounts.models import Employee, Role, RoleGrant, Unit, User

from ..factories import LanguageFactory

pytestmark = pytest.mark.django_db

PAGES = [
    ("employee", "web:home"),
    ("supervisor", "web:home"),
    ("employee", "accounts:profile"),
    ("sysadmin", "web:home"),
    ("sysadmin", "accounts:employee_list"),
    ("sysadmin", "accounts:unit_list"),
    ("sysadmin", "accounts:role_list"),
    ("bhs_manager", "accounts:role_list"),
    ("bhs_manager", "audit:event_list"),
    ("bhs_manager", "audit:by_day"),
    ("sysadmin", "admin:index"),
    ("sysadmin", "admin:accounts_employee_changelist"),
]


def _grow(dept, *, units: int, employees: int, grants: int) -> None:
    langs = [LanguageFactory(code=c, name=n) for c, n in (("es", "Spanish"), ("vi", "Vietnamese"))]
    new_units = Unit.objects.bulk_create(
        Unit(
            name=f"Squad {i}",
            kind=Unit.Kind.UNIT,
            parent=dept.precinct,
            agency_id=dept.hq.agency_id,
        )
        for i in range(units)
    )
    people = Employee.objects.bulk_create(
        Employee(
            agency_id=dept.hq.agency_id,
            employee_number=f"G{i:06d}",
            first_name=f"First{i}",
            last_name=f"Last{i}",
            work_email=f"g{i}@pd.example.org",
            employee_type=Employee.Type.SWORN,
            rank_title="Officer",
            unit=new_units[i % units],
        )
        for i in range(employees)
    )
    Employee.languages.through.objects.bulk_create(
        Employee.languages.through(employee_id=p.pk, language_id=langs[i % 2].pk)
        for i, p in enumerate(people)
    )
    for i, unit in enumerate(new_units):
        unit.supervisor = people[i]
    Unit.objects.bulk_update(new_units, ["supervisor"])
    users = User.objects.bulk_create(User(email=f"u{i}@pd.example.org") for i in range(grants))
    RoleGrant.objects.bulk_create(
        RoleGrant(user=u, role=Role.PEER_SUPPORTER, reason="grow", agency_id=dept.hq.agency_id)
        for u in users
    )
    from peersupport.audit.models import AuditAction
    from peersupport.audit.services import record

    for i in range(120):
        record(actor=users[i % grants], action=AuditAction.UNIT_UPDATED, details={"i": i})
    # Link some of the new employees to accounts too (the employee list shows it).
    for person, user in zip(people, users, strict=False):
        person.user = user
    Employee.objects.bulk_update(people[:grants], ["user"])


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url)
    assert resp.status_code == 200, (url, resp.status_code)
    return len(ctx.captured_queries)


def test_query_counts_do_not_grow_with_the_department(dept, client_for, capsys):
    small = {(p, name): _count(client_for(p), reverse(name)) for p, name in PAGES}
    _grow(dept, units=60, employees=600, grants=120)
    large = {(p, name): _count(client_for(p), reverse(name)) for p, name in PAGES}
    with capsys.disabled():
        print("\nqueries per page (small department -> large department)")
        for key in PAGES:
            print(f"  {key[1]:40} as {key[0]:12} {small[key]:3} -> {large[key]:3}")
    assert small == large
