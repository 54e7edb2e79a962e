from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.forms import ActionSelect, AuditDaysForm
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.audit.selectors import Months
from peersupport.audit.services import record
from peersupport.formfields import FastSelect

from ..factories import grant
from ..matrix.support_supporter import held_request
from ..queries import page_queries

pytestmark = pytest.mark.django_db

URL = reverse("audit:event_list")


@pytest.fixture
def events(personas):
    for i in range(60):
        record(actor=personas["sysadmin"], action=AuditAction.UNIT_UPDATED, details={"i": i})
    record(actor=personas["bhs_manager"], action=AuditAction.ROLE_GRANTED)


def test_bhs_manager_sees_newest_first_paginated(client_for, events):
    resp = client_for("bhs_manager").get(URL)
    assert resp.status_code == 200
    page = resp.context["page"]
    assert page.paginator.count == AuditEvent.objects.count() - 1  # not counting this view
    seqs = [e.seq for e in page]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == 50
    second = client_for("bhs_manager").get(URL, {"page": 2})
    assert second.context["page"].number == 2


def test_filters(client_for, events, personas):
    c = client_for("bhs_manager")
    by_actor = c.get(URL, {"actor": "bhs_manager@"}).context["page"]
    assert {e.actor_id for e in by_actor} == {personas["bhs_manager"].pk}
    by_action = c.get(URL, {"action": AuditAction.ROLE_GRANTED}).context["page"]
    assert [e.action for e in by_action] == [AuditAction.ROLE_GRANTED]
    none = c.get(URL, {"since": "2001-01-01", "until": "2001-01-02"}).context["page"]
    assert none.paginator.count == 0


def test_viewing_is_itself_audited(client_for, events, personas):
    client_for("bhs_manager").get(URL, {"action": AuditAction.ROLE_GRANTED})
    viewed = AuditEvent.objects.filter(action=AuditAction.AUDIT_VIEWED).get()
    assert viewed.actor_id == personas["bhs_manager"].pk
    assert viewed.details["filters"] == {"action": AuditAction.ROLE_GRANTED}


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2030-01-02", "until": "2030-01-01"},
        {"since": "not-a-date"},
        {"action": "no.such.action"},
    ],
)
def test_bad_filters_show_a_message(client_for, events, params):
    resp = client_for("bhs_manager").get(URL, params)
    assert resp.status_code == 400
    assert resp.context["form"].errors


def test_others_are_refused(client_for):
    for persona in ("coordinator", "sysadmin", "chief", "advocacy_supervisor", "employee"):
        assert client_for(persona).get(URL).status_code == 403


# --- The two halves: administration with times; requests and plain employees by day ---------

DAYS = reverse("audit:by_day")


def _listed(client, **params) -> list:
    return list(client.get(URL, params).context["page"])


def _counted(client, **params) -> dict[tuple[str, str], int]:
    resp = client.get(DAYS, params)
    assert resp.status_code == 200
    return {(row["action"], row["outcome"]): row["count"] for row in resp.context["page"]}


def test_requests_are_counted_by_day_never_listed(client_for, personas, dept):
    held_request(personas["supporter"])
    c = client_for("bhs_manager")

    listed = {e.action for e in _listed(c)}
    assert not {a for a in listed if a.startswith("support.")}
    counted = _counted(c)
    assert counted[(AuditAction.REQUEST_CREATED, "success")] == 1
    assert counted[(AuditAction.REQUEST_ACCEPTED, "success")] == 1
    # The supporter's own administration (the roster) is still listed with its time.
    assert AuditAction.ROSTER_AVAILABILITY_CHANGED in listed
    body = c.get(DAYS).content.decode()
    assert "support.supportrequest" not in body
    assert personas["supporter"].email not in body


def test_plain_employees_are_never_named(client_for, personas):
    employee = personas["employee"]
    record(actor=None, action=AuditAction.LOGIN_FAILED, outcome="failure", target=employee)
    record(actor=employee, action=AuditAction.ACCESS_DENIED, outcome="denied")
    record(actor=employee, action=AuditAction.PROFILE_UPDATED, target=employee)
    c = client_for("bhs_manager")

    listed = _listed(c)
    assert employee.pk not in {e.actor_id for e in listed}
    assert str(employee.pk) not in {e.target_id for e in listed if e.target_type}
    assert not _listed(c, actor="employee@")
    counted = _counted(c)
    assert counted[(AuditAction.LOGIN_FAILED, "failure")] == 1
    assert counted[(AuditAction.ACCESS_DENIED, "denied")] == 1
    assert counted[(AuditAction.PROFILE_UPDATED, "success")] == 1


def test_named_by_the_role_held_at_the_time(client_for, personas):
    employee, coordinator = personas["employee"], personas["coordinator"]
    # Days before, but in this month: the pages show the newest month.
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    with time_machine.travel(max(timezone.now() - timedelta(days=3), month_start)):
        record(actor=employee, action=AuditAction.PROFILE_UPDATED, target=employee)
    grant(employee, "coordinator")  # appointed since: the earlier entry stays unnamed
    record(actor=employee, action=AuditAction.PROFILE_UPDATED, target=employee)
    record(actor=coordinator, action=AuditAction.PROFILE_UPDATED, target=coordinator)
    coordinator.role_grants.update(revoked_at=timezone.now())  # left since: stays named

    listed = [e for e in _listed(client_for("bhs_manager")) if e.action == "profile.updated"]
    assert sorted(e.actor_id for e in listed) == sorted([employee.pk, coordinator.pk])
    assert _counted(client_for("bhs_manager"))[(AuditAction.PROFILE_UPDATED, "success")] == 1


def test_every_entry_is_in_exactly_one_half(client_for, personas, events):
    held_request(personas["supporter"])
    record(actor=personas["employee"], action=AuditAction.ACCESS_DENIED, outcome="denied")
    record(actor=None, action="codename.used")  # a family added later: counted, not listed
    c = client_for("bhs_manager")
    total = AuditEvent.objects.count()

    listed = c.get(URL).context["page"].paginator.count
    counted = sum(_counted(c).values())

    assert listed + counted == total
    assert _counted(c)[("codename.used", "success")] == 1


def test_no_sequence_numbers_are_shown(client_for, events):
    # A gap in the numbers would show when an entry of the other half was made.
    body = client_for("bhs_manager").get(URL).content.decode()
    top = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[1]
    assert f"<td>{top}</td>" not in body
    assert '<th scope="col">#</th>' not in body


def test_days_page_takes_no_person(client_for, personas):
    resp = client_for("bhs_manager").get(DAYS)
    assert "actor" not in resp.context["form"].fields
    viewed = AuditEvent.objects.filter(action=AuditAction.AUDIT_VIEWED).get()
    assert viewed.details["view"] == "days"


@pytest.mark.parametrize(
    "params", [{"since": "2030-01-02", "until": "2030-01-01"}, {"action": "x"}]
)
def test_days_bad_filters_show_a_message(client_for, params):
    resp = client_for("bhs_manager").get(DAYS, params)
    assert resp.status_code == 400
    assert resp.context["form"].errors


def test_days_page_is_the_bhs_managers_only(client_for):
    assert client_for("bhs_manager").get(DAYS).status_code == 200
    for persona in ("coordinator", "sysadmin", "chief", "supporter", "employee"):
        assert client_for(persona).get(DAYS).status_code == 403


# --- A month at a time -----------------------------------------------------------------------


def _local(*args) -> datetime:
    """A wall-clock time of the department's time zone (settings.TIME_ZONE)."""
    return datetime(*args, tzinfo=timezone.get_current_timezone())


def _recorded_at(when: datetime, action=AuditAction.UNIT_UPDATED):
    """An entry of the timed half by default (the system updating a unit), or of the other half
    with a request's action."""
    with time_machine.travel(when, tick=False):
        return record(actor=None, action=action)


def test_a_month_is_a_calendar_month_of_the_departments_time_zone(client_for):
    december = _recorded_at(_local(2025, 12, 31, 23, 30))
    january = _recorded_at(_local(2026, 1, 1, 0, 30))
    asked_december = _recorded_at(_local(2025, 12, 31, 23, 30), AuditAction.REQUEST_CREATED)
    _recorded_at(_local(2026, 1, 1, 0, 30), AuditAction.REQUEST_CREATED)
    assert december.at.month == asked_december.at.month == 1  # in UTC it is January already
    c = client_for("bhs_manager")

    assert [e.pk for e in c.get(URL, {"month": "2025-12"}).context["page"]] == [december.pk]
    assert [e.pk for e in c.get(URL, {"month": "2026-01"}).context["page"]] == [january.pk]
    days = c.get(DAYS, {"month": "2025-12"}).context["page"]
    assert [(r["day"], r["action"]) for r in days] == [
        (date(2025, 12, 31), "support.request_created")
    ]
    days = c.get(DAYS, {"month": "2026-01"}).context["page"]
    assert [(r["day"], r["action"]) for r in days] == [
        (date(2026, 1, 1), "support.request_created")
    ]


def test_the_newest_month_with_a_matching_entry_is_shown_first(client_for):
    _recorded_at(_local(2025, 3, 10, 12), AuditAction.RESOURCE_RETIRED)
    july = _recorded_at(_local(2025, 7, 10, 12), AuditAction.RESOURCE_RETIRED)
    c = client_for("bhs_manager")

    resp = c.get(URL, {"action": AuditAction.RESOURCE_RETIRED})
    assert resp.context["months"].shown == date(2025, 7, 1)
    assert [e.pk for e in resp.context["page"]] == [july.pk]
    assert "<h2>July 2025</h2>" in resp.content.decode()
    # Without filters, the newest month is this one (the personas' own entries).
    assert c.get(URL).context["months"].shown == timezone.localdate().replace(day=1)
    # Nothing matches: this month, empty, with nowhere else to go.
    none = c.get(URL, {"action": AuditAction.ROLE_GRANT_LAPSED})
    assert none.status_code == 200
    assert none.context["months"] == Months(timezone.localdate().replace(day=1), None, None)
    assert 'aria-label="Other months"' not in none.content.decode()


def test_the_links_go_to_the_nearest_months_with_a_matching_entry(client_for):
    for when in (_local(2025, 3, 10, 12), _local(2025, 7, 10, 12), _local(2025, 9, 1, 0, 5)):
        _recorded_at(when, AuditAction.RESOURCE_RETIRED)
    _recorded_at(_local(2025, 5, 10, 12))  # another action: May is not offered
    c = client_for("bhs_manager")
    action = AuditAction.RESOURCE_RETIRED

    months = c.get(URL, {"action": action, "month": "2025-07"}).context["months"]
    assert (months.previous, months.next) == (date(2025, 3, 1), date(2025, 9, 1))
    body = c.get(URL, {"action": action, "month": "2025-07", "page": "1"}).content.decode()
    nav = body.split('<nav aria-label="Other months" class="pager">', 1)[1].split("</nav>")[0]
    # Real links that keep the filters and start the month at its first page.
    assert f'href="?action={action}&amp;month=2025-09" rel="next">Newer: September 2025</a>' in nav
    assert f'href="?action={action}&amp;month=2025-03" rel="prev">Older: March 2025</a>' in nav
    # A month between entries shows nothing and offers both sides.
    months = c.get(URL, {"action": action, "month": "2025-05"}).context["months"]
    assert (months.previous, months.next) == (date(2025, 3, 1), date(2025, 7, 1))
    # The dates intersect with the month: months outside them are not offered.
    since = c.get(URL, {"action": action, "since": "2025-06-01", "until": "2025-08-31"})
    assert since.context["months"] == Months(date(2025, 7, 1), None, None)


def test_the_days_page_offers_the_months_of_its_own_half(client_for):
    _recorded_at(_local(2025, 3, 10, 12), AuditAction.REQUEST_CREATED)
    _recorded_at(_local(2025, 5, 10, 12))  # timed: not a month of this page
    c = client_for("bhs_manager")

    months = c.get(DAYS, {"month": "2025-06"}).context["months"]
    assert months.previous == date(2025, 3, 1)
    resp = c.get(DAYS, {"month": "2025-03"})
    assert [(r["day"], r["count"]) for r in resp.context["page"]] == [(date(2025, 3, 10), 1)]


def test_the_month_shown_is_audited_with_the_filters(client_for):
    _recorded_at(_local(2025, 7, 10, 12), AuditAction.RESOURCE_RETIRED)
    c = client_for("bhs_manager")
    c.get(URL, {"action": AuditAction.RESOURCE_RETIRED})
    c.get(DAYS, {"month": "2025-03"})

    first, second = AuditEvent.objects.filter(action=AuditAction.AUDIT_VIEWED).order_by("seq")
    assert first.details["filters"] == {"action": AuditAction.RESOURCE_RETIRED}
    assert first.details["month"] == "2025-07"
    assert second.details["filters"] == {"month": "2025-03"}
    assert second.details["month"] == "2025-03"
    assert second.details["view"] == "days"


@pytest.mark.parametrize("url", [URL, DAYS])
@pytest.mark.parametrize(
    "params",
    [
        {"month": "2026-13"},
        {"month": "2026-00"},
        {"month": "2026-1"},
        {"month": "December"},
        {"month": "2026-12-01"},
        {"month": "0001-01"},
        {"month": "9999-12"},
        {"until": "9999-12-31"},
        {"since": "0001-01-01"},
    ],
)
def test_a_bad_month_or_date_shows_a_message(client_for, url, params):
    resp = client_for("bhs_manager").get(url, params)
    assert resp.status_code == 400
    assert set(resp.context["form"].errors) == set(params)
    # As for any bad input: the newest month unfiltered, its viewing audited without filters.
    assert resp.context["months"].shown == timezone.localdate().replace(day=1)
    viewed = AuditEvent.objects.filter(action=AuditAction.AUDIT_VIEWED).get()
    assert viewed.details["filters"] == {}


@pytest.mark.parametrize("url", [URL, DAYS])
@pytest.mark.parametrize("params", [{}, {"month": "2025-06"}, {"action": "resource.retired"}])
def test_queries_do_not_grow_with_the_months_of_the_log(client_for, url, params):
    c = client_for("bhs_manager")
    query = f"{url}?{'&'.join(f'{k}={v}' for k, v in params.items())}"
    _recorded_at(_local(2025, 6, 10, 12), AuditAction.RESOURCE_RETIRED)
    _recorded_at(_local(2025, 6, 10, 12), AuditAction.REQUEST_CREATED)
    one_month = page_queries(c, query, warm=True)
    for months_back in range(1, 25):
        when = _local(2025, 6, 10, 12) - timedelta(days=31 * months_back)
        for action in (AuditAction.RESOURCE_RETIRED, AuditAction.REQUEST_CREATED):
            for _ in range(3):
                _recorded_at(when, action)
    assert page_queries(c, query) == one_month


def test_a_month_of_more_than_50_counts_is_paged(client_for):
    for day in range(1, 27):
        for action in (AuditAction.REQUEST_CREATED, AuditAction.MESSAGE_SENT):
            _recorded_at(_local(2025, 3, day, 12), action)
    c = client_for("bhs_manager")

    first = c.get(DAYS, {"month": "2025-03"}).context["page"]
    second = c.get(DAYS, {"month": "2025-03", "page": 2}).context["page"]
    assert (first.paginator.count, len(first), len(second)) == (52, 50, 2)
    assert [r["day"] for r in second] == [date(2025, 3, 1)] * 2
    assert first[0]["label"] == "Message sent"  # the page's rows are labelled


def _days_of_other_length(year: int) -> list[date]:
    """The days of ``year`` that do not last 24 hours in the department's time zone (the clocks
    change): two where it keeps summer time, none where it does not."""
    day, found = date(year, 1, 1), []
    while day.year == year:
        after = day + timedelta(days=1)
        # In seconds since the epoch: datetimes of one time zone subtract as wall-clock times.
        start, end = (_local(d.year, d.month, d.day).timestamp() for d in (day, after))
        if end - start != 24 * 3600:
            found.append(day)
        day = after
    return found


def test_a_day_the_clocks_change_counts_its_own_entries(client_for):
    changes = _days_of_other_length(2025)
    if not changes:
        pytest.skip("the department's time zone keeps no summer time")
    c = client_for("bhs_manager")
    for day in changes:
        before, after = day - timedelta(days=1), day + timedelta(days=1)
        for when in (
            _local(before.year, before.month, before.day, 23, 45),
            _local(day.year, day.month, day.day, 0, 15),
            _local(day.year, day.month, day.day, 23, 45),
            _local(after.year, after.month, after.day, 0, 15),
        ):
            _recorded_at(when, AuditAction.REQUEST_CREATED)
        month = f"{day:%Y-%m}"
        counted = {r["day"]: r["count"] for r in c.get(DAYS, {"month": month}).context["page"]}
        in_month = {d: n for d, n in {before: 1, day: 2, after: 1}.items() if d.month == day.month}
        assert counted == in_month, day


def test_a_role_that_ends_in_the_month_names_its_holder_until_it_ends(client_for, personas):
    coordinator = personas["coordinator"]
    record(actor=coordinator, action=AuditAction.PROFILE_UPDATED, target=coordinator)
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        coordinator.role_grants.update(revoked_at=timezone.now())
    with time_machine.travel(timezone.now() + timedelta(seconds=2)):
        record(actor=coordinator, action=AuditAction.PROFILE_UPDATED, target=coordinator)
    c = client_for("bhs_manager")

    listed = [e for e in _listed(c) if e.action == AuditAction.PROFILE_UPDATED]
    assert [e.actor_id for e in listed] == [coordinator.pk]  # before it ended, not after
    assert _counted(c)[(AuditAction.PROFILE_UPDATED, "success")] == 1


def test_the_action_select_is_kept_as_it_was_written():
    choices = AuditDaysForm.base_fields["action"].choices
    cases = [
        ("", {"id": "id_action"}),
        (AuditAction.ROLE_GRANTED, {"id": "id_action"}),
        (AuditAction.ROLE_GRANTED, {"id": "id_action", "aria-invalid": "true"}),
        ('"><script>', {"id": "id_action"}),
    ]
    for _ in range(2):  # written, then kept
        for value, attrs in cases:
            kept = ActionSelect(choices=choices).render("action", value, attrs)
            assert kept == FastSelect(choices=choices).render("action", value, attrs)
