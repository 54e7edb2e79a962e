"""On a small phone screen nothing scrolls sideways."""

import pytest
from playwright.sync_api import expect

from .axe import assert_accessible
from .conftest import open_page

PHONE = {"width": 375, "height": 667}
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


# The system administrator has the longest navigation and the widest table (roles).
@pytest.mark.parametrize("name", ["sysadmin", "supporter"])
def test_pages_fit_a_phone_screen(phone, sign_in, name):
    page = open_page(phone)
    page.goto("/accounts/login/")
    assert_fits(page)
    assert_accessible(page)

    sign_in(name, into=phone)
    paths = ["/", "/profile/", "/accounts/2fa/"] + (["/roles/"] if name == "sysadmin" else [])
    for path in paths:
        page.goto(path)
        expect(page.get_by_role("navigation", name="Main")).to_be_visible()
        assert_fits(page)
        assert_accessible(page)
