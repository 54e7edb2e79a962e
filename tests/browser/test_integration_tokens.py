"""The system administrator's integration token pages in a browser, each checked with axe:
the list, a refused form (the error summary), the token shown once, and revoking it."""

from playwright.sync_api import expect

from peersupport.integrations.models import ApiToken

from .axe import assert_accessible


def test_the_integration_token_pages(page, sign_in):
    sign_in("sysadmin")
    page.goto("/integrations/tokens/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Integration tokens")
    expect(page.get_by_text("No tokens yet")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Make a token").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Make an integration token")
    assert_accessible(page)
    page.get_by_label("Name of the system that will use it").fill("Training unit")
    with page.expect_navigation():
        page.get_by_role("button", name="Make token").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert_accessible(page)
    assert not ApiToken.objects.exists()

    page.get_by_label("Training records and compliance (training.read)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Make token").click()
    value = page.get_by_label("Token", exact=True).input_value()
    assert value.startswith(f"psk_{ApiToken.objects.get().key}_")
    assert_accessible(page)
    page.reload()  # post/redirect/get: no second token, and the token is not shown again
    expect(page.get_by_role("heading", name="The token was already shown")).to_be_visible()
    assert ApiToken.objects.count() == 1
    assert_accessible(page)

    page.goto("/integrations/tokens/")
    expect(page.get_by_role("heading", name="Training unit")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Revoke Training unit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Revoke a token")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke this token").click()
    expect(page.locator(".messages")).to_contain_text("Revoked Training unit")
    assert_accessible(page)
