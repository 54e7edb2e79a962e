"""The resource directory: services and their audit events, validation, retiring and restoring,
the public pages, the coordinator's editing, filters, the htmx partial and query counts."""

import pytest
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from demo.personas import DemoRefused
from demo.resources import DEMO_RESOURCES, load_demo
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.resources import selectors, services
from peersupport.resources.models import Category, Cost, Resource
from peersupport.resources.validators import (
    EMAIL_MESSAGE,
    PHONE_MESSAGE,
    TEXT_MESSAGE,
    WEBSITE_SCHEME_MESSAGE,
    dial_href,
    validate_phone,
    validate_text_number,
)
from peersupport.tenancy import current_agency_id

from ..queries import page_queries

pytestmark = pytest.mark.django_db

EVERYONE_ELSE = [
    "employee",
    "supporter",
    "bhs_manager",
    "advocacy_supervisor",
    "chief",
    "supervisor",
    "panelist",
    "committee_member",
    "sysadmin",
]


def make(name="Harbor Line", *, retired=False, **fields) -> Resource:
    """A resource written straight to the table: the arrangement, not the thing under test."""
    values = {
        "category": Category.OTHER,
        "description": "Helps with things.",
        "phone": "(555) 555-0100",
    } | fields
    return Resource.objects.create(
        name=name, retired_at=timezone.now() if retired else None, **values
    )


def form_data(**overrides) -> dict:
    data = {
        "name": "Lakeside Counselling",
        "category": Category.FAMILY,
        "description": "Couples and family counselling.",
        "phone": "(555) 555-0199",
        "text_number": "",
        "text_keyword": "",
        "email": "intake@lakeside.test",
        "website": "https://lakeside.test",
        "address": "1 Lake Road",
        "hours": "Mon–Fri 9–5",
        "cost": Cost.INSURANCE,
        "cost_note": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- Services and their audit events --------------------------------------------------------


def test_create_validates_saves_and_audits(personas):
    coordinator = personas["coordinator"]
    resource = services.resource_create(
        actor=coordinator,
        name="  Peer Line  ",
        category=Category.CRISIS_LINE,
        description="Talk to a peer.",
        phone="988",
        available_24_7=True,
    )
    assert resource.name == "Peer Line"
    event = AuditEvent.objects.get(action=AuditAction.RESOURCE_CREATED)
    assert event.actor_id == coordinator.pk
    assert event.target_type == "resources.resource"
    assert event.target_id == str(resource.pk)
    assert event.details == {"category": "crisis_line", "internal": False}


def test_update_records_the_fields_that_changed(personas):
    resource = make()
    services.resource_update(
        actor=personas["coordinator"],
        resource=resource,
        name="Harbor Line",
        hours="24/7",
        available_24_7=True,
    )
    resource.refresh_from_db()
    assert resource.hours == "24/7" and resource.available_24_7
    event = AuditEvent.objects.get(action=AuditAction.RESOURCE_UPDATED)
    assert event.details == {"fields": ["hours", "available_24_7"]}
    assert event.target_id == str(resource.pk)


def test_update_refuses_unknown_fields(personas):
    with pytest.raises(ValueError, match="retired_at"):
        services.resource_update(
            actor=personas["coordinator"], resource=make(), retired_at=timezone.now()
        )


def test_retire_and_restore_are_audited_with_the_reason(personas):
    coordinator = personas["coordinator"]
    resource = make()
    services.resource_retire(actor=coordinator, resource=resource, reason="Service closed")
    resource.refresh_from_db()
    assert resource.retired_at is not None
    assert not selectors.resources_active().filter(pk=resource.pk).exists()
    services.resource_restore(actor=coordinator, resource=resource, reason="Reopened")
    resource.refresh_from_db()
    assert resource.retired_at is None
    retired = AuditEvent.objects.get(action=AuditAction.RESOURCE_RETIRED)
    restored = AuditEvent.objects.get(action=AuditAction.RESOURCE_RESTORED)
    assert retired.details == {"why": "Service closed"}
    assert restored.details == {"why": "Reopened"}
    assert retired.seq < restored.seq


def test_retire_twice_and_restore_an_active_one_are_refused(personas):
    coordinator = personas["coordinator"]
    resource = make()
    with pytest.raises(ValidationError, match="not retired"):
        services.resource_restore(actor=coordinator, resource=resource, reason="x")
    services.resource_retire(actor=coordinator, resource=resource, reason="closed")
    with pytest.raises(ValidationError, match="already retired"):
        services.resource_retire(actor=coordinator, resource=resource, reason="again")
    assert AuditEvent.objects.filter(action=AuditAction.RESOURCE_RETIRED).count() == 1


def test_retiring_needs_a_reason(personas):
    resource = make()
    with pytest.raises(ValidationError, match="Say why"):
        services.resource_retire(actor=personas["coordinator"], resource=resource, reason="  ")
    resource.refresh_from_db()
    assert resource.retired_at is None


def test_restore_is_refused_while_another_active_entry_has_the_name(personas):
    coordinator = personas["coordinator"]
    old = make("Harbor Line", retired=True)
    make("harbor line")
    with pytest.raises(ValidationError, match="already lists a resource with this name"):
        services.resource_restore(actor=coordinator, resource=old, reason="back")
    old.refresh_from_db()
    assert old.retired_at is not None
    assert not AuditEvent.objects.filter(action=AuditAction.RESOURCE_RESTORED).exists()


@pytest.mark.parametrize("persona", EVERYONE_ELSE)
def test_services_refuse_anyone_but_the_coordinator(personas, persona):
    actor = personas[persona]
    resource = make()
    with pytest.raises(ValidationError, match="Only a program coordinator"):
        services.resource_create(
            actor=actor, name="X", category=Category.OTHER, description="x", phone="988"
        )
    with pytest.raises(ValidationError, match="Only a program coordinator"):
        services.resource_update(actor=actor, resource=resource, name="Renamed")
    with pytest.raises(ValidationError, match="Only a program coordinator"):
        services.resource_retire(actor=actor, resource=resource, reason="no")
    resource.refresh_from_db()
    assert resource.name == "Harbor Line" and resource.retired_at is None
    assert Resource.objects.count() == 1
    assert not AuditEvent.objects.filter(action__startswith="resource.").exists()


# --- Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["988", "211", "(555) 555-0100", "555.555.0100", "1-800-267-5463", "+44 20 7946 0000",
     "(555) 555-0100 ext. 12", "555-555-0100 x3"],
)  # fmt: skip
def test_phone_numbers_people_write_are_accepted(value):
    validate_phone(value)


@pytest.mark.parametrize(
    "value", ["12345", "555-0100", "1-800-COPLINE", "call us", "+12", "2-555-555-0100"]
)
def test_numbers_a_phone_cannot_dial_are_refused(value):
    with pytest.raises(ValidationError) as exc:
        validate_phone(value)
    assert exc.value.messages == [PHONE_MESSAGE]


@pytest.mark.parametrize("value", ["741741", "988", "838255", "24365", "(555) 555-0100"])
def test_text_numbers_include_short_codes(value):
    validate_text_number(value)


@pytest.mark.parametrize("value", ["1234", "1234567", "555-555-0100 ext. 2", "HOME"])
def test_bad_text_numbers_are_refused(value):
    with pytest.raises(ValidationError) as exc:
        validate_text_number(value)
    assert exc.value.messages == [TEXT_MESSAGE]


@pytest.mark.parametrize(
    ("value", "scheme", "href"),
    [
        ("988", "tel", "tel:988"),
        ("(555) 555-0100", "tel", "tel:+15555550100"),
        ("1-800-267-5463", "tel", "tel:+18002675463"),
        ("+44 20 7946 0000", "tel", "tel:+442079460000"),
        ("(555) 555-0100 ext. 12", "tel", "tel:+15555550100,12"),
        ("741741", "sms", "sms:741741"),
        ("", "tel", ""),
    ],
)
def test_links_use_the_digits(value, scheme, href):
    assert dial_href(value, scheme) == href


def test_text_link_carries_the_keyword():
    resource = Resource(text_number="741741", text_keyword="HOME")
    assert resource.text_href == "sms:741741?&body=HOME"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "555-0100", PHONE_MESSAGE),
        ("text_number", "12", TEXT_MESSAGE),
        ("email", "not an address", EMAIL_MESSAGE),
        ("website", "ftp://files.example.org", WEBSITE_SCHEME_MESSAGE),
        ("website", "http://", "Enter a web address such as https://example.org."),
        ("text_keyword", "two words", "Enter one word of letters and digits"),
        ("name", "   ", "Give the resource a name."),
        ("description", "", "Say in a sentence or two what they help with."),
    ],
)
def test_bad_input_rerenders_the_form_with_the_message_and_saves_nothing(
    client_for, field, value, message
):
    resp = client_for("coordinator").post(reverse("resources:create"), form_data(**{field: value}))
    assert resp.status_code == 400
    assert message in resp.content.decode()
    assert message in " ".join(resp.context["form"].errors[field])
    assert not Resource.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.RESOURCE_CREATED).exists()


def test_an_entry_needs_a_way_to_reach_it(client_for):
    data = form_data(phone="", email="", website="", address="")
    resp = client_for("coordinator").post(reverse("resources:create"), data)
    assert resp.status_code == 400
    assert "Give at least one way to reach this resource" in resp.content.decode()
    assert not Resource.objects.exists()


def test_two_active_entries_cannot_share_a_name(client_for):
    make("Lakeside Counselling")
    resp = client_for("coordinator").post(
        reverse("resources:create"), form_data(name="LAKESIDE   counselling")
    )
    assert resp.status_code == 400
    assert "already lists a resource with this name" in resp.content.decode()
    assert Resource.objects.count() == 1


def test_a_retired_name_can_be_used_again(personas):
    make("Lakeside Counselling", retired=True)
    services.resource_create(actor=personas["coordinator"], **_fields(form_data()))
    assert Resource.objects.filter(name="Lakeside Counselling").count() == 2


def _fields(data: dict) -> dict:
    return {**data, "available_24_7": False, "is_internal": False}


def test_the_database_refuses_an_entry_nobody_can_reach():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Resource.objects.create(name="Nowhere", category=Category.OTHER, description="x")


# --- The coordinator's pages ----------------------------------------------------------------


def test_coordinator_adds_an_entry(client_for, personas):
    resp = client_for("coordinator").post(
        reverse("resources:create"), form_data(website="lakeside.test", available_24_7="on")
    )
    resource = Resource.objects.get()
    assert resp.status_code == 302 and resp["Location"] == resource.get_absolute_url()
    assert resource.website == "https://lakeside.test"
    assert resource.available_24_7 is True
    assert AuditEvent.objects.get(action=AuditAction.RESOURCE_CREATED).actor_id == (
        personas["coordinator"].pk
    )


def test_coordinator_edits_an_entry(client_for):
    resource = make("Lakeside Counselling")
    url = reverse("resources:edit", args=[resource.pk])
    assert client_for("coordinator").get(url).status_code == 200
    resp = client_for("coordinator").post(url, form_data(hours="Mon–Sat 9–5"))
    assert resp.status_code == 302
    resource.refresh_from_db()
    assert resource.hours == "Mon–Sat 9–5"
    assert resource.category == Category.FAMILY
    event = AuditEvent.objects.get(action=AuditAction.RESOURCE_UPDATED)
    assert "hours" in event.details["fields"]


def test_a_bad_edit_keeps_the_stored_entry_and_its_title(client_for):
    resource = make("Lakeside Counselling")
    resp = client_for("coordinator").post(
        reverse("resources:edit", args=[resource.pk]), form_data(name="Renamed", phone="12")
    )
    assert resp.status_code == 400
    assert "<h1>Edit Lakeside Counselling</h1>" in resp.content.decode()
    resource.refresh_from_db()
    assert resource.name == "Lakeside Counselling" and resource.phone == "(555) 555-0100"
    assert not AuditEvent.objects.filter(action=AuditAction.RESOURCE_UPDATED).exists()


def test_coordinator_retires_and_restores_through_the_pages(client_for):
    coordinator = client_for("coordinator")
    resource = make()
    retire = reverse("resources:retire", args=[resource.pk])
    assert coordinator.get(retire).status_code == 200
    # No reason: the page comes back and nothing changes.
    assert coordinator.post(retire, {"reason": ""}).status_code == 400
    resource.refresh_from_db()
    assert resource.retired_at is None
    resp = coordinator.post(retire, {"reason": "Closed for good"})
    assert resp.status_code == 302 and resp["Location"] == reverse("resources:retired")
    page = coordinator.get(reverse("resources:retired")).content.decode()
    assert "Harbor Line" in page
    assert "Harbor Line" not in coordinator.get(reverse("resources:list")).content.decode()
    # The coordinator still opens it, to restore it.
    detail = coordinator.get(resource.get_absolute_url())
    assert detail.status_code == 200 and "was retired on" in detail.content.decode()
    # Retiring again just says so.
    again = coordinator.post(retire, {"reason": "again"})
    assert again.status_code == 302
    resp = coordinator.post(reverse("resources:restore", args=[resource.pk]), {"reason": "Back"})
    assert resp.status_code == 302
    resource.refresh_from_db()
    assert resource.retired_at is None
    assert AuditEvent.objects.filter(action=AuditAction.RESOURCE_RETIRED).count() == 1
    assert AuditEvent.objects.filter(action=AuditAction.RESOURCE_RESTORED).count() == 1


@pytest.mark.parametrize("persona", EVERYONE_ELSE)
def test_everyone_else_is_refused_editing(client_for, persona):
    resource = make()
    retired = make("Old Line", retired=True)
    c = client_for(persona)
    attempts = [
        (reverse("resources:create"), form_data()),
        (reverse("resources:edit", args=[resource.pk]), form_data(name="Taken")),
        (reverse("resources:retire", args=[resource.pk]), {"reason": "gone"}),
        (reverse("resources:restore", args=[retired.pk]), {"reason": "back"}),
    ]
    for url, data in attempts:
        assert c.get(url).status_code == 403, url
        assert c.post(url, data).status_code == 403, url
    assert c.get(reverse("resources:retired")).status_code == 403
    resource.refresh_from_db()
    retired.refresh_from_db()
    assert resource.name == "Harbor Line" and resource.retired_at is None
    assert retired.retired_at is not None
    assert Resource.objects.count() == 2
    assert not AuditEvent.objects.filter(action__startswith="resource.").exists()
    # The refusal itself is on the record.
    assert AuditEvent.objects.filter(action=AuditAction.ACCESS_DENIED).count() == 9


def test_only_the_coordinator_sees_the_editing_links(client_for):
    resource = make()
    employee = client_for("employee").get(resource.get_absolute_url()).content.decode()
    coordinator = client_for("coordinator").get(resource.get_absolute_url()).content.decode()
    edit = reverse("resources:edit", args=[resource.pk])
    assert edit not in employee and edit in coordinator
    assert (
        reverse("resources:create")
        not in client_for("employee").get(reverse("resources:list")).content.decode()
    )
    assert (
        reverse("resources:create")
        in client_for("coordinator").get(reverse("resources:list")).content.decode()
    )


# --- Reading the directory ------------------------------------------------------------------


def test_every_signed_in_person_reads_the_directory(client_for):
    resource = make(phone="988", text_number="741741", text_keyword="HOME", email="a@b.test")
    for persona in ["employee", "sysadmin", "chief", "supervisor"]:
        page = client_for(persona).get(reverse("resources:list"))
        assert page.status_code == 200
        assert "Harbor Line" in page.content.decode()
        detail = client_for(persona).get(resource.get_absolute_url()).content.decode()
        assert 'href="tel:988"' in detail
        assert 'href="sms:741741?&amp;body=HOME"' in detail
        assert 'href="mailto:a@b.test"' in detail


def test_retired_entries_are_not_found_by_anyone_but_the_coordinator(client_for, client):
    retired = make(retired=True)
    assert client_for("employee").get(retired.get_absolute_url()).status_code == 404
    assert client_for("sysadmin").get(retired.get_absolute_url()).status_code == 404
    assert client.get(reverse("resources:public_detail", args=[retired.pk])).status_code == 404
    assert client_for("coordinator").get(retired.get_absolute_url()).status_code == 200


def test_public_pages_need_no_sign_in_and_show_only_active_entries(client, dept):
    active = make("Harbor Line")
    retired = make("Closed Line", retired=True)
    resp = client.get(reverse("resources:public_list"))
    assert resp.status_code == 200
    page = resp.content.decode()
    assert "Harbor Line" in page and "Closed Line" not in page
    # Links stay on the public pages, and there is nothing to edit.
    assert reverse("resources:public_detail", args=[active.pk]) in page
    assert reverse("resources:detail", args=[active.pk]) + '"' not in page
    assert reverse("resources:create") not in page
    detail = client.get(reverse("resources:public_detail", args=[active.pk]))
    assert detail.status_code == 200 and 'href="tel:+15555550100"' in detail.content.decode()
    assert client.get(reverse("resources:public_detail", args=[retired.pk])).status_code == 404
    # The signed-in pages still send an anonymous visitor to sign in.
    assert client.get(reverse("resources:list"))["Location"].startswith(reverse("account_login"))


def test_filters(client_for):
    make("Harbor Line", category=Category.CRISIS_LINE, available_24_7=True)
    make("Lakeside Counselling", category=Category.FAMILY, description="Marriage counselling")
    make("Money Help", category=Category.FINANCIAL, description="Debt and budgets")
    make("Night Chaplain", category=Category.CHAPLAIN, available_24_7=True)
    c = client_for("employee")

    def names(**params):
        resp = c.get(reverse("resources:list"), params)
        assert resp.status_code == 200
        return [r.name for r in resp.context["page"]]

    assert names() == ["Harbor Line", "Night Chaplain", "Lakeside Counselling", "Money Help"]
    assert names(q="marriage") == ["Lakeside Counselling"]
    assert names(q="counselling marriage") == ["Lakeside Counselling"]
    assert names(q="money debt") == ["Money Help"]
    assert names(q="money marriage") == []
    assert names(category=Category.FINANCIAL) == ["Money Help"]
    assert names(open_24_7="on") == ["Harbor Line", "Night Chaplain"]
    assert names(open_24_7="on", category=Category.CHAPLAIN) == ["Night Chaplain"]
    page = c.get(reverse("resources:list"), {"q": "nothing like it"}).content.decode()
    assert "No resource matches" in page
    assert "0 resources match your search." in page


def test_an_unknown_category_is_a_bad_request(client_for):
    make()
    resp = client_for("employee").get(reverse("resources:list"), {"category": "bogus"})
    assert resp.status_code == 400
    assert "Select a valid choice" in resp.content.decode()


def test_help_now_puts_crisis_lines_first():
    make("Zebra Crisis Line", category=Category.CRISIS_LINE)
    make("All Night EAP", category=Category.EAP, available_24_7=True)
    make("Alpha Crisis Line", category=Category.CRISIS_LINE, available_24_7=True)
    make("Day Clinic", category=Category.MEDICAL)
    make("Closed Crisis Line", category=Category.CRISIS_LINE, retired=True)
    names = [r.name for r in selectors.resources_help_now()]
    assert names == ["Alpha Crisis Line", "Zebra Crisis Line", "All Night EAP"]
    assert [r.name for r in selectors.resources_help_now(limit=2)] == names[:2]


def test_the_list_shows_help_now_first(client):
    make("Harbor Line", category=Category.CRISIS_LINE, phone="988")
    page = client.get(reverse("resources:public_list")).content.decode()
    assert page.index("Need help right now?") < page.index('id="results"')


# --- htmx -----------------------------------------------------------------------------------


def test_htmx_gets_only_the_results(client_for):
    make("Harbor Line", category=Category.CRISIS_LINE)
    make("Money Help", category=Category.FINANCIAL)
    resp = client_for("employee").get(
        reverse("resources:list"), {"category": Category.FINANCIAL}, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "<html" not in body and "<form" not in body
    assert "Money Help" in body and "Harbor Line" not in body
    # The count is updated out of band, in the live region that stays on the page.
    assert 'hx-swap-oob="innerHTML:#result-count"' in body
    assert "1 resource matches your search." in body
    assert "HX-Request" in resp["Vary"]


def test_the_full_page_has_the_live_region_and_no_out_of_band_copy(client):
    make()
    body = client.get(reverse("resources:public_list")).content.decode()
    assert '<p id="result-count" role="status">1 resource.</p>' in body
    assert "hx-swap-oob" not in body


def test_htmx_history_restore_gets_the_whole_page(client):
    make()
    resp = client.get(
        reverse("resources:public_list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert "<html" in resp.content.decode()


def test_public_htmx_partial_links_to_public_pages(client):
    resource = make()
    body = client.get(reverse("resources:public_list"), headers={"HX-Request": "true"})
    assert reverse("resources:public_detail", args=[resource.pk]) in body.content.decode()


# --- Query counts ---------------------------------------------------------------------------


def _grow(n: int) -> None:
    categories = list(Category)
    Resource.objects.bulk_create(
        Resource(
            agency_id=current_agency_id(),  # bulk_create skips save(), which would fill it
            name=f"Service {i:03d}",
            category=categories[i % len(categories)],
            description="Helps.",
            phone="(555) 555-0100",
            available_24_7=i % 3 == 0,
        )
        for i in range(Resource.objects.count(), n)
    )


def test_list_queries_do_not_grow_with_the_directory(client_for, client):
    pages = [
        (client_for("employee"), reverse("resources:list")),
        (client_for("coordinator"), reverse("resources:list")),
        (client, reverse("resources:public_list")),
    ]
    _grow(5)
    for c, url in pages:
        c.get(url)  # warm up: the first request of a session may do one-off work
    small = [page_queries(c, url) for c, url in pages]
    _grow(100)
    large = [page_queries(c, url) for c, url in pages]
    assert small == large


# --- Demo data ------------------------------------------------------------------------------


def test_demo_loads_once_and_every_entry_is_valid():
    summary = load_demo()
    assert summary == f"Resource directory: {len(DEMO_RESOURCES)} demo entries added."
    assert Resource.objects.count() == len(DEMO_RESOURCES) >= 15
    lifeline = Resource.objects.get(name="988 Suicide & Crisis Lifeline")
    assert lifeline.phone == "988" and lifeline.text_number == "988"
    assert lifeline.available_24_7 and lifeline.cost == Cost.FREE
    text_line = Resource.objects.get(name="Crisis Text Line")
    assert text_line.text_href == "sms:741741?&body=HOME"
    assert Resource.objects.filter(is_internal=True, category=Category.ADVOCACY).exists()
    for resource in Resource.objects.all():
        resource.full_clean()
    # One audit event for the whole load, as for the rest of the demo department.
    event = AuditEvent.objects.get()
    assert event.action == AuditAction.DEMO_LOADED
    assert event.details == {"resources": len(DEMO_RESOURCES)}
    # Idempotent: a second load adds nothing.
    assert "nothing added" in load_demo()
    assert Resource.objects.count() == len(DEMO_RESOURCES)


def test_demo_numbers_of_fictional_services_are_fictional():
    """Local entries use 555-01xx, set aside for fiction; only national lines have real ones."""
    national = {"988", "1-800-267-5463", "1-800-662-4357"}
    for entry in DEMO_RESOURCES:
        phone = entry.get("phone", "")
        if phone and phone not in national:
            assert phone.startswith("(555) 555-01"), entry["name"]


@override_settings(PRODUCTION=True)
def test_demo_is_refused_in_production():
    with pytest.raises(DemoRefused):
        load_demo()
    assert not Resource.objects.exists()


def test_anonymous_visitor_gets_the_public_list_without_a_session(db):
    make()
    resp = Client().get(reverse("resources:public_list"))
    assert resp.status_code == 200


@pytest.mark.django_db
def test_resource_choices_are_the_active_entries_in_the_directorys_order():
    """The referral list's (id, name) pairs, read by SQL compiled once, are the active
    entries in the order and with the labels the ORM's queryset gives, as entries come and go."""

    def as_orm() -> tuple:
        return tuple((r.pk, str(r)) for r in selectors.resources_active())

    for i, category in enumerate(reversed(Category)):
        Resource.objects.create(name=f"{'ba'[i % 2]}-{category}", category=category, phone="988")
    Resource.objects.create(name="Zebra line", category=Category.CRISIS_LINE, phone="988")
    Resource.objects.create(name="alpha line", category=Category.CRISIS_LINE, phone="988")
    assert selectors.resource_choices() == as_orm()
    assert len(as_orm()) == len(Category) + 2
    gone = Resource.objects.get(name="Zebra line")
    gone.retired_at = timezone.now()
    gone.save()
    Resource.objects.create(name="Late entry", category=Category.CHAPLAIN, phone="988")
    assert selectors.resource_choices() == as_orm()
    assert gone.pk not in dict(selectors.resource_choices())
