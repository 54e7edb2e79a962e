"""Each staff role's main task, done from its home page in a real browser, counting the pages it
takes (every page load after the home page, the page that confirms it included). The counts are
written in docs/operations.md ("How many pages a task takes"); a change that adds a page fails
here until that table, and the reason, are updated too."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.accounts.models import Role, RoleGrant
from peersupport.accounts.services import role_request
from peersupport.governance import defaults
from peersupport.governance import services as governance
from peersupport.governance.models import (
    ExceptionCategory,
    PolicyDocument,
    PolicyVersion,
)
from peersupport.roster.models import SupporterProfile
from peersupport.training.models import Attendance, CourseKind

from ..factories import EmployeeFactory, UserFactory, grant
from ..matrix.training import make_session
from .axe import assert_accessible

# The pages each task takes after the home page (docs/operations.md keeps the same table).
PAGES = {
    "coordinator: activate a supporter who finished initial training": 2,
    "BHS manager: approve a confidential role": 2,
    "Chief: approve a policy version": 2,
    "system administrator: grant a role": 2,
}


class PageCounter:
    """Counts the page loads of the tab's main frame (htmx swaps are not page loads)."""

    def __init__(self, page):
        self.urls: list[str] = []
        page.on("framenavigated", lambda frame: self._seen(page, frame))

    def _seen(self, page, frame) -> None:
        if frame == page.main_frame:
            self.urls.append(frame.url)


def _go(page, locator) -> None:
    with page.expect_navigation():
        locator.click()
    assert_accessible(page)


def _home(page):
    page.goto("/")
    assert_accessible(page)
    return PageCounter(page), page.get_by_role("region", name="Waiting for you")


def test_coordinator_activates_a_supporter_from_home(page, sign_in):
    user = UserFactory(display_name="Robin Appointee")
    EmployeeFactory(user=user, first_name="Robin", last_name="Appointee", work_email=user.email)
    grant(user, Role.PEER_SUPPORTER)
    profile = SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.APPOINTED)
    for day in make_session(days_from_now=-20, days=5, kind=CourseKind.INITIAL).days.all():
        Attendance.objects.create(day=day, user=user, hours=Decimal(8))

    sign_in("coordinator")
    pages, waiting = _home(page)
    _go(page, waiting.get_by_role("link", name="ready to activate"))
    _go(page, page.get_by_role("button", name="Yes, activate Robin Appointee"))
    expect(page.get_by_text("Robin Appointee is now active.")).to_be_visible()
    profile.refresh_from_db()
    assert profile.status == SupporterProfile.Status.ACTIVE
    assert (
        len(pages.urls) == PAGES["coordinator: activate a supporter who finished initial training"]
    )


def test_bhs_manager_approves_a_role_from_home(page, sign_in, personas):
    newcomer = UserFactory(display_name="Kim Newcomer")
    role_request(
        actor=personas["sysadmin"], user=newcomer, role=Role.PEER_SUPPORTER, reason="Appointed"
    )
    sign_in("bhs_manager")
    pages, waiting = _home(page)
    _go(page, waiting.get_by_role("link", name="A role grant waits for your approval"))
    page.get_by_role("radio", name="Approve").check()
    page.get_by_role("checkbox", name="I have checked who asked").check()
    _go(page, page.get_by_role("button", name="Record the decision"))
    expect(page.get_by_role("status")).to_contain_text("Kim Newcomer")
    assert RoleGrant.objects.current().filter(user=newcomer, role=Role.PEER_SUPPORTER).exists()
    assert len(pages.urls) == PAGES["BHS manager: approve a confidential role"]


def test_chief_approves_a_policy_version_from_home(page, sign_in, personas):
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )
    document = PolicyDocument.objects.get(kind=PolicyDocument.Kind.PROGRAM_POLICY)
    version = governance.policy_version_draft(
        actor=personas["bhs_manager"],
        document=document,
        effective_date=timezone.localdate() + datetime.timedelta(days=7),
        body="Version two, with 32 hours of training a year.",
    )
    governance.policy_version_submit(actor=personas["bhs_manager"], version=version)

    sign_in("chief")
    pages, waiting = _home(page)
    _go(page, waiting.get_by_role("link", name="A policy version waits for your approval"))
    expect(page.get_by_text("32 hours of training a year")).to_be_visible()
    _go(page, page.get_by_role("button", name=f"Approve version {version.number}"))
    expect(page.get_by_text(f"Version {version.number} is approved.")).to_be_visible()
    version.refresh_from_db()
    assert version.status == PolicyVersion.Status.APPROVED
    assert len(pages.urls) == PAGES["Chief: approve a policy version"]


def test_sysadmin_grants_a_role_from_home(page, sign_in, personas):
    sign_in("sysadmin")
    pages, _ = _home(page)
    _go(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Roles"))
    form = page.get_by_role("region", name="Grant a role")
    # The person picker takes a name or, as here, the account's e-mail.
    form.get_by_label("Person").fill("employee@pd.example.org")
    form.get_by_role("combobox", name="Role").select_option(label="Interview panelist")
    form.get_by_label("Reason").fill("Spring selection panel")
    _go(page, form.get_by_role("button", name="Grant role"))
    expect(page.get_by_role("status")).to_have_text("Granted Interview panelist to Employee.")
    assert RoleGrant.objects.current().filter(user=personas["employee"], role="panelist").exists()
    assert len(pages.urls) == PAGES["system administrator: grant a role"]


@pytest.fixture(autouse=True)
def _documented():
    """The table in docs/operations.md says the same as PAGES."""
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    for task, count in PAGES.items():
        assert f"| {task} | {count} |" in text, task
