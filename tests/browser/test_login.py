"""Signing in through the real pages: e-mail and password, then an authenticator code."""

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.conf import settings
from playwright.sync_api import expect

from peersupport.accounts.models import Role

from ..factories import PASSWORD, EmployeeFactory, UserFactory, grant
from .axe import assert_accessible

PERIOD = 30  # allauth's default TOTP period, with no tolerance either side


def current_code(secret: str = settings.DEMO_TOTP_SECRET) -> str:
    """The code an authenticator app shows now; waits out the last seconds of a period so the
    code is still valid when the server checks it."""
    if PERIOD - time.time() % PERIOD < 3:
        time.sleep(PERIOD - time.time() % PERIOD + 0.1)
    return format_hotp_value(hotp_value(secret, int(time.time()) // PERIOD))


def wrong_code(secret: str = settings.DEMO_TOTP_SECRET) -> str:
    now = int(time.time()) // PERIOD
    valid = {format_hotp_value(hotp_value(secret, now + i)) for i in (-1, 0, 1)}
    return next(code for code in ("000000", "111111", "222222") if code not in valid)


def enter_password(page, email: str, password: str = PASSWORD) -> None:
    """Open the site, get sent to sign in, and send e-mail and password."""
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign In")
    assert_accessible(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In", exact=True).click()


def enter_code(page, code: str) -> None:
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    assert_accessible(page)
    page.get_by_label("Code").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign In", exact=True).click()


def test_privileged_persona_signs_in_with_password_and_code(page, personas):
    enter_password(page, "bhs_manager@pd.example.org")
    enter_code(page, current_code())

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Bhs_Manager")
    expect(page.get_by_role("heading", name="BHS manager", level=2)).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Roles")).to_be_visible()
    assert_accessible(page)


def test_wrong_code_is_refused_with_an_error(page, personas):
    enter_password(page, "chief@pd.example.org")
    enter_code(page, wrong_code())

    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.locator("[data-error-summary]")).to_contain_text("Incorrect code.")
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    # Still not signed in: the home page sends the browser back to the code page.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    assert_accessible(page)


def test_plain_employee_signs_in_with_password_only(page, personas):
    enter_password(page, "employee@pd.example.org")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome, Employee")
    expect(page.get_by_role("heading", name="Employee", level=2, exact=True)).to_be_visible()
    assert_accessible(page)


def test_wrong_password_shows_an_error(page, personas):
    enter_password(page, "employee@pd.example.org", password="not-the-password-at-all")

    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "The email address and/or password you specified are not correct."
    )
    assert_accessible(page)


def test_privileged_account_without_mfa_must_set_it_up(page, personas):
    user = UserFactory(email="new.panelist@pd.example.org", display_name="New Panelist")
    EmployeeFactory(user=user, work_email=user.email)
    grant(user, Role.PANELIST)
    enter_password(page, user.email)

    # allauth asks for the password again before an authenticator can be added.
    if "/accounts/reauthenticate/" in page.url:
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
        assert_accessible(page)
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?required=1$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    assert_accessible(page)
    # Every page but the set-up ones sends the person back here until it is done.
    page.goto("/profile/")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/\?required=1$"))
    assert_accessible(page)

    secret = page.get_by_label("Authenticator secret").input_value()
    page.get_by_label("Authenticator code").fill(current_code(secret))
    with page.expect_navigation():
        page.get_by_role("button", name="Activate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recovery Codes")
    expect(page.get_by_role("status")).to_contain_text("Authenticator app activated.")
    assert_accessible(page)

    page.goto("/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    assert_accessible(page)
