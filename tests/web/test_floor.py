"""What every signed-in page pays (the floor), and the pages whose selects grow with the data:
their number of queries does not grow with the department (issue 21). Timings are measured by
bench/, never asserted here."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peersupport.accounts.models import Unit

from ..factories import EmployeeFactory, LanguageFactory, UnitFactory

pytestmark = pytest.mark.django_db


def _count(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries), response.content.decode()


def test_the_employee_page_does_one_query_per_select_however_many_units(dept, client_for):
    employee = EmployeeFactory(unit=dept.precinct)
    url = reverse("accounts:employee_edit", args=[employee.pk])
    client = client_for("sysadmin")
    small, _ = _count(client, url)
    Unit.objects.bulk_create(
        Unit(
            name=f"Squad <{i}> & co",
            kind=Unit.Kind.UNIT,
            parent=dept.precinct,
            agency_id=dept.hq.agency_id,
        )
        for i in range(300)
    )
    for i in range(30):
        LanguageFactory(code=f"x{i}", name=f"Tongue {i}")
    large, html = _count(client, url)
    assert small == large
    assert html.count("<option") > 300
    # The options are escaped, and the employee's own unit is the one selected.
    assert "Squad &lt;7&gt; &amp; co</option>" in html
    assert f'<option value="{dept.precinct.pk}" selected>' in html


def test_the_unit_select_of_a_new_unit_is_fast_too(dept, client_for):
    client = client_for("sysadmin")
    url = reverse("accounts:unit_create")
    small, _ = _count(client, url)
    UnitFactory.create_batch(50, parent=dept.precinct)
    large, html = _count(client, url)
    assert small == large
    assert 'name="parent"' in html


@pytest.mark.parametrize("persona", ["employee", "supporter", "coordinator", "bhs_manager"])
def test_a_signed_in_page_reads_the_session_and_the_account_once_each(persona, client_for):
    client = client_for(persona)
    client.get(reverse("web:home"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("web:home")).status_code == 200
    sql = [query["sql"] for query in ctx.captured_queries]
    assert len([q for q in sql if "django_session" in q]) == 1, sql
    assert len([q for q in sql if 'FROM "accounts_user"' in q]) == 1, sql
    # The one session query is the hand-written read (accounts/sessions.py), not the ORM's.
    assert next(q for q in sql if "django_session" in q).startswith("SELECT session_data")


@pytest.mark.parametrize("persona", ["employee", "supporter"])
def test_the_floor_does_not_grow_with_the_department(persona, dept, client_for):
    client = client_for(persona)
    url = reverse("web:home")
    small, _ = _count(client, url)
    UnitFactory.create_batch(40, parent=dept.precinct)
    EmployeeFactory.create_batch(60, unit=dept.squad)
    large, _ = _count(client, url)
    assert small == large
