import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from peersupport.accounts import selectors, services
from peersupport.accounts.models import Employee, Unit
from peersupport.audit.models import AuditAction, AuditEvent

from ..factories import EmployeeFactory, LanguageFactory, UnitFactory

pytestmark = pytest.mark.django_db


# --- Chain of command ------------------------------------------------------------------------


def test_chain_of_command_walks_up_the_tree(dept, personas):
    sergeant = personas["supervisor"].employee
    captain = EmployeeFactory(unit=dept.precinct, rank_title="Captain")
    chief = personas["chief"].employee
    dept.precinct.supervisor = captain
    dept.precinct.save()
    dept.hq.supervisor = chief
    dept.hq.save()
    officer = personas["employee"].employee
    assert selectors.chain_of_command(officer) == [sergeant, captain, chief]
    # The sergeant's own chain skips themselves; the bureau has no supervisor and is skipped.
    assert selectors.chain_of_command(sergeant) == [captain, chief]


def test_chain_skips_inactive_supervisors(dept, personas):
    sergeant = personas["supervisor"].employee
    sergeant.status = Employee.Status.ON_LEAVE
    sergeant.save()
    assert selectors.chain_of_command(personas["employee"].employee) == []


# --- Units -----------------------------------------------------------------------------------


def test_unit_tree_cannot_loop(dept, personas):
    admin = personas["sysadmin"]
    for new_parent in (dept.bureau, dept.precinct, dept.squad):
        with pytest.raises(ValidationError, match="under itself"):
            services.unit_update(
                actor=admin,
                unit=dept.bureau,
                name=dept.bureau.name,
                kind=dept.bureau.kind,
                parent=new_parent,
                supervisor=None,
            )
    dept.bureau.refresh_from_db()
    assert dept.bureau.parent == dept.hq


def test_only_a_department_is_a_root(personas):
    with pytest.raises(ValidationError, match="Only a department"):
        services.unit_create(
            actor=personas["sysadmin"],
            name="Orphan",
            kind=Unit.Kind.UNIT,
            parent=None,
            supervisor=None,
        )


def test_unit_form_refuses_a_loop_with_a_message(dept, client_for):
    url = reverse("accounts:unit_edit", args=[dept.bureau.pk])
    resp = client_for("sysadmin").post(
        url, {"name": "Patrol Bureau", "kind": "bureau", "parent": dept.squad.pk}
    )
    assert resp.status_code == 400
    assert "cannot sit under itself" in resp.content.decode()
    dept.bureau.refresh_from_db()
    assert dept.bureau.parent_id == dept.hq.pk


def test_unit_form_duplicate_name_in_parent(dept, client_for):
    resp = client_for("sysadmin").post(
        reverse("accounts:unit_create"),
        {"name": "North Precinct", "kind": "precinct", "parent": dept.bureau.pk},
    )
    assert resp.status_code == 400
    assert "already exists" in resp.content.decode()
    assert Unit.objects.filter(name="North Precinct").count() == 1


def test_unit_form_creates_and_sets_supervisor(dept, client_for, personas):
    sup = personas["supervisor"].employee
    resp = client_for("sysadmin").post(
        reverse("accounts:unit_create"),
        {
            "name": "K9",
            "kind": "unit",
            "parent": dept.precinct.pk,
            "supervisor": sup.employee_number,
        },
    )
    assert resp.status_code == 302
    unit = Unit.objects.get(name="K9")
    assert unit.supervisor == sup and unit.parent == dept.precinct
    assert AuditEvent.objects.filter(
        action=AuditAction.UNIT_CREATED, target_id=str(unit.pk)
    ).exists()


def test_unit_form_unknown_supervisor(dept, client_for):
    resp = client_for("sysadmin").post(
        reverse("accounts:unit_create"),
        {"name": "K9", "kind": "unit", "parent": dept.precinct.pk, "supervisor": "NOPE"},
    )
    assert resp.status_code == 400
    assert not Unit.objects.filter(name="K9").exists()


def test_unit_list_shows_the_tree(dept, client_for):
    page = client_for("sysadmin").get(reverse("accounts:unit_list")).content.decode()
    assert page.index("Demo PD") < page.index("Patrol Bureau") < page.index("Day Patrol")


def test_unknown_unit_is_404(client_for):
    assert (
        client_for("sysadmin").get(reverse("accounts:unit_edit", args=[999999])).status_code == 404
    )


# --- Employees -------------------------------------------------------------------------------


def _employee_data(dept, **over):
    data = {
        "employee_number": "A1234",
        "first_name": "Dana",
        "last_name": "Reyes",
        "preferred_name": "",
        "work_email": "dana.reyes@pd.example.org",
        "employee_type": "civilian",
        "rank_title": "Dispatcher",
        "unit": dept.squad.pk,
        "shift": "night",
        "status": "active",
    }
    data.update(over)
    return data


def test_employee_create(dept, client_for):
    spanish = LanguageFactory(code="es", name="Spanish")
    resp = client_for("sysadmin").post(
        reverse("accounts:employee_create"), _employee_data(dept, languages=[spanish.pk])
    )
    assert resp.status_code == 302
    e = Employee.objects.get(employee_number="A1234")
    assert list(e.languages.all()) == [spanish]
    assert AuditEvent.objects.filter(action=AuditAction.EMPLOYEE_CREATED).count() == 1


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"employee_number": "TAKEN"}, "already has this employee number"),
        ({"work_email": "TAKEN"}, "already has this e-mail"),
        ({"employee_number": "A-1 2"}, "letters and digits"),
        ({"work_email": "nope"}, "valid email"),
        ({"employee_type": "astronaut"}, "valid choice"),
        ({"unit": "999999"}, "valid choice"),
        ({"first_name": ""}, "required"),
    ],
)
def test_employee_bad_input(dept, client_for, personas, over, message):
    # The duplicates are another employee's own number and address (work e-mail in capitals).
    taken = personas["employee"].employee
    if over.get("employee_number") == "TAKEN":
        over = {"employee_number": taken.employee_number}
    if over.get("work_email") == "TAKEN":
        over = {"work_email": taken.work_email.upper()}
    before = Employee.objects.count()
    resp = client_for("sysadmin").post(
        reverse("accounts:employee_create"), _employee_data(dept, **over)
    )
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert Employee.objects.count() == before


def test_employee_edit_changes_only_what_changed(dept, client_for, personas):
    e = personas["employee"].employee
    data = {
        "employee_number": e.employee_number,
        "first_name": e.first_name,
        "last_name": e.last_name,
        "preferred_name": "Sam",
        "work_email": e.work_email,
        "employee_type": e.employee_type,
        "rank_title": "Detective",
        "unit": e.unit_id,
        "shift": e.shift,
        "status": e.status,
    }
    resp = client_for("sysadmin").post(reverse("accounts:employee_edit", args=[e.pk]), data)
    assert resp.status_code == 302
    e.refresh_from_db()
    assert e.rank_title == "Detective" and e.preferred_name == "Sam"
    event = AuditEvent.objects.get(action=AuditAction.EMPLOYEE_UPDATED)
    assert sorted(event.details["fields"]) == ["preferred_name", "rank_title"]


def test_employee_search_and_htmx_partial(dept, client_for, personas):
    c = client_for("sysadmin")
    target = personas["supporter"].employee
    resp = c.get(reverse("accounts:employee_list"), {"q": target.last_name})
    assert target.employee_number in resp.content.decode()
    partial = c.get(
        reverse("accounts:employee_list"), {"q": target.employee_number}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert target.last_name in body
    assert "<html" not in body  # only the results partial


def test_employee_list_bad_page_number(client_for):
    resp = client_for("sysadmin").get(reverse("accounts:employee_list"), {"page": "zzz"})
    assert resp.status_code == 200


# --- Profile ---------------------------------------------------------------------------------


def test_profile_update(client_for, personas):
    spanish = LanguageFactory(code="es", name="Spanish")
    c = client_for("employee")
    resp = c.post(
        reverse("accounts:profile"),
        {"display_name": "Sam R.", "preferred_name": "Sam", "languages": [spanish.pk]},
    )
    assert resp.status_code == 302
    user = personas["employee"]
    user.refresh_from_db()
    user.employee.refresh_from_db()
    assert user.display_name == "Sam R." and user.employee.preferred_name == "Sam"
    assert list(user.employee.languages.all()) == [spanish]


def test_profile_bad_input(client_for, personas):
    c = client_for("employee")
    resp = c.post(reverse("accounts:profile"), {"display_name": "1234", "languages": ["999"]})
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "at least one letter" in body and "valid choice" in body
    personas["employee"].refresh_from_db()
    assert personas["employee"].display_name != "1234"


def test_profile_shows_chain_of_command(client_for, personas):
    body = client_for("employee").get(reverse("accounts:profile")).content.decode()
    assert personas["supervisor"].employee.full_name in body


def test_profile_for_account_without_employee_record(client_for):
    resp = client_for("sysadmin").get(reverse("accounts:profile"))
    assert resp.status_code == 200
    assert "Department record" not in resp.content.decode()


def test_other_units_unaffected(dept):
    other = UnitFactory(name="Other", kind=Unit.Kind.DEPARTMENT)
    assert selectors.unit_ancestors(other) == []
