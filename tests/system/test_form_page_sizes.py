"""Form pages whose choices grow with the department cost the same however big it gets.

The alert settings, a training session's new and edit pages, the units page, a unit's and an
employee's pages list units, supervisors, instructors, courses and enrolments: each is
requested with the persona department and again after adding many of each; the number of
queries must not change. (The roster and the roles page are in test_list_sizes.py.)
"""

import pytest
from django.urls import reverse

from peersupport.accounts.models import Role, RoleGrant
from tests.factories import (
    CourseFactory,
    EmployeeFactory,
    EnrolmentFactory,
    LanguageFactory,
    TrainingSessionFactory,
    UnitFactory,
    UserFactory,
)
from tests.queries import page_queries

pytestmark = pytest.mark.django_db


def _grow(dept, session, n: int) -> None:
    """``n`` more units (each with a supervisor and a supporter with an account), courses,
    languages, sessions, and people enrolled in ``session``."""
    for i in range(n):
        unit = UnitFactory(parent=dept.precinct if i % 2 else dept.squad)
        unit.supervisor = EmployeeFactory(unit=unit)
        unit.save(update_fields=["supervisor"])
        user = UserFactory()
        EmployeeFactory(unit=unit, user=user, work_email=user.email)
        RoleGrant.objects.create(user=user, role=Role.PEER_SUPPORTER, reason="grow")
        CourseFactory()
        LanguageFactory()
        TrainingSessionFactory(course=session.course)
        EnrolmentFactory(session=session, user=user)


def _pages(dept, personas, session) -> list[tuple[str, str]]:
    employee = personas["supporter"].employee
    return [
        ("supporter", reverse("web:alert_settings")),
        ("coordinator", reverse("web:alert_settings")),
        ("bhs_manager", reverse("web:alert_settings")),
        ("coordinator", reverse("training:session_new")),
        ("coordinator", reverse("training:session_new") + f"?course={session.course_id}"),
        ("coordinator", reverse("training:session_edit", args=[session.pk])),
        ("sysadmin", reverse("accounts:unit_list")),
        ("sysadmin", reverse("accounts:unit_edit", args=[dept.squad.pk])),
        ("sysadmin", reverse("accounts:employee_edit", args=[employee.pk])),
    ]


def test_form_pages_do_not_grow_with_the_department(dept, personas, client_for, capsys):
    session = TrainingSessionFactory(created_by=personas["coordinator"])
    pages = _pages(dept, personas, session)
    _grow(dept, session, 3)
    small = [page_queries(client_for(who), url, warm=True) for who, url in pages]
    _grow(dept, session, 30)
    large = [page_queries(client_for(who), url, warm=True) for who, url in pages]
    with capsys.disabled():
        print("\nqueries per form page (small -> large)")
        for (who, url), before, after in zip(pages, small, large, strict=True):
            print(f"  {url:45} as {who:12} {before:3} -> {after:3}")
    assert small == large
