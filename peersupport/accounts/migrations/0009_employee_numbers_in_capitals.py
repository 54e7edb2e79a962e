"""Employee numbers in capitals, as the employee page and the HR roster import now store them
(docs/hr-import.md): an import matches people by number, so a record kept as "e123" would not be
found by the file's "E123" and would be taken for someone new. Two records whose numbers differ
only in case would become one number: the migration stops and names them instead of guessing."""

from django.db import migrations
from django.db.models.functions import Upper


def numbers_in_capitals(apps, schema_editor):
    Employee = apps.get_model("accounts", "Employee")
    lower = Employee.objects.exclude(employee_number=Upper("employee_number"))
    if not lower.exists():
        return
    taken = {}
    for pk, number in Employee.objects.values_list("pk", "employee_number"):
        taken.setdefault(number.upper(), []).append(number)
    clashes = sorted(" / ".join(numbers) for numbers in taken.values() if len(numbers) > 1)
    if clashes:
        raise RuntimeError(
            "These employee numbers differ only in case; give each person a number of their "
            "own on the employee page, then migrate again: " + ", ".join(clashes)
        )
    for employee in lower.only("pk", "employee_number"):
        employee.employee_number = employee.employee_number.upper()
        employee.save(update_fields=["employee_number"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_employee_hr_dates"),
    ]

    operations = [
        migrations.RunPython(numbers_in_capitals, migrations.RunPython.noop, elidable=True),
    ]
