"""The demo ships an example HR roster (demo/data/hr-roster.csv, docs/hr-import.md): the demo
department as its HR system would send it. Importing it twice changes nothing the second time."""

from pathlib import Path

import pytest

import demo
from demo.accounts import demo_department_load
from peersupport.accounts.models import Employee
from peersupport.accounts.roster_sync import (
    parse_roster,
    roster_apply,
    roster_csv,
    roster_plan,
    roster_rows_on_record,
)
from peersupport.audit.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db

EXAMPLE = Path(demo.__file__).parent / "data" / "hr-roster.csv"


@pytest.fixture
def department(db):
    demo_department_load()


def test_the_example_is_the_demo_department(department):
    data = EXAMPLE.read_bytes()
    rows, errors = parse_roster(data)
    assert errors == []
    assert len(rows) == Employee.objects.count()
    # The file is what the records say, written in the documented layout.
    assert roster_csv(roster_rows_on_record()) == data.decode()
    assert roster_plan(rows, full=True).changes_nothing


def test_importing_the_example_twice_changes_nothing_the_second_time(department):
    rows, _ = parse_roster(EXAMPLE.read_bytes())
    # As a department would first send it: one person moved, one new, one promoted.
    moved = rows[10]
    rows[10] = moved.__class__(**{**_fields(moved), "unit": rows[500].unit})
    rows[11] = rows[11].__class__(**{**_fields(rows[11]), "rank_title": "Sergeant"})
    first = roster_apply(rows, actor=None, full=True)
    assert first.errors == [] and not first.changes_nothing
    before = list(Employee.objects.order_by("pk").values())

    second = roster_apply(rows, actor=None, full=True)
    assert second.errors == []
    assert second.changes_nothing, second.counts
    assert list(Employee.objects.order_by("pk").values()) == before
    assert AuditEvent.objects.filter(action=AuditAction.ROSTER_IMPORTED).count() == 2


def _fields(row) -> dict:
    return {name: getattr(row, name) for name in row.__slots__}
