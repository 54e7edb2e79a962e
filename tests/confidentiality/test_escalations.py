"""Confidentiality exceptions: raising, alerting, acknowledging, moving up the list, resolving.

The clock is frozen and moved by hand through the whole re-alert sequence; every alert goes
through the outbox and is delivered by the same code the worker runs.
"""

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.confidentiality import services
from peersupport.confidentiality.models import Escalation, EscalationRecipient
from peersupport.governance.models import ExceptionCategory
from peersupport.notifications.models import Notification
from peersupport.notifications.services import deliver_due
from peersupport.resources.models import Category, Resource

from ..conftest import signed_in_client
from ..factories import EmployeeFactory, UserFactory, enable_totp, grant
from ..matrix.support_supporter import held_request
from ..queries import page_queries

pytestmark = pytest.mark.django_db

NOTE = "Canary-note: said he has a plan for tonight"
NAME = "Quentin Canaryperson"


@pytest.fixture
def category(db):
    return ExceptionCategory.objects.get(code="danger-to-others")


@pytest.fixture
def team(personas, dept):
    """The roster: the BHS manager and the advocacy supervisor on duty, a second BHS manager
    as first backup. The BHS manager's own manager is the squad's supervisor (conftest)."""
    bhs, advocacy = personas["bhs_manager"], personas["advocacy_supervisor"]
    backup = UserFactory(email="backup.bhs@pd.example.org", display_name="Backup Bhs")
    EmployeeFactory(user=backup, unit=dept.squad, work_email=backup.email)
    grant(backup, Role.BHS_MANAGER)
    enable_totp(backup)
    services.duty_assign(actor=bhs, duty="bhs_manager", user=bhs, rank=0, phone="")
    services.duty_assign(actor=bhs, duty="advocacy_supervisor", user=advocacy, rank=0)
    services.duty_assign(actor=bhs, duty="bhs_manager", user=backup, rank=1)
    return {
        "bhs": bhs,
        "advocacy": advocacy,
        "backup": backup,
        "manager": personas["supervisor"],
    }


def _raise(supporter, category, **kwargs):
    req = held_request(supporter, name=NAME, contact_detail="555 0142 7788")
    deliver_due()  # the offer's own alert to the supporter, out of the way
    mail.outbox.clear()
    return services.escalation_raise(
        actor=supporter, category=category, note=NOTE, request=req, **kwargs
    )


def _recipients(escalation) -> set:
    return set(escalation.recipients.values_list("user__email", flat=True))


def test_raise_commits_escalation_alerts_and_audit_together(personas, team, category):
    escalation = _raise(personas["supporter"], category)
    assert escalation.status == Escalation.Status.OPEN
    assert _recipients(escalation) == {team["bhs"].email, team["advocacy"].email}
    alerts = Notification.objects.filter(topic=f"escalation:{escalation.pk}")
    assert sorted(alerts.values_list("address", flat=True)) == sorted(
        [team["bhs"].email, team["advocacy"].email]
    )
    event = AuditEvent.objects.get(action=AuditAction.ESCALATION_RAISED)
    assert event.details == {"category": "danger-to-others", "from": "request", "recipients": 2}
    # The alert says that something waits, and where; never the note or the person.
    assert deliver_due() == {"sent": 2}
    for message in mail.outbox:
        text = message.subject + message.body
        assert "escalation is waiting" in text
        assert str(escalation.public_id) in message.body
        assert "Canary" not in text and "0142" not in text and "plan" not in text


def test_raise_is_all_or_nothing(personas, team, category, monkeypatch):
    from django_tasks_db.models import DBTaskResult

    req = held_request(personas["supporter"])
    # The offer's own alert to the supporter is there already; the escalation adds nothing.
    before = (Notification.objects.count(), DBTaskResult.objects.count())

    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "record", broken_audit)
    with pytest.raises(RuntimeError):
        services.escalation_raise(
            actor=personas["supporter"], category=category, note=NOTE, request=req
        )
    assert not Escalation.objects.exists()
    assert not EscalationRecipient.objects.exists()
    assert (Notification.objects.count(), DBTaskResult.objects.count()) == before
    assert not Notification.objects.filter(topic__startswith="escalation").exists()


def test_bad_raises_are_refused_and_change_nothing(personas, team, category, dept):
    supporter = personas["supporter"]
    req = held_request(supporter)
    other = UserFactory(email="other.supporter@pd.example.org")
    EmployeeFactory(user=other, unit=dept.squad, work_email=other.email)
    grant(other, Role.PEER_SUPPORTER)
    with pytest.raises(ValidationError, match="request you hold"):
        services.escalation_raise(actor=other, category=category, note=NOTE, request=req)
    with pytest.raises(ValidationError) as empty:
        services.escalation_raise(actor=supporter, category=category, note="  ", request=req)
    assert "note" in empty.value.error_dict
    category.active = False
    category.save(update_fields=["active"])
    with pytest.raises(ValidationError) as retired:
        services.escalation_raise(actor=supporter, category=category, note=NOTE, request=req)
    assert "category" in retired.value.error_dict
    assert not Escalation.objects.exists()
    assert not Notification.objects.filter(topic__startswith="escalation").exists()


def test_raise_page_rerenders_with_errors_and_writes_nothing(personas, team, client_for):
    supporter = personas["supporter"]
    req = held_request(supporter)
    url = reverse("confidentiality:raise_for_request", kwargs={"request_id": req.pk})
    page = client_for("supporter").get(url)
    assert page.status_code == 200 and "Danger to self" in page.content.decode()
    resp = client_for("supporter").post(url, {"category": "", "note": ""})
    assert resp.status_code == 400
    body = resp.content.decode()
    assert "Choose the category that fits best." in body and "Write a short note" in body
    assert not Escalation.objects.exists()
    bogus = client_for("supporter").post(url, {"category": "999999", "note": "x"})
    assert bogus.status_code == 400 and not Escalation.objects.exists()


def test_danger_to_self_shows_crisis_resources_at_once(personas, team, client_for):
    Resource.objects.create(
        name="County Crisis Team",
        category=Category.CRISIS_LINE,
        description="Mobile crisis response",
        phone="555-0100",
        hours="24/7",
    )
    supporter = personas["supporter"]
    req = held_request(supporter)
    danger_to_self = ExceptionCategory.objects.get(code="danger-to-self")
    assert danger_to_self.crisis_resources
    resp = client_for("supporter").post(
        reverse("confidentiality:raise_for_request", kwargs={"request_id": req.pk}),
        {"category": danger_to_self.pk, "note": NOTE},
        follow=True,
    )
    body = resp.content.decode()
    assert resp.status_code == 200
    assert "Crisis resources, now" in body and "County Crisis Team" in body and "988" in body
    # Not for a category without the flag.
    escalation = _raise(supporter, ExceptionCategory.objects.get(code="narcotic-offenses"))
    page = client_for("supporter").get(
        reverse("confidentiality:escalation", kwargs={"public_id": escalation.public_id})
    )
    assert "Crisis resources, now" not in page.content.decode()


def test_raise_from_a_contact(personas, team, category, client_for):
    from ..matrix.confidentiality import logged_contact

    contact = logged_contact(personas["supporter"])
    inbox = client_for("supporter").get(reverse("support:inbox")).content.decode()
    raise_url = reverse("confidentiality:raise_for_contact", kwargs={"contact_id": contact.pk})
    assert raise_url in inbox
    resp = client_for("supporter").post(raise_url, {"category": category.pk, "note": NOTE})
    assert resp.status_code == 302
    escalation = Escalation.objects.get()
    assert escalation.contact_id == contact.pk and escalation.request_id is None


def test_the_whole_realert_sequence_on_a_frozen_clock(personas, team, category, settings):
    """Round 0 alerts those on duty; every 5 minutes without acknowledgement it alerts again,
    adding the backup, then the BHS manager's own manager, then the whole list, for ever, until
    someone alerted acknowledges; then it stops."""
    settings.ESCALATION_RENOTIFY_MINUTES = 5
    settings.ESCALATION_ROUNDS = 2
    start = (timezone.now() + timedelta(seconds=1)).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        escalation = _raise(personas["supporter"], category)
        on_duty = {team["bhs"].email, team["advocacy"].email}
        assert _recipients(escalation) == on_duty

        clock.shift(timedelta(minutes=4, seconds=59))
        assert services.escalations_advance() == 0  # not yet due

        clock.shift(timedelta(seconds=1))
        assert services.escalations_advance() == 1
        escalation.refresh_from_db()
        assert escalation.round == 1
        assert _recipients(escalation) == on_duty | {team["backup"].email}

        clock.shift(timedelta(minutes=5))
        assert services.escalations_advance() == 1
        escalation.refresh_from_db()
        assert escalation.round == 2
        with_manager = on_duty | {team["backup"].email, team["manager"].email}
        assert _recipients(escalation) == with_manager

        # After ESCALATION_ROUNDS, every round alerts the whole list: everyone on it, and
        # everyone holding the BHS manager or advocacy supervisor role.
        for expected_round in (3, 4, 5):
            clock.shift(timedelta(minutes=5))
            assert services.escalations_advance() == 1
            escalation.refresh_from_db()
            assert escalation.round == expected_round
        assert _recipients(escalation) == with_manager

        # Every round alerted every recipient so far, each exactly once per round.
        per_round = {
            r: Notification.objects.filter(
                topic=f"escalation:{escalation.pk}", key__contains=f":round:{r}:"
            ).count()
            for r in range(6)
        }
        assert per_round == {0: 2, 1: 3, 2: 4, 3: 4, 4: 4, 5: 4}
        assert AuditEvent.objects.filter(action=AuditAction.ESCALATION_ALERTED).count() == 5

        # Someone alerted acknowledges: the alerts stop, and the raiser is told.
        services.escalation_acknowledge(actor=team["manager"], escalation=escalation)
        clock.shift(timedelta(minutes=30))
        assert services.escalations_advance() == 0
        escalation.refresh_from_db()
        assert escalation.status == Escalation.Status.ACKNOWLEDGED and escalation.round == 5
        told = Notification.objects.get(key=f"escalation:{escalation.pk}:acknowledged:email")
        assert told.user == personas["supporter"]


def test_nobody_on_duty_but_a_backup_alerts_the_backup_at_once(personas, category, settings):
    """An empty step of the ladder is passed over: with nobody on duty the escalation goes to
    the backups when it is raised, not to nobody until the next round (rule 5: at once)."""
    settings.ESCALATION_RENOTIFY_MINUTES = 5
    bhs = personas["bhs_manager"]
    backup = UserFactory(email="backup.only@pd.example.org", display_name="Backup Only")
    EmployeeFactory(user=backup, unit=personas["supporter"].employee.unit, work_email=backup.email)
    grant(backup, Role.BHS_MANAGER)
    services.duty_assign(actor=bhs, duty="bhs_manager", user=backup, rank=1)
    start = (timezone.now() + timedelta(seconds=1)).replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        escalation = _raise(personas["supporter"], category)
        assert _recipients(escalation) == {backup.email}
        assert [a.user for a in services.first_alerted()] == [backup]
        # The next rounds have no step left with someone new until the whole list.
        clock.shift(timedelta(minutes=5))
        assert services.escalations_advance() == 1
        assert _recipients(escalation) == {backup.email}


def test_nobody_on_the_roster_alerts_every_role_holder(personas, category):
    escalation = _raise(personas["supporter"], category)
    assert _recipients(escalation) == {
        personas["bhs_manager"].email,
        personas["advocacy_supervisor"].email,
    }


def test_acknowledging_someone_elses_escalation_is_refused(personas, team, category, client_for):
    escalation = _raise(personas["supporter"], category)
    url = reverse("confidentiality:acknowledge", kwargs={"public_id": escalation.public_id})
    # The backup BHS manager may read it (an overseer) but was not alerted yet: refused.
    backup_client = signed_in_client(team["backup"])
    resp = backup_client.post(url)
    assert resp.status_code == 400
    assert "Only someone alerted about this escalation" in resp.content.decode()
    # An employee with no part in it: 404, as if it did not exist.
    assert client_for("employee").post(url).status_code == 404
    # The supporter who raised it is not its recipient either.
    assert client_for("supporter").post(url).status_code == 400
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.OPEN and escalation.acknowledged_by is None
    denied = AuditEvent.objects.filter(action=AuditAction.ESCALATION_ACKNOWLEDGED, outcome="denied")
    assert denied.count() == 2
    # The one alerted acknowledges; a second acknowledgement is refused.
    assert client_for("bhs_manager").post(url).status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.ACKNOWLEDGED
    assert client_for("advocacy_supervisor").post(url).status_code == 400


def test_escalation_page_is_for_its_people_only(personas, team, category, client_for):
    escalation = _raise(personas["supporter"], category)
    url = reverse("confidentiality:escalation", kwargs={"public_id": escalation.public_id})
    for name in ("supporter", "bhs_manager", "advocacy_supervisor"):
        page = client_for(name).get(url)
        assert page.status_code == 200, name
        assert NOTE in page.content.decode()
    for name in ("employee", "coordinator", "chief", "supervisor", "sysadmin", "panelist"):
        assert client_for(name).get(url).status_code == 404, name
    # The BHS manager's manager, once alerted, gets in without any program role.
    escalation.round = 1
    services._alert(escalation, [services.Alertee(team["manager"], "test")], now=timezone.now())
    assert client_for("supervisor").get(url).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.ESCALATION_VIEWED).count() == 4


def test_banner_stays_until_acknowledged(personas, team, category, client_for):
    escalation = _raise(personas["supporter"], category)
    link = reverse("confidentiality:escalation", kwargs={"public_id": escalation.public_id})
    for name in ("bhs_manager", "advocacy_supervisor"):
        home = client_for(name).get(reverse("web:home")).content.decode()
        assert "An escalation is waiting for you" in home and link in home
    # Not for someone not alerted, and never the note.
    home = client_for("coordinator").get(reverse("web:home")).content.decode()
    assert "An escalation is waiting" not in home
    services.escalation_acknowledge(actor=personas["advocacy_supervisor"], escalation=escalation)
    for name in ("bhs_manager", "advocacy_supervisor"):
        home = client_for(name).get(reverse("web:home")).content.decode()
        assert "An escalation is waiting for you" not in home


def test_resolution_records_what_was_done(personas, team, category, client_for):
    escalation = _raise(personas["supporter"], category)
    url = reverse("confidentiality:resolve", kwargs={"public_id": escalation.public_id})
    assert client_for("bhs_manager").post(url, {"resolution": ""}).status_code == 400
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.OPEN
    resp = client_for("bhs_manager").post(url, {"resolution": "Called the on-call clinician."})
    assert resp.status_code == 302
    escalation.refresh_from_db()
    assert escalation.status == Escalation.Status.RESOLVED
    assert escalation.resolution == "Called the on-call clinician."
    # Resolving an unacknowledged escalation acknowledges it: the alerts stop.
    assert escalation.acknowledged_by == personas["bhs_manager"]
    assert escalation.next_alert_at is None
    # The advocacy supervisor cannot resolve it twice.
    again = client_for("advocacy_supervisor").post(url, {"resolution": "again"})
    assert again.status_code == 400


def test_duty_roster_is_kept_by_the_bhs_manager(personas, client_for):
    url = reverse("confidentiality:duty")
    bhs, advocacy = personas["bhs_manager"], personas["advocacy_supervisor"]
    start = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    ok = client_for("bhs_manager").post(
        url,
        {"duty": "advocacy_supervisor", "user": advocacy.pk, "rank": 0, "starts_at": start},
    )
    assert ok.status_code == 302
    # Someone without the role of the duty: refused with a message, nothing added.
    refused = client_for("bhs_manager").post(
        url, {"duty": "advocacy_supervisor", "user": bhs.pk, "rank": 0, "starts_at": start}
    )
    assert refused.status_code == 400
    assert "does not hold the Advocacy supervisor role" in refused.content.decode()
    backwards = client_for("bhs_manager").post(
        url,
        {
            "duty": "bhs_manager",
            "user": bhs.pk,
            "rank": 0,
            "starts_at": start,
            "ends_at": "2000-01-01T00:00",
        },
    )
    assert backwards.status_code == 400 and "The end must be after the start." in (
        backwards.content.decode()
    )
    from peersupport.confidentiality.models import DutyAssignment

    assert DutyAssignment.objects.count() == 1
    row = DutyAssignment.objects.get()
    # Readers see it; only the BHS manager changes it.
    assert client_for("coordinator").get(url).status_code == 200
    assert client_for("coordinator").post(url, {"duty": "bhs_manager"}).status_code == 403
    end = reverse("confidentiality:duty_end", kwargs={"assignment_id": row.pk})
    assert client_for("bhs_manager").post(end).status_code == 302
    row.refresh_from_db()
    assert row.ends_at is not None and row.ended_by == bhs
    # With the roster empty again, the first alert goes to everyone holding the roles. (Asked
    # at the end itself: a duty ended within a second of its start ends one second after it.)
    assert all(a.reason.startswith("Holds the") for a in services.ladder(now=row.ends_at)[0])


def test_escalation_pages_query_counts_do_not_grow(personas, team, category, client_for):
    """The list, an escalation with its recipients and deliveries, the roster, and a page with
    the banner: the same number of queries with one escalation as with thirty."""
    supporter = personas["supporter"]
    req = held_request(supporter)
    first = services.escalation_raise(actor=supporter, category=category, note=NOTE, request=req)
    pages = [
        ("bhs_manager", reverse("confidentiality:escalation_list")),
        ("supporter", reverse("confidentiality:escalation_list")),
        (
            "bhs_manager",
            reverse("confidentiality:escalation", kwargs={"public_id": first.public_id}),
        ),
        ("bhs_manager", reverse("confidentiality:duty")),
        ("advocacy_supervisor", reverse("web:home")),
    ]
    few = [page_queries(client_for(name), url) for name, url in pages]
    for i in range(29):
        services.escalation_raise(actor=supporter, category=category, note=f"n{i}", request=req)
    services.escalations_advance(now=timezone.now() + timedelta(minutes=6))
    for rank in (2, 3, 4):
        services.duty_assign(
            actor=personas["bhs_manager"],
            duty="bhs_manager",
            user=team["backup"],
            rank=rank,
        )
    many = [page_queries(client_for(name), url) for name, url in pages]
    assert few == many, list(zip(pages, few, many, strict=True))


@pytest.mark.parametrize(
    "steps",
    [
        ["on_duty", "backups", "bhs_manager_manager", "role"],
        ["backups", "on_duty"],
        ["bhs_manager_manager", "role"],
        ["role"],
        [],
    ],
)
def test_the_first_alerted_are_the_ladders_first_step(personas, dept, settings, steps):
    """The duty page and a new escalation read only the ladder's first step: the same people,
    for the same reasons, whether the roster is empty, full, or has only backups."""
    settings.ESCALATION_LADDER = steps

    def same():
        first = [(a.user.pk, a.reason, a.phone) for a in services.first_alerted()]
        assert first == [(a.user.pk, a.reason, a.phone) for a in services.ladder()[0]]

    same()  # nobody on the roster
    bhs = personas["bhs_manager"]
    backup = UserFactory(email="backup.only@pd.example.org")
    EmployeeFactory(user=backup, unit=dept.squad, work_email=backup.email)
    grant(backup, Role.BHS_MANAGER)
    services.duty_assign(actor=bhs, duty="bhs_manager", user=backup, rank=1)
    same()  # backups only
    services.duty_assign(actor=bhs, duty="bhs_manager", user=bhs, rank=0, phone="")
    same()  # someone on duty, with a manager of their own
