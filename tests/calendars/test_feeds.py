"""A supporter's secret calendar feeds of their on-call shifts and outreach follow-ups
(peersupport/calendars): made, replaced and stopped on the calendars page, audited, hashed at
rest, shown once; 404 for an unknown or stopped token, a person who lost the role or whose
account is inactive; content-free events; queries that do not grow with the events."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.calendars import services
from peersupport.calendars.models import Feed, token_hash
from peersupport.calendars.registry import source
from peersupport.outreach import services as outreach
from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import PlanStep

from ..factories import EmployeeFactory, OnCallShiftFactory, UserFactory, grant
from ..matrix.outreach import assigned
from ..matrix.support_supporter import active_supporter
from ..queries import page_queries

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def plans(db):
    install_defaults(PlanStep=PlanStep)


def _token_from(page, kind: str) -> str:
    (row,) = [r for r in page.context["rows"] if r["source"].kind == kind]
    return row["url"].rsplit("/", 1)[1].removesuffix(".ics")


def _feed_url(user, kind: str) -> str:
    token = services.feed_reset(actor=user, source=source(kind))
    return reverse("calendars:feed", args=[token])


def _shifts(user, count: int):
    profile = active_supporter(user)
    start = timezone.now().replace(microsecond=0) + datetime.timedelta(days=1)
    return [
        OnCallShiftFactory(profile=profile, start=start + datetime.timedelta(days=i))
        for i in range(count)
    ]


def test_the_page_lists_each_feed_and_what_it_reveals(client_for):
    page = client_for("supporter").get(reverse("calendars:mine"))
    assert page.status_code == 200
    assert [r["source"].kind for r in page.context["rows"]] == ["oncall", "outreach"]
    text = page.content.decode()
    assert "On call (peer support)" in text and "Never who they are" in text
    assert "Make an address" in text and "Stop this address" not in text


def test_an_address_is_shown_once_stored_hashed_audited_and_works(client, client_for, personas):
    supporter = personas["supporter"]
    (shift,) = _shifts(supporter, 1)
    page = client_for("supporter").post(reverse("calendars:reset", args=["oncall"]))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    token = _token_from(page, "oncall")
    assert token in page.content.decode()
    stored = Feed.objects.get(user=supporter, kind="oncall")
    assert stored.token_hash == token_hash(token) and token not in stored.token_hash
    assert AuditEvent.objects.filter(
        action=AuditAction.CALENDAR_FEED_RESET, actor_id=supporter.pk, details__kind="oncall"
    ).exists()
    # Shown once: the page afterwards says an address exists, never what it is.
    again = client_for("supporter").get(reverse("calendars:mine"))
    assert token not in again.content.decode() and "Stop this address" in again.content.decode()

    feed = client.get(reverse("calendars:feed", args=[token]))
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    body = feed.content.decode()
    assert "SUMMARY:On call (peer support)" in body
    assert f"UID:oncall-{shift.pk}@" in body and "BEGIN:VTIMEZONE" in body


def test_a_new_address_replaces_the_old_and_stopping_it_ends_it(client, client_for, personas):
    supporter = personas["supporter"]
    page = client_for("supporter").post(reverse("calendars:reset", args=["oncall"]))
    old = reverse("calendars:feed", args=[_token_from(page, "oncall")])
    assert client.get(old).status_code == 200
    page = client_for("supporter").post(reverse("calendars:reset", args=["oncall"]))
    new = reverse("calendars:feed", args=[_token_from(page, "oncall")])
    assert client.get(old).status_code == 404 and client.get(new).status_code == 200
    assert Feed.objects.filter(user=supporter).count() == 1

    stop = client_for("supporter").post(reverse("calendars:revoke", args=["oncall"]))
    assert stop.status_code == 302 and client.get(new).status_code == 404
    assert not Feed.objects.filter(user=supporter).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.CALENDAR_FEED_REVOKED, actor_id=supporter.pk
    ).exists()
    # Nothing to stop: a message, nothing written.
    events = AuditEvent.objects.count()
    client_for("supporter").post(reverse("calendars:revoke", args=["oncall"]))
    assert AuditEvent.objects.count() == events


def test_each_kind_has_its_own_address(client, personas):
    supporter = personas["supporter"]
    oncall, followups = _feed_url(supporter, "oncall"), _feed_url(supporter, "outreach")
    services.feed_revoke(actor=supporter, source=source("oncall"))
    assert client.get(oncall).status_code == 404 and client.get(followups).status_code == 200


def test_unknown_tokens_and_kinds_are_404(client, client_for):
    assert client.get(reverse("calendars:feed", args=["nope"])).status_code == 404
    supporter = client_for("supporter")
    assert supporter.post(reverse("calendars:reset", args=["payroll"])).status_code == 404
    assert supporter.post(reverse("calendars:revoke", args=["payroll"])).status_code == 404
    assert not Feed.objects.exists()


def test_a_feed_ends_when_the_role_ends_or_the_account_is_inactive(client, personas):
    supporter = personas["supporter"]
    url = _feed_url(supporter, "outreach")
    assert client.get(url).status_code == 200
    RoleGrant.objects.filter(user=supporter, role=Role.PEER_SUPPORTER).update(
        revoked_at=timezone.now()
    )
    assert client.get(url).status_code == 404
    RoleGrant.objects.filter(user=supporter, role=Role.PEER_SUPPORTER).update(revoked_at=None)
    assert client.get(url).status_code == 200
    supporter.is_active = False
    supporter.save(update_fields=["is_active"])
    assert client.get(url).status_code == 404


def test_only_supporters_make_feeds(client_for):
    for persona in ("employee", "coordinator", "bhs_manager"):
        c = client_for(persona)
        assert c.get(reverse("calendars:mine")).status_code == 403
        assert c.post(reverse("calendars:reset", args=["oncall"])).status_code == 403
    assert not Feed.objects.exists()


def test_follow_up_events_carry_no_name_unit_label_or_note(client, personas):
    """The feed ends up on a calendar server outside the department: a fixed summary, the time
    and a link to the assignment page (which needs sign-in), nothing of the person."""
    supporter, coordinator = personas["supporter"], personas["coordinator"]
    assignment = assigned(supporter, coordinator)
    person = assignment.person
    due = timezone.now().replace(microsecond=0) + datetime.timedelta(days=3)
    task = outreach.task_add(
        actor=coordinator, person=person, label="Call Sgt Rivera at home", due_at=due
    )
    # Someone else's follow-ups are not in it, nor those of an offer not yet accepted.
    colleague = UserFactory(display_name="Colleague")
    EmployeeFactory(user=colleague, work_email="colleague@pd.example.org")
    grant(colleague, Role.PEER_SUPPORTER)
    other = assigned(colleague, coordinator)
    outreach.task_add(actor=coordinator, person=other.person, label="Other", due_at=due)

    offered = assigned(supporter, coordinator, accept=False)
    outreach.task_add(actor=coordinator, person=offered.person, label="Offered", due_at=due)

    body = client.get(_feed_url(supporter, "outreach")).content.decode()
    unfolded = body.replace("\r\n ", "")
    assert f"UID:outreach-followup-{task.pk}@" in unfolded
    assert "SUMMARY:Outreach follow-up" in unfolded
    assert reverse("outreach:assignment", args=[assignment.pk]) in unfolded
    forbidden = [
        "Matrix Person",  # the person's name (tests/matrix/outreach.py)
        "555 0100",  # how to reach them
        "Rivera",
        "Call Sgt",  # the follow-up's label
        "Day Patrol",
        "North Precinct",  # units
        "A death in the family",  # the outreach's description
        "Other",
        "Offered",
    ]
    for text in forbidden:
        assert text not in unfolded, text
    uids = [line for line in unfolded.split("\r\n") if line.startswith("UID:")]
    open_tasks = person.tasks.filter(status="open").count()
    assert len(uids) == open_tasks


def test_feed_queries_do_not_grow_with_the_events(client, personas):
    supporter, coordinator = personas["supporter"], personas["coordinator"]
    _shifts(supporter, 1)
    oncall = _feed_url(supporter, "oncall")
    few = page_queries(client, oncall)
    _shifts(supporter, 12)
    assert page_queries(client, oncall) == few

    assigned(supporter, coordinator)
    followups = _feed_url(supporter, "outreach")
    few = page_queries(client, followups)
    assigned(supporter, coordinator)
    assigned(supporter, coordinator)
    assert page_queries(client, followups) == few


def test_page_queries_do_not_grow_with_the_feeds(client_for, personas):
    supporter = personas["supporter"]
    page = client_for("supporter")
    none = page_queries(page, reverse("calendars:mine"), warm=True)
    _feed_url(supporter, "oncall")
    _feed_url(supporter, "outreach")
    assert page_queries(page, reverse("calendars:mine")) == none
