"""The person picker (peersupport/web/picker.py) and its search (web:person_search): who finds
whom, what a match shows, that the search never leaks people outside the searcher's pool, a
constant number of queries, and the picker in a form with and without JavaScript (the
nomination form)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peersupport.accounts.models import Employee, Role
from peersupport.selection.models import Nomination

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, FamilyMemberFactory, UserFactory, enable_totp, grant

SEARCH = reverse("web:person_search")


def _person(dept, first, last="Quill", *, status=Employee.Status.ACTIVE, account=True, **kw):
    user = UserFactory(display_name=f"{first} {last}") if account else None
    EmployeeFactory(
        user=user, unit=dept.squad, first_name=first, last_name=last, status=status, **kw
    )
    return user


def _search(client, pool, query, field="who"):
    return client.get(SEARCH, {"pool": pool, "field": field, field: query})


@pytest.fixture
def people(dept):
    """Quills of every kind: only Ada and Bo may be found as colleagues."""
    found = {
        "ada": _person(dept, "Ada"),
        "bo": _person(dept, "Bo", rank_title="Sergeant"),
        "retired": _person(dept, "Rex", status=Employee.Status.RETIRED),
        "separated": _person(dept, "Sep", status=Employee.Status.SEPARATED),
        "disabled": _person(dept, "Dis"),
        "no_account": _person(dept, "Noa", account=False),
    }
    found["disabled"].is_active = False
    found["disabled"].save(update_fields=["is_active"])
    relative = UserFactory(display_name="Fay Quill", email="fay.quill@home.example")
    FamilyMemberFactory(employee=found["ada"].employee, user=relative, name="Fay Quill")
    found["family"] = relative
    found["contractor"] = UserFactory(display_name="Cy Quill", email="cy.quill@it.example")
    return found


def test_a_name_with_a_nul_is_searched_without_it(dept, client_for, people):
    # PostgreSQL refuses NUL in text (a 500 the form fuzz test found on the nominate and CISM
    # team forms); a lone surrogate cannot be encoded at all.
    for typed in ("qu\x00il", "\x00"):
        page = _search(client_for("employee"), "colleague", typed)
        assert page.status_code == 200, typed
    assert (
        "2 people match"
        in _search(client_for("employee"), "colleague", "qu\x00il").content.decode()
    )


def test_an_employee_finds_colleagues_by_name_with_rank_and_unit_only(dept, client_for, people):
    page = _search(client_for("employee"), "colleague", "quil")
    assert page.status_code == 200
    text = page.content.decode()
    assert "2 people match" in text
    assert "Ada Quill" in text and "Bo Quill" in text and "Sergeant, Day Patrol" in text
    for hidden in ("Rex", "Sep", "Dis", "Noa", "Fay", "Cy Quill", "@", "E0"):
        assert hidden not in text, hidden
    # Every word of the name must match; a work e-mail or employee number matches exactly.
    assert "Ada Quill" in _search(client_for("employee"), "colleague", "ada qu").content.decode()
    assert "Bo" not in _search(client_for("employee"), "colleague", "ada qu").content.decode()
    number = people["bo"].employee.employee_number
    assert "Bo Quill" in _search(client_for("employee"), "colleague", number).content.decode()
    assert (
        "Nobody matches"
        in _search(client_for("employee"), "colleague", number[:-1]).content.decode()
    )


def test_the_search_never_leaks_people_to_those_who_may_not_see_them(dept, client_for, people):
    # Role managers find accounts (with their e-mail), never a family member's account.
    for manager in ("sysadmin", "bhs_manager"):
        text = _search(client_for(manager), "account", "quill").content.decode()
        assert "Cy Quill" in text and "cy.quill@it.example" in text, manager
        assert "Fay" not in text and "Dis" not in text, manager
    # An employee may not search accounts, nor the system administrator colleagues: 404, no name.
    for persona, pool in (
        ("employee", "account"),
        ("supervisor", "account"),
        ("sysadmin", "colleague"),
    ):
        refused = _search(client_for(persona), pool, "quill")
        assert refused.status_code == 404 and "Quill" not in refused.content.decode(), persona
    assert _search(client_for("employee"), "everyone", "quill").status_code == 404
    # Nobody without a pool gets in at all: a family member's account, an account with no role.
    for outsider in (people["family"], people["contractor"]):
        enable_totp(outsider)
        refused = _search(signed_in_client(outsider), "colleague", "quill")
        assert refused.status_code == 403 and "Quill" not in refused.content.decode()
    # A malformed ask is refused plainly.
    assert client_for("employee").get(SEARCH, {"pool": "colleague"}).status_code == 400
    assert (
        client_for("employee").get(SEARCH, {"pool": "colleague", "field": "<x>"}).status_code == 400
    )


def test_those_who_run_outreach_find_employees_with_or_without_an_account(dept, client_for, people):
    on_leave = _person(dept, "Lee", status=Employee.Status.ON_LEAVE, account=False)
    assert on_leave is None  # no account: found by the employee record
    for persona in ("coordinator", "bhs_manager"):
        text = _search(client_for(persona), "employee", "quill").content.decode()
        for found in ("Ada Quill", "Bo Quill", "Noa Quill", "Lee Quill", "Dis Quill"):
            assert found in text, (persona, found)
        for hidden in ("Rex", "Sep", "Fay", "Cy Quill", "@"):
            assert hidden not in text, (persona, hidden)
    for persona in ("employee", "supporter", "chief", "sysadmin"):
        refused = _search(client_for(persona), "employee", "quill")
        assert refused.status_code in (403, 404) and "Quill" not in refused.content.decode()


def test_the_search_takes_the_same_queries_for_3_or_300_people(dept, client_for):
    client = client_for("employee")
    _search(client, "colleague", "zed")  # the session and roles settled

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert _search(client, "colleague", "zed").status_code == 200
        return len(queries)

    for i in range(3):
        _person(dept, f"Zed{i}")
    few = count()
    for i in range(3, 300):
        _person(dept, f"Zed{i}", last=f"Zz{i}")
    assert count() == few
    assert "More people match" in _search(client, "colleague", "zed").content.decode()


# --- In a form: the nomination ----------------------------------------------------------------


def test_without_javascript_search_shows_the_matches_and_records_nothing(dept, client_for, people):
    employee = client_for("employee")
    url = reverse("selection:nominate")
    searched = employee.post(url, {"nominee": "Quill", "nominee_search": "1", "reason": ""})
    text = searched.content.decode()
    assert searched.status_code == 400
    assert "2 people match “Quill”: choose your colleague below" in text
    assert f'name="nominee_id" id="id_nominee_id_{people["ada"].pk}"' in text
    assert "Why you nominate them" in text and "This field is required" not in text
    assert not Nomination.objects.exists()
    done = employee.post(
        url, {"nominee": "Quill", "nominee_id": people["ada"].pk, "reason": "Steady."}
    )
    assert done.status_code == 302
    assert Nomination.objects.get().candidacy.nominee == people["ada"]


def test_a_name_that_is_not_one_person_or_an_id_outside_the_pool_is_refused(
    dept, client_for, people
):
    employee = client_for("employee")
    url = reverse("selection:nominate")
    cases = [
        ({"nominee": "Quill"}, "2 people match"),  # typed, not chosen
        ({"nominee": "Xyzzy"}, "Nobody matches “Xyzzy”"),
        ({"nominee": "Q"}, "Type at least 2 letters"),
        ({"nominee": ""}, "Type your colleague&#x27;s name"),
        ({"nominee": "Quill", "nominee_id": people["disabled"].pk}, "Choose your colleague"),
        ({"nominee": "Quill", "nominee_id": people["family"].pk}, "Choose your colleague"),
        ({"nominee": "Quill", "nominee_id": people["retired"].pk}, "Choose your colleague"),
        ({"nominee": "Quill", "nominee_id": "9" * 30}, "Choose your colleague"),
        ({"nominee": "Quill", "nominee_id": "Ada"}, "Choose your colleague"),
    ]
    for data, error in cases:
        page = employee.post(url, {**data, "reason": "Steady."})
        assert page.status_code == 400, data
        assert error in page.content.decode(), data
    assert not Nomination.objects.exists()


def test_a_picker_in_another_role_managers_hands_only_finds_their_pool(dept, people):
    """The field re-checks a chosen id against the viewer's own pool (not the form's data)."""
    from peersupport.selection.forms import NominationForm

    outsider = people["contractor"]
    grant(outsider, Role.PANELIST)
    outsider.forget_roles()
    form = NominationForm(
        {"nominee": "Quill", "nominee_id": people["ada"].pk, "reason": "x"}, viewer=outsider
    )
    assert not form.is_valid() and "nominee" in form.errors
