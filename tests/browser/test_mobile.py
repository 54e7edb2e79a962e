"""On a small phone screen (320 px) nothing scrolls sideways, the header is one compact line
and the menu folds behind a button."""

import pytest
from playwright.sync_api import expect

from peersupport.web.navigation import nav_links

from .axe import assert_accessible
from .conftest import open_page

PHONE = {"width": 320, "height": 640}
WIDTHS = """() => ({
  scroll: document.documentElement.scrollWidth,
  client: document.documentElement.clientWidth,
})"""


@pytest.fixture
def phone(new_context):
    return new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)


def assert_fits(page) -> None:
    widths = page.evaluate(WIDTHS)
    assert widths["client"] == PHONE["width"]
    assert widths["scroll"] <= widths["client"], (page.url, widths)


def test_the_menu_folds_behind_a_button_on_a_phone(phone, sign_in):
    page = open_page(phone)
    sign_in("bhs_manager", into=phone)
    page.goto("/")
    nav = page.get_by_role("navigation", name="Main")
    menu = page.get_by_role("button", name="Menu")
    expect(nav).to_be_hidden()
    # The header is one line: the page's heading is on the first screen, high up.
    assert page.get_by_role("heading", level=1).bounding_box()["y"] < 160
    expect(menu).to_have_attribute("aria-expanded", "false")
    menu.click()
    expect(nav).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    assert_fits(page)
    assert_accessible(page)
    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    assert page.evaluate("() => document.activeElement.dataset.menuButton !== undefined")
    # From the keyboard alone: the button opens it, the links are reached, Enter follows one.
    menu.focus()
    page.keyboard.press("Enter")
    expect(nav).to_be_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == "Home"


@pytest.mark.parametrize("name", ["sysadmin", "supporter", "coordinator", "bhs_manager", "chief"])
def test_every_page_of_the_navigation_fits_a_phone(phone, sign_in, personas, name):
    page = open_page(phone)
    page.goto("/accounts/login/")
    assert_fits(page)
    assert_accessible(page)

    user = sign_in(name, into=phone)
    paths = ["/"] + [link.url for link in nav_links(personas[name])]
    for path in dict.fromkeys(paths):
        page.goto(path)
        expect(page.get_by_role("button", name="Menu")).to_be_visible()
        assert_fits(page)
        assert_accessible(page)
    assert user.email


def test_the_directory_shows_supporters_on_the_first_phone_screen(phone, sign_in, personas):
    from peersupport.roster.models import SupporterProfile

    SupporterProfile.objects.create(user=personas["supporter"], status="active")
    page = open_page(phone)
    sign_in("employee", into=phone)
    page.goto("/supporters/")
    card = page.locator(".supporter-card").first
    expect(card).to_be_visible()
    # The filters beyond the search are folded behind one button, so a supporter is on the
    # first screen.
    assert card.bounding_box()["y"] < PHONE["height"], card.bounding_box()
    expect(page.get_by_role("combobox", name="Language")).to_be_hidden()
    assert_fits(page)
    assert_accessible(page)
    page.get_by_text("Filters", exact=True).click()
    expect(page.get_by_role("combobox", name="Language")).to_be_visible()
    assert_fits(page)


@pytest.mark.parametrize("path", ["/support/ask/", "/support/public/ask/"])
def test_the_ask_form_takes_about_two_phone_screens(phone, sign_in, path):
    page = open_page(phone)
    if path == "/support/ask/":
        sign_in("employee", into=phone)
    page.goto(path)
    form = page.locator("form.ask-form").bounding_box()
    # The form itself, from its first field to its button: the optional preferences are
    # folded behind "More choices".
    assert form["height"] <= 2 * PHONE["height"], form
    more = page.locator("details.ask-form__more")
    expect(more.get_by_text("What it is about", exact=False).last).to_be_hidden()
    assert_fits(page)
    assert_accessible(page)
    more.locator("summary").click()
    expect(more.get_by_role("checkbox").first).to_be_visible()
    assert_fits(page)


@pytest.mark.parametrize("name", ["employee", "supporter", "coordinator", "bhs_manager", "chief"])
def test_every_page_a_persona_can_open_fits_a_phone(phone, sign_in, dept, name):
    """Every GET page of the authorization matrix this persona may open (not only those in the
    navigation: detail pages, forms, confirmations), at 320 px: no sideways scrolling, and axe.
    Each is fetched first; what is not an HTML page for them (a PDF, a CSV, a 404 for an object
    that is someone else's) is left to the tests of those answers."""
    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from peersupport.governance import defaults
    from peersupport.governance.models import ExceptionCategory, PolicyDocument, PolicyVersion

    from ..conftest import signed_in_client
    from ..system.test_authorization_matrix import MATRIX, _allowed, _url_for

    # The live server's transactional tests flush what the data migrations installed.
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )
    user = sign_in(name, into=phone)
    client = signed_in_client(user)
    roles = frozenset(user.roles)
    page = open_page(phone)
    seen = 0
    for url_name in sorted(MATRIX):
        allowed = MATRIX[url_name].get("GET")
        if allowed is None or not _allowed(name, allowed, roles):
            continue
        try:
            with transaction.atomic():
                url = _url_for(url_name, dept)
        except IntegrityError:
            # Its object was made for an earlier page (the matrix makes one per test).
            continue
        answer = client.get(url)
        if answer.status_code != 200 or not answer["Content-Type"].startswith("text/html"):
            continue
        page.goto(url)
        assert_fits(page)
        assert_accessible(page)
        seen += 1
    assert seen >= 5, seen
