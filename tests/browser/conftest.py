"""Real-browser tests: Playwright drives Debian's chromium against pytest-django's live server.

One chromium runs for the whole session; every test gets a fresh context (cookies, storage) and
page. Requesting the live server switches the test to the transactional database, so the
personas made by the ``personas`` fixture are visible to the server thread.

Pages run under the site's real Content Security Policy. A test fails at teardown if

- a document it opened was never checked with ``assert_accessible`` (axe-core) before the next
  one replaced it,
- any page reported a CSP violation, an uncaught JavaScript error or a console error (such as a
  missing stylesheet), or was served without the strict policy.
"""

import os
import shutil
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.backends.sqlite3.base import SQLiteCursorWrapper
from playwright.sync_api import expect, sync_playwright

from ..conftest import signed_in_client

CHROMIUM = shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 800}
TIMEOUT_MS = 10_000  # generous: a two-core CI machine runs server, browser and tests at once
expect.set_options(timeout=TIMEOUT_MS)
_HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    # A conftest hook sees every collected item; mark only the ones in this folder.
    for item in items:
        if _HERE in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if CHROMIUM is None:
        reason = "chromium is not installed; `make test` installs Debian's package"
        if os.environ.get("CI"):
            pytest.fail(reason)  # in CI the browser tests must run, never quietly skip
        pytest.skip(reason)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _fresh_cache():
    # TOTP "code already used" markers and allauth's rate limits live in the cache, which the live
    # server thread shares with the tests; start every test from an empty one.
    cache.clear()
    yield
    cache.clear()


# On SQLite the test database lives in memory, so pytest-django hands the live server the test's
# own connection: the server's request threads and the test thread then share one sqlite3
# connection, and two of them using it at once fails at random ("bad parameter or other API
# misuse", seen when a test counted rows while an htmx request it had just triggered ran). One
# lock makes them take turns: a request holds it from start to end, and each cursor call of the
# test thread holds it for that call. It is reentrant, so a request's own cursor calls pass.
_ONE_AT_A_TIME = threading.RLock()
_CURSOR_CALLS = ("execute", "executemany", "executescript", "fetchone", "fetchmany", "fetchall")


def _in_turn(method):
    def call(self, *args, **kwargs):
        with _ONE_AT_A_TIME:
            return method(self, *args, **kwargs)

    return call


def _requests_in_turn(app):
    def locked(environ, start_response):
        with _ONE_AT_A_TIME:
            return app(environ, start_response)

    locked.in_turn = True
    return locked


@pytest.fixture
def _shared_connection_in_turn(live_server):
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        yield  # a server database: the live server has connections of its own
        return
    httpd = live_server.thread.httpd
    if not getattr(httpd.get_app(), "in_turn", False):
        httpd.set_app(_requests_in_turn(httpd.get_app()))
    originals = {name: getattr(SQLiteCursorWrapper, name) for name in _CURSOR_CALLS}
    for name, method in originals.items():
        setattr(SQLiteCursorWrapper, name, _in_turn(method))
    yield
    for name, method in originals.items():
        setattr(SQLiteCursorWrapper, name, method)


class AxeTracker:
    """Remembers documents a test opened but never checked with axe."""

    def __init__(self):
        self.current: str | None = None
        self.unchecked: list[str] = []

    def loaded(self, url: str) -> None:
        if self.current is not None:
            self.unchecked.append(self.current)
        self.current = url

    def checked(self) -> None:
        self.current = None

    def finish(self) -> list[str]:
        if self.current is not None:
            self.unchecked.append(self.current)
            self.current = None
        return self.unchecked


# Runs in every document before the page's own scripts. Init scripts come from the browser's
# DevTools side, so the site's Content Security Policy does not stop them.
_REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.reportCspViolation({
    page: document.location.href,
    directive: event.effectiveDirective,
    blocked: event.blockedURI,
    source: event.sourceFile + ":" + event.lineNumber,
    sample: event.sample,
  });
});
"""


class BrowserProblems:
    """What went wrong in a context's pages: CSP violations, uncaught errors, console errors.

    A document answered with an error status (a 403 page, a form re-shown with 400) is the test's
    business, so chromium's "Failed to load resource" for that document is not counted; for a
    stylesheet, script or image it is.
    """

    def __init__(self, context):
        self.csp_violations: list[dict] = []
        self.errors: list[str] = []
        self.console_errors: list[tuple[str, str]] = []
        self.documents: set[str] = set()
        context.expose_binding(
            "reportCspViolation", lambda source, violation: self.csp_violations.append(violation)
        )
        context.add_init_script(_REPORT_CSP_VIOLATIONS)

    def watch(self, page) -> None:
        page.on("pageerror", lambda exc: self.errors.append(f"uncaught {exc}"))
        page.on("console", self._console)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, msg) -> None:
        if msg.type == "error":
            self.console_errors.append((msg.text, msg.location.get("url", "")))

    def _request(self, request) -> None:
        if request.is_navigation_request():
            self.documents.add(request.url)

    def _response(self, response) -> None:
        # Every page shown must carry the strict policy, or "no violations" would prove nothing.
        if response.request.is_navigation_request() and not 300 <= response.status < 400:
            policy = response.headers.get("content-security-policy", "")
            if "script-src 'self' 'nonce-" not in policy or "unsafe-inline" in policy:
                self.errors.append(f"{response.url} came without the strict policy: {policy!r}")

    def take_csp_violations(self) -> list[dict]:
        """Hand over the violations so far (and chromium's console lines about them)."""
        taken, self.csp_violations = self.csp_violations, []
        self.console_errors = [
            (text, url)
            for text, url in self.console_errors
            if "Content Security Policy" not in text
        ]
        return taken

    def assert_none(self) -> None:
        assert not self.csp_violations, f"Content Security Policy violations: {self.csp_violations}"
        errors = self.errors + [
            f"console: {text} ({url})"
            for text, url in self.console_errors
            if not (text.startswith("Failed to load resource") and url in self.documents)
        ]
        assert not errors, f"errors in the browser: {errors}"


@pytest.fixture
def new_context(browser, live_server, _shared_connection_in_turn):
    """Make a browser context on the live server, under the site's real Content Security Policy.

    At teardown the test fails if any page had a CSP violation or a browser error, or if a
    document was opened and never checked with axe. (axe-core runs under the real policy:
    Playwright's evaluate() goes through DevTools, which the page's policy does not govern.)
    """
    contexts = []

    def make(**options):
        options.setdefault("viewport", DESKTOP)
        context = browser.new_context(base_url=live_server.url, **options)
        context.problems = BrowserProblems(context)
        context.trackers = []
        contexts.append(context)
        return context

    yield make
    unchecked = []
    for context in contexts:
        for tracker in context.trackers:
            unchecked += tracker.finish()
        context.close()
    for context in contexts:
        context.problems.assert_none()
    assert not unchecked, f"pages opened without an axe check: {unchecked}"


@pytest.fixture
def context(new_context):
    return new_context()


def open_page(context):
    """A new page in ``context``; each document it shows must be checked with axe."""
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    context.problems.watch(page)
    tracker = AxeTracker()
    context.trackers.append(tracker)
    page.axe_tracker = tracker
    # A new document, not an in-page change (a followed #link, an htmx swap), needs a check.
    page.on("domcontentloaded", lambda page: tracker.loaded(page.url))
    return page


@pytest.fixture
def page(context):
    return open_page(context)


@pytest.fixture
def sign_in(request, live_server, personas):
    """Sign a browser context (the test's ``context`` unless ``into`` is given) in as a persona,
    without the sign-in pages: test_login.py goes through those.

    The session is made the way a completed password + TOTP sign-in leaves it, then its cookie is
    handed to the browser.
    """

    def sign_in_as(name: str, into=None):
        client = signed_in_client(personas[name])
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context = into if into is not None else request.getfixturevalue("context")
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
        return personas[name]

    return sign_in_as
