"""Forms filled in and sent from the browser: the profile, and granting and revoking a role."""

from playwright.sync_api import expect

from peersupport.accounts.models import RoleGrant

from ..factories import LanguageFactory
from .axe import assert_accessible


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_profile_form_shows_errors_then_saves(page, sign_in, personas):
    LanguageFactory(code="es", name="Spanish")
    user = sign_in("supporter")
    page.goto("/profile/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    assert_accessible(page)

    page.get_by_label("Display name").fill("1234")
    submit(page, page.get_by_role("button", name="Save profile"))
    display_name = page.get_by_label("Display name")
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "A display name needs at least one letter."
    )
    # The error is tied to its field, so a screen reader announces it with the field.
    expect(display_name).to_have_attribute("aria-invalid", "true")
    error_id = page.locator(".errorlist", has_text="at least one letter").get_attribute("id")
    assert error_id in display_name.get_attribute("aria-describedby").split()
    assert_accessible(page)
    user.refresh_from_db()
    assert user.display_name == "Supporter"

    display_name.fill("Sam Rivera")
    page.get_by_label("Preferred name").fill("Sam")
    page.get_by_label("Spanish").check()
    submit(page, page.get_by_role("button", name="Save profile"))
    expect(page.get_by_role("status")).to_have_text("Your profile is saved.")
    expect(page.get_by_label("Display name")).to_have_value("Sam Rivera")
    expect(page.get_by_label("Spanish")).to_be_checked()
    assert_accessible(page)
    user.refresh_from_db()
    assert user.display_name == "Sam Rivera"
    assert user.employee.preferred_name == "Sam"
    assert list(user.employee.languages.values_list("code", flat=True)) == ["es"]


def test_sysadmin_grants_and_revokes_a_role(page, sign_in, personas):
    sign_in("sysadmin")
    page.goto("/roles/")
    assert_accessible(page)

    # An unknown account is refused, with the error next to the field.
    form = page.get_by_role("region", name="Grant a role")
    form.get_by_label("Person").fill("nobody@pd.example.org")
    form.get_by_role("combobox", name="Role").select_option(label="Interview panelist")
    form.get_by_label("Reason").fill("Spring selection panel")
    submit(page, form.get_by_role("button", name="Grant role"))
    expect(page.locator("[data-error-summary]")).to_contain_text("Nobody matches")
    expect(form.get_by_label("Person")).to_have_attribute("aria-invalid", "true")
    # What was typed is kept.
    expect(form.get_by_label("Reason")).to_have_value("Spring selection panel")
    assert_accessible(page)

    form.get_by_label("Person").fill("employee@pd.example.org")
    submit(page, form.get_by_role("button", name="Grant role"))
    expect(page.get_by_role("status")).to_have_text("Granted Interview panelist to Employee.")
    row = page.get_by_role("row").filter(has_text="employee@pd.example.org")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Interview panelist")
    expect(row).to_contain_text("Spring selection panel")
    assert_accessible(page)
    grant = RoleGrant.objects.get(user=personas["employee"], role="panelist")
    assert grant.granted_by == personas["sysadmin"]

    # Each row's revoke controls are named after the grant they end.
    row.get_by_label("Reason to revoke Interview panelist from Employee").fill("Panel finished")
    submit(page, row.get_by_role("button", name="Revoke Interview panelist from Employee"))
    expect(page.get_by_role("status")).to_have_text("Revoked Interview panelist from Employee.")
    expect(page.get_by_role("row").filter(has_text="employee@pd.example.org")).to_have_count(0)
    assert_accessible(page)
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoke_reason == "Panel finished"

    submit(page, page.get_by_role("link", name="Show ended grants too"))
    ended = page.get_by_role("row").filter(has_text="employee@pd.example.org")
    expect(ended).to_contain_text("Revoked")
    expect(ended).to_contain_text("Panel finished")
    assert_accessible(page)
