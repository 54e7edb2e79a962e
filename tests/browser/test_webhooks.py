"""The system administrator's webhooks pages in a browser, each checked with axe: the list, a
refused address (the error summary), the secret shown once, and the confirmation pages."""

from playwright.sync_api import expect

from peersupport.notifications.models import WebhookEndpoint

from ..matrix.webhooks import endpoint as make_endpoint
from .axe import assert_accessible


def test_the_webhooks_pages(page, sign_in):
    sign_in("sysadmin")
    page.goto("/webhooks/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    expect(page.get_by_text("No endpoints yet")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Add an endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a webhook endpoint")
    assert_accessible(page)
    page.get_by_label("Name of the receiving system").fill("Training unit")
    page.get_by_label("Address").fill("http://hooks.example.test/in")
    page.get_by_label("Training record created (training.record.created)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("[data-error-summary]")).to_be_visible()
    assert_accessible(page)
    assert not WebhookEndpoint.objects.exists()

    page.get_by_label("Address").fill("https://hooks.example.test/in")
    with page.expect_navigation():
        page.get_by_role("button", name="Add endpoint").click()
    secret = WebhookEndpoint.objects.get().secret
    expect(page.get_by_label("Signing secret")).to_have_value(secret)
    assert_accessible(page)

    endpoint, _ = make_endpoint(label="Reports portal", events=["report.published"])
    page.goto("/webhooks/")
    expect(page.get_by_role("heading", name="Reports portal")).to_be_visible()
    assert_accessible(page)
    for path, heading in (
        (f"/webhooks/{endpoint.pk}/", "Edit Reports portal"),
        (f"/webhooks/{endpoint.pk}/rotate/", "New signing secret"),
        (f"/webhooks/{endpoint.pk}/test/", "Send a test event"),
        (f"/webhooks/{endpoint.pk}/delete/", "Delete a webhook endpoint"),
    ):
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_accessible(page)
