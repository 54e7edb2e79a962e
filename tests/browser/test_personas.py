"""Every persona's home page and the pages their navigation offers, each checked with axe."""

import re

import pytest
from playwright.sync_api import expect

from ..conftest import PERSONA_ROLE, PERSONAS
from .axe import assert_accessible

EMPLOYEE_NAV = ["Home", "Resources", "Supporters", "Ask for support"]
ACCOUNT = ["Profile", "Security"]
# What some roles add to "Account".
ACCOUNT_MORE = {"supporter": ["Calendar feeds"]}
ASK = ["Resources", "Supporters", "Ask for support"]
# (the bar, "More"): each persona's program work in the bar; "Account" holds ACCOUNT.
NAV = {
    "employee": (EMPLOYEE_NAV, []),
    "sysadmin": (
        ["Home", "Resources", "People", "Units", "Roles", "Webhooks"],
        ["Integration tokens"],
    ),
    "bhs_manager": (
        ["Home", "Selection board", "Policy", "Escalations", "Roles", "Audit log"],
        [
            *ASK,
            "My call-outs",
            "Outreach",
            "CISM team",
            "Training compliance",
            "Reports",
            "Releases and disclosures",
        ],
    ),
    "advocacy_supervisor": ([*EMPLOYEE_NAV, "Escalations"], ["My call-outs"]),
    "supporter": (
        ["Home", "Inbox", "My availability", "Training", "My outreach"],
        [*ASK, "My call-outs", "Program policy", "Committee", "Escalations"],
    ),
    "coordinator": (
        [
            "Home",
            "Support overview",
            "Outreach",
            "Training compliance",
            "Selection board",
            "Reports",
        ],
        [*ASK, "CISM team", "Policy"],
    ),
    "chief": (["Home", "Selection board", "Reports", "Selection", "Policy"], ASK),
    "supervisor": ([*EMPLOYEE_NAV, "Selection"], []),
    "panelist": ([*EMPLOYEE_NAV, "Selection"], []),
    "committee_member": ([*EMPLOYEE_NAV, "Reports", "Committee"], []),
}
# The main heading of each page a navigation link leads to.
HEADINGS = {
    "People": "People",
    "Units": "Units and chain of command",
    "Roles": "Roles",
    "Webhooks": "Webhooks",
    "Integration tokens": "Integration tokens",
    "Calendar feeds": "My calendar feeds",
    "Resources": "Resource directory",
    "Supporters": "Peer supporters",
    "Ask for support": "Ask for support",
    "Inbox": "Your inbox",
    "My availability": "My availability",
    "Support overview": "Support overview",
    "Policy": "Program policy",
    # The policy itself, or the page saying none is approved yet (a flushed test database).
    "Program policy": re.compile(r"^(Peer Support )?Program policy(, version \d+)?$"),
    "Audit log": "Audit log",
    "Escalations": "Escalations",
    "Training": "My training",
    "My outreach": "Your outreach",
    "Outreach": "Outreach",
    "CISM team": "CISM call-outs",
    "My call-outs": "Your CISM call-outs",
    "Training compliance": re.compile(r"^Training compliance, \d{4}$"),
    "Selection board": "Selection board",
    "Selection": "Selection of supporters",
    "Committee": "Advisory committee",
    "Reports": re.compile(r"^Program reports(: .+)?$"),
    "Releases and disclosures": "Releases of information and disclosures",
    "Profile": "Your profile",
    "Security": "Two-Factor Authentication",
}


def nav_labels(page) -> list[str]:
    """Every link of the navigation, those in closed menus too."""
    links = page.get_by_role("navigation", name="Main").locator("a").all_text_contents()
    return [text.strip() for text in links]


@pytest.mark.parametrize("name", list(PERSONAS))
def test_persona_home_and_navigation(page, sign_in, name):
    user = sign_in(name)
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {user.display_name}")
    # One section per role the persona holds (all but the sysadmin are also employees).
    sections = set(page.locator("main section[aria-labelledby^=role-] h2").all_inner_texts())
    expected = {PERSONA_ROLE[name].label} | ({"Employee"} if name != "sysadmin" else set())
    assert sections == expected
    # The navigation offers exactly the pages the persona's roles allow: the bar, then "More"
    # and "Account", never more than eight entries.
    bar, more = NAV[name]
    account = [*ACCOUNT, *ACCOUNT_MORE.get(name, [])]
    expected_nav = [*bar, *more, *account]
    assert nav_labels(page) == expected_nav
    nav = page.get_by_role("navigation", name="Main")
    assert nav.locator("summary").all_inner_texts() == (["More"] if more else []) + ["Account"]
    assert len(bar) + bool(more) + 1 <= 8
    assert_accessible(page)

    for label in expected_nav[1:]:
        if label in more or label in account:
            group = "More" if label in more else "Account"
            nav.locator("summary", has_text=group).click()
            assert_accessible(page)
        with page.expect_navigation():
            nav.get_by_role("link", name=label, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(HEADINGS[label])
        assert nav.locator("[aria-current=page]").all_text_contents() == [label]
        assert nav_labels(page) == expected_nav
        assert_accessible(page)


def test_sysadmin_reaches_the_administration_site(page, sign_in):
    sign_in("sysadmin")
    page.goto("/")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="Administration site").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service administration")
    assert_accessible(page)


@pytest.mark.parametrize("path", ["/roles/", "/people/", "/units/"])
def test_refused_page_is_explained(page, sign_in, path):
    sign_in("employee")
    response = page.goto(path)
    assert response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("You do not have access to this page")
    assert_accessible(page)
