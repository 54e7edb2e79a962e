"""Retirees (issue 22): a retired employee may always sign in and ask for support; a retired
peer supporter is listed, matched and told apart in the directory only where the program lets
retirees serve (``RETIREES_MAY_SERVE``)."""

import pytest
from django.urls import reverse

from peersupport.accounts.models import Employee, Role
from peersupport.roster import selectors

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory
from .helpers import make_supporter

pytestmark = pytest.mark.django_db

DIRECTORY = reverse("roster:directory")


@pytest.fixture
def retiree(dept, roster):
    profile = make_supporter(dept.squad, first="Ruth", last="Ashby")
    employee = profile.user.employee
    employee.status = Employee.Status.RETIRED
    employee.rank_title = "Sergeant"
    employee.save(update_fields=["status", "rank_title"])
    return profile


def names(profiles) -> list[str]:
    return sorted(p.user.employee.last_name for p in profiles)


def test_a_retired_supporter_is_not_listed_unless_retirees_serve(dept, retiree, settings):
    viewer = dept.users["employee"]
    assert "Ashby" not in names(selectors.directory(viewer=viewer))
    assert "Ashby" not in names(selectors.matching_supporters())
    settings.RETIREES_MAY_SERVE = True
    assert "Ashby" in names(selectors.directory(viewer=viewer))
    assert "Ashby" in names(selectors.matching_supporters())


def test_the_directory_tells_retirees_apart_and_filters_on_it(dept, retiree, client_for, settings):
    client = client_for("employee")
    page = client.get(DIRECTORY).content.decode()
    assert "Serving or retired" not in page and "Ashby" not in page
    settings.RETIREES_MAY_SERVE = True
    page = client.get(DIRECTORY).content.decode()
    assert "Serving or retired" in page
    assert "Sergeant · Retired</p>" in page  # no unit or shift any more
    retired = client.get(DIRECTORY, {"service": "retired"}).content.decode()
    assert "Ashby" in retired and "Garcia" not in retired
    assert "1 supporter matches your search." in retired
    serving = client.get(DIRECTORY, {"service": "serving"}).content.decode()
    assert "Ashby" not in serving and "Garcia" in serving
    refused = client.get(DIRECTORY, {"service": "emeritus"})
    assert refused.status_code == 400
    detail = client.get(reverse("roster:detail", args=[retiree.pk])).content.decode()
    assert "<dt>Service</dt><dd>Retired</dd>" in detail and "<dt>Shift</dt>" not in detail


def test_a_retiree_asks_for_support_like_anyone_still_serving(dept):
    """The employee role, and with it the request form, comes with a retired record."""
    user = UserFactory()
    EmployeeFactory(user=user, unit=dept.squad, status=Employee.Status.RETIRED)
    asking = signed_in_client(user)
    assert Role.EMPLOYEE in user.roles
    assert asking.get(reverse("support:ask")).status_code == 200
