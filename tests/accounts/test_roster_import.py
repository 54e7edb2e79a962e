"""The HR roster import (peersupport/accounts/roster_sync.py, manage.py import_roster)."""

import dataclasses
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peersupport.accounts import services
from peersupport.accounts.models import Employee, Role, RoleGrant, Unit
from peersupport.accounts.roster_sync import (
    parse_roster,
    roster_apply,
    roster_csv,
    roster_plan,
    roster_rows_on_record,
)
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.roster.models import SupporterProfile

from ..factories import SupporterProfileFactory

pytestmark = pytest.mark.django_db

SQUAD = ("Demo PD", "Patrol Bureau", "North Precinct", "Day Patrol")


def _rows():
    return {row.employee_number: row for row in roster_rows_on_record()}


def _number(personas, name):
    return personas[name].employee.employee_number


def _file(rows) -> bytes:
    return roster_csv(list(rows)).encode()


def _import(rows, *, full=False, actor=None):
    parsed, errors = parse_roster(_file(rows))
    assert errors == []
    return roster_apply(parsed, actor=actor, full=full)


def test_the_roster_on_record_changes_nothing(dept, personas):
    plan = roster_plan(list(_rows().values()), full=True)
    assert plan.errors == []
    assert plan.changes_nothing
    assert plan.unchanged == len(personas) - 1  # the system administrator has no record


def test_importing_twice_changes_nothing_the_second_time(dept, personas):
    rows = _rows()
    new = dataclasses.replace(
        rows[_number(personas, "employee")],
        employee_number="N1",
        first_name="Nadia",
        work_email="nadia@pd.example.org",
        unit=("Demo PD", "Traffic Bureau", "Motor Unit"),
        hire_date=date(2026, 1, 1),
    )
    changed = [*rows.values(), new]
    first = _import(changed, full=True)
    assert first.counts["added"] == 1
    assert first.units_added == ["Demo PD/Traffic Bureau", "Demo PD/Traffic Bureau/Motor Unit"]
    motor = Unit.objects.get(name="Motor Unit")
    assert (motor.kind, motor.parent.kind) == (Unit.Kind.DIVISION, Unit.Kind.BUREAU)
    events = AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).count()

    second = _import(changed, full=True)
    assert second.changes_nothing
    assert second.unchanged == len(changed)
    # An import that changes nothing is still recorded, with its counts.
    assert AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).count() == events + 1


def test_a_move_of_unit_and_a_changed_position(dept, personas):
    rows = _rows()
    number = _number(personas, "employee")
    rows[number] = dataclasses.replace(
        rows[number], unit=("Demo PD", "Patrol Bureau"), rank_title="Detective"
    )
    plan = roster_plan(list(rows.values()))
    assert [m["employee_number"] for m in plan.moved] == [number]
    assert plan.moved[0]["to"] == "Demo PD/Patrol Bureau"
    assert plan.changed[0]["fields"] == {"rank_title": ("Officer", "Detective")}
    assert Employee.objects.get(employee_number=number).unit == dept.squad  # a dry run

    _import(rows.values())
    employee = Employee.objects.get(employee_number=number)
    assert (employee.unit, employee.rank_title) == (dept.bureau, "Detective")


def test_a_new_work_email_never_moves_the_account_sign_in(dept, personas):
    """Whoever holds the roster (the HR file, the SCIM token) must not be able to point an
    account's password resets and alerts at a mailbox of their choosing: the record's work
    address changes, the account's own address does not (docs/threat-model.md)."""
    from allauth.account.models import EmailAddress

    employee = personas["employee"]
    before = employee.email
    EmailAddress.objects.update_or_create(
        user=employee, email=before, defaults={"primary": True, "verified": True}
    )
    rows = _rows()
    number = _number(personas, "employee")
    rows[number] = dataclasses.replace(rows[number], work_email="someone.else@pd.example.org")
    _import(rows.values())
    employee.refresh_from_db()
    assert Employee.objects.get(employee_number=number).work_email == "someone.else@pd.example.org"
    assert employee.email == before
    assert list(EmailAddress.objects.filter(user=employee).values_list("email", flat=True)) == [
        before
    ]


def test_work_emails_outside_the_department_domains_are_refused(dept, personas, settings):
    """With WORK_EMAIL_DOMAINS set, no record's work mailbox can be an outside one: a record
    is claimed at registration through its mailbox (docs/threat-model.md)."""
    rows = _rows()
    number = _number(personas, "employee")
    own = rows[number].work_email.rsplit("@", 1)[1]
    settings.WORK_EMAIL_DOMAINS = [own]
    outside = dataclasses.replace(rows[number], work_email="me@elsewhere.example.com")
    sub = dataclasses.replace(
        rows[number], employee_number="N9", work_email=f"new.person@mail.{own}"
    )
    rows[number] = outside
    parsed, errors = parse_roster(_file([*rows.values(), sub]))
    assert [e.message for e in errors if "department's mail domain" in e.message] == [
        f"“me@elsewhere.example.com” is not at the department's mail domain ({own})."
    ]
    assert not Employee.objects.filter(work_email="me@elsewhere.example.com").exists()
    # The employee page refuses it the same way.
    from peersupport.accounts.forms import EmployeeForm

    bound = EmployeeForm({"work_email": "me@elsewhere.example.com"})
    assert not bound.is_valid()
    assert "department's mail domain" in bound.errors["work_email"][0]
    assert "work_email" not in EmployeeForm({"work_email": f"a.b@{own}"}).errors


def test_unit_supervisors_come_from_the_supervisor_numbers(dept, personas):
    rows = _rows()
    new_head = _number(personas, "panelist")
    old_head = _number(personas, "supervisor")
    for number, row in rows.items():
        if number == new_head:
            rows[number] = dataclasses.replace(row, supervisor_number=old_head)
        elif number != old_head:
            rows[number] = dataclasses.replace(row, supervisor_number=new_head)
    # The old head moves up to run the precinct, and reports to nobody in the file.
    rows[old_head] = dataclasses.replace(rows[old_head], unit=SQUAD[:3], supervisor_number="")
    plan = roster_plan(list(rows.values()))
    assert plan.errors == []
    assert {"unit": "/".join(SQUAD), "from": old_head, "to": new_head} in plan.unit_supervisors

    _import(rows.values())
    dept.squad.refresh_from_db()
    assert dept.squad.supervisor == personas["panelist"].employee
    assert Role.SUPERVISOR in _fresh(personas["panelist"]).roles
    assert _import(roster_rows_on_record()).changes_nothing


def _fresh(user):
    user.refresh_from_db()
    user.forget_roles()
    return user


def test_a_full_import_separates_a_supporter_as_leaving_active_status(dept, personas):
    supporter = personas["supporter"]
    profile = SupporterProfileFactory(user=supporter, status=SupporterProfile.Status.ACTIVE)
    rows = _rows()
    missing = _number(personas, "supporter")
    del rows[missing]
    # A partial import leaves those not in the file alone.
    assert roster_plan(list(rows.values())).separated == []

    plan = _import(rows.values(), full=True, actor=personas["sysadmin"])
    assert [s["employee_number"] for s in plan.separated] == [missing]
    employee = Employee.objects.get(employee_number=missing)
    assert employee.status == Employee.Status.SEPARATED
    assert employee.separation_date is not None
    profile.refresh_from_db()
    assert profile.status == SupporterProfile.Status.RETIRED
    assert not RoleGrant.objects.current().filter(user=supporter).exists()
    assert _fresh(supporter).roles == frozenset()  # not even the employee role
    # Never deleted.
    assert Employee.objects.filter(employee_number=missing).exists()
    event = AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).get()
    assert event.details["separated"] == 1 and event.details["full"] is True
    assert supporter.employee.last_name not in str(event.details)


def test_separation_ends_granted_roles_and_a_candidacy(dept, personas):
    coordinator = personas["coordinator"]
    profile = SupporterProfileFactory(user=coordinator, status=SupporterProfile.Status.CANDIDATE)
    rows = _rows()
    number = _number(personas, "coordinator")
    rows[number] = dataclasses.replace(
        rows[number], status="separated", separation_date=date(2025, 12, 31)
    )
    _import(rows.values())
    profile.refresh_from_db()
    assert profile.status == SupporterProfile.Status.REMOVED
    assert not RoleGrant.objects.current().filter(user=coordinator).exists()
    assert Employee.objects.get(employee_number=number).separation_date == date(2025, 12, 31)


def test_the_employee_page_separates_through_the_same_path(dept, personas):
    supporter = personas["supporter"]
    SupporterProfileFactory(user=supporter, status=SupporterProfile.Status.ACTIVE)
    services.employee_update(
        actor=personas["sysadmin"], employee=supporter.employee, status="separated"
    )
    assert SupporterProfile.objects.get(user=supporter).status == SupporterProfile.Status.RETIRED
    assert not RoleGrant.objects.current().filter(user=supporter).exists()


def test_retirees_missing_from_a_full_import_stay_retired(dept, personas):
    retiree = personas["employee"].employee
    retiree.status = Employee.Status.RETIRED
    retiree.save()
    rows = _rows()
    del rows[retiree.employee_number]
    assert roster_plan(list(rows.values()), full=True).separated == []


def test_dates_at_the_year_ends(dept, personas):
    rows = _rows()
    number = _number(personas, "employee")
    rows[number] = dataclasses.replace(
        rows[number],
        hire_date=date(2024, 1, 1),
        separation_date=date(2025, 12, 31),
        status="separated",
    )
    _import(rows.values())
    employee = Employee.objects.get(employee_number=number)
    assert (employee.hire_date, employee.separation_date) == (date(2024, 1, 1), date(2025, 12, 31))
    # A separation date still to come (31 December next year) keeps an active employee active.
    rows[number] = dataclasses.replace(
        rows[number], status="active", separation_date=date(timezone.localdate().year + 1, 12, 31)
    )
    assert roster_plan(list(rows.values())).errors == []


HEADER = (
    "employee_number,first_name,last_name,work_email,unit,position,supervisor_number,status,"
    "hire_date,separation_date,employee_type\n"
)


def test_errors_are_given_by_line_and_nothing_is_imported(dept, personas):
    unit = "Demo PD/Patrol Bureau"
    lines = [
        f"A1,Ann,Able,a1@pd.example.org,{unit},Officer,,active,2025-01-01,,sworn",
        f"A2,Bob,Bee,a2@pd.example.org,{unit},Officer,,actve,2025-01-01,,sworn",
        f"A3,Cy,Cee,a3@pd.example.org,{unit},Officer,,active,2025-02-30,,sworn",
        f"A1,Di,Dee,a4@pd.example.org,{unit},Officer,,active,,,sworn",
        f"A5,Ed,Eee,a1@pd.example.org,{unit},Officer,ZZ9,active,,,sworn",
        f"A6,Flo,Eff,a6@pd.example.org,{unit},Officer,A7,active,,,sworn",
        f"A7,Gus,Gee,a7@pd.example.org,{unit},Officer,A6,active,,,sworn",
        "A8,Hal,Aitch,a8@pd.example.org,Other PD/Patrol,Officer,,active,,,sworn",
        f"A9,Ivy,Eye,a9@pd.example.org,{unit},Officer,,active,2026-01-01,2025-12-31,pilot",
        f"A10,Jo,Jay,a10@pd.example.org,{unit},Officer,,active,2020-01-01,2021-12-31,sworn",
    ]
    before = Employee.objects.count()
    rows, errors = parse_roster((HEADER + "\n".join(lines) + "\n").encode())
    plan = roster_plan(rows)
    found = {(e.line, e.message.split(" ")[1]) for e in [*errors, *plan.errors]}
    lines_with_errors = sorted({line for line, _ in found})
    assert lines_with_errors == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    messages = " ".join(str(e) for e in [*errors, *plan.errors])
    assert "Line 3: The status “actve”" in messages
    assert "Line 4: The hire date “2025-02-30”" in messages
    assert "Line 5: Employee number A1 is already on line 2." in messages
    assert "Line 6: The e-mail address a1@pd.example.org is already on line 2." in messages
    assert "Line 6: The supervisor's employee number ZZ9 is unknown." in messages
    assert "go round in a circle" in messages
    assert "Line 9: The unit “Other PD/Patrol” does not start at the department" in messages
    assert "Line 10: The separation date is before the hire date." in messages
    assert "Line 10: The employee type “pilot”" in messages
    assert "Line 11: The separation date 2021-12-31 has passed" in messages
    # roster_apply refuses what the plan refuses.
    valid = [r for r in rows if r.line == 2]
    applied = roster_apply([*valid, dataclasses.replace(valid[0], line=99)], actor=None)
    assert applied.errors and Employee.objects.count() == before
    assert not AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"employee_number,first_name\nA1,Ann\n", "Line 1: The header lacks"),
        ("\ufeff".encode() + HEADER.encode() + "é".encode("latin-1"), "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not UTF-8"),
        (HEADER.encode() + b"A1,Ann\n", "Line 2: 2 values where the header has 11."),
    ],
)
def test_files_that_are_not_a_roster(data, message):
    rows, errors = parse_roster(data)
    assert rows == []
    assert message in str(errors[0])


def test_the_plan_reads_the_database_a_fixed_number_of_times(dept, personas):
    rows = list(_rows().values())

    def queries(n):
        extra = [
            dataclasses.replace(rows[0], employee_number=f"Q{i}", work_email=f"q{i}@x.org")
            for i in range(n)
        ]
        with CaptureQueriesContext(connection) as ctx:
            roster_plan(rows + extra, full=True)
        return len(ctx.captured_queries)

    assert queries(5) == queries(200) <= 2


def test_the_command(dept, personas, tmp_path, capsys):
    rows = _rows()
    number = _number(personas, "employee")
    rows[number] = dataclasses.replace(rows[number], rank_title="Detective")
    path = tmp_path / "roster.csv"
    path.write_bytes(_file(rows.values()))
    call_command("import_roster", str(path), "--dry-run")
    out = capsys.readouterr().out
    assert "1 changed" in out and "Dry run: nothing was changed." in out
    assert Employee.objects.get(employee_number=number).rank_title == "Officer"
    call_command("import_roster", str(path), "--full")
    assert Employee.objects.get(employee_number=number).rank_title == "Detective"
    call_command("import_roster", str(path), "--full")
    assert "nothing changed" in capsys.readouterr().out

    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "A1,Ann,Able,,Demo PD,Officer,,gone,,,sworn\n")
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_roster", str(bad))
    assert "Line 2: The status “gone”" in capsys.readouterr().err


def test_numbers_are_kept_in_capitals_and_the_employee_page_takes_the_same(dept, personas):
    from peersupport.accounts.forms import EmployeeForm

    rows, errors = parse_roster(
        (HEADER + "demo-9,Ann,Able,,Demo PD,Officer,,active,2025-01-01,2024-12-31,sworn\n").encode()
    )
    assert rows == [] and "before the hire date" in str(errors)
    rows, errors = parse_roster(
        (HEADER + "demo-9,Ann,Able,,Demo PD,Officer,,active,2025-01-01,,sworn\n").encode()
    )
    assert errors == [] and rows[0].employee_number == "DEMO-9"
    form = EmployeeForm(
        {
            "employee_number": "demo-10",
            "first_name": "Bo",
            "last_name": "Bee",
            "employee_type": "sworn",
            "rank_title": "Officer",
            "unit": dept.squad.pk,
            "shift": "day",
            "status": "active",
            "hire_date": "2026-01-01",
            "separation_date": "2025-12-31",
        }
    )
    assert not form.is_valid()
    assert list(form.errors) == ["separation_date"]
    assert form.cleaned_data["employee_number"] == "DEMO-10"


def test_two_people_exchanging_addresses_import_whole_or_not_at_all(dept, personas):
    from django.core.exceptions import ValidationError

    rows = _rows()
    a, b = _number(personas, "employee"), _number(personas, "panelist")
    rows[a], rows[b] = (
        dataclasses.replace(rows[a], work_email=rows[b].work_email, rank_title="Detective"),
        dataclasses.replace(rows[b], work_email=rows[a].work_email),
    )
    assert roster_plan(list(rows.values())).errors == []
    try:
        _import(rows.values())
    except ValidationError as exc:  # PostgreSQL checks uniqueness row by row
        assert "two steps" in str(exc)
        assert Employee.objects.get(employee_number=a).rank_title == "Officer"
    else:
        assert Employee.objects.get(employee_number=a).work_email == "panelist@pd.example.org"


def test_a_head_outside_the_unit_sits_above_it(dept, personas):
    rows = _rows()
    chief, officer = _number(personas, "chief"), _number(personas, "employee")
    sergeant = _number(personas, "supervisor")
    # The chief on the bureau's staff; the officer alone in the precinct, reporting to them.
    rows[chief] = dataclasses.replace(rows[chief], unit=SQUAD[:2], supervisor_number="")
    rows[officer] = dataclasses.replace(rows[officer], unit=SQUAD[:3], supervisor_number=chief)
    plan = roster_plan(list(rows.values()))
    assert {"unit": "/".join(SQUAD[:3]), "from": "—", "to": chief} in plan.unit_supervisors
    # Reporting to someone in a unit below does not make them head of the officer's unit.
    rows[officer] = dataclasses.replace(rows[officer], supervisor_number=sergeant)
    plan = roster_plan(list(rows.values()))
    assert not [u for u in plan.unit_supervisors if u["unit"] == "/".join(SQUAD[:3])]


def test_a_separated_duty_holder_is_alerted_no_more(dept, personas):
    """Rule 5's on-duty alert must not reach someone who has left: their duty roster entries
    end with the separation, and an entry whose holder lost the duty's role (revoked on the
    roles page) is passed over too."""
    from peersupport.confidentiality import services as duty
    from peersupport.confidentiality.models import DutyAssignment

    bhs, advocacy = personas["bhs_manager"], personas["advocacy_supervisor"]
    duty.duty_assign(actor=bhs, duty="bhs_manager", user=bhs, rank=0)
    duty.duty_assign(actor=bhs, duty="advocacy_supervisor", user=advocacy, rank=0)
    later = duty.duty_assign(
        actor=bhs,
        duty="advocacy_supervisor",
        user=advocacy,
        rank=1,
        starts_at=timezone.now() + timezone.timedelta(days=3),
    )
    assert {a.user for a in duty.ladder()[0]} >= {bhs, advocacy}

    services.employee_update(
        actor=personas["sysadmin"], employee=advocacy.employee, status="separated"
    )

    assert {a.user for a in duty.ladder()[0] if a.reason.startswith("Advocacy")} == set()
    # Ended now (an entry lasts at least a second from its start).
    soon = timezone.now() + timezone.timedelta(seconds=2)
    assert not DutyAssignment.objects.current(soon).filter(user=advocacy).exists()
    later.refresh_from_db()
    assert later.ends_at is not None and later.ended_by == personas["sysadmin"]
    assert AuditEvent.objects.filter(action=AuditAction.DUTY_ENDED).count() == 2

    # A duty's role revoked without a separation: the entry stays, the alert does not go.
    grant = RoleGrant.objects.current().get(user=bhs, role=Role.BHS_MANAGER)
    services._revoke(actor=personas["sysadmin"], grant=grant, reason="Moved to another post")
    assert bhs not in {a.user for a in duty._on_roster(backups=False, now=timezone.now())}


def test_the_command_asks_before_a_full_import_separates_a_tenth(dept, personas, tmp_path):
    """A full import of a file that is not the whole department (a unit's export, a file cut
    short) would separate most of it at once: the command refuses without --yes."""
    from ..factories import EmployeeFactory

    EmployeeFactory.create_batch(10, unit=dept.squad)
    path = tmp_path / "roster.csv"
    path.write_bytes(_file(list(_rows().values())[:1]))
    before = Employee.objects.filter(status=Employee.Status.SEPARATED).count()
    with pytest.raises(CommandError, match="Add --yes"):
        call_command("import_roster", str(path), "--full")
    assert Employee.objects.filter(status=Employee.Status.SEPARATED).count() == before
    call_command("import_roster", str(path), "--full", "--yes")
    assert Employee.objects.filter(status=Employee.Status.SEPARATED).count() > before + 10
