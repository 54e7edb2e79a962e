"""The program reports in a real browser: the coordinator picks periods (a quarter with
activity, a month with nothing recorded), meets the message for a period not over yet, and the
committee member and the Chief read their dashboards. Every page checked with axe, under the
strict CSP (the charts are server-drawn SVG; no script, no inline style)."""

import datetime

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.reports import builds, selectors
from peersupport.reports.models import PeriodClosure
from peersupport.reports.periods import QUARTER, latest_closed
from peersupport.support.models import Contact

from .axe import assert_accessible
from .conftest import open_page


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_reports_for_each_audience(new_context, sign_in, personas):
    quarter = latest_closed(QUARTER, selectors.closed_through())
    for i, month in enumerate(quarter.months()):
        Contact.objects.bulk_create(
            Contact(
                supporter=personas["supporter"],
                date=month.first_day + datetime.timedelta(days=n % 20),
                duration_minutes=30 + n,
                mode=[Contact.Mode.PHONE, Contact.Mode.IN_PERSON][n % 2],
                requester_type=Contact.RequesterType.SWORN if n % 9 else "family",
                topics=["work_stress", "sleep_health"][: 1 + n % 2],
                limits_explained=True,
                notice_version="v1",
            )
            for n in range(25 + 5 * i)
        )
    builds.rebuild(force=True)  # what the worker does after writes

    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto(reverse("reports:dashboard"))
    expect(coord.get_by_role("heading", level=1)).to_have_text(f"Program reports: {quarter}")
    # The summary first; a section's tables and charts open on demand.
    chart = coord.get_by_role("img", name=f"Contacts by mode, {quarter}", exact=False)
    expect(chart).to_be_hidden()
    coord.locator("details.report-details > summary").first.click()
    expect(chart).to_be_visible()
    expect(coord.get_by_role("heading", name="Supporter load")).to_be_visible()
    assert_accessible(coord)

    empty = quarter.previous().previous().months()[0]
    coord.get_by_label("Period", exact=True).select_option(empty.key)
    submit(coord, coord.get_by_role("button", name="Show"))
    expect(coord.get_by_role("heading", name=f"Nothing recorded in {empty}")).to_be_visible()
    assert_accessible(coord)

    coord.goto(reverse("reports:dashboard") + f"?period={timezone.localdate().year + 1}")
    expect(coord.locator("[data-error-summary]")).to_contain_text("is not over yet")
    assert_accessible(coord)

    committee = as_persona(new_context, sign_in, "committee_member")
    committee.goto(reverse("reports:dashboard") + f"?period={quarter.key}")
    committee.locator("details.report-details > summary").first.press("Enter")  # keyboard
    expect(committee.get_by_role("heading", name="Contacts by mode")).to_be_visible()
    expect(committee.get_by_role("heading", name="Confidentiality escalations")).to_have_count(0)
    assert_accessible(committee)

    bhs = as_persona(new_context, sign_in, "bhs_manager")
    bhs.goto(reverse("reports:dashboard") + f"?period={quarter.key}")
    expect(bhs.get_by_role("heading", name="Confidentiality escalations")).to_be_visible()
    expect(bhs.get_by_role("heading", name="Supporter load")).to_be_visible()
    expect(bhs.get_by_text("a closed period's numbers never change")).to_be_visible()
    assert_accessible(bhs)

    chief = as_persona(new_context, sign_in, "chief")
    chief.goto(reverse("reports:dashboard") + f"?period={quarter.months()[-1].key}")
    expect(chief.get_by_role("heading", name="Supporter load")).to_have_count(0)
    expect(chief.get_by_role("heading", name="Confidentiality escalations")).to_be_visible()
    assert_accessible(chief)


def test_the_coordinator_closes_a_period(new_context, sign_in):
    """From the dashboard to the periods page, a period picked, the confirmation, closed."""
    builds.rebuild(force=True)
    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto(reverse("reports:dashboard"))
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name="Reporting periods: open and closed"))
    expect(coord.get_by_role("heading", level=1)).to_have_text("Reporting periods")
    assert_accessible(coord)
    month = selectors.closed_through().next()
    if not month.is_over(timezone.localdate()):
        expect(coord.get_by_text("Every period that is over is closed.")).to_be_visible()
        return
    coord.get_by_label("Period that is over and still open").select_option(month.key)
    submit(coord, coord.get_by_role("button", name="Continue"))
    expect(coord.get_by_role("heading", level=1)).to_have_text(f"Close {month}?")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name=f"Close {month}"))
    expect(coord.get_by_text(f"Closed: {month}.")).to_be_visible()
    assert PeriodClosure.objects.filter(through=month.key).exists()
    assert_accessible(coord)


def test_before_the_first_build_the_page_says_the_figures_are_being_prepared(new_context, sign_in):
    """A new installation: the page says so and refreshes by itself once the worker built."""
    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto(reverse("reports:dashboard"))
    expect(coord.get_by_role("status")).to_contain_text("The figures are being prepared")
    assert_accessible(coord)
    builds.rebuild(force=True)
    submit(coord, coord.get_by_role("link", name="Check again"))
    expect(coord.get_by_role("heading", level=1)).to_contain_text("Program reports: ")
    expect(coord.get_by_text("Figures as of")).to_be_visible()
    assert_accessible(coord)
