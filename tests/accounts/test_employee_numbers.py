"""0009_employee_numbers_in_capitals: numbers kept before the HR roster import stored them in
capitals are put in capitals, so that an import finds their people; two numbers that differ
only in case stop the migration and change nothing."""

import importlib

import pytest
from django.apps import apps

from peersupport.accounts.models import Employee

from ..factories import EmployeeFactory

pytestmark = pytest.mark.django_db

numbers_in_capitals = importlib.import_module(
    "peersupport.accounts.migrations.0009_employee_numbers_in_capitals"
).numbers_in_capitals


def test_numbers_in_small_letters_are_put_in_capitals(dept):
    kept = EmployeeFactory(unit=dept.squad, employee_number="hr-00017.b")
    already = EmployeeFactory(unit=dept.squad, employee_number="HR-00018")
    numbers_in_capitals(apps, None)
    kept.refresh_from_db()
    already.refresh_from_db()
    assert (kept.employee_number, already.employee_number) == ("HR-00017.B", "HR-00018")
    assert not Employee.objects.exclude(employee_number__regex=r"^[^a-z]*$").exists()


def test_numbers_that_differ_only_in_case_stop_it(dept):
    EmployeeFactory(unit=dept.squad, employee_number="p4711")
    EmployeeFactory(unit=dept.squad, employee_number="P4711")
    before = sorted(Employee.objects.values_list("employee_number", flat=True))
    with pytest.raises(RuntimeError, match="p4711 / P4711|P4711 / p4711"):
        numbers_in_capitals(apps, None)
    assert sorted(Employee.objects.values_list("employee_number", flat=True)) == before
