"""The supporter's journey in the browser (accept an offer, open the request, reply, log a
contact with a referral and a follow-up, mark the follow-up done) and the coordinator's
overview (mark a debrief handled). Every page is checked with axe under the real CSP."""

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from peersupport.resources.models import Category, Resource
from peersupport.support import services
from peersupport.support.models import Contact, ContactMethod, FollowUp, Message, SupportRequest

from ..matrix.support_supporter import offered_request
from .axe import assert_accessible


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def test_supporter_takes_a_request_through_to_a_follow_up(page, sign_in, personas):
    supporter = personas["supporter"]
    req = offered_request(
        supporter,
        name="Jordan Ames",
        contact_method=ContactMethod.PHONE,
        contact_detail="555 0134 222",
        best_times="weekday evenings",
    )
    services.message_send(request=req, sender=Message.Sender.REQUESTER, body="Rough week.")
    Resource.objects.create(
        name="Employee Assistance Program",
        category=Category.EAP,
        description="Free, confidential counselling.",
        phone="555-0100",
    )
    sign_in("supporter")

    page.goto("/support/inbox/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inbox")
    offers = page.get_by_role("region", name="Offered to you (1)")
    expect(offers.get_by_text("Family member: asked for you by name")).to_be_visible()
    expect(page.get_by_text("Jordan Ames")).to_have_count(0)
    assert_accessible(page)

    submit(page, offers.get_by_role("button", name="Accept"))
    expect(page.get_by_role("status")).to_contain_text("You accepted the request.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Family member: request you hold")
    who = page.get_by_role("region", name="Who asked and how to reach them")
    for shown in ("Jordan Ames", "Phone call", "555 0134 222", "weekday evenings"):
        expect(who.get_by_text(shown)).to_be_visible()
    expect(page.get_by_text("Rough week.")).to_be_visible()
    assert_accessible(page)

    # An empty reply is refused next to its field; then a real one is sent.
    submit(page, page.get_by_role("button", name="Send message"))
    expect(page.locator("[data-error-summary]")).to_contain_text("Write a message first.")
    expect(page.get_by_label("Your message")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.get_by_label("Your message").fill("I can call you tonight at 7.")
    submit(page, page.get_by_role("button", name="Send message"))
    expect(page.get_by_role("status")).to_have_text("Message sent.")
    expect(page.get_by_text("I can call you tonight at 7.")).to_be_visible()
    assert_accessible(page)

    submit(page, page.get_by_role("link", name="Log a contact for this request"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    expect(page.get_by_text("Danger to yourself.")).to_be_visible()
    assert_accessible(page)
    # Sent without the confirmation: refused, nothing saved.
    page.get_by_label("Duration in minutes").fill("40")
    page.get_by_role("radio", name="Phone").check()
    page.get_by_role("radio", name="Family member").check()
    page.get_by_role("checkbox", name="Grief and loss").check()
    submit(page, page.get_by_role("button", name="Log the contact"))
    expect(page.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    confirm = page.get_by_label("I explained these limits before the discussion")
    expect(confirm).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert not Contact.objects.exists()

    follow = timezone.localdate() + timedelta(days=7)
    confirm.check()
    page.get_by_role("checkbox", name="Employee Assistance Program").check()
    page.get_by_label("Follow up on (optional)").fill(follow.isoformat())
    submit(page, page.get_by_role("button", name="Log the contact"))
    expect(page.get_by_role("status")).to_contain_text("Contact logged.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your inbox")
    assert_accessible(page)
    contact = Contact.objects.get()
    assert contact.request == req and contact.duration_minutes == 40
    assert [r.name for r in contact.referrals.all()] == ["Employee Assistance Program"]

    followups = page.get_by_role("region", name="Follow-ups")
    submit(page, followups.get_by_role("button", name="Mark done"))
    expect(page.get_by_role("status")).to_have_text("Follow-up marked as done.")
    assert_accessible(page)
    assert FollowUp.objects.get(due=follow).done_at is not None

    submit(page, page.get_by_role("button", name="Ask the coordinator for a debrief"))
    expect(page.get_by_role("status")).to_contain_text("went to the coordinator")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Ask the coordinator for a debrief"))
    expect(page.locator("[data-error-summary]")).to_contain_text(
        "You already asked; the coordinator will be in touch."
    )
    assert_accessible(page)


def test_supporter_logs_an_outside_contact_and_closes_a_request(page, sign_in, personas):
    supporter = personas["supporter"]
    req = offered_request(supporter)
    services.offer_answer(actor=supporter, offer=req.offers.get(), accept=True)
    sign_in("supporter")

    page.goto("/support/contacts/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log a contact")
    assert_accessible(page)
    page.get_by_label("Duration in minutes").fill("2000")
    submit(page, page.get_by_role("button", name="Log the contact"))
    expect(page.locator("[data-error-summary]")).to_contain_text("more than 1440 minutes")
    expect(page.locator("[data-error-summary]")).to_contain_text("Choose at least one topic.")
    assert_accessible(page)

    page.goto(f"/support/held/{req.pk}/")
    assert_accessible(page)
    close = page.get_by_role("region", name="Close the request")
    close.get_by_label("The support is finished: close this request").check()
    submit(page, close.get_by_role("button", name="Close this request"))
    expect(page.get_by_role("status")).to_contain_text("Request closed.")
    assert_accessible(page)
    req.refresh_from_db()
    assert req.status == SupportRequest.Status.CLOSED


def test_coordinator_reads_the_overview_and_handles_a_debrief(page, sign_in, personas):
    supporter = personas["supporter"]
    offered_request(supporter, name="Casey Canary")  # waiting for an answer
    services.debrief_request(actor=supporter)
    sign_in("coordinator")

    page.goto("/support/overview/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Support overview")
    expect(page.get_by_role("heading", name="Not yet accepted (1)")).to_be_visible()
    expect(page.get_by_text("Casey Canary")).to_have_count(0)
    assert_accessible(page)

    debriefs = page.get_by_role("region", name="Debrief requests (1)")
    expect(debriefs.get_by_text(f"{supporter} asked")).to_be_visible()
    submit(page, debriefs.get_by_role("button", name="Mark handled"))
    expect(page.get_by_role("status")).to_contain_text("marked as handled")
    expect(page.get_by_role("heading", name="Debrief requests (0)")).to_be_visible()
    assert_accessible(page)


def test_supporter_pages_on_a_phone(new_context, sign_in, personas):
    from .conftest import open_page

    context = new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    supporter = personas["supporter"]
    offered_request(supporter)
    sign_in("supporter", into=context)
    page = open_page(context)
    for path in ("/support/inbox/", "/support/contacts/new/"):
        page.goto(path)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, (path, width)
        assert_accessible(page)
