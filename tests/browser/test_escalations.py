"""An escalation in a real browser: the BHS manager puts the advocacy supervisor on duty; a
supporter raises "danger to self" from a request they hold and sees the crisis lines at once;
the BHS manager sees the banner on every page, acknowledges and resolves. Every page checked
with axe."""

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.confidentiality.models import DutyAssignment, Escalation
from peersupport.governance import defaults
from peersupport.governance.models import ExceptionCategory, PolicyDocument, PolicyVersion
from peersupport.notifications.models import Notification
from peersupport.resources.models import Category, Resource

from ..matrix.support_supporter import held_request
from .axe import assert_accessible
from .conftest import open_page


@pytest.fixture(autouse=True)
def installed(personas):
    # The live server's transactional tests flush the tables the data migration filled.
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def as_persona(new_context, sign_in, name):
    context = new_context()
    sign_in(name, into=context)
    return open_page(context)


def test_raise_alert_acknowledge_resolve(new_context, sign_in, personas):
    Resource.objects.create(
        name="County Mobile Crisis Team",
        category=Category.CRISIS_LINE,
        description="Comes to the person, day and night.",
        phone="555-0100",
    )
    bhs = as_persona(new_context, sign_in, "bhs_manager")
    bhs.goto(reverse("confidentiality:duty"))
    expect(bhs.get_by_role("heading", level=1)).to_have_text("On-duty roster for escalations")
    assert_accessible(bhs)
    bhs.locator("#id_duty").select_option("advocacy_supervisor")
    bhs.locator("#id_user").select_option(label=str(personas["bhs_manager"]))
    submit(bhs, bhs.get_by_role("button", name="Add"))
    expect(bhs.locator("[data-error-summary]")).to_contain_text(
        "does not hold the Advocacy supervisor role"
    )
    assert_accessible(bhs)
    bhs.locator("#id_user").select_option(label=str(personas["advocacy_supervisor"]))
    submit(bhs, bhs.get_by_role("button", name="Add"))
    expect(bhs.get_by_text("Added to the on-duty roster.")).to_be_visible()
    assert_accessible(bhs)
    bhs.locator("#id_duty").select_option("bhs_manager")
    bhs.locator("#id_user").select_option(label=str(personas["bhs_manager"]))
    submit(bhs, bhs.get_by_role("button", name="Add"))
    assert DutyAssignment.objects.count() == 2
    assert_accessible(bhs)

    req = held_request(personas["supporter"], name="Browser Canaryname")
    supporter = as_persona(new_context, sign_in, "supporter")
    supporter.goto(reverse("support:held", kwargs={"request_id": req.pk}))
    assert_accessible(supporter)
    submit(supporter, supporter.get_by_role("link", name="Raise a confidentiality question"))
    expect(supporter.get_by_role("heading", level=1)).to_have_text(
        "Raise a confidentiality question or exception"
    )
    assert_accessible(supporter)
    submit(supporter, supporter.get_by_role("button", name="Raise it now"))
    expect(supporter.locator("[data-error-summary]")).to_contain_text(
        "Choose the category that fits best."
    )
    assert_accessible(supporter)
    assert not Escalation.objects.exists()
    supporter.get_by_label("Danger to self", exact=False).check()
    supporter.get_by_label("A short note for the BHS manager").fill(
        "Talked about ending it tonight; staying with them."
    )
    submit(supporter, supporter.get_by_role("button", name="Raise it now"))
    expect(supporter.get_by_role("heading", name="Crisis resources, now")).to_be_visible()
    expect(supporter.get_by_text("County Mobile Crisis Team")).to_be_visible()
    assert_accessible(supporter)
    escalation = Escalation.objects.get()
    alerted = set(escalation.recipients.values_list("user__email", flat=True))
    assert alerted == {personas["bhs_manager"].email, personas["advocacy_supervisor"].email}
    for n in Notification.objects.filter(topic=f"escalation:{escalation.pk}"):
        assert "ending it" not in n.body and "Canaryname" not in n.body

    # The banner is on every page of the people alerted, until one of them acknowledges.
    bhs.goto(reverse("web:home"))
    banner = bhs.get_by_role("region", name="An escalation is waiting for you")
    expect(banner).to_be_visible()
    assert_accessible(bhs)
    submit(bhs, banner.get_by_role("link"))
    expect(bhs.get_by_text("Talked about ending it tonight")).to_be_visible()
    assert_accessible(bhs)
    submit(bhs, bhs.get_by_role("button", name="Acknowledge"))
    expect(bhs.get_by_text("Acknowledged. The alerts have stopped.")).to_be_visible()
    expect(bhs.get_by_role("region", name="An escalation is waiting for you")).to_have_count(0)
    assert_accessible(bhs)
    submit(bhs, bhs.get_by_role("button", name="Record and resolve"))
    expect(bhs.locator("[data-error-summary]")).to_contain_text("Say what was done.")
    assert_accessible(bhs)
    bhs.get_by_label("What was done").fill("Reached the on-call clinician together.")
    submit(bhs, bhs.get_by_role("button", name="Record and resolve"))
    expect(bhs.get_by_text("Resolved. What was done is recorded.")).to_be_visible()
    assert_accessible(bhs)
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.RESOLVED

    supporter.goto(reverse("confidentiality:escalation_list"))
    expect(supporter.get_by_role("heading", level=1)).to_have_text("Escalations")
    assert_accessible(supporter)
