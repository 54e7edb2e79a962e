"""The directory's page is read in one hand-written query of plain values
(``selectors.directory_page``): it must list the same supporters, in the same order, as
``selectors.directory()``, the ORM query the rest of the tests check, whatever the filters, and
leave out everyone ``directory()`` leaves out."""

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Employee, RoleGrant
from peersupport.roster import selectors
from peersupport.roster.models import OnCallShift

from ..factories import EmployeeFactory, UserFactory
from .helpers import A, Availability, Gender, Status, make_supporter

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(dept, roster, spanish):
    """The roster, and supporters that are listed or not for each reason ``directory()`` has,
    with names, units and bios that searches and the order must tell apart."""
    busy_on_call = make_supporter(
        dept.precinct, first="Cy", last="Abbot", availability=Availability.BUSY, areas=[A.FINANCES]
    )
    off_on_call = make_supporter(
        dept.precinct, first="Di", last="Abbot", availability=Availability.OFF
    )
    for profile in (busy_on_call, off_on_call):
        OnCallShift.objects.create(
            profile=profile,
            start=timezone.now() - timedelta(hours=1),
            end=timezone.now() + timedelta(hours=1),
        )
    make_supporter(dept.squad, first="Ed", last="Zed", availability=Availability.BUSY)
    teller = make_supporter(
        dept.squad, first="Fay", last="Moss", languages=[spanish], gender=Gender.WOMAN
    )
    teller.bio = "Twenty years in patrol; 100% discreet_"
    teller.save()
    make_supporter(dept.bureau, first="Gil", last="Moss", status=Status.INACTIVE)
    revoked = make_supporter(dept.squad, first="Hal", last="Revoked")
    RoleGrant.objects.filter(user=revoked.user).update(revoked_at=timezone.now())
    expired = make_supporter(dept.squad, first="Ida", last="Expired")
    RoleGrant.objects.filter(user=expired.user).update(expires_at=timezone.now())
    disabled = make_supporter(dept.squad, first="Jo", last="Disabled")
    disabled.user.is_active = False
    disabled.user.save(update_fields=["is_active"])
    leave = make_supporter(dept.squad, first="Kim", last="Leave")
    Employee.objects.filter(user=leave.user).update(status=Employee.Status.ON_LEAVE)
    retiree = make_supporter(dept.squad, first="Lou", last="Retiree")
    Employee.objects.filter(user=retiree.user).update(status=Employee.Status.RETIRED)
    # The employee persona's sergeant, a supporter in their chain of command.
    make_supporter(dept.squad, user=dept.users["supervisor"])
    captain = UserFactory()
    EmployeeFactory(user=captain, unit=dept.precinct, last_name="Captain", work_email=captain.email)
    dept.precinct.supervisor = captain.employee
    dept.precinct.save(update_fields=["supervisor"])
    make_supporter(dept.precinct, user=captain)


FILTERS = [
    {},
    {"query": "moss"},
    {"query": "  ana   garcia "},
    {"query": "patrol"},
    {"query": "jail"},
    {"query": "100%"},
    {"query": "discreet_"},
    {"query": "_"},
    {"query": "ABBOT"},
    {"area": A.GRIEF_LOSS},
    {"area": A.FINANCES},
    {"employee_type": Employee.Type.CIVILIAN},
    {"gender": Gender.WOMAN},
    {"gender": Gender.MAN},
    {"service": "retired"},
    {"service": "serving"},
    {"available_now": True},
    {"hide_my_chain": True},
    {"available_now": True, "hide_my_chain": True, "area": A.FINANCES},
]


@pytest.mark.parametrize("retirees", [False, True])
def test_the_page_lists_what_directory_lists(crowd, dept, spanish, settings, retirees):
    settings.RETIREES_MAY_SERVE = retirees
    cases = [*FILTERS, {"language": spanish}, {"language": spanish.pk, "query": "fay"}]
    for viewer, filters in itertools.product(
        [dept.users["employee"], dept.users["supervisor"], dept.users["chief"]], cases
    ):
        expected = list(selectors.directory(viewer=viewer, **filters))
        entries, total = selectors.directory_page(viewer=viewer, limit=100, **filters)
        assert [e.pk for e in entries] == [p.pk for p in expected], filters
        assert total == len(expected)
        assert [e.available_now for e in entries] == [p.available_now for p in expected]
        assert entries == [selectors.directory_entry(p) for p in expected]


def test_the_page_is_a_slice_of_the_whole(crowd, dept):
    viewer = dept.users["employee"]
    everyone = [p.pk for p in selectors.directory(viewer=viewer)]
    for offset in range(0, len(everyone) + 2, 3):
        entries, total = selectors.directory_page(viewer=viewer, limit=3, offset=offset)
        assert [e.pk for e in entries] == everyone[offset : offset + 3]
        assert total == (len(everyone) if entries else 0)


def test_a_page_past_the_end_shows_the_last(crowd, dept, client_for, monkeypatch):
    monkeypatch.setattr("peersupport.roster.views.PAGE_SIZE", 4)
    client = client_for("employee")
    last = client.get(reverse("roster:directory"), {"page": 99}).content.decode()
    everyone = selectors.directory(viewer=dept.users["employee"])
    assert "Page 3 of 3" in last and last.count('class="supporter-card"') == len(everyone) - 8
    for bad in ("0", "-3", "x", "99999999999999999999999", "9223372036854775807"):
        resp = client.get(reverse("roster:directory"), {"page": bad})
        assert resp.status_code == 200 and "supporter-card" in resp.content.decode()


def test_the_page_is_two_queries_however_many_supporters(dept, spanish, client_for):
    """The page (session, account, roles aside): the supporters with their count, their
    labels, and the languages of the filter."""
    client = client_for("employee")

    def queries(**params):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("roster:directory"), params).status_code == 200
        return [q["sql"] for q in ctx.captured_queries]

    filters = {"q": "only", "language": spanish.pk, "available_now": "on", "hide_my_chain": "on"}
    make_supporter(dept.squad, first="One", last="Only", languages=[spanish])
    few, few_filtered = queries(), queries(**filters)
    for i in range(40):
        make_supporter(dept.precinct, first=f"F{i}", last=f"Only{i:02d}", languages=[spanish])
    many, many_filtered = queries(), queries(**filters)
    assert len(few) == len(many) and len(few_filtered) == len(many_filtered)
    assert sum("roster_supporter" in sql for sql in many) == 2  # the page, its labels


def test_the_filter_fields_are_kept_per_values_and_follow_the_languages(dept, client_for):
    """The filter fields' HTML is kept per process for each set of values: a language added
    since shows at once, a chosen one stays chosen, and a refused value is never kept."""
    from peersupport.accounts.models import Language
    from peersupport.roster import views

    views._FILTER_FIELDS.clear()
    client = client_for("employee")
    url = reverse("roster:directory")
    client.get(url)
    client.get(url, {"area": A.FINANCES})
    assert len(views._FILTER_FIELDS) == 2
    client.get(url)
    assert len(views._FILTER_FIELDS) == 2  # the same values: kept
    tagalog = Language.objects.create(code="tl", name="Tagalog")
    page = client.get(url, {"language": tagalog.pk}).content.decode()
    assert f'<option value="{tagalog.pk}" selected>Tagalog</option>' in page
    assert "Tagalog" in client.get(url).content.decode()
    assert len(views._FILTER_FIELDS) == 4
    refused = client.get(url, {"language": "99999999999999999999", "q": "x"})
    assert refused.status_code == 400 and "Select a valid choice" in refused.content.decode()
    assert len(views._FILTER_FIELDS) == 4
    assert 'id="filters-on"> (1 in use)' in client.get(url, {"gender": "man"}).content.decode()
