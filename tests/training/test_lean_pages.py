"""The compliance pages written without model instances and template loops show what the
templates showed: the board's rows (escaped, with their links and hours), and the hours CSV."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.template.defaultfilters import floatformat
from django.urls import reverse

from peersupport.roster.models import SupporterProfile
from peersupport.training import selectors, services, views
from peersupport.training.models import Attendance, AttendanceCorrection, CourseKind

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory
from .helpers import YEAR, attend, trained_supporter

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert('x')</script> & \"Bob\""


@pytest.mark.parametrize(
    "value", ["0", "0.00", "8", "8.00", "7.5", "7.50", "0.25", "12.34", "40.00", "1234.56"]
)
def test_hours_are_written_as_floatformat_minus_two_writes_them(value):
    assert views._hours(Decimal(value)) == floatformat(Decimal(value), "-2")


def _hostile_supporter():
    user = UserFactory()
    EmployeeFactory(user=user, work_email=user.email, first_name=HOSTILE, preferred_name="")
    SupporterProfile.objects.create(user=user, status="active")
    attend(user, datetime.date(YEAR - 2, 3, 2), 40, kind=CourseKind.INITIAL)
    return user


def test_the_boards_rows_escape_names_link_each_person_and_show_the_stored_figures(personas):
    coordinator = signed_in_client(personas["coordinator"])
    with time_machine.travel(datetime.datetime(YEAR, 8, 1, 12, tzinfo=datetime.UTC)):
        hostile = _hostile_supporter()
        on_track = trained_supporter(q1=8, q2=7)
        services.compliance_refresh()
        never_judged = UserFactory()
        EmployeeFactory(user=never_judged, work_email=never_judged.email)
        SupporterProfile.objects.create(user=never_judged, status="appointed")
        page = coordinator.get(reverse("training:board")).content.decode()
    table = page.split("<tbody>")[1].split("</tbody>")[0]
    assert HOSTILE not in table and "<script>" not in table
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;Bob&quot;" in table
    for user in (hostile, on_track, never_judged):
        assert f'<a href="{reverse("training:transcript", args=[user.pk])}">' in table
    assert "15 of 32" in table  # 8 + 7 hours of the 32 the year asks
    assert "Not worked out yet" in table and "Appointed" in table
    assert table.count("<tr>") == SupporterProfile.objects.count()


def test_a_board_with_nobody_says_so(personas):
    page = signed_in_client(personas["coordinator"]).get(reverse("training:board"))
    assert "Nobody matches." in page.content.decode()


def test_the_boards_rows_carry_what_the_stored_records_hold(personas):
    with time_machine.travel(datetime.datetime(YEAR, 8, 1, 12, tzinfo=datetime.UTC)):
        people = [trained_supporter(q1=8, q2=8), trained_supporter(q1=8), trained_supporter()]
        services.compliance_refresh()
        found = selectors.board(year=YEAR, sort="name")
        by_user = {row.user_id: row for row in found.rows}
        for person in people:
            row = by_user[person.pk]
            assert row.compliance == selectors.person_compliance(person)
            assert row.current and row.name == person.employee.full_name
            assert row.roster_status_label == "Active"


def test_the_hours_csv_has_a_row_per_person_and_day_with_corrections_and_formulas_defused(
    personas,
):
    coordinator = personas["coordinator"]
    person = trained_supporter(q1=8)
    no_employee = UserFactory(display_name="=cmd|' /C calc'!A0")
    attend(no_employee, datetime.date(YEAR, 2, 3), 4)
    attendance = Attendance.objects.get(user=no_employee)
    AttendanceCorrection.objects.create(
        attendance=attendance, hours_before=Decimal(8), hours_after=Decimal(4), reason="Left"
    )
    with time_machine.travel(datetime.datetime(YEAR, 12, 1, 12, tzinfo=datetime.UTC)):
        response = signed_in_client(coordinator).get(reverse("training:export") + f"?year={YEAR}")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][0] == "employee_number" and len(rows) == 3
    employee = person.employee
    assert rows[2] == [
        employee.employee_number,
        employee.full_name,
        "update course",
        "Quarterly update",
        f"{YEAR}-02-15",
        "8.00",
        "8.00",
        "Academy",
        "",
    ]
    assert rows[1] == [
        "",
        "'=cmd|' /C calc'!A0",
        "update course",
        "Quarterly update",
        f"{YEAR}-02-03",
        "4.00",
        "4.00",
        "Academy",
        "yes",
    ]
