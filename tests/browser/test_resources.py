"""The resource directory in a real browser: an employee browses and filters it, a family member
reads it without an account, and the coordinator adds, edits and retires an entry."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from demo.resources import load_demo
from peersupport.resources.models import Resource

from .axe import assert_accessible
from .conftest import open_page

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def directory(db):
    load_demo()
    return Resource.objects.active().count()


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def cards(page):
    return page.locator("#results").get_by_role("article")


def test_employee_browses_and_filters_the_directory(page, sign_in, directory):
    sign_in("employee")
    page.goto("/resources/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Resource directory")
    expect(page.locator("#result-count")).to_have_text(f"{directory} resources.")
    help_now = page.get_by_role("region", name="Need help right now?")
    expect(
        help_now.get_by_role("link", name="Call 988 (988 Suicide & Crisis Lifeline)")
    ).to_have_attribute("href", "tel:988")
    expect(
        help_now.get_by_role("link", name="Text HOME to 741741 (Crisis Text Line)")
    ).to_have_attribute("href", "sms:741741?&body=HOME")
    # No editing for an employee.
    expect(page.get_by_role("link", name="Add a resource")).to_have_count(0)
    assert_accessible(page)

    # Filtering swaps the results in place (htmx) and keeps the address shareable.
    page.evaluate("() => { window.sameDocument = true; }")
    search = page.get_by_role("search", name="Resources")
    search.get_by_role("combobox", name="Category").select_option(label="Financial")
    expect(page.locator("#result-count")).to_have_text("1 resource matches your search.")
    expect(cards(page)).to_have_count(1)
    expect(cards(page).get_by_role("heading", level=3)).to_have_text(
        "Police Credit Union financial counselling"
    )
    assert page.evaluate("() => window.sameDocument") is True
    assert "category=financial" in page.url
    assert_accessible(page)

    always = Resource.objects.active().filter(available_24_7=True).count()
    search.get_by_role("combobox", name="Category").select_option(label="All categories")
    search.get_by_role("checkbox", name="Open 24/7 only").check()
    expect(page.locator("#result-count")).to_have_text(f"{always} resources match your search.")
    expect(cards(page)).to_have_count(always)

    search.get_by_role("checkbox", name="Open 24/7 only").uncheck()
    search.get_by_role("searchbox", name="Search").press_sequentially("marriage")
    expect(page.locator("#result-count")).to_have_text("1 resource matches your search.")
    expect(cards(page).get_by_role("heading", level=3)).to_have_text(
        "Family and Couples Counselling Center"
    )
    assert page.evaluate("() => window.sameDocument") is True
    assert_accessible(page)

    # The entry's own page, with links a phone follows.
    submit(
        page,
        cards(page).get_by_role("link", name="Family and Couples Counselling Center", exact=True),
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Family and Couples Counselling Center"
    )
    expect(page.get_by_role("link", name="(555) 555-0194")).to_have_attribute(
        "href", "tel:+15555550194"
    )
    expect(page.get_by_role("link", name=re.compile(r"^intake@"))).to_have_attribute(
        "href", re.compile(r"^mailto:intake@")
    )
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    assert_accessible(page)


def test_the_public_directory_needs_no_account(new_context, directory):
    retired = Resource.objects.get(name="Harbor Recovery Center")
    retired.retired_at = timezone.now()
    retired.save(update_fields=["retired_at"])

    # A family member on a phone, never signed in.
    page = open_page(new_context(viewport=PHONE))
    response = page.goto("/resources/public/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text("Resource directory")
    expect(page.get_by_text("You do not need an account to use this page.")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    expect(cards(page)).to_have_count(directory - 1)
    expect(page.get_by_text("Harbor Recovery Center")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("search", name="Resources").get_by_role(
        "combobox", name="Category"
    ).select_option(label="Crisis line")
    expect(page.locator("#result-count")).to_have_text(
        re.compile(r"^\d+ resources match your search\.$")
    )
    assert "/resources/public/?" in page.url
    assert_accessible(page)

    submit(page, cards(page).get_by_role("link", name="Crisis Text Line", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Crisis Text Line")
    assert "/resources/public/" in page.url
    expect(page.get_by_role("link", name="HOME to 741741")).to_have_attribute(
        "href", "sms:741741?&body=HOME"
    )
    assert_accessible(page)

    # A retired entry is gone for the public too.
    response = page.goto(f"/resources/public/{retired.pk}/")
    assert response.status == 404
    assert_accessible(page)


def test_coordinator_adds_edits_and_retires_an_entry(page, sign_in, directory):
    sign_in("coordinator")
    page.goto("/resources/")
    assert_accessible(page)
    submit(page, page.get_by_role("link", name="Add a resource"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a resource")
    assert_accessible(page)

    # A bad phone number comes back with its message, tied to the field; nothing is saved.
    page.get_by_label("Name").fill("Northside Grief Group")
    page.get_by_label("Category").select_option(label="Family and relationships")
    page.get_by_label("What they help with").fill("A weekly group for anyone who lost someone.")
    page.get_by_label("Phone").fill("555-0100")
    submit(page, page.get_by_role("button", name="Add to the directory"))
    phone = page.get_by_label("Phone")
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "Enter a phone number a phone can dial"
    )
    expect(page.get_by_label("Name")).to_have_value("Northside Grief Group")
    assert not Resource.objects.filter(name="Northside Grief Group").exists()
    assert_accessible(page)

    phone.fill("(555) 555-0177")
    page.get_by_label(re.compile(r"^Hours:?$")).fill("Wednesdays 6–8 pm")
    page.get_by_label("Run by the department").check()
    submit(page, page.get_by_role("button", name="Add to the directory"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Northside Grief Group")
    expect(page.locator(".messages")).to_have_text("Added Northside Grief Group to the directory.")
    expect(page.get_by_role("link", name="(555) 555-0177")).to_have_attribute(
        "href", "tel:+15555550177"
    )
    assert_accessible(page)

    submit(page, page.get_by_role("link", name="Edit Northside Grief Group"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit Northside Grief Group")
    assert_accessible(page)
    page.get_by_label(re.compile(r"^Hours:?$")).fill("Wednesdays 7–9 pm")
    submit(page, page.get_by_role("button", name="Save changes"))
    expect(page.locator(".messages")).to_have_text("Saved Northside Grief Group.")
    expect(page.get_by_text("Wednesdays 7–9 pm")).to_be_visible()
    assert_accessible(page)

    submit(page, page.get_by_role("link", name="Retire Northside Grief Group"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Retire Northside Grief Group")
    assert_accessible(page)
    page.get_by_label("Reason").fill("Group has ended")
    submit(page, page.get_by_role("button", name="Retire this resource"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Retired resources")
    expect(page.get_by_role("row").filter(has_text="Northside Grief Group")).to_have_count(1)
    assert_accessible(page)
    resource = Resource.objects.get(name="Northside Grief Group")
    assert resource.retired_at is not None and resource.hours == "Wednesdays 7–9 pm"

    # Gone from the directory.
    page.goto("/resources/?q=Northside")
    expect(page.locator("#result-count")).to_have_text("0 resources match your search.")
    assert_accessible(page)
