"""Writes for CISM call-outs: the team roster, activating the team, members' answers (and
changes of answer), alerting again those who have not answered (the worker, and the staff's
button), defusings and debriefings, the follow-up outreach, standing down.

Keyword-only, one transaction each, the audit event inside it; audit details carry ids, kinds
and counts only. Alerts go through the outbox and say only that a call-out waits (rule 12).
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.notifications.messages import notify_message, site_link
from peersupport.outreach import services as outreach_services
from peersupport.outreach.models import EventType
from peersupport.roster.models import SupporterProfile
from peersupport.web import gatherings

from . import selectors
from .models import Activation, Callout, Session, TeamMember, TeamRole
from .rules import REMIND_EVERY, assembled_at, may_remind, realert_due_before

DESCRIPTION_MAX = outreach_services.DESCRIPTION_MAX
SUMMARY_MAX = outreach_services.SUMMARY_MAX
# Who may be the team's clinician without being a peer supporter: the program's own mental
# health professionals.
CLINICIAN_ROLES = (Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR)


def _text(value: str, *, field: str, limit: int, required: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({field: required})
    if len(value) > limit:
        raise ValidationError({field: f"Keep it under {limit} characters."})
    return value


# --- The team ------------------------------------------------------------------------------


def _is_active_supporter(user: User) -> bool:
    # ``everywhere``: the person's one profile lives in their home agency (roster, step 3a); a
    # supporter of A may serve on B's team too.
    return SupporterProfile.everywhere.filter(
        user=user, status=SupporterProfile.Status.ACTIVE
    ).exists()


def _check_role(user: User, team_role: str, *, member: TeamMember | None = None) -> None:
    if team_role not in TeamRole.values:
        raise ValidationError({"team_role": "Choose the role on the team."})
    if team_role == TeamRole.CLINICIAN:
        if not (_is_active_supporter(user) or user.has_role(*CLINICIAN_ROLES)):
            raise ValidationError(
                {
                    "team_role": f"{user} cannot be the clinician: choose an active peer "
                    "supporter, the BHS manager or an advocacy supervisor."
                }
            )
    elif not _is_active_supporter(user):
        raise ValidationError(
            {"team_role": f"{user} is not an active peer supporter: they can only be clinician."}
        )
    if team_role == TeamRole.LEAD:
        leads = TeamMember.objects.filter(team_role=TeamRole.LEAD)
        if member is not None:
            leads = leads.exclude(pk=member.pk)
        if leads.exists():
            raise ValidationError(
                {"team_role": "The team has a lead already: change their role first."}
            )


@transaction.atomic
def member_add(*, actor: User, user: User, team_role: str) -> TeamMember:
    if TeamMember.objects.filter(user=user).exists():
        raise ValidationError({"member": f"{user} is on the team already."})
    _check_role(user, team_role)
    try:
        with transaction.atomic():
            member = TeamMember.objects.create(user=user, team_role=team_role, added_by=actor)
    except IntegrityError:
        raise ValidationError("Someone changed the team at the same moment: try again.") from None
    record(
        actor=actor,
        action=AuditAction.CISM_MEMBER_ADDED,
        target=member,
        details={"user_id": user.pk, "team_role": team_role},
    )
    return member


@transaction.atomic
def member_change_role(*, actor: User, member: TeamMember, team_role: str) -> TeamMember:
    if team_role == member.team_role:
        raise ValidationError({"team_role": f"{member.user} has that role already."})
    _check_role(member.user, team_role, member=member)
    before = member.team_role
    member.team_role = team_role
    member.save(update_fields=["team_role"])
    record(
        actor=actor,
        action=AuditAction.CISM_MEMBER_CHANGED,
        target=member,
        details={"user_id": member.user_id, "from": before, "to": team_role},
    )
    return member


@transaction.atomic
def member_remove(*, actor: User, member: TeamMember) -> None:
    """Off the team: not called out again. Past call-outs stay in their activations' logs."""
    record(
        actor=actor,
        action=AuditAction.CISM_MEMBER_REMOVED,
        target=member,
        details={"user_id": member.user_id, "team_role": member.team_role},
    )
    member.delete()


# --- Activation ----------------------------------------------------------------------------


@transaction.atomic
def activation_start(
    *, actor: User, event_type: str, incident_date, description: str
) -> Activation:
    """Activate the team: every member is called out and alerted (urgent, content-free)."""
    errors = {}
    if event_type not in EventType.values:
        errors["event_type"] = "Choose what happened."
    if incident_date is None or incident_date > timezone.localdate():
        errors["incident_date"] = "The incident cannot be in the future."
    if errors:
        raise ValidationError(errors)
    description = _text(
        description,
        field="description",
        limit=DESCRIPTION_MAX,
        required="Say briefly what happened (protected: only the coordinator, the BHS manager "
        "and the team members called out read it).",
    )
    members = selectors.team_to_call()
    if not members:
        raise ValidationError(
            "Nobody on the team can be called out: add members on the team page (a peer or "
            "the lead must be an active peer supporter, the clinician must hold their role)."
            if TeamMember.objects.exists()
            else "The team has no members yet: add them on the team page first."
        )
    activation = Activation.objects.create(
        event_type=event_type,
        incident_date=incident_date,
        description=description,
        requested_by=actor,
    )
    now = timezone.now()
    Callout.objects.bulk_create(
        Callout(activation=activation, member=m.user, team_role=m.team_role, alerted_at=now)
        for m in members
    )
    for callout in activation.callouts.select_related("member"):
        notify_message(
            key=f"cism-callout:{callout.pk}",
            user=callout.member,
            message="cism/callout",
            topic=f"cism:{activation.pk}",
            link=site_link("cism:callout", callout_id=callout.pk),
        )
    record(
        actor=actor,
        action=AuditAction.CISM_ACTIVATED,
        target=activation,
        details={"event_type": event_type, "called_out": len(members)},
    )
    return activation


ANSWERS = {True: Callout.Answer.ACCEPTED, False: Callout.Answer.DECLINED}


@transaction.atomic
def callout_answer(*, actor: User, callout: Callout, accept: bool) -> Callout:
    """The member's own answer, which they may change while the activation is active (a
    decline turned into "I can come after all", or the reverse). The first moment
    CISM_TEAM_MINIMUM members have accepted marks the team assembled and stays in the log
    (rules.py); each answer and each change is audited with what it replaced."""
    activation = Activation.objects.select_for_update().get(pk=callout.activation_id)
    callout = Callout.objects.select_for_update().get(pk=callout.pk)
    if callout.member_id != actor.pk:
        raise ValidationError("This call-out is someone else's.")
    if not selectors.called(Callout.objects.filter(pk=callout.pk)).exists():
        raise ValidationError("You are no longer on the CISM team: no answer is needed.")
    if not activation.is_active:
        raise ValidationError("The team has stood down: no answer is needed.")
    answer = ANSWERS[bool(accept)]
    if callout.answer == answer:
        raise ValidationError(f"You have already {answer.label.lower()}: nothing changed.")
    before = callout.answer
    now = timezone.now()
    callout.answer = answer
    callout.answered_at = now
    callout.save(update_fields=["answer", "answered_at"])
    if accept and activation.assembled_at is None:
        accepted = activation.callouts.filter(answer=Callout.Answer.ACCEPTED)
        moment = assembled_at(
            accepted.values_list("answered_at", flat=True), settings.CISM_TEAM_MINIMUM
        )
        if moment is not None:
            activation.assembled_at = moment
            activation.save(update_fields=["assembled_at"])
    record(
        actor=actor,
        action=AuditAction.CISM_ANSWERED,
        target=activation,
        details={"callout_id": callout.pk, "accepted": bool(accept), "from": before},
    )
    return callout


# --- Alerting again those who have not answered --------------------------------------------


def _alert_again(callout: Callout, *, key: str) -> None:
    """The same urgent, content-free alert as the call-out's own (cism/callout)."""
    notify_message(
        key=key,
        user=callout.member,
        message="cism/callout",
        topic=f"cism:{callout.activation_id}",
        link=site_link("cism:callout", callout_id=callout.pk),
    )


def _waiting(activation: Activation):
    return selectors.called(
        activation.callouts.select_related("member").filter(answer=Callout.Answer.WAITING)
    )


def callouts_realert(*, now: datetime | None = None) -> int:
    """The worker's re-alert: every member of an active activation who has not answered and
    was last alerted CISM_REALERT_MINUTES ago or more is alerted again, at most
    CISM_REALERT_TIMES times. One transaction per activation with the activation row locked
    (the lock that answers and standing down take too), and the call-outs re-read under it, so
    two workers never alert a member twice for one round and nobody is alerted once the team
    has stood down or after answering. Returns how many members were alerted."""
    now = now or timezone.now()
    before = realert_due_before(now, settings.CISM_REALERT_MINUTES)
    times = settings.CISM_REALERT_TIMES

    def due(qs):
        return selectors.called(
            qs.filter(answer=Callout.Answer.WAITING, alerted_at__lte=before, realerts__lt=times)
        )

    pending = due(Callout.objects.filter(activation__status=Activation.Status.ACTIVE))
    alerted = 0
    activation_ids = pending.order_by("activation_id").values_list("activation_id", flat=True)
    for pk in list(activation_ids.distinct()):
        with transaction.atomic():
            activation = (
                Activation.objects.select_for_update()
                .filter(pk=pk, status=Activation.Status.ACTIVE)
                .first()
            )
            if activation is None:
                continue  # stood down meanwhile
            callouts = list(due(activation.callouts.select_related("member")))
            for callout in callouts:
                callout.realerts += 1
                callout.alerted_at = now
                callout.save(update_fields=["realerts", "alerted_at"])
                _alert_again(callout, key=f"cism-callout:{callout.pk}:again:{callout.realerts}")
            if callouts:
                record(
                    actor=None,
                    action=AuditAction.CISM_REALERTED,
                    target=activation,
                    details={"realerted": len(callouts)},
                )
            alerted += len(callouts)
    return alerted


@transaction.atomic
def activation_remind(*, actor: User, activation: Activation) -> int:
    """The coordinator or the BHS manager alerts again, at once, every member who has not
    answered: the same content-free alert, at most once every rules.REMIND_EVERY per
    activation. It restarts each member's CISM_REALERT_MINUTES (so the worker does not alert
    them again a minute later) without using up the worker's re-alerts. Returns how many."""
    activation = Activation.objects.select_for_update().get(pk=activation.pk)
    if not activation.is_active:
        raise ValidationError("The team has stood down: nobody needs reminding.")
    now = timezone.now()
    if not may_remind(activation.reminded_at, now):
        minutes = int(REMIND_EVERY.total_seconds() // 60)
        raise ValidationError(
            f"Those who have not answered were reminded less than {minutes} minutes ago: "
            "give them a moment, or call them."
        )
    callouts = list(_waiting(activation))
    if not callouts:
        raise ValidationError("Every member has answered: nobody to remind.")
    activation.reminded_at = now
    activation.save(update_fields=["reminded_at"])
    Callout.objects.filter(pk__in=[c.pk for c in callouts]).update(alerted_at=now)
    for callout in callouts:
        _alert_again(callout, key=f"cism-remind:{callout.pk}:{now.timestamp():.0f}")
    record(
        actor=actor,
        action=AuditAction.CISM_REMINDED,
        target=activation,
        details={"reminded": len(callouts)},
    )
    return len(callouts)


# --- Sessions ------------------------------------------------------------------------------


@transaction.atomic
def session_schedule(
    *, actor: User, activation: Activation, kind: str, starts_at: datetime, place: str, led_by: str
) -> Session:
    if not activation.is_active:
        raise ValidationError("The team has stood down: nothing more can be scheduled.")
    errors = gatherings.schedule_errors(
        starts_at=starts_at, place=place, leader=led_by, leader_field="led_by"
    )
    if kind not in Session.Kind.values:
        errors["kind"] = "Choose a defusing or a debriefing."
    if errors:
        raise ValidationError(errors)
    session = Session.objects.create(
        activation=activation,
        kind=kind,
        starts_at=starts_at,
        place=gatherings.clean_text(place),
        led_by=gatherings.clean_text(led_by),
        created_by=actor,
    )
    record(
        actor=actor,
        action=AuditAction.CISM_SESSION_SCHEDULED,
        target=activation,
        details={"session_id": session.pk, "kind": kind},
    )
    return session


@transaction.atomic
def session_attendance(*, actor: User, session: Session, attendance: int) -> Session:
    """How many came: a count, never names. Recorded after the session started (also once the
    team has stood down: a debriefing may end the call-out)."""
    return gatherings.attendance_record(
        actor=actor,
        session=session,
        attendance=attendance,
        action=AuditAction.CISM_SESSION_ATTENDANCE,
        target=session.activation,
    )


# --- Follow-up outreach and standing down --------------------------------------------------


@transaction.atomic
def outreach_open_for(*, actor: User, activation: Activation) -> Activation:
    """Open the follow-up outreach of the incident (same type, date and description) through
    outreach's own service, and keep its id on the activation. Once per activation."""
    activation = Activation.objects.select_for_update().get(pk=activation.pk)
    if not activation.is_active:
        raise ValidationError("The team has stood down: open the outreach from the outreach board.")
    if activation.outreach_id is not None:
        raise ValidationError("An outreach is already open for this incident.")
    outreach = outreach_services.outreach_open(
        actor=actor,
        event_type=activation.event_type,
        event_date=activation.incident_date,
        description=activation.description,
    )
    activation.outreach = outreach
    activation.save(update_fields=["outreach"])
    record(
        actor=actor,
        action=AuditAction.CISM_OUTREACH_OPENED,
        target=activation,
        details={"outreach_id": outreach.pk},
    )
    return activation


@transaction.atomic
def activation_stand_down(*, actor: User, activation: Activation, summary: str) -> Activation:
    activation = Activation.objects.select_for_update().get(pk=activation.pk)
    if not activation.is_active:
        raise ValidationError("The team has already stood down.")
    summary = _text(summary, field="summary", limit=SUMMARY_MAX, required="Write a summary.")
    activation.status = Activation.Status.STOOD_DOWN
    activation.stood_down_by = actor
    activation.stood_down_at = timezone.now()
    activation.summary = summary
    activation.save(update_fields=["status", "stood_down_by", "stood_down_at", "summary"])
    record(actor=actor, action=AuditAction.CISM_STOOD_DOWN, target=activation)
    return activation
