"""A family member's codename on a 320 px phone (issue 19 item 1): sent, the confirmation page
reloaded (the codename still there), the copy button, "I have written it down", then gone."""

import re

import pytest
from playwright.sync_api import expect

from peersupport.roster.models import SupporterProfile

from .axe import assert_accessible
from .conftest import open_page

SMALL_PHONE = {"width": 320, "height": 640}


@pytest.fixture
def phone(new_context):
    context = new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    context.grant_permissions(["clipboard-write"])
    return context


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_the_codename_survives_a_reload_and_is_forgotten_once_written_down(phone, personas):
    SupporterProfile.objects.create(
        user=personas["supporter"],
        status=SupporterProfile.Status.ACTIVE,
        availability=SupporterProfile.Availability.AVAILABLE,
    )
    page = open_page(phone)
    page.goto("/support/public/ask/")
    assert_accessible(page)
    page.get_by_role("radio", name="I am a family member of someone in the department").check()
    page.get_by_role("radio", name="Only through messages here").check()
    page.get_by_role("checkbox", name=re.compile("I have read the limits")).check()
    submit(page, page.get_by_role("button", name="Send my request"))
    assert page.url.endswith("/support/public/codename/")
    words = page.locator(".codename__words").inner_text().strip()
    assert len(words.split()) == 7
    assert_accessible(page)

    # The phone reloads the page while its owner writes the words down: still there.
    page.reload()
    expect(page.locator(".codename__words")).to_have_text(words)
    assert_accessible(page)

    copy = page.get_by_role("button", name="Copy the codename")
    expect(copy).to_be_visible()
    expect(page.get_by_role("button", name="Print it on a card")).to_be_visible()
    copy.click()
    # Said only once the browser's clipboard took the words (the page may never read it back:
    # clipboard-read stays refused by the Permissions-Policy).
    expect(page.get_by_role("status")).to_contain_text("Copied")

    # Leaving without the tick is refused, with the reason at the top and the words still shown.
    submit(page, page.get_by_role("button", name="Done: forget it here"))
    expect(page).to_have_title(re.compile("^Error: "))
    expect(page.get_by_role("alert")).to_contain_text("Tick the box")
    expect(page.locator(".codename__words")).to_have_text(words)
    assert_accessible(page)

    page.get_by_role("checkbox", name=re.compile("I have written my codename down")).check()
    submit(page, page.get_by_role("button", name="Done: forget it here"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your request")
    assert_accessible(page)
    page.goto("/support/public/codename/")
    expect(page.get_by_role("heading", level=1)).to_have_text("No codename to show")
    assert words not in page.content()
    assert_accessible(page)

    # The words still open the request, typed with commas.
    page.goto("/support/public/check/")
    assert_accessible(page)
    page.get_by_label("Your codename").fill(", ".join(words.split()).upper())
    submit(page, page.get_by_role("button", name="Open my request"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your request")
    assert_accessible(page)
