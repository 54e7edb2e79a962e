"""The alert settings page in a real browser: reached from the profile, refused input shown in
the error summary and at the field, then saved; axe on every state; and on a phone's width."""

from playwright.sync_api import expect

from peersupport.notifications import kinds
from peersupport.notifications.models import AlertPreference, QuietHours

from .axe import assert_accessible
from .conftest import open_page

PHONE = {"width": 375, "height": 667}

ESCALATION = kinds.kind("confidentiality/escalation_waiting")
SOON = kinds.kind("training/session_soon")


def submit(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Save alert settings").click()


def test_a_supporter_chooses_channels_and_quiet_hours(page, sign_in, personas):
    user = sign_in("supporter")
    page.goto("/profile/")
    assert_accessible(page)
    page.get_by_role("link", name="Your alerts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your alerts")
    assert_accessible(page)

    soon = page.get_by_role("group", name=SOON.label)
    expect(soon.get_by_label("E-mail")).to_be_checked()
    soon.get_by_label("E-mail").uncheck()
    page.get_by_label("Quiet hours start").fill("22:00")
    submit(page)
    summary = page.locator("[data-error-summary]")
    expect(summary).to_contain_text("Nothing was saved")
    summary.get_by_role("link", name="Quiet hours end").click()
    expect(page.get_by_label("Quiet hours end")).to_be_focused()
    assert_accessible(page)
    assert not AlertPreference.objects.exists() and not QuietHours.objects.exists()

    page.get_by_role("group", name=SOON.label).get_by_label("E-mail").uncheck()
    page.get_by_label("Quiet hours end").fill("06:30")
    submit(page)
    expect(page.get_by_role("status")).to_have_text("Your alert settings are saved.")
    expect(page.get_by_role("group", name=SOON.label).get_by_label("E-mail")).not_to_be_checked()
    assert_accessible(page)
    preference = AlertPreference.objects.get(user=user, kind=SOON.name)
    assert not preference.email and preference.sms
    assert QuietHours.objects.get(user=user).end.strftime("%H:%M") == "06:30"


def test_an_urgent_alert_keeps_a_channel_on_a_phone(new_context, sign_in):
    phone = new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    sign_in("bhs_manager", into=phone)
    page = open_page(phone)
    page.goto("/alerts/")
    assert_accessible(page)
    group = page.get_by_role("group", name=ESCALATION.label)
    group.get_by_label("E-mail").uncheck()
    group.get_by_label("Text message").uncheck()
    group.get_by_label("Notification on this device").uncheck()
    submit(page)
    expect(group.get_by_text("This alert is urgent: keep at least one channel on.")).to_be_visible()
    assert_accessible(page)
    # Nothing scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not AlertPreference.objects.exists()
