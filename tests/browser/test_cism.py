"""A CISM call-out in a real browser: the coordinator builds the team (a supporter found by name
as the team lead), activates it after a critical incident (a refused first try, then alerted),
the member accepts on their own page (then changes their mind, and back), the coordinator
reminds those who have not answered, schedules a defusing and counts who came,
opens the follow-up outreach and stands the team down. Every page checked with axe, and the
activation page at 320 px."""

import re

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from peersupport.cism import services
from peersupport.cism.models import Activation, Callout

from ..matrix.cism import _peer
from ..matrix.support_supporter import active_supporter
from .axe import assert_accessible
from .conftest import open_page
from .test_mobile import PHONE, assert_fits


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def as_persona(new_context, sign_in, name, **options):
    context = new_context(**options)
    sign_in(name, into=context)
    return open_page(context)


def test_a_cism_call_out_from_the_team_to_standing_down(new_context, sign_in, personas):
    supporter = personas["supporter"]
    active_supporter(supporter)
    coordinator = personas["coordinator"]

    coord = as_persona(new_context, sign_in, "coordinator")
    coord.goto(reverse("cism:board"))
    expect(coord.get_by_role("heading", level=1)).to_have_text("CISM call-outs")
    assert_accessible(coord)
    submit(coord, coord.get_by_role("link", name=re.compile(r"^The team")))
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Add to the team"))
    expect(coord.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    assert_accessible(coord)
    coord.locator("#id_member").fill(supporter.employee.last_name)
    coord.get_by_role("radio", name=re.compile(re.escape(supporter.employee.full_name))).check()
    coord.get_by_label("Team lead").check()
    submit(coord, coord.get_by_role("button", name="Add to the team"))
    expect(coord.get_by_text("is on the team as team lead")).to_be_visible()
    assert_accessible(coord)
    for _ in range(2):
        services.member_add(actor=coordinator, user=_peer(), team_role="peer")

    coord.goto(reverse("cism:activate"))
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Activate and alert the team"))
    expect(coord.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    assert_accessible(coord)
    coord.get_by_label("Officer-involved shooting or other critical incident").check()
    coord.get_by_label("When").fill(timezone.localdate().isoformat())
    coord.get_by_label("A short description (protected)").fill("Shooting at a traffic stop.")
    submit(coord, coord.get_by_role("button", name="Activate and alert the team"))
    expect(coord.get_by_text("every member has been alerted")).to_be_visible()
    expect(coord.get_by_text("0 accepted, 0 declined, 3 not answered yet")).to_be_visible()
    assert_accessible(coord)
    activation = Activation.objects.get()

    sup = as_persona(new_context, sign_in, "supporter")
    sup.goto(reverse("cism:mine"))
    expect(sup.get_by_text("needs your answer")).to_be_visible()
    assert_accessible(sup)
    submit(sup, sup.get_by_role("link", name=re.compile("Officer-involved shooting")))
    expect(sup.get_by_text("Shooting at a traffic stop.")).to_be_visible()
    assert_accessible(sup)
    submit(sup, sup.get_by_role("button", name="Accept"))
    expect(sup.get_by_text("Accepted.")).to_be_visible()
    assert_accessible(sup)
    # A change of mind, and back: the answer may change until the team stands down.
    submit(sup, sup.get_by_role("button", name="I can no longer come"))
    expect(sup.get_by_text("Declined.")).to_be_visible()
    assert_accessible(sup)
    submit(sup, sup.get_by_role("link", name=re.compile("Officer-involved shooting")))
    expect(sup.get_by_text("Shooting at a traffic stop.")).to_have_count(0)
    assert_accessible(sup)
    submit(sup, sup.get_by_role("button", name="I can come after all"))
    expect(sup.get_by_text("Accepted.")).to_be_visible()
    assert_accessible(sup)
    assert Callout.objects.get(member=supporter).answer == "accepted"

    coord.goto(reverse("cism:detail", kwargs={"public_id": activation.public_id}))
    expect(coord.get_by_text("1 accepted, 0 declined, 2 not answered yet")).to_be_visible()
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Remind those who have not answered"))
    expect(
        coord.get_by_text("The 2 members who have not answered have been alerted")
    ).to_be_visible()
    assert_accessible(coord)
    coord.get_by_role("radio", name="Defusing").check()
    coord.get_by_label("Place").fill("Station 4, quiet room")
    coord.get_by_label("Led by").fill("Team lead")
    submit(coord, coord.get_by_role("button", name="Schedule"))
    expect(coord.get_by_text("Defusing scheduled.")).to_be_visible()
    assert_accessible(coord)
    coord.get_by_label("How many came").fill("6")
    submit(coord, coord.get_by_role("button", name=re.compile("^Record")))
    expect(coord.get_by_text("6 came")).to_be_visible()
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Open outreach for this incident"))
    expect(coord.get_by_text("Outreach opened for this incident.")).to_be_visible()
    expect(coord.get_by_role("link", name="The outreach for this incident")).to_be_visible()
    assert_accessible(coord)
    submit(coord, coord.get_by_role("button", name="Stand down"))
    expect(coord.locator("[data-error-summary]")).to_contain_text("Nothing was saved.")
    assert_accessible(coord)
    coord.get_by_label("Summary (protected)").fill("One defusing; debriefing via outreach.")
    submit(coord, coord.get_by_role("button", name="Stand down"))
    expect(coord.get_by_text("The team has stood down.")).to_be_visible()
    assert_accessible(coord)
    activation.refresh_from_db()
    assert activation.status == "stood_down" and activation.outreach is not None
    submit(coord, coord.get_by_role("link", name="The outreach for this incident"))
    expect(coord.get_by_role("heading", level=1)).to_contain_text("Officer-involved shooting")
    assert_accessible(coord)
    coord.goto(reverse("cism:board"))
    assert_accessible(coord)

    phone = as_persona(
        new_context,
        sign_in,
        "coordinator",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    for url in (
        reverse("cism:detail", kwargs={"public_id": activation.public_id}),
        reverse("cism:board"),
        reverse("cism:team"),
    ):
        phone.goto(url)
        assert_fits(phone)
        assert_accessible(phone)
