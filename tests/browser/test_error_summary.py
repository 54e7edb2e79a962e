"""A refused form in a real browser, used with the keyboard alone: the error summary takes focus,
is read first, and each of its links takes the keyboard to the field it names; Enter on a radio
button chooses it instead of sending a half-filled form (static/js/forms.js). Every other
browser test checks the summary on each page it visits (tests/browser/axe.py)."""

import re

from playwright.sync_api import expect

from peersupport.support.models import SupportRequest

from .axe import assert_accessible, form_error_problems


def _focused(page) -> dict:
    return page.evaluate(
        "() => ({id: document.activeElement.id, summary:"
        " document.activeElement.hasAttribute('data-error-summary')})"
    )


def test_the_summary_takes_focus_and_leads_to_each_field(page, sign_in):
    sign_in("employee")
    page.goto("/support/ask/")
    assert_accessible(page)
    assert not page.locator("[data-error-summary]").count()
    assert not page.title().startswith("Error")

    # Sent with nothing chosen: refused, and the keyboard is put on the summary.
    with page.expect_navigation():
        page.get_by_role("button", name="Send my request").click()
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert page.title().startswith("Error: ")
    assert _focused(page)["summary"]
    assert form_error_problems(page) == []
    assert_accessible(page)
    assert SupportRequest.objects.count() == 0

    # Tab reaches the first link; Enter on it puts the keyboard on that field.
    links = summary.get_by_role("link")
    assert links.count() >= 1
    first = links.first
    target = first.get_attribute("href")[1:]
    page.keyboard.press("Tab")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == target
    # Each link names what is wrong, and leads to a field that is there.
    for index in range(links.count()):
        href = links.nth(index).get_attribute("href")
        assert page.locator(href).count() == 1, href


def test_enter_on_a_radio_button_chooses_it_and_sends_nothing(page, sign_in):
    sign_in("employee")
    page.goto("/support/ask/")
    phone = page.get_by_role("radio", name="Phone call")
    phone.focus()
    page.keyboard.press("Enter")
    expect(phone).to_be_checked()
    # Still on the form, nothing sent, no errors shown.
    expect(page.get_by_role("heading", level=1)).to_have_text("Ask for support")
    assert not page.locator("[data-error-summary]").count()
    assert SupportRequest.objects.count() == 0
    # Enter on a checkbox ticks it and, again, sends nothing.
    limits = page.get_by_role("checkbox", name=re.compile("I have read the limits"))
    limits.focus()
    page.keyboard.press("Enter")
    expect(limits).to_be_checked()
    page.keyboard.press("Enter")
    expect(limits).not_to_be_checked()
    assert SupportRequest.objects.count() == 0
    assert_accessible(page)


def test_a_public_form_refused_has_the_summary_too(page):
    page.goto("/support/public/ask/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Send")).click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert _focused(page)["summary"]
    assert_accessible(page)
