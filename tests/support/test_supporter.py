"""The supporter's side of support (inbox, offers, a held request, messages, contacts,
follow-ups, debriefs) and the coordinator's overview, which never shows who asked."""

from datetime import timedelta

import pytest
import time_machine
from django import forms
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Language, Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance.notice import current_notice
from peersupport.resources.models import Category, Resource
from peersupport.support import services
from peersupport.support.models import (
    Contact,
    ContactMethod,
    DebriefRequest,
    FollowUp,
    Message,
    Offer,
    RequesterKind,
    SupportRequest,
)

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from ..matrix.support_supporter import (
    active_supporter,
    held_request,
    open_followup,
)
from ..queries import page_queries

pytestmark = pytest.mark.django_db

INBOX = reverse("support:inbox")
NEW_CONTACT = reverse("support:contact_new")
OVERVIEW = reverse("support:overview")
Status = SupportRequest.Status


@pytest.fixture
def supporter(dept):
    user = dept.users["supporter"]
    active_supporter(user)
    return user


def make_supporter(dept, name: str):
    """Another active, available peer supporter, with a signed-in client."""
    user = UserFactory(email=f"{name}@pd.example.org", display_name=name.title())
    EmployeeFactory(user=user, unit=dept.squad, work_email=user.email, last_name=name.title())
    grant(user, Role.PEER_SUPPORTER)
    enable_totp(user)
    active_supporter(user)
    return user, signed_in_client(user)


def family_request(**kw) -> SupportRequest:
    kw.setdefault("kind", RequesterKind.FAMILY)
    kw.setdefault("contact_method", ContactMethod.MESSAGES)
    return services.request_create(
        requester=None, notice_version=current_notice().version, **kw
    ).request


def contact_data(**overrides) -> dict:
    data = {
        "date": timezone.localdate().isoformat(),
        "duration_minutes": "45",
        "mode": Contact.Mode.PHONE,
        "requester_type": Contact.RequesterType.SWORN,
        "topics": [Contact.Topic.WORK_STRESS, Contact.Topic.SLEEP_HEALTH],
        "limits_explained": "on",
        "notice_version": current_notice().version,
        "follow_up_on": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def resource(name: str = "City Crisis Line", **kw) -> Resource:
    kw.setdefault("category", Category.CRISIS_LINE)
    kw.setdefault("description", "Answers day and night.")
    kw.setdefault("phone", "988")
    return Resource.objects.create(name=name, **kw)


# --- Who may use the pages ---------------------------------------------------------------


def test_pages_refuse_other_roles(client_for, supporter):
    assert client_for("supporter").get(INBOX).status_code == 200
    assert client_for("coordinator").get(INBOX).status_code == 403
    assert client_for("employee").get(NEW_CONTACT).status_code == 403
    assert client_for("coordinator").get(OVERVIEW).status_code == 200
    assert client_for("supporter").get(OVERVIEW).status_code == 403
    assert client_for("sysadmin").get(OVERVIEW).status_code == 403


# --- Offers ------------------------------------------------------------------------------


def test_inbox_shows_what_was_asked_for_not_who(client_for, supporter):
    spanish = Language.objects.create(code="es", name="Spanish")
    supporter.employee.languages.add(spanish)
    req = family_request(
        supporter=supporter,
        name="Morgan Quill",
        contact_method=ContactMethod.PHONE,
        contact_detail="555 0199 321",
        languages=[spanish.pk],
        areas=["grief_loss"],
    )
    assert req.offers.get().supporter == supporter
    page = client_for("supporter").get(INBOX).content.decode()
    assert "Family member" in page
    assert "Spanish" in page and "Grief and loss" in page
    assert "Accept" in page and "Pass" in page
    assert "Morgan Quill" not in page and "0199" not in page
    # Opening the inbox reads no identity, so it is not an audited reading.
    assert not AuditEvent.objects.filter(action=AuditAction.REQUEST_VIEWED).exists()


def test_accept_gives_the_request_to_the_supporter(client_for, supporter):
    req = family_request(supporter=supporter)
    offer = req.offers.get()
    resp = client_for("supporter").post(
        reverse("support:offer_answer", args=[offer.pk]), {"answer": "accept"}
    )
    assert resp.status_code == 302
    assert resp["Location"] == reverse("support:held", args=[req.pk])
    req.refresh_from_db()
    offer.refresh_from_db()
    assert (req.status, req.assigned_supporter, offer.answer) == (
        Status.ACCEPTED,
        supporter,
        Offer.Answer.ACCEPTED,
    )


def test_pass_reoffers_to_the_next_supporter(dept, client_for, supporter):
    other, other_client = make_supporter(dept, "zimmer")
    req = family_request(supporter=supporter)
    offer = req.offers.get()
    resp = client_for("supporter").post(
        reverse("support:offer_answer", args=[offer.pk]), {"answer": "pass"}
    )
    assert resp.status_code == 302 and resp["Location"] == INBOX
    offer.refresh_from_db()
    assert offer.answer == Offer.Answer.PASSED
    nxt = req.offers.get(answer=Offer.Answer.PENDING)
    assert nxt.supporter == other
    req.refresh_from_db()
    assert req.status == Status.OFFERED and req.assigned_supporter is None
    # The next supporter sees it in their inbox, and the first one no longer does.
    assert f'action="{reverse("support:offer_answer", args=[nxt.pk])}"' in (
        other_client.get(INBOX).content.decode()
    )
    assert "Offered to you (0)" in client_for("supporter").get(INBOX).content.decode()


def test_pass_when_nobody_else_fits_leaves_the_request_waiting(client_for, supporter):
    req = family_request(supporter=supporter)
    offer = req.offers.get()
    client_for("supporter").post(
        reverse("support:offer_answer", args=[offer.pk]), {"answer": "pass"}
    )
    req.refresh_from_db()
    assert req.status == Status.WAITING
    assert not req.offers.filter(answer=Offer.Answer.PENDING).exists()


def test_bad_or_repeated_answers_change_nothing(client_for, supporter):
    req = family_request(supporter=supporter)
    offer = req.offers.get()
    url = reverse("support:offer_answer", args=[offer.pk])
    client = client_for("supporter")
    for data in ({}, {"answer": "maybe"}):
        resp = client.post(url, data)
        assert resp.status_code == 400
        assert "Choose to accept or to pass." in resp.content.decode()
    offer.refresh_from_db()
    assert offer.answer == Offer.Answer.PENDING
    assert client.post(url, {"answer": "accept"}).status_code == 302
    again = client.post(url, {"answer": "pass"})
    assert again.status_code == 400
    assert "already answered or has lapsed" in again.content.decode()
    req.refresh_from_db()
    assert req.status == Status.ACCEPTED and req.assigned_supporter == supporter


def test_an_unanswered_offer_lapses_to_the_next_supporter_then_is_raised(
    dept, client_for, supporter
):
    req = family_request(supporter=supporter)
    first = req.offers.get()
    other, _ = make_supporter(dept, "zimmer")
    later = timezone.now() + timedelta(minutes=settings.SUPPORT_OFFER_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        counts = services.offers_lapse()
    assert counts["lapsed"] == 1 and counts["reoffered"] == 1
    first.refresh_from_db()
    assert first.answer == Offer.Answer.LAPSED
    assert req.offers.get(answer=Offer.Answer.PENDING).supporter == other
    # The lapsed offer can no longer be accepted.
    resp = client_for("supporter").post(
        reverse("support:offer_answer", args=[first.pk]), {"answer": "accept"}
    )
    assert resp.status_code == 400
    # Nobody accepts: after SUPPORT_ESCALATE_MINUTES the coordinator hears of it, unnamed.
    later = timezone.now() + timedelta(minutes=settings.SUPPORT_ESCALATE_MINUTES + 1)
    with time_machine.travel(later, tick=False):
        assert services.offers_lapse()["escalated"] == 1
        page = client_for("coordinator").get(OVERVIEW).content.decode()
    assert "1 raised to you" in page
    assert "Request waiting 1 h 1" in page


# --- A held request ------------------------------------------------------------------------


def test_held_request_shows_who_asked_to_the_holder_only(dept, client_for, supporter):
    req = held_request(
        supporter,
        name="Robin Holloway",
        contact_method=ContactMethod.PHONE,
        contact_detail="555 0142 777",
        best_times="after 6 pm",
    )
    url = reverse("support:held", args=[req.pk])
    page = client_for("supporter").get(url).content.decode()
    for shown in ("Robin Holloway", "Phone call", "555 0142 777", "after 6 pm"):
        assert shown in page
    viewed = AuditEvent.objects.filter(action=AuditAction.REQUEST_VIEWED)
    assert viewed.count() == 1 and viewed.get().actor_id == supporter.pk
    _, other_client = make_supporter(dept, "zimmer")
    assert other_client.get(url).status_code == 404
    assert client_for("coordinator").get(url).status_code == 403
    assert viewed.count() == 1


def test_supporter_replies_to_the_requester(client_for, supporter):
    req = held_request(supporter)
    services.message_send(request=req, sender=Message.Sender.REQUESTER, body="Are you there?")
    url = reverse("support:held", args=[req.pk])
    client = client_for("supporter")
    assert "Are you there?" in client.get(url).content.decode()
    resp = client.post(url, {"body": "  Yes. Call me at the station any time.  "})
    assert resp.status_code == 302 and resp["Location"] == url
    msg = req.messages.get(sender=Message.Sender.SUPPORTER)
    assert msg.body == "Yes. Call me at the station any time."
    assert "Message sent." in client.get(url).content.decode()
    # An empty or over-long message is refused with the form's error; nothing is sent.
    for body, error in (("   ", "Write a message first."), ("x" * 4001, "under 4000")):
        resp = client.post(url, {"body": body})
        assert resp.status_code == 400 and error in resp.content.decode()
    assert req.messages.count() == 2


def test_close_needs_confirmation_and_then_stops_messages(client_for, supporter):
    req = held_request(supporter)
    client = client_for("supporter")
    close = reverse("support:held_close", args=[req.pk])
    resp = client.post(close, {})
    assert resp.status_code == 400
    assert "Tick the box to confirm" in resp.content.decode()
    req.refresh_from_db()
    assert req.status == Status.ACCEPTED
    resp = client.post(close, {"confirm": "on"})
    assert resp.status_code == 302 and resp["Location"] == INBOX
    req.refresh_from_db()
    assert req.status == Status.CLOSED and req.closed_at is not None
    page = client.get(reverse("support:held", args=[req.pk])).content.decode()
    assert "Send message" not in page and "Close this request" not in page
    resp = client.post(reverse("support:held", args=[req.pk]), {"body": "One more thing"})
    assert resp.status_code == 400 and "messages can no longer be sent" in resp.content.decode()
    again = client.post(close, {"confirm": "on"})
    assert again.status_code == 400 and "Only an accepted request" in again.content.decode()


# --- Contacts ------------------------------------------------------------------------------


def test_contact_page_shows_the_notice_and_has_no_free_text(client_for, supporter):
    resource("Peer Chaplains", category=Category.CHAPLAIN)
    resp = client_for("supporter").get(NEW_CONTACT)
    page = resp.content.decode()
    notice = current_notice()
    assert notice.intro in page and all(e in page for e in notice.exceptions)
    assert "I explained these limits before the discussion" in page
    assert "Peer Chaplains" in page
    assert "<textarea" not in page
    form = resp.context["form"]
    # Choices, numbers, a date and boxes (Django's or the kernel's Python-rendered choices).
    allowed = (
        forms.DateInput,
        forms.NumberInput,
        forms.RadioSelect,
        forms.CheckboxSelectMultiple,
        forms.CheckboxInput,
        forms.HiddenInput,
    )
    kinds = {name: type(field.widget).__name__ for name, field in form.fields.items()}
    assert all(isinstance(f.widget, allowed) for f in form.fields.values()), kinds


def _form_html(page: str) -> str:
    """The contact form without its CSRF token (a new mask on every page)."""
    import re

    form = page[page.index('<form method="post"') : page.index("</form>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", form)


def test_the_empty_contact_forms_fields_are_kept_and_follow_what_they_show(client_for, supporter):
    """The empty form's fields are kept per process: the same HTML as rendered afresh, and a
    new day, a new referral or a renamed one, and an errored form are never answered from it."""
    from peersupport.support import views_supporter

    kept = views_supporter._CONTACT_FIELDS
    kept.clear()
    line = resource()
    client = client_for("supporter")
    first = _form_html(client.get(NEW_CONTACT).content.decode())
    assert len(kept) == 1
    assert _form_html(client.get(NEW_CONTACT).content.decode()) == first
    assert len(kept) == 1
    kept.clear()
    assert _form_html(client.get(NEW_CONTACT).content.decode()) == first  # as rendered afresh
    chaplain = resource("Peer Chaplains", category=Category.CHAPLAIN)
    assert "Peer Chaplains" in client.get(NEW_CONTACT).content.decode()
    Resource.objects.filter(pk=chaplain.pk).update(name="Chaplaincy")
    page = client.get(NEW_CONTACT).content.decode()
    assert "Chaplaincy" in page and "Peer Chaplains" not in page
    Resource.objects.filter(pk=line.pk).update(retired_at=timezone.now())
    assert str(line) not in client.get(NEW_CONTACT).content.decode()
    tomorrow = timezone.localtime() + timedelta(days=1)
    with time_machine.travel(tomorrow):  # signed in again: the session has expired by then
        page = signed_in_client(supporter).get(NEW_CONTACT).content.decode()
    assert f'value="{tomorrow.date().isoformat()}"' in page
    # A form sent back with errors shows what was sent, and is not kept.
    before = len(kept)
    refused = client.post(NEW_CONTACT, contact_data(duration_minutes="0"))
    assert refused.status_code == 400 and 'value="0"' in refused.content.decode()
    assert len(kept) == before


def test_contact_is_logged_with_referrals_and_follow_up(client_for, supporter):
    line, chaplain = resource(), resource("Peer Chaplains", category=Category.CHAPLAIN)
    retired = resource("Old Line", retired_at=timezone.now())
    follow = timezone.localdate() + timedelta(days=7)
    data = contact_data(referrals=[line.pk, chaplain.pk], follow_up_on=follow.isoformat())
    resp = client_for("supporter").post(NEW_CONTACT, data)
    assert resp.status_code == 302 and resp["Location"] == INBOX
    contact = Contact.objects.get()
    assert contact.supporter == supporter and contact.request is None
    assert contact.duration_minutes == 45 and contact.mode == Contact.Mode.PHONE
    assert contact.topics == sorted([Contact.Topic.WORK_STRESS, Contact.Topic.SLEEP_HEALTH])
    assert contact.limits_explained and contact.notice_version == current_notice().version
    assert set(contact.referrals.all()) == {line, chaplain}
    assert contact.follow_up_planned
    assert FollowUp.objects.get().due == follow
    inbox = client_for("supporter").get(INBOX).content.decode()
    assert "Contact logged." in inbox and "Coming up (1)" in inbox
    # A retired resource cannot be chosen.
    resp = client_for("supporter").post(NEW_CONTACT, contact_data(referrals=[retired.pk]))
    assert resp.status_code == 400 and "Choose referrals from the list." in resp.content.decode()
    assert Contact.objects.count() == 1


def test_contact_for_a_held_request(client_for, supporter):
    req = held_request(supporter)
    url = reverse("support:contact_for_request", args=[req.pk])
    page = client_for("supporter").get(url).content.decode()
    assert "Pat" not in page  # the form shows nothing of who asked
    resp = client_for("supporter").post(url, contact_data())
    assert resp.status_code == 302
    assert Contact.objects.get().request == req
    assert not AuditEvent.objects.filter(action=AuditAction.REQUEST_VIEWED).exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"limits_explained": None}, "limits_explained", "explained the limits"),
        ({"topics": None}, "topics", "Choose at least one topic."),
        ({"duration_minutes": "0"}, "duration_minutes", "at least 1 minute"),
        ({"duration_minutes": "2000"}, "duration_minutes", "more than 1440 minutes"),
        ({"duration_minutes": ""}, "duration_minutes", "Give the duration in minutes."),
        ({"date": +1}, "date", "A contact cannot be in the future."),
        ({"date": "31/02/2025"}, "date", "Enter the date as year-month-day"),
        ({"follow_up_on": -1}, "follow_up_on", "A follow-up date cannot be in the past."),
        ({"mode": "carrier pigeon"}, "mode", "Select a valid choice"),
        ({"requester_type": None}, "requester_type", "Choose who the person is"),
        ({"notice_version": "old-1"}, "limits_explained", "have changed since"),
    ],
)
def test_contact_form_refuses_bad_input(client_for, supporter, overrides, field, message):
    overrides = dict(overrides)
    for key, value in overrides.items():
        if isinstance(value, int):
            overrides[key] = (timezone.localdate() + timedelta(days=value)).isoformat()
    resp = client_for("supporter").post(NEW_CONTACT, contact_data(**overrides))
    assert resp.status_code == 400
    assert message in " ".join(resp.context["form"].errors[field])
    assert "Nothing was saved." in resp.content.decode()
    assert not Contact.objects.exists() and not FollowUp.objects.exists()


@pytest.mark.parametrize("minutes", [0, 1441])
def test_the_service_refuses_a_duration_out_of_range_itself(supporter, minutes):
    """Whatever calls it (the form checks too), the service refuses what the table's check
    constraint would, with a message instead of a database error."""
    with pytest.raises(ValidationError) as refused:
        services.contact_log(
            actor=supporter,
            date=timezone.localdate(),
            duration_minutes=minutes,
            mode=Contact.Mode.PHONE,
            requester_type=Contact.RequesterType.SWORN,
            topics=["work_stress"],
            limits_explained=True,
            notice_version=current_notice().version,
        )
    assert "1440 minutes" in str(refused.value.message_dict["duration_minutes"])
    assert not Contact.objects.exists()


def test_a_changed_notice_is_shown_again_with_its_version(client_for, supporter):
    resp = client_for("supporter").post(NEW_CONTACT, contact_data(notice_version="old-1"))
    assert resp.status_code == 400
    assert f'value="{current_notice().version}"' in resp.content.decode()


# --- Follow-ups and debriefs ---------------------------------------------------------------


def test_follow_up_marked_done(dept, client_for, supporter):
    followup = open_followup(supporter)
    url = reverse("support:followup_done", args=[followup.pk])
    client = client_for("supporter")
    assert "Due now (1)" in client.get(INBOX).content.decode()
    assert client.post(url, {}).status_code == 400
    followup.refresh_from_db()
    assert followup.done_at is None
    resp = client.post(url, {"action": "done"})
    assert resp.status_code == 302
    followup.refresh_from_db()
    assert followup.done_at is not None
    inbox = client.get(INBOX).content.decode()
    assert "Follow-up marked as done." in inbox and "Due now (0)" in inbox
    _, other_client = make_supporter(dept, "zimmer")
    assert other_client.post(url, {"action": "done"}).status_code == 404


def test_debrief_asked_once_while_open(client_for, supporter):
    client = client_for("supporter")
    url = reverse("support:debrief_ask")
    assert client.post(url, {}).status_code == 400
    assert not DebriefRequest.objects.exists()
    resp = client.post(url, {"action": "debrief"})
    assert resp.status_code == 302 and resp["Location"] == INBOX
    again = client.post(url, {"action": "debrief"})
    assert again.status_code == 400
    assert "You already asked; the coordinator will be in touch." in again.content.decode()
    assert DebriefRequest.objects.count() == 1


def test_load_counts_own_work_only(dept, client_for, supporter):
    held_request(supporter)
    open_followup(supporter)
    other, _ = make_supporter(dept, "zimmer")
    held_request(other)
    resp = client_for("supporter").get(INBOX)
    load = resp.context["load"]
    assert (load.open_requests, load.contacts_this_month, load.followups_due) == (2, 1, 1)


# --- The coordinator -----------------------------------------------------------------------


def test_overview_counts_and_debrief_handled(dept, client_for, supporter):
    other, _ = make_supporter(dept, "zimmer")
    held_request(supporter)  # accepted: open, not unaccepted
    family_request(supporter=other)  # offered, unaccepted
    followup = open_followup(supporter)
    FollowUp.objects.filter(pk=followup.pk).update(due=timezone.localdate() - timedelta(days=3))
    debrief = services.debrief_request(actor=other)
    client = client_for("coordinator")
    resp = client.get(OVERVIEW)
    page = resp.content.decode()
    assert "Open requests by age (3)" in page
    assert "Not yet accepted (1)" in page and "0 raised to you" in page
    assert dict(resp.context["overview"].open_by_age)["under an hour"] == 3
    assert [(p.pk, str(p), n) for p, n in resp.context["overview"].overdue_followups] == [
        (supporter.pk, str(supporter), 1)
    ]
    assert str(supporter) in page and "Zimmer" in page
    url = reverse("support:debrief_handled", args=[debrief.pk])
    assert client.post(url, {}).status_code == 400
    debrief.refresh_from_db()
    assert debrief.handled_at is None
    resp = client.post(url, {"action": "handled"})
    assert resp.status_code == 302 and resp["Location"] == OVERVIEW
    debrief.refresh_from_db()
    assert debrief.handled_by == dept.users["coordinator"]
    assert "Debrief requests (0)" in client.get(OVERVIEW).content.decode()
    assert client_for("supporter").post(url, {"action": "handled"}).status_code == 403


CANARIES = ("Quintessa Marlowe-Vex", "canary.qzx@example.net", "555 0177 9321", "owl at dusk")


def test_canary_names_never_reach_the_coordinator_other_supporters_or_admins(
    dept, client_for, supporter
):
    """Requests whose name, contact detail and best times are canaries, one held (with a
    message), one waiting for a supporter. The holder sees them; nobody else's page does."""
    held = held_request(
        supporter,
        name=CANARIES[0],
        contact_method=ContactMethod.EMAIL,
        contact_detail=CANARIES[1],
        best_times=CANARIES[3],
    )
    services.message_send(request=held, sender=Message.Sender.REQUESTER, body=CANARIES[2])
    other, other_client = make_supporter(dept, "zimmer")
    created = services.request_create(
        supporter=other,
        requester=None,
        kind=RequesterKind.ANONYMOUS,
        name=CANARIES[0],
        contact_method=ContactMethod.PHONE,
        contact_detail=CANARIES[2],
        best_times=CANARIES[3],
        notice_version=current_notice().version,
    )
    canaries = (*CANARIES, created.codename)
    open_followup(supporter)
    services.debrief_request(actor=supporter)
    # The second canary request waits in the other supporter's inbox.
    assert created.request.offers.get(answer=Offer.Answer.PENDING).supporter == other

    # Control: the search finds the canaries where they belong.
    holder_page = client_for("supporter").get(reverse("support:held", args=[held.pk]))
    assert all(c in holder_page.content.decode() for c in CANARIES)

    pages = {
        "coordinator overview": client_for("coordinator").get(OVERVIEW),
        "other supporter's inbox": other_client.get(INBOX),
        "holder's inbox": client_for("supporter").get(INBOX),
        "audit log": client_for("bhs_manager").get(reverse("audit:event_list")),
        "admin index": client_for("sysadmin").get(reverse("admin:index")),
    }
    for model in admin.site._registry:
        meta = model._meta
        name = f"admin:{meta.app_label}_{meta.model_name}_changelist"
        pages[name] = client_for("sysadmin").get(reverse(name))
    for home in ("coordinator", "supervisor", "sysadmin", "chief", "bhs_manager"):
        pages[f"{home} home"] = client_for(home).get(reverse("web:home"))
    for where, resp in pages.items():
        assert resp.status_code == 200, where
        body = resp.content.decode()
        leaked = [c for c in canaries if c in body]
        assert not leaked, f"{where} shows {leaked}"


# --- Query counts --------------------------------------------------------------------------


def _work(dept, supporter, n: int, langs) -> None:
    start = Resource.objects.count()
    """``n`` of each: offers, held requests, contacts with follow-ups, closed requests."""
    for i in range(n):
        family_request(supporter=supporter, languages=[langs[i % 2].pk], areas=["grief_loss"])
        held_request(supporter)
        closed = held_request(supporter)
        services.request_close(actor=supporter, request=closed)
        open_followup(supporter)
        resource(f"Resource {start + i}", category=Category.OTHER)


def test_inbox_and_contact_pages_query_counts_do_not_grow(dept, client_for, supporter):
    langs = [Language.objects.create(code=c, name=n) for c, n in (("es", "Spanish"), ("vi", "Vi"))]
    supporter.employee.languages.add(*langs)
    client = client_for("supporter")
    _work(dept, supporter, 2, langs)
    held = SupportRequest.objects.filter(status=Status.ACCEPTED).first()
    pages = [INBOX, NEW_CONTACT, reverse("support:contact_for_request", args=[held.pk])]
    few = [page_queries(client, url) for url in pages]
    _work(dept, supporter, 25, langs)
    many = [page_queries(client, url) for url in pages]
    print(
        "support page queries (few, many):",
        dict(zip(pages, zip(few, many, strict=True), strict=True)),
    )
    assert few == many
    assert client.get(INBOX).context["load"].open_requests == 27 * 2


def test_held_and_overview_query_counts_do_not_grow(dept, client_for, supporter):
    langs = [Language.objects.create(code="es", name="Spanish")]
    req = held_request(supporter)
    url = reverse("support:held", args=[req.pk])
    services.message_send(request=req, sender=Message.Sender.REQUESTER, body="hello")
    late = open_followup(supporter)
    FollowUp.objects.filter(pk=late.pk).update(due=timezone.localdate() - timedelta(days=2))
    services.debrief_request(actor=supporter)
    few = (
        page_queries(client_for("supporter"), url),
        page_queries(client_for("coordinator"), OVERVIEW),
    )
    for _ in range(20):
        services.message_send(request=req, sender=Message.Sender.REQUESTER, body="again")
    _work(dept, supporter, 10, langs * 2)
    for i in range(5):
        other, _ = make_supporter(dept, f"extra{i}")
        FollowUp.objects.filter(pk=open_followup(other).pk).update(
            due=timezone.localdate() - timedelta(days=2)
        )
        services.debrief_request(actor=other)
    many = (
        page_queries(client_for("supporter"), url),
        page_queries(client_for("coordinator"), OVERVIEW),
    )
    print("held request and overview queries (few, many):", few, many)
    assert few == many


@pytest.mark.django_db
def test_overdue_followups_are_read_through_the_open_followups_index(supporter):
    """The coordinator's overdue counts read only open follow-ups (a partial index), not every
    follow-up ever made: at a million contacts the scan took over a second per dashboard view
    (bench/pages.py). SQLite's plan is checked; PostgreSQL's depends on its statistics."""
    if connection.vendor != "sqlite":
        pytest.skip("the plan is checked on SQLite")
    from peersupport.support import selectors
    from peersupport.tenancy import current_agency_id

    params = [current_agency_id(), timezone.localdate().isoformat(), selectors.OVERDUE_SHOWN, 0]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {selectors._OVERDUE_SQL}", params)
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "followup_open_by_supporter" in plan
    assert selectors.coordinator_overview().overdue_followups == []


def test_overview_names_the_supporters_most_overdue_and_counts_the_rest(
    dept, client_for, supporter
):
    """Past ``OVERDUE_SHOWN`` supporters the overview names those with the most overdue
    follow-ups and counts the others, so it does not grow with the roster."""
    from peersupport.support import selectors

    past = timezone.localdate() - timedelta(days=2)
    most = [open_followup(supporter), open_followup(supporter)]
    FollowUp.objects.filter(pk__in=[f.pk for f in most]).update(due=past)
    others = [make_supporter(dept, f"late{i}")[0] for i in range(selectors.OVERDUE_SHOWN)]
    for other in others:
        FollowUp.objects.filter(pk=open_followup(other).pk).update(due=past)
    overview = selectors.coordinator_overview()
    assert len(overview.overdue_followups) == selectors.OVERDUE_SHOWN
    assert overview.overdue_followups[0] == (selectors.Person(supporter.pk, str(supporter)), 2)
    assert (overview.overdue_total, overview.overdue_supporters) == (
        2 + len(others),
        1 + len(others),
    )
    page = client_for("coordinator").get(OVERVIEW).content.decode()
    assert f"{2 + len(others)} overdue across {1 + len(others)} supporters" in page
    assert f"the {selectors.OVERDUE_SHOWN} with the most" in page
    # Every one of them is a click away, fifty a page, most overdue first.
    overdue = reverse("support:overdue")
    assert f'href="{overdue}"' in page
    coordinator = client_for("coordinator")
    with pytest.MonkeyPatch.context() as patched:
        from peersupport.support import views_coordinator

        patched.setattr(views_coordinator, "OVERDUE_PAGE", 4)
        pages = [coordinator.get(overdue, {"page": n}).content.decode() for n in (1, 2, 3)]
        beyond = coordinator.get(overdue, {"page": "99"}).content.decode()
    assert f"{2 + len(others)} overdue across {1 + len(others)} supporters" in pages[0]
    assert "Page 1 of 3" in pages[0] and "Page 3 of 3" in pages[2] and "Page 3 of 3" in beyond
    assert str(supporter) in pages[0]  # the most overdue first
    for user in [supporter, *others]:
        assert sum(f'<th scope="row">{user}</th>' in p for p in pages) == 1
    assert client_for("supporter").get(overdue).status_code == 403


@time_machine.travel("2026-12-31 22:30 -05:00", tick=False)
def test_inbox_followups_split_at_today_across_the_year_end(supporter):
    """Due by today (the department's date, the last day of the year) against still to come
    (tomorrow is next year), the longest overdue and the soonest first, at most ``limit`` of
    each with how many there are in all."""
    from peersupport.support import selectors

    today = timezone.localdate()
    assert today.isoformat() == "2026-12-31"
    offsets = [-400, -3, -1, 0, 1, 2, 33]
    made = {}
    for days in offsets:
        followup = open_followup(supporter)
        FollowUp.objects.filter(pk=followup.pk).update(due=today + timedelta(days=days))
        made[days] = followup.pk
    done = open_followup(supporter)  # done: in neither part
    FollowUp.objects.filter(pk=done.pk).update(due=today, done_at=timezone.now())

    parts = selectors.inbox_followups(supporter, limit=3)
    assert [f.pk for f in parts.due] == [made[-400], made[-3], made[-1]]
    assert parts.due_count == 4
    assert [f.pk for f in parts.upcoming] == [made[1], made[2], made[33]]
    assert parts.upcoming_count == 3
    assert parts.upcoming[0].due.isoformat() == "2027-01-01"
    assert all(f.contact_date == today for f in parts.due + parts.upcoming)

    nothing = selectors.inbox_followups(UserFactory(), limit=3)
    assert (nothing.due, nothing.due_count, nothing.upcoming, nothing.upcoming_count) == (
        [],
        0,
        [],
        0,
    )


def test_a_followup_is_overdue_from_the_day_after_it_is_due_across_the_year_end(
    dept, client_for, supporter
):
    """Overdue means due before the department's today: on the evening of 31 December (already
    1 January in UTC) a follow-up due that day is not yet overdue; half an hour after local
    midnight it is, on the overview and on the full list alike (signed in then: a session
    left two hours idle has ended)."""
    from peersupport.support import selectors

    with time_machine.travel("2026-12-31 22:30 -06:00", tick=False):
        assert timezone.now().date().isoformat() == "2027-01-01"  # UTC is a day ahead
        today = timezone.localdate()
        assert today.isoformat() == "2026-12-31"  # the department's (America/Chicago)
        dues = [today - timedelta(days=1), today, today + timedelta(days=1)]
        for due in dues:
            FollowUp.objects.filter(pk=open_followup(supporter).pk).update(due=due)
        named = selectors.Person(supporter.pk, str(supporter))
        assert selectors.overdue_followups(today) == ([(named, 1)], 1, 1)
        assert selectors.coordinator_overview().overdue_total == 1

    with time_machine.travel("2027-01-01 00:30 -06:00", tick=False):
        assert selectors.overdue_followups(timezone.localdate()) == ([(named, 2)], 2, 1)
        overview = selectors.coordinator_overview()
        assert (overview.overdue_total, overview.overdue_supporters) == (2, 1)
        page = client_for("coordinator").get(reverse("support:overdue")).content.decode()
        assert "2 overdue across 1 supporter" in page
