"""The supporter directory in a real browser: an employee browses and filters it and opens a
supporter's page; a supporter sets up their entry, sets their availability with one click, adds
an on-call shift and a photo."""

import re
from datetime import timedelta
from io import BytesIO

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from peersupport.accounts.models import Employee, Role, Unit
from peersupport.roster.models import ExperienceArea, OnCallShift, SupporterArea, SupporterProfile

from ..factories import EmployeeFactory, LanguageFactory, UnitFactory, UserFactory, grant
from .axe import assert_accessible

Availability = SupporterProfile.Availability


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def submit(page, button) -> None:
    with page.expect_navigation():
        button.click()


def supporter(unit, *, first, last, user=None, languages=(), areas=(), **profile):
    if user is None:
        user = UserFactory(display_name=f"{first} {last}")
        EmployeeFactory(
            user=user,
            unit=unit,
            first_name=first,
            last_name=last,
            work_email=user.email,
            employee_type=profile.pop("employee_type", Employee.Type.SWORN),
        )
    user.employee.languages.set(languages)
    if Role.PEER_SUPPORTER not in user.roles:
        grant(user, Role.PEER_SUPPORTER)
    made = SupporterProfile.objects.create(
        user=user, status=SupporterProfile.Status.ACTIVE, **profile
    )
    SupporterArea.objects.bulk_create(SupporterArea(profile=made, area=a) for a in areas)
    return made


def cards(page):
    return page.locator("#results").locator(".supporter-card")


def test_employee_browses_filters_and_opens_a_supporter(page, sign_in, personas):
    spanish = LanguageFactory(code="es", name="Spanish")
    squad = Unit.objects.get(name="Day Patrol")
    hq = Unit.objects.get(name="Demo PD")
    jail = UnitFactory(name="County Jail", kind=Unit.Kind.BUREAU, parent=hq)
    records = UnitFactory(name="Records Section", kind=Unit.Kind.PRECINCT, parent=hq)
    garcia = supporter(
        squad,
        first="Ana",
        last="Garcia",
        languages=[spanish],
        areas=[ExperienceArea.GRIEF_LOSS, ExperienceArea.CRITICAL_INCIDENTS],
        gender=SupporterProfile.Gender.WOMAN,
        show_gender=True,
        availability=Availability.AVAILABLE,
        bio="Twenty years in patrol. I lost a partner in 2019.",
    )
    supporter(
        records,
        first="Ben",
        last="Okafor",
        employee_type=Employee.Type.CIVILIAN,
        areas=[ExperienceArea.FINANCES],
        availability=Availability.BUSY,
    )
    supporter(
        jail,
        first="Cara",
        last="Lindqvist",
        employee_type=Employee.Type.CORRECTIONS,
        areas=[ExperienceArea.SUBSTANCE_USE],
        availability=Availability.OFF,
    )
    # The employee's own sergeant is a supporter too.
    sergeant = personas["supervisor"]
    supporter(squad, first="", last="", user=sergeant, availability=Availability.AVAILABLE)
    start = timezone.now() + timedelta(days=1)
    OnCallShift.objects.create(profile=garcia, start=start, end=start + timedelta(hours=8))

    sign_in("employee")
    page.goto("/supporters/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer supporters")
    expect(page.get_by_text("in every unit", exact=False).first).to_be_visible()
    expect(page.locator("#result-count")).to_have_text("4 supporters in all units.")
    expect(cards(page)).to_have_count(4)
    # Without a photo, initials stand in; the name is the heading next to them.
    expect(cards(page).first.locator(".supporter-photo--initials")).to_be_visible()
    assert_accessible(page)

    # Filters swap the results in place (htmx) and keep the address shareable.
    page.evaluate("() => { window.sameDocument = true; }")
    search = page.get_by_role("search", name="Find a supporter")
    # The filters beyond the search are folded until asked for, so supporters come first.
    expect(search.get_by_role("combobox", name="Experience")).to_be_hidden()
    search.get_by_text("Filters", exact=True).click()
    search.get_by_role("combobox", name="Experience").select_option(label="Finances")
    expect(search.locator("#filters-on")).to_have_text(" (1 in use)")
    expect(page.locator("#result-count")).to_have_text("1 supporter matches your search.")
    expect(cards(page).get_by_role("heading", level=2)).to_have_text(["Ben Okafor"])
    expect(cards(page)).to_contain_text("Not available now")
    assert "area=finances" in page.url
    assert_accessible(page)

    search.get_by_role("combobox", name="Experience").select_option(label="Any experience")
    search.get_by_role("combobox", name="Sworn or civilian").select_option(label="Corrections")
    expect(cards(page).get_by_role("heading", level=2)).to_have_text(["Cara Lindqvist"])

    search.get_by_role("combobox", name="Sworn or civilian").select_option(label="Anyone")
    search.get_by_role("checkbox", name="Available now only").check()
    expect(page.locator("#result-count")).to_have_text("2 supporters match your search.")
    headings = cards(page).get_by_role("heading", level=2)
    expect(headings).to_have_count(2)
    expect(headings.filter(has_text=sergeant.employee.full_name)).to_have_count(1)
    expect(headings.filter(has_text="Ana Garcia")).to_have_count(1)
    search.get_by_role("checkbox", name="Hide supporters in my own chain of command").check()
    expect(page.locator("#result-count")).to_have_text("1 supporter matches your search.")
    expect(cards(page).get_by_role("heading", level=2)).to_have_text(["Ana Garcia"])
    assert_accessible(page)

    search.get_by_role("checkbox", name="Available now only").uncheck()
    search.get_by_role("combobox", name="Language").select_option(label="Spanish")
    search.get_by_role("combobox", name="Gender").select_option(label="Woman")
    search.get_by_role("searchbox", name="Search").press_sequentially("garc")
    # The address follows the last request, so the results below are the final ones.
    expect(page).to_have_url(
        re.compile(r"\?q=garc&language=\d+&area=&employee_type=&gender=woman&hide_my_chain=on$")
    )
    expect(page.locator("#result-count")).to_have_text("1 supporter matches your search.")
    expect(cards(page)).to_contain_text("Gender: Woman")
    assert page.evaluate("() => window.sameDocument") is True
    assert_accessible(page)

    submit(page, cards(page).get_by_role("link", name="Ana Garcia"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Garcia")
    facts = page.get_by_role("region", name="Details")
    expect(facts).to_contain_text("Spanish")
    expect(facts).to_contain_text("Grief and loss")
    expect(page.get_by_role("region", name="About")).to_contain_text("Twenty years in patrol.")
    expect(page.get_by_role("region", name="On call").get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_text("Available now", exact=True)).to_be_visible()
    assert_accessible(page)


def png() -> bytes:
    out = BytesIO()
    Image.new("RGB", (1200, 900), (40, 90, 160)).save(out, "PNG")
    return out.getvalue()


def test_supporter_sets_availability_adds_a_shift_and_a_photo(page, sign_in, personas):
    user = sign_in("supporter")
    page.goto("/supporters/me/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My availability")
    assert_accessible(page)

    submit(page, page.get_by_role("button", name="Set up my directory entry"))
    expect(page.get_by_role("status").first).to_have_text(
        "Your directory entry is set up. Colleagues can now find you."
    )
    assert_accessible(page)
    profile = SupporterProfile.objects.get(user=user)
    assert profile.availability == Availability.OFF

    # One click, no page load.
    page.evaluate("() => { window.sameDocument = true; }")
    availability = page.get_by_role("region", name="Right now")
    expect(availability.get_by_role("button", name="Off")).to_have_attribute("aria-pressed", "true")
    availability.get_by_role("button", name="Available").click()
    availability = page.get_by_role("region", name="Right now")
    expect(availability.get_by_role("button", name="Available")).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(availability.get_by_role("button", name="Off")).to_have_attribute(
        "aria-pressed", "false"
    )
    expect(availability.get_by_role("status")).to_contain_text("available now")
    assert page.evaluate("() => window.sameDocument") is True
    assert_accessible(page)
    profile.refresh_from_db()
    assert profile.availability == Availability.AVAILABLE

    # An on-call shift: first one that ends before it starts, then a good one.
    shifts = page.get_by_role("region", name="On-call shifts")
    start = timezone.localtime(timezone.now() + timedelta(days=2)).replace(
        hour=19, minute=0, second=0, microsecond=0
    )
    end = start + timedelta(hours=12)
    shifts.get_by_label("Starts").fill(end.strftime("%Y-%m-%dT%H:%M"))
    shifts.get_by_label("Ends").fill(start.strftime("%Y-%m-%dT%H:%M"))
    submit(page, shifts.get_by_role("button", name="Add shift"))
    shifts = page.get_by_role("region", name="On-call shifts")
    expect(shifts.get_by_text("The shift must end after it starts.")).to_be_visible()
    expect(shifts.get_by_label("Ends")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    assert not OnCallShift.objects.exists()

    shifts.get_by_label("Starts").fill(start.strftime("%Y-%m-%dT%H:%M"))
    shifts.get_by_label("Ends").fill(end.strftime("%Y-%m-%dT%H:%M"))
    submit(page, shifts.get_by_role("button", name="Add shift"))
    expect(page.get_by_role("status").first).to_have_text("On-call shift added.")
    shifts = page.get_by_role("region", name="On-call shifts")
    expect(shifts.get_by_role("listitem")).to_have_count(1)
    expect(shifts.get_by_role("button", name="Remove the shift from")).to_be_visible()
    assert_accessible(page)
    [shift] = OnCallShift.objects.all()
    assert shift.start == start and shift.end == end

    # The directory entry, with a photo.
    entry = page.get_by_role("region", name="Your directory entry")
    entry.get_by_label("About you").fill("Fifteen years on nights. Ask me about shift work.")
    entry.get_by_label("Stress and burnout").check()
    entry.get_by_label("Photo").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png()}]
    )
    submit(page, entry.get_by_role("button", name="Save directory entry"))
    expect(page.get_by_role("status").first).to_have_text("Your directory entry is saved.")
    name = user.employee.full_name
    photo = page.get_by_role("img", name=name)
    expect(photo).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", photo.element_handle()) == 400
    assert_accessible(page)

    submit(page, page.get_by_role("link", name="See your entry as they see it"))
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("img", name=name)).to_be_visible()
    expect(page.get_by_text("Available now", exact=True)).to_be_visible()
    expect(page.get_by_role("region", name="Details")).to_contain_text("Stress and burnout")
    assert_accessible(page)

    # Removing a shift, through its confirmation page (the page a link or a no-script
    # browser reaches).
    page.goto(f"/supporters/me/shifts/{shift.pk}/remove/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove an on-call shift")
    assert_accessible(page)
    submit(page, page.get_by_role("button", name="Remove this shift"))
    expect(page.get_by_role("status").first).to_have_text("On-call shift removed.")
    expect(page.get_by_role("region", name="On-call shifts")).to_contain_text(
        "No on-call shifts planned."
    )
    assert_accessible(page)
    assert not OnCallShift.objects.exists()
