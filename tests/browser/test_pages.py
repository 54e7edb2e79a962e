"""The remaining pages people reach from the ones above, each checked with axe."""

from playwright.sync_api import expect

from peersupport.accounts.models import Unit

from .axe import assert_accessible


def visit(page, path: str, heading: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(page)


def test_signed_out_pages(page, personas):
    visit(page, "/accounts/signup/", "Sign Up")
    visit(page, "/accounts/password/reset/", "Password Reset")
    visit(page, "/no-such-page/", "Page not found")


def test_account_and_administration_pages(page, sign_in, personas):
    sign_in("sysadmin")
    employee = personas["chief"].employee
    unit = Unit.objects.get(name="Day Patrol")
    visit(page, "/accounts/password/change/", "Change Password")
    visit(page, "/accounts/email/", "Email Addresses")
    visit(page, "/accounts/2fa/webauthn/", "Security Keys")
    visit(page, "/people/new/", "Add an employee")
    visit(page, f"/people/{employee.pk}/", f"Edit {employee.full_name}")
    visit(page, "/units/new/", "Add a unit")
    visit(page, f"/units/{unit.pk}/", "Edit Day Patrol")
    visit(page, "/admin/accounts/user/", "Select user to change")
    visit(page, f"/admin/accounts/user/{personas['chief'].pk}/change/", "Change user")


def test_calendar_feeds_page(page, sign_in, personas, new_context):
    """A supporter makes the address of their on-call shifts, shown once, which a calendar app
    follows without signing in; then stops it."""
    sign_in("supporter")
    visit(page, "/calendars/", "My calendar feeds")
    with page.expect_navigation():
        page.get_by_role("button", name="Make an address").first.click()
    address = page.get_by_label("Your address").input_value()
    assert_accessible(page)
    calendar_app = new_context()
    feed = calendar_app.request.get(address)
    assert feed.ok and feed.headers["content-type"].startswith("text/calendar")
    with page.expect_navigation():
        page.get_by_role("button", name="Stop this address").click()
    expect(page.get_by_role("status").first).to_contain_text("no longer works")
    assert_accessible(page)
    assert calendar_app.request.get(address).status == 404


def test_roster_import_pages(page, sign_in, personas, tmp_path):
    from peersupport.accounts.roster_sync import roster_csv, roster_rows_on_record

    sign_in("sysadmin")
    visit(page, "/people/import/", "Import the HR roster")
    bad = tmp_path / "bad.csv"
    bad.write_text("employee_number,first_name\nA1,Ann\n")
    page.get_by_label("Roster file (CSV)").set_input_files(str(bad))
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.locator(".error-summary")).to_contain_text("The header lacks")
    assert_accessible(page)
    good = tmp_path / "roster.csv"
    good.write_text(roster_csv(roster_rows_on_record()))
    page.get_by_label("Roster file (CSV)").set_input_files(str(good))
    page.get_by_role("button", name="Preview the changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the roster import")
    assert_accessible(page)
    page.get_by_role("button", name="Import this file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People")
    expect(page.locator(".messages")).to_contain_text("Roster imported")
    assert_accessible(page)
