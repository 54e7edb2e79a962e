"""The private self-check in a real browser: a family member on a small phone and an employee
with the keyboard alone answer the questions and read their result, while the test records
every request the page makes after it has loaded (none may carry an answer; none is made at all)
and checks that no cookie, localStorage or sessionStorage entry appears."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from demo.resources import load_demo

from .axe import assert_accessible
from .conftest import open_page

URL = "/resources/self-check/"
SMALL_PHONE = {"width": 320, "height": 640}
FITS = """() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"""
# Everything in the page's storage. htmx (on every page) keeps the current path in
# sessionStorage for its history; the self-check itself writes nothing.
STORAGE = """() => ({
  local: Object.entries(localStorage),
  session: Object.entries(sessionStorage),
})"""
HTMX_ONLY = {"local": [], "session": [["htmx-current-path-for-history", URL]]}
FOCUSED = "() => document.activeElement"


@pytest.fixture
def directory(db):
    load_demo()


def _record_requests(page) -> list:
    requests = []
    page.on("request", lambda request: requests.append(request))
    return requests


def _sent(requests, live_server) -> list:
    """The requests that could carry anything: all but the browser's own fetch of the site's
    icon, which it makes once the page has loaded (a GET of a fixed static address)."""
    icon = f"{live_server.url}/static/img/icon.svg"
    return [(r.method, r.url, r.post_data) for r in requests if (r.method, r.url) != ("GET", icon)]


def _question(page, text):
    return page.get_by_role("group", name=text)


def _answer(page, question: str, answer: str) -> None:
    _question(page, question).get_by_role("radio", name=answer, exact=True).check()


def _score(result, n: int):
    return result.locator("dd").nth(n)


def _focused(page, script: str):
    return page.evaluate(f"() => {{ const el = document.activeElement; return {script}; }}")


def test_a_family_member_checks_themselves_on_a_small_phone(new_context, live_server, directory):
    context = new_context(viewport=SMALL_PHONE, is_mobile=True, has_touch=True)
    page = open_page(context)
    page.goto(URL, wait_until="load")
    requests = _record_requests(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Private self-check")
    expect(page.get_by_text("This page needs JavaScript")).to_be_hidden()
    expect(page.get_by_text("If you answered yes:")).to_be_hidden()
    assert page.evaluate(FITS)
    assert_accessible(page)
    # Without an account, nothing is kept in the browser either.
    assert context.cookies() == []
    assert page.evaluate(STORAGE) == HTMX_ONLY
    # The five questions about the past month wait for a "yes" to the first.
    expect(page.get_by_role("group", name="been constantly on guard")).to_be_hidden()

    # Nothing answered: an error summary, focused, linked to each question left.
    page.get_by_role("button", name="Show my result").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_count(5)
    assert page.title().startswith("Error: ")
    expect(page.locator("#result")).to_be_hidden()
    assert page.evaluate(FITS)
    assert_accessible(page)
    summary.get_by_role("link", name="Answer “Feeling nervous, anxious or on edge”").click()
    expect(
        _question(page, "Feeling nervous, anxious or on edge").get_by_role("radio").first
    ).to_be_focused()

    _answer(page, "Feeling nervous, anxious or on edge", "Nearly every day")
    _answer(page, "Not being able to stop or control worrying", "Nearly every day")
    _answer(page, "Little interest or pleasure in doing things", "More than half the days")
    _answer(page, "Feeling down, depressed, or hopeless", "Nearly every day")
    _answer(page, "Have you ever experienced this kind of event?", "Yes")
    for question, answer in [
        ("had nightmares about the event", "Yes"),
        ("tried hard not to think about the event", "Yes"),
        ("been constantly on guard", "Yes"),
        ("felt numb or detached", "No"),
        ("felt guilty or unable to stop blaming", "No"),
    ]:
        _answer(page, question, answer)
    page.get_by_role("button", name="Show my result").click()

    result = page.get_by_role("region", name="Your result")
    expect(result).to_be_focused()
    expect(page.get_by_role("alert")).to_be_hidden()
    assert not page.title().startswith("Error: ")
    expect(result.get_by_text("This is not a diagnosis.")).to_be_visible()
    expect(_score(result, 0)).to_have_text("11 of 12: severe", use_inner_text=True)
    expect(_score(result, 1)).to_have_text("6 of 6", use_inner_text=True)
    expect(_score(result, 2)).to_have_text("5 of 6", use_inner_text=True)
    expect(_score(result, 3)).to_have_text("3 of 5", use_inner_text=True)
    # A severe total puts the crisis lines first, numbers a phone dials.
    crisis = result.get_by_role("region", name="Please talk to someone today")
    expect(crisis).to_be_visible()
    expect(crisis.get_by_role("link", name="988", exact=True)).to_have_attribute("href", "tel:988")
    expect(
        crisis.get_by_role("link", name="Text HOME to 741741 (Crisis Text Line)")
    ).to_have_attribute("href", "sms:741741?&body=HOME")
    expect(result.get_by_text("Your answers about worry reach the level")).to_be_visible()
    expect(result.get_by_text("Your answers about mood reach the level")).to_be_visible()
    expect(result.get_by_text("Your answers about a hard event reach the level")).to_be_visible()
    expect(result.get_by_text("If that changes, you can come back")).to_be_hidden()
    # One tap to ask, without an account.
    expect(result.get_by_role("link", name="Ask a peer supporter")).to_have_attribute(
        "href", reverse("support:public_ask")
    )
    assert page.evaluate(FITS)
    assert_accessible(page)

    # Changing an answer takes the old result away; clearing removes every answer.
    _answer(page, "felt numb or detached", "Yes")
    expect(result).to_be_hidden()
    page.get_by_role("button", name="Show my result").click()
    expect(_score(result, 3)).to_have_text("4 of 5", use_inner_text=True)
    page.get_by_role("button", name="Clear my answers").click()
    expect(result).to_be_hidden()
    assert page.locator("input:checked").count() == 0

    # Nothing went anywhere: no request since the page loaded (but the browser's icon fetch),
    # the address carries no answer, and nothing was written to cookies or storage.
    assert _sent(requests, live_server) == []
    assert page.url.endswith(URL)
    assert context.cookies() == []
    assert page.evaluate(STORAGE) == HTMX_ONLY


def test_an_employee_answers_with_the_keyboard_alone(context, live_server, sign_in):
    sign_in("employee")
    page = open_page(context)
    page.goto(URL, wait_until="load")
    # The session, and the CSRF cookie for the header's sign-out button.
    cookies = sorted((c["name"], c["value"]) for c in context.cookies())
    requests = _record_requests(page)
    assert_accessible(page)

    # Tab to the first question's answers.
    for _ in range(40):
        page.keyboard.press("Tab")
        if _focused(page, "el.name") == "phq4-1":
            break
    assert _focused(page, "el.name") == "phq4-1"
    page.keyboard.press("Space")  # Not at all
    page.keyboard.press("Tab")
    assert _focused(page, "el.name") == "phq4-2"
    page.keyboard.press("ArrowDown")  # Several days
    page.keyboard.press("Tab")
    # Enter chooses the answer in focus; it does not send the form half answered.
    page.keyboard.press("Enter")  # Not at all
    expect(page.get_by_role("alert")).to_be_hidden()
    expect(page.locator("#result")).to_be_hidden()
    assert _focused(page, "el.checked") is True
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # Several days
    page.keyboard.press("Tab")
    assert _focused(page, "el.name") == "pcptsd5-event"
    page.keyboard.press("ArrowDown")  # No: the five follow-up questions stay away
    page.keyboard.press("Tab")
    assert _focused(page, "el.textContent") == "Show my result"
    page.keyboard.press("Enter")

    result = page.get_by_role("region", name="Your result")
    expect(result).to_be_focused()
    expect(_score(result, 0)).to_have_text("2 of 12: none or minimal", use_inner_text=True)
    expect(_score(result, 1)).to_have_text("1 of 6", use_inner_text=True)
    expect(_score(result, 2)).to_have_text("1 of 6", use_inner_text=True)
    expect(_score(result, 3)).to_have_text(
        "0 of 5 (you answered no to the first question)", use_inner_text=True
    )
    expect(result.get_by_text("Your answers show few or no signs of distress")).to_be_visible()
    expect(result.get_by_role("region", name="Please talk to someone today")).to_be_hidden()
    expect(result.get_by_text("If that changes, you can come back")).to_be_visible()
    assert_accessible(page)

    # The next stop from the result is asking a supporter, from the employee's own ask page.
    page.keyboard.press("Tab")
    assert _focused(page, "el.textContent") == "Ask a peer supporter"
    assert _focused(page, "el.getAttribute('href')") == reverse("support:ask")

    assert _sent(requests, live_server) == []
    assert sorted((c["name"], c["value"]) for c in context.cookies()) == cookies
    assert page.evaluate(STORAGE) == HTMX_ONLY
