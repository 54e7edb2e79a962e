"""Who hears of each policy event, and that nobody else does: a version submitted (every Chief),
returned or approved (whoever drafted or submitted it), a program policy in force to
acknowledge (every supporter who has not), and the reminder the coordinator or the BHS manager
sends at most once a day. No alert carries the text or the Chief's comments."""

import datetime

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.models import Role
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.governance import defaults, services
from peersupport.governance.models import (
    ExceptionCategory,
    PolicyDocument,
    PolicyVersion,
)
from peersupport.governance.tasks import governance_tick
from peersupport.notifications.models import Channel, Notification
from peersupport.notifications.services import deliver_due

from ..conftest import signed_in_client
from ..factories import UserFactory, enable_totp, grant

pytestmark = pytest.mark.django_db
Kind = PolicyDocument.Kind
REMIND = reverse("governance:acknowledgements_remind")
ACKS = reverse("governance:acknowledgements")
BODY = "Canary policy text nobody may mail"
COMMENT = "Canary comment from the Chief"


@pytest.fixture(autouse=True)
def installed(db):
    defaults.install_defaults(
        ExceptionCategory=ExceptionCategory,
        PolicyDocument=PolicyDocument,
        PolicyVersion=PolicyVersion,
        today=timezone.localdate(),
    )


@pytest.fixture
def supporters(personas):
    """The supporter persona and a second supporter."""
    second = UserFactory(email="second.supporter@pd.example.org", display_name="Second")
    grant(second, Role.PEER_SUPPORTER)
    enable_totp(second)
    return [personas["supporter"], second]


def _told(prefix: str) -> dict[str, list[str]]:
    told: dict[str, list[str]] = {}
    for n in Notification.objects.filter(key__startswith=prefix).order_by("pk"):
        told.setdefault(n.user.email, []).append(n.channel)
    return told


def _draft(personas, *, kind=Kind.PROGRAM_POLICY, effective_date=None, actor=None):
    content = (
        {"intro": "Before.", "closing": "After."}
        if kind == Kind.CONFIDENTIALITY_NOTICE
        else {"body": BODY}
    )
    return services.policy_version_draft(
        actor=actor or personas["bhs_manager"],
        document=PolicyDocument.objects.get(kind=kind),
        effective_date=effective_date or timezone.localdate(),
        **content,
    )


def _submitted(personas, **kwargs):
    version = _draft(personas, **kwargs)
    return services.policy_version_submit(actor=personas["bhs_manager"], version=version)


def test_a_submitted_version_alerts_every_chief_and_nobody_else(personas, settings):
    second_chief = UserFactory(email="acting.chief@pd.example.org")
    grant(second_chief, Role.CHIEF)
    version = _submitted(personas)
    told = _told(f"governance:version:{version.pk}:submit:")
    assert told == {
        personas["chief"].email: [Channel.EMAIL],
        second_chief.email: [Channel.EMAIL],
    }
    assert Notification.objects.count() == 2
    assert deliver_due() == {"sent": 2}
    link = f"{settings.SITE_URL}{reverse('governance:version', args=[version.pk])}"
    for email in mail.outbox:
        assert "awaits your approval" in email.subject
        assert link in email.body and "Canary" not in email.body


def test_a_returned_version_alerts_who_drafted_and_who_submitted_it(personas):
    other_bhs = UserFactory(email="other.bhs@pd.example.org")
    grant(other_bhs, Role.BHS_MANAGER)
    version = _draft(personas, actor=other_bhs)
    services.policy_version_submit(actor=personas["bhs_manager"], version=version)
    Notification.objects.all().delete()
    services.policy_version_return(actor=personas["chief"], version=version, comment=COMMENT)
    assert _told(f"governance:version:{version.pk}:return:") == {
        other_bhs.email: [Channel.EMAIL],
        personas["bhs_manager"].email: [Channel.EMAIL],
    }
    assert Notification.objects.count() == 2
    for note in Notification.objects.all():
        assert "returned" in note.subject and "Canary" not in note.body


def test_resubmitting_after_a_return_alerts_the_chief_again(personas):
    version = _submitted(personas)
    services.policy_version_return(actor=personas["chief"], version=version, comment=COMMENT)
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5)):
        services.policy_version_submit(actor=personas["bhs_manager"], version=version)
    chief = Notification.objects.filter(user=personas["chief"], key__contains=":submit:")
    assert chief.count() == 2


def test_approving_a_notice_alerts_its_author_and_no_supporter(personas, supporters):
    version = _submitted(personas, kind=Kind.CONFIDENTIALITY_NOTICE)
    Notification.objects.all().delete()
    services.policy_version_approve(actor=personas["chief"], version=version)
    assert _told("governance:") == {personas["bhs_manager"].email: [Channel.EMAIL]}
    assert "approved" in Notification.objects.get().subject


def test_a_program_policy_in_force_at_once_alerts_every_supporter(personas, supporters):
    version = _submitted(personas)
    Notification.objects.all().delete()
    services.policy_version_approve(actor=personas["chief"], version=version)
    assert _told(f"governance:policy:{version.pk}:new:") == {
        s.email: [Channel.EMAIL] for s in supporters
    }
    # The author hears of the approval; nobody else of anything.
    assert _told("governance:") == {
        personas["bhs_manager"].email: [Channel.EMAIL],
        **{s.email: [Channel.EMAIL] for s in supporters},
    }
    version.refresh_from_db()
    assert version.supporters_told_at is not None
    assert governance_tick.call() == {"supporters_told": 0}


def test_a_later_policy_is_announced_by_the_tick_on_its_effective_date(personas, supporters):
    effective = timezone.localdate() + datetime.timedelta(days=3)
    version = _submitted(personas, effective_date=effective)
    services.policy_version_approve(actor=personas["chief"], version=version)
    assert not Notification.objects.filter(key__contains=":new:").exists()
    assert governance_tick.call() == {"supporters_told": 0}
    # Midnight of the effective date, local time: it is in force and announced once.
    midnight = datetime.datetime.combine(effective, datetime.time(0, 5))
    with time_machine.travel(timezone.make_aware(midnight), tick=False):
        assert governance_tick.call() == {"supporters_told": 2}
        assert governance_tick.call() == {"supporters_told": 0}
    assert _told(f"governance:policy:{version.pk}:new:") == {
        s.email: [Channel.EMAIL] for s in supporters
    }


# --- The reminder ---------------------------------------------------------------------------


def _in_force_policy(personas):
    version = _submitted(personas)
    services.policy_version_approve(actor=personas["chief"], version=version)
    Notification.objects.all().delete()
    return version


@pytest.mark.parametrize("who", ["coordinator", "bhs_manager"])
def test_the_reminder_alerts_only_those_who_have_not_acknowledged(personas, supporters, who):
    version = _in_force_policy(personas)
    acknowledged, waiting = supporters
    services.policy_acknowledge(actor=acknowledged, version=version)
    page = signed_in_client(personas[who]).get(reverse("governance:acknowledgements"))
    assert b"Remind those who have not acknowledged" in page.content
    resp = signed_in_client(personas[who]).post(REMIND)
    assert resp.status_code == 302
    today = timezone.localdate().isoformat()
    assert _told("governance:") == {waiting.email: [Channel.EMAIL]}
    assert Notification.objects.get().key.startswith(
        f"governance:policy:{version.pk}:remind:{today}:"
    )
    event = AuditEvent.objects.get(action=AuditAction.POLICY_ACK_REMINDED)
    assert event.details == {"number": version.number, "reminded": 1}
    assert event.actor_id == personas[who].pk


def test_a_second_reminder_the_same_day_is_refused_and_sends_nothing(personas, supporters):
    _in_force_policy(personas)
    client = signed_in_client(personas["coordinator"])
    assert client.post(REMIND).status_code == 302
    assert Notification.objects.count() == 2
    again = client.post(REMIND)
    assert again.status_code == 400
    assert b"already reminded today" in again.content
    assert Notification.objects.count() == 2
    assert AuditEvent.objects.filter(action=AuditAction.POLICY_ACK_REMINDED).count() == 1
    page = client.get(reverse("governance:acknowledgements"))
    assert b"Remind those who have not acknowledged" not in page.content
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1)):
        resp = signed_in_client(personas["coordinator"]).post(REMIND)
        assert resp.status_code == 302 and resp["Location"] == ACKS
    assert Notification.objects.count() == 4


def test_nobody_to_remind_is_said_plainly(personas, supporters):
    version = _in_force_policy(personas)
    for supporter in supporters:
        services.policy_acknowledge(actor=supporter, version=version)
    resp = signed_in_client(personas["bhs_manager"]).post(REMIND)
    assert resp.status_code == 400 and b"nobody to remind" in resp.content
    assert not Notification.objects.exists()


def test_only_policy_keepers_may_remind(personas, supporters):
    _in_force_policy(personas)
    for who in ("supporter", "chief", "employee"):
        assert signed_in_client(personas[who]).post(REMIND).status_code == 403
    assert not Notification.objects.exists()


def test_the_worker_keeps_the_governance_tick_going():
    from peersupport.notifications.scheduling import periodic_tasks

    assert governance_tick in [t for t, _ in periodic_tasks()]
