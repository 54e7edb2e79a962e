"""Asking for support in a real browser: a signed-in employee, and a family member without an
account who gets a codename and comes back with it. Every page checked with axe."""

import re

import pytest
from playwright.sync_api import expect

from peersupport.roster.models import SupporterProfile
from peersupport.support.models import Message, SupportRequest

from .axe import assert_accessible


@pytest.fixture
def available_supporter(personas):
    return SupporterProfile.objects.create(
        user=personas["supporter"],
        status=SupporterProfile.Status.ACTIVE,
        availability=SupporterProfile.Availability.AVAILABLE,
    )


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_employee_asks_for_support(page, sign_in, available_supporter):
    sign_in("employee")
    page.goto("/support/ask/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for support")
    expect(page.get_by_role("heading", name="The limits of confidentiality")).to_be_visible()
    assert_accessible(page)

    # Sending without reading the limits is refused, with the reason next to the box.
    page.get_by_role("radio", name="Phone call").check()
    page.get_by_label("Phone number or e-mail address").fill("555 0100 4321")
    submit(page, page.get_by_role("button", name="Send my request"))
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Please read the limits of confidentiality"
    )
    assert SupportRequest.objects.count() == 0
    assert_accessible(page)

    page.get_by_role("checkbox", name=re.compile("I have read the limits")).check()
    submit(page, page.get_by_role("button", name="Send my request"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request")
    expect(page.get_by_text("Offered to a supporter")).to_be_visible()
    assert SupportRequest.objects.get().offers.get().supporter == available_supporter.user
    assert_accessible(page)

    page.get_by_label("Your message").fill("Evenings are best for me.")
    submit(page, page.get_by_role("button", name="Send message"))
    expect(page.get_by_text("Evenings are best for me.")).to_be_visible()
    assert Message.objects.get().body == "Evenings are best for me."
    assert_accessible(page)


def test_family_member_without_account_gets_a_codename_and_comes_back(page, available_supporter):
    page.goto("/")  # the sign-in page, with the ways in that need no account
    assert_accessible(page)
    submit(page, page.get_by_role("link", name="Ask for support without an account"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for support")
    assert_accessible(page)

    page.get_by_role("radio", name="I am a family member of someone in the department").check()
    page.get_by_role("radio", name="Only through messages here").check()
    page.get_by_role("checkbox", name=re.compile("I have read the limits")).check()
    submit(page, page.get_by_role("button", name="Send my request"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request is sent")
    codename = page.locator(".codename__words").inner_text().strip()
    assert len(codename.split()) == 7
    assert_accessible(page)

    # Later, in a fresh visit, the codename opens the request.
    page.context.clear_cookies()
    page.goto("/support/public/check/")
    assert_accessible(page)
    page.get_by_label("Your codename").fill("wrong " * 7)
    submit(page, page.get_by_role("button", name="Open my request"))
    expect(page.locator("[data-error-summary]")).to_contain_text("Not found.")
    assert_accessible(page)
    page.get_by_label("Your codename").fill(codename)
    submit(page, page.get_by_role("button", name="Open my request"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request")
    assert_accessible(page)

    submit(page, page.get_by_role("button", name="Withdraw my request"))
    # It asks first; nothing has changed yet.
    expect(page.get_by_role("heading", level=1)).to_have_text("Withdraw your request?")
    assert SupportRequest.objects.get().status != SupportRequest.Status.WITHDRAWN
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Yes, withdraw my request"))
    expect(page.get_by_text("Your request is withdrawn.")).to_be_visible()
    assert SupportRequest.objects.get().status == SupportRequest.Status.WITHDRAWN
    assert_accessible(page)
    submit(page, page.get_by_role("button", name=re.compile("Leave and forget")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your request")
    assert_accessible(page)
