"""The BHS manager reading the audit log cannot tell who asked for help.

The attack (issue 18): an employee's sign-in was recorded a second before "support request
made", the viewer filtered by action and by person, and the supporter's later "release
recorded" tied a release shown as "person not shown" to that employee. Here many employees sign
in through the real sign-in page, some of them ask through the real ask page and write to their
supporter, one withdraws, and the supporter accepts, opens, answers, records releases and closes.
The same day is played twice, in two worlds that differ only in which employees asked; every page
of the audit viewer, with every filter it offers, must read the same in both. Then the direct
checks: no plain employee named, no plain employee's sign-in recorded, no request-linked entry
with a time of day or an id.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.audit.selectors import TIMED_FAMILIES, UNTIMED_ACTIONS
from peersupport.governance.notice import current_notice
from peersupport.support import services
from peersupport.support.models import Contact, Message, Offer, SupportRequest

from ..conftest import signed_in_client
from ..factories import PASSWORD, EmployeeFactory, UserFactory
from ..matrix.releases import signed_release
from ..matrix.support_supporter import active_supporter

pytestmark = pytest.mark.django_db

EMPLOYEES = 8
WORLD_A = frozenset({1, 4})
WORLD_B = frozenset({2, 6})
# Tokens of the page that change with every response, whatever the log holds.
VOLATILE = [
    (re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"'), 'name="csrfmiddlewaretoken"'),
    (re.compile(r'nonce="[^"]*"'), 'nonce=""'),
]
REQUEST_TARGETS = re.compile(r"\b(support|releases|confidentiality|outreach)\.[a-z]+ \d+")
FORMS = re.compile(r"<form.*?</form>", re.DOTALL)
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}\b")


@pytest.fixture
def employees(dept):
    """Plain employees with accounts: no program role."""
    people = []
    for i in range(EMPLOYEES):
        user = UserFactory(email=f"officer{i}@pd.example.org", display_name=f"Officer Number{i}")
        EmployeeFactory(
            user=user,
            unit=dept.squad,
            work_email=user.email,
            first_name=f"Firstname{i}",
            last_name=f"Lastname{i}",
        )
        people.append(user)
    return people


@pytest.fixture
def start(personas, employees):
    """09:00 local, ten days on (after every role grant of the personas), the supporter on duty."""
    active_supporter(personas["supporter"])
    local = timezone.localtime() + timedelta(days=10)
    return local.replace(hour=9, minute=0, second=0, microsecond=0)


def _normalised(body: str) -> str:
    for pattern, replacement in VOLATILE:
        body = pattern.sub(replacement, body)
    return body


def _responses(client: Client, url_name: str, params: dict):
    """Every page of every month of one listing with one filter: from the month it opens on,
    each page to the last, then the next older month offered, to the oldest."""
    month = {}
    while True:
        number = 1
        while True:
            resp = client.get(reverse(url_name), {**params, **month, "page": number})
            assert resp.status_code == 200, (url_name, params, resp.status_code)
            yield resp
            if not resp.context["page"].has_next():
                break
            number += 1
        older = resp.context["months"].previous
        if older is None:
            return
        month = {"month": f"{older:%Y-%m}"}


def _all_pages(client: Client, url_name: str, params: dict) -> list[str]:
    return [_normalised(r.content.decode()) for r in _responses(client, url_name, params)]


def _viewer(client: Client, people: list) -> dict[str, list[str]]:
    """Everything the BHS manager can read in the audit viewer: both pages, every page of them,
    unfiltered and filtered by every action in the log and by every person."""
    seen: dict[str, list[str]] = {}
    actions = sorted(set(AuditEvent.objects.values_list("action", flat=True)))
    for name in ("audit:event_list", "audit:by_day"):
        seen[name] = _all_pages(client, name, {})
        for action in actions:
            seen[f"{name} action={action}"] = _all_pages(client, name, {"action": action})
        day = timezone.localdate().isoformat()
        seen[f"{name} day"] = _all_pages(client, name, {"since": day, "until": day})
    for person in people:
        for who in (person.email, person.email.split("@")[0]):
            seen[f"who={who}"] = _all_pages(client, "audit:event_list", {"actor": who})
    return seen


def _play(start, personas, employees, askers: frozenset[int]) -> tuple[dict, list, dict]:
    """One day of the department, rolled back afterwards. Returns what the BHS manager reads,
    the raw log (for the control) and facts for the direct checks."""
    supporter = personas["supporter"]
    with transaction.atomic(), time_machine.travel(start, tick=False) as clock:
        # Every employee signs in, ten minutes apart; an asker asks a second later, and writes.
        for i, employee in enumerate(employees):
            clock.move_to(start + timedelta(minutes=10 * i))
            client = Client()
            resp = client.post(
                reverse("account_login"), {"login": employee.email, "password": PASSWORD}
            )
            assert resp.status_code == 302 and client.get(reverse("web:home")).status_code == 200
            if i in askers:
                clock.shift(1)
                resp = client.post(
                    reverse("support:ask"),
                    {
                        "contact_method": "messages",
                        "limits_read": "on",
                        "notice_version": current_notice().version,
                        "token": f"token-{i}",
                    },
                )
                assert resp.status_code == 302, resp.content.decode()[:2000]
                clock.shift(1)
                assert (
                    client.post(resp["Location"], {"action": "reply", "body": "Hi"}).status_code
                    == 302
                )
            client.post(reverse("account_logout"))

        # In the afternoon the supporter takes every request, in the order they came.
        requests = []
        for n, offer in enumerate(Offer.objects.filter(supporter=supporter).order_by("pk")):
            clock.move_to(start + timedelta(hours=5, minutes=n))
            requests.append(services.offer_answer(actor=supporter, offer=offer, accept=True))
        clock.move_to(start + timedelta(hours=6))
        helper = signed_in_client(supporter)
        for n, req in enumerate(requests):
            clock.move_to(start + timedelta(hours=6, minutes=n))
            assert helper.get(reverse("support:held", args=[req.pk])).status_code == 200
            services.message_send(
                request=req, sender=Message.Sender.SUPPORTER, body="Hello", actor=supporter
            )
        # A contact with a follow-up and a release for the first request; the second one's
        # requester withdraws.
        clock.move_to(start + timedelta(hours=6, minutes=30))
        contact = services.contact_log(
            actor=supporter,
            date=timezone.localdate(),
            duration_minutes=30,
            mode=Contact.Mode.PHONE,
            requester_type=Contact.RequesterType.SWORN,
            topics=[Contact.Topic.GRIEF],
            limits_explained=True,
            notice_version=current_notice().version,
            follow_up_on=timezone.localdate(),
            request=requests[0],
        )
        services.followup_done(actor=supporter, followup=contact.followups.get())
        clock.move_to(start + timedelta(hours=7))
        signed_release(supporter, requests[0])
        clock.move_to(start + timedelta(hours=7, minutes=30))
        services.request_withdraw(request=requests[1])
        clock.move_to(start + timedelta(hours=8))
        services.request_close(actor=supporter, request=requests[0])
        # The BHS manager reads the accounting of releases, then the audit log.
        clock.move_to(start + timedelta(hours=9))
        manager = signed_in_client(personas["bhs_manager"])
        assert manager.get(reverse("releases:accounting")).status_code == 200
        seen = _viewer(manager, [*employees, supporter])

        raw = list(AuditEvent.objects.order_by("seq").values_list("action", "at", "actor_id"))
        facts = {
            "requests": SupportRequest.objects.count(),
            "employee_logins": AuditEvent.objects.filter(
                action__in=[AuditAction.LOGIN, AuditAction.LOGOUT],
                actor_id__in=[e.pk for e in employees],
            ).count(),
            "staff_logins": AuditEvent.objects.filter(
                action=AuditAction.LOGIN, actor_id__in=[supporter.pk]
            ).count(),
            "listed": [e for page in _listed(manager) for e in page],
        }
        transaction.set_rollback(True)
    return seen, raw, facts


def _listed(client: Client):
    """The entries of every page of every month of the timed listing, as the view hands them
    to the page."""
    for resp in _responses(client, "audit:event_list", {}):
        yield list(resp.context["page"])


def test_the_bhs_manager_cannot_tell_who_asked(start, personas, employees):
    seen_a, raw_a, facts = _play(start, personas, employees, WORLD_A)
    seen_b, raw_b, _ = _play(start, personas, employees, WORLD_B)

    # Control: the two logs differ (who asked, and when, is in them)...
    assert raw_a != raw_b
    # ...yet every page, every filter of the viewer reads the same.
    assert seen_a.keys() == seen_b.keys()
    different = [key for key in seen_a if seen_a[key] != seen_b[key]]
    assert not different, f"the viewer differs between the worlds on {different}"

    # Not empty either: the day's requests are counted, and staff sign-ins are listed.
    by_day = "".join(seen_a["audit:by_day"])
    assert re.search(r"Support request made</td>\s*<td>Success</td>\s*<td>2</td>", by_day)
    assert re.search(r"Message sent</td>\s*<td>Success</td>\s*<td>4</td>", by_day)
    assert "Release of information recorded" in by_day
    assert "Contact logged" in by_day and "Follow-up done" in by_day
    assert facts["staff_logins"] >= 1
    assert "supporter@pd.example.org" in "".join(seen_a["audit:event_list"])


def test_no_page_names_an_employee_or_shows_a_request_time_or_id(start, personas, employees):
    seen, _, facts = _play(start, personas, employees, WORLD_A)

    # Plain employees' sign-ins and sign-outs are not recorded at all.
    assert facts["requests"] == len(WORLD_A)
    assert facts["employee_logins"] == 0
    # What the pages show, less the filter form (which echoes what the manager typed).
    everything = FORMS.sub("", "".join(body for pages in seen.values() for body in pages))
    for employee in employees:
        for trace in (
            employee.email,
            employee.email.split("@")[0],
            employee.display_name,
            employee.employee.first_name,
            employee.employee.last_name,
        ):
            assert trace not in everything
    # No request, release, escalation or outreach object by id, on any page.
    assert not REQUEST_TARGETS.search(everything)
    # The timed listing holds nothing about requests...
    for event in facts["listed"]:
        assert event.action.split(".")[0] in TIMED_FAMILIES, event.action
        assert event.action not in UNTIMED_ACTIONS
        assert event.actor_id not in {e.pk for e in employees}
    # ...and the counts by day never say a time of day.
    for key, pages in seen.items():
        if key.startswith("audit:by_day"):
            for body in pages:
                table = body.split("<table>", 1)[1]
                assert not TIME_OF_DAY.search(table), key
