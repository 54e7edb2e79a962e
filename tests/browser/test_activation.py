"""The coordinator activates a supporter who finished initial training: from the roster, one
confirmed click, no status form; and cancels someone's place on a course with a reason."""

from decimal import Decimal

from playwright.sync_api import expect

from peersupport.accounts.models import Role
from peersupport.roster.models import SupporterProfile
from peersupport.training.models import Attendance, CourseKind, Enrolment

from ..factories import EmployeeFactory, UserFactory, grant
from ..matrix.training import make_session
from .axe import assert_accessible


def _trained_appointee():
    user = UserFactory(display_name="Robin Appointee")
    EmployeeFactory(user=user, first_name="Robin", last_name="Appointee", work_email=user.email)
    grant(user, Role.PEER_SUPPORTER)
    profile = SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.APPOINTED)
    session = make_session(days_from_now=-20, days=5, kind=CourseKind.INITIAL)
    for day in session.days.all():
        Attendance.objects.create(day=day, user=user, hours=Decimal(8))
    return profile


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_coordinator_activates_from_the_roster_in_two_clicks(page, sign_in):
    profile = _trained_appointee()
    sign_in("coordinator")
    page.goto("/supporters/roster/")
    expect(page.get_by_text("ready to activate", exact=False)).to_be_visible()
    assert_accessible(page)
    submit(page, page.get_by_role("link", name="Activate Robin Appointee"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Robin Appointee")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Yes, activate Robin Appointee"))
    expect(page.get_by_text("Robin Appointee is now active.")).to_be_visible()
    assert_accessible(page)
    profile.refresh_from_db()
    assert profile.status == SupporterProfile.Status.ACTIVE


def test_coordinator_cancels_a_place_with_a_reason(page, sign_in):
    session = make_session(days_from_now=10)
    user = UserFactory(display_name="Sam Trainee")
    EmployeeFactory(user=user, first_name="Sam", last_name="Trainee", work_email=user.email)
    SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.ACTIVE)
    enrolment = Enrolment.objects.create(
        session=session, user=user, status=Enrolment.Status.ENROLLED
    )
    sign_in("coordinator")
    page.goto(f"/training/sessions/{session.pk}/")
    assert_accessible(page)
    submit(page, page.get_by_role("link", name="Cancel the place of Sam Trainee"))
    assert_accessible(page)
    # No reason: the page says so and nothing changes.
    submit(page, page.get_by_role("button", name="Cancel the place"))
    expect(page.locator("[data-error-summary]")).to_contain_text("Nothing was saved")
    assert_accessible(page)
    page.get_by_label("Reason").fill("Moved to nights")
    submit(page, page.get_by_role("button", name="Cancel the place"))
    expect(page.get_by_text("The place is cancelled; the person is told.")).to_be_visible()
    assert_accessible(page)
    enrolment.refresh_from_db()
    assert enrolment.status == Enrolment.Status.CANCELLED
