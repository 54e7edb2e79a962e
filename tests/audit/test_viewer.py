import pytest
from django.urls import reverse

from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.audit.services import record

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
