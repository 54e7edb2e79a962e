"""Reads of CISM call-outs, applying who may see what.

The coordinator and the BHS manager run the team and every activation. A member sees only their
own call-outs, and only while the activation is active: so that they can change their answer
until the team stands down. While they have not declined they read what happened (to prepare,
as an assigned supporter reads an outreach's description) and the sessions' times and places;
after a decline the page shows only the incident's type and date and the button to accept
after all (the template checks ``callout.may_read``). Anything else 404s, whatever id is tried.
"""

from django.conf import settings
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant, User
from peersupport.roster.models import SupporterProfile

from . import rules
from .models import Activation, Callout, Session, TeamMember, TeamRole
from .rules import Timings, is_assembled, minutes_between

STAFF = (Role.COORDINATOR, Role.BHS_MANAGER)
# Who may be on the team, and so has a page of their own call-outs: peer supporters, and the
# BHS manager or an advocacy supervisor as the clinician.
MEMBER_ROLES = (Role.PEER_SUPPORTER, Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR)


# --- Who is still called out ---------------------------------------------------------------


def _callable_members() -> QuerySet:
    holds_role = RoleGrant.objects.current().filter(user=OuterRef("user"), role__in=MEMBER_ROLES)
    return (
        TeamMember.objects.filter(user__is_active=True)
        .filter(Exists(holds_role))
        .filter(
            Q(team_role=TeamRole.CLINICIAN)
            | Q(user__supporter_profile__status=SupporterProfile.Status.ACTIVE)
        )
    )


def still_called() -> Exists:
    """Whether a call-out's member (``OuterRef("member")``) is still one to call: on the team,
    their account enabled, holding a member's role now (a separation revokes it), and a peer or
    the lead still an active peer supporter (a supporter on leave or gone is not). Someone who
    is not keeps their call-out in the log, but is not alerted again, cannot answer, and no
    longer reads what happened."""
    return Exists(_callable_members().filter(user=OuterRef("member")))


def called(callouts: QuerySet) -> QuerySet:
    """``callouts`` of members ``still_called``."""
    return callouts.filter(still_called())


def team_to_call() -> list[TeamMember]:
    """The members an activation calls out now (see ``still_called``)."""
    return list(_callable_members().select_related("user").order_by("pk"))


# --- The person picker's pool (accounts.selectors.register_person_pool) ----------------------


def team_candidates(accounts: QuerySet) -> QuerySet:
    """The "cism_member" pool: active peer supporters, and the holders of a clinician's role
    (services.CLINICIAN_ROLES), whom the coordinator and the BHS manager already know."""
    clinicians = RoleGrant.objects.current().filter(
        role__in=[Role.BHS_MANAGER, Role.ADVOCACY_SUPERVISOR]
    )
    supporters = SupporterProfile.objects.filter(status=SupporterProfile.Status.ACTIVE)
    return accounts.filter(
        Q(pk__in=supporters.values("user_id")) | Q(pk__in=clinicians.values("user_id"))
    )


# --- The staff's side ----------------------------------------------------------------------


def team() -> list[TeamMember]:
    return list(TeamMember.objects.select_related("user", "user__employee"))


def member_for_staff(member_id) -> TeamMember | None:
    """The member named by a form's field, or None (a stale page, a made-up id)."""
    try:
        return TeamMember.objects.select_related("user").get(pk=int(member_id))
    except (TypeError, ValueError, TeamMember.DoesNotExist):
        return None


def _counted(qs: QuerySet) -> QuerySet:
    return qs.annotate(
        called=Count("callouts", distinct=True),
        accepted=Count("callouts", filter=Q(callouts__answer="accepted"), distinct=True),
        declined=Count("callouts", filter=Q(callouts__answer="declined"), distinct=True),
        waiting=Count("callouts", filter=Q(callouts__answer="waiting"), distinct=True),
        first_session_at=Min("sessions__starts_at"),
        session_count=Count("sessions", distinct=True),
        # A subquery: summed across the join with the call-outs, each count would be
        # multiplied by the number of members called out.
        attendance_total=Subquery(
            Session.objects.filter(activation=OuterRef("pk"))
            .values("activation")
            .annotate(total=Sum("attendance"))
            .values("total")
        ),
    )


def activations() -> list[Activation]:
    """Every activation, newest first, with its answer counts and first session."""
    return list(_counted(Activation.objects.all()).order_by("-requested_at", "-pk"))


def activation_for_staff(public_id) -> Activation:
    activation = (
        Activation.objects.select_related("requested_by", "stood_down_by", "outreach")
        .filter(public_id=public_id)
        .first()
    )
    if activation is None:
        raise Http404
    return activation


def callouts_of(activation: Activation) -> list[Callout]:
    return list(activation.callouts.select_related("member").order_by("team_role", "pk"))


def answer_counts(callouts: list[Callout]) -> dict[str, int]:
    counts = {"called": len(callouts), "accepted": 0, "declined": 0, "waiting": 0}
    for callout in callouts:
        counts[callout.answer] += 1
    return counts


def sessions_of(activation: Activation) -> list[Session]:
    return list(activation.sessions.all())


def session_for_staff(session_id: int) -> Session:
    session = Session.objects.select_related("activation").filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session


def timings(activation: Activation, sessions: list[Session] | None = None) -> Timings:
    if sessions is None:
        first = activation.sessions.aggregate(first=Min("starts_at"))["first"]
    else:
        first = min((s.starts_at for s in sessions), default=None)
    return Timings(
        requested_at=activation.requested_at,
        assembled_at=activation.assembled_at,
        first_session_at=first,
        stood_down_at=activation.stood_down_at,
    )


CSV_HEADER = [
    "incident type",
    "incident date",
    "status",
    "requested at",
    "team assembled at",
    "minutes to assemble",
    "first session at",
    "minutes to first session",
    "stood down at",
    "called out",
    "accepted",
    "declined",
    "no answer",
    "sessions",
    "attendance (total)",
    "follow-up outreach opened",
]


def _at(moment) -> str:
    return "" if moment is None else timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _blank(value):
    """Nothing measured yet is an empty cell; a measured zero stays 0."""
    return "" if value is None else value


def csv_rows() -> list[list]:
    """The activation log for the after-action report: timings and counts only, never a
    name, a description or a summary."""
    rows = []
    for a in activations():
        rows.append(
            [
                a.get_event_type_display(),
                a.incident_date.isoformat(),
                a.get_status_display(),
                _at(a.requested_at),
                _at(a.assembled_at),
                _blank(minutes_between(a.requested_at, a.assembled_at)),
                _at(a.first_session_at),
                _blank(minutes_between(a.requested_at, a.first_session_at)),
                _at(a.stood_down_at),
                a.called,
                a.accepted,
                a.declined,
                a.waiting,
                a.session_count,
                _blank(a.attendance_total),
                "yes" if a.outreach_id else "no",
            ]
        )
    return rows


def team_minimum() -> int:
    return settings.CISM_TEAM_MINIMUM


def is_assembled_now(counts: dict[str, int]) -> bool:
    """Whether the answers as they stand make the team (it may have been assembled earlier and
    fallen below the minimum since: rules.py)."""
    return is_assembled(counts["accepted"], settings.CISM_TEAM_MINIMUM)


def may_remind(activation: Activation, counts: dict[str, int]) -> bool:
    """Whether the "remind those who have not answered" button is offered now."""
    return (
        activation.is_active
        and counts["waiting"] > 0
        and rules.may_remind(activation.reminded_at, timezone.now())
    )


# --- The member's side ---------------------------------------------------------------------


def _open_callouts(user: User) -> QuerySet:
    return called(Callout.objects.filter(member=user, activation__status=Activation.Status.ACTIVE))


def may_read(callout: Callout) -> bool:
    """What happened and the sessions are for members who have not declined."""
    return callout.answer != Callout.Answer.DECLINED


def callouts_for(user: User) -> list[Callout]:
    """The member's open call-outs: those of active activations, declined ones included (they
    may still accept)."""
    return list(
        _open_callouts(user)
        .select_related("activation")
        .annotate(next_session=Min("activation__sessions__starts_at"))
        .order_by("-activation__requested_at")
    )


def callout_for(user: User, callout_id: int) -> Callout:
    callout = _open_callouts(user).select_related("activation").filter(pk=callout_id).first()
    if callout is None:
        raise Http404
    return callout


def waiting_count(user: User) -> tuple[int, object]:
    found = (
        _open_callouts(user)
        .filter(answer=Callout.Answer.WAITING)
        .aggregate(n=Count("pk"), since=Min("activation__requested_at"))
    )
    return found["n"], found["since"]
