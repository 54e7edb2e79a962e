"""Keyboard use: the skip link, the navigation and signing out, without a mouse."""

from playwright.sync_api import expect

from .axe import assert_accessible

FOCUSED_TEXT = "() => document.activeElement.innerText.replace(/\\s+/g, ' ').trim()"
# The outline drawn around the focused element; without it keyboard users are lost.
FOCUS_OUTLINE = """() => {
  const style = getComputedStyle(document.activeElement);
  return {style: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(page, sign_in):
    sign_in("bhs_manager")
    page.goto("/")
    assert_accessible(page)

    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_TEXT) == "Skip to main content"
    # Off screen until focused, then on screen.
    box = page.get_by_role("link", name="Skip to main content").bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["width"] > 0

    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # The next stop is inside the main content, past the header and navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.closest('main') !== null")


def test_navigation_and_sign_out_work_from_the_keyboard(page, sign_in):
    sign_in("sysadmin")
    page.goto("/")
    assert_accessible(page)

    stops = []
    for _ in range(10):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED_TEXT))
        outline = page.evaluate(FOCUS_OUTLINE)
        assert outline["style"] != "none" and outline["width"] >= 2, (stops[-1], outline)
        if stops[-1] == "Roles":
            break
    assert stops == [
        "Skip to main content",
        "Peer Support Demo City Police Department",
        "Home",
        "Resources",
        "People",
        "Units",
        "Roles",
    ]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Roles")
    assert_accessible(page)

    # Sign out is a form button (a POST), reached after the navigation links.
    for _ in range(20):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_TEXT) == "Sign out":
            break
    assert page.evaluate("() => document.activeElement.tagName") == "BUTTON"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    assert_accessible(page)
