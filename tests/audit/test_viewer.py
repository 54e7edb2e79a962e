from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.audit.services import record

from ..factories import grant
from ..matrix.support_supporter import held_request

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
    with time_machine.travel(timezone.now() - timedelta(days=3)):
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
