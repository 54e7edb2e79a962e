"""Demo CISM call-outs: the team (the supporter persona as lead, the BHS manager as clinician,
three peers) and one activation after the demo's critical incident, answered, with a defusing
and a debriefing counted and the team stood down, linked to that incident's outreach.
Idempotent; refused in production. The description and summary are fictional and encrypted like
real ones."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.cism.models import Activation, Callout, Session, TeamMember, TeamRole
from peersupport.cism.rules import assembled_at
from peersupport.outreach.models import Outreach
from peersupport.roster.models import SupporterProfile

from . import tables
from .personas import EMAIL_DOMAIN, demo_refuse_in_production

TEAM_MINIMUM = 3


def load_demo() -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if Activation.objects.exists():
            return f"CISM already loaded ({Activation.objects.count()} activations); nothing added."
        coordinator = User.objects.filter(email=f"coordinator@{EMAIL_DOMAIN}").first()
        clinician = User.objects.filter(email=f"bhs.manager@{EMAIL_DOMAIN}").first()
        active = User.objects.filter(supporter_profile__status=SupporterProfile.Status.ACTIVE)
        lead = active.filter(email=f"supporter@{EMAIL_DOMAIN}").first()
        peers = list(active.exclude(pk=getattr(lead, "pk", None)).order_by("pk")[:3])
        if coordinator is None or lead is None or len(peers) < 3:
            return "No demo personas or supporters: no CISM team added."
        data = tables.load("cism")
        event = data["activation"]
        requested = timezone.now() - timedelta(days=event["days_ago"])
        team = [(lead, TeamRole.LEAD)]
        if clinician is not None:
            team.append((clinician, TeamRole.CLINICIAN))
        team += [(p, TeamRole.PEER) for p in peers]
        # Everyone accepts but the last peer, who declines.
        answers = [*data["answers_minutes"], None][-len(team) :]
        for user, role in team:
            TeamMember.objects.get_or_create(
                user=user,
                defaults={"team_role": role, "added_by": coordinator, "added_at": requested},
            )
        outreach = (
            Outreach.objects.filter(event_type=event["event_type"], cism_activation__isnull=True)
            .order_by("-event_date")
            .first()
        )
        activation = Activation.objects.create(
            event_type=event["event_type"],
            incident_date=timezone.localdate(requested),
            description=event["description"],
            requested_by=coordinator,
            requested_at=requested,
            outreach=outreach,
        )
        accepted = []
        for (user, role), minutes in zip(team, answers, strict=True):
            answered = None if minutes is None else requested + timedelta(minutes=minutes)
            Callout.objects.create(
                activation=activation,
                member=user,
                team_role=role,
                answer=Callout.Answer.ACCEPTED if answered else Callout.Answer.DECLINED,
                answered_at=answered or requested + timedelta(hours=1),
            )
            if answered:
                accepted.append(answered)
        for s in data["sessions"]:
            Session.objects.create(
                activation=activation,
                kind=s["kind"],
                starts_at=requested + timedelta(hours=s["hours_after"]),
                place=s["place"],
                led_by=s["led_by"],
                attendance=s["attendance"],
                created_by=coordinator,
            )
        activation.assembled_at = assembled_at(accepted, TEAM_MINIMUM)
        activation.status = Activation.Status.STOOD_DOWN
        activation.stood_down_by = coordinator
        activation.stood_down_at = requested + timedelta(days=4)
        activation.summary = event["summary"]
        activation.save(
            update_fields=["assembled_at", "status", "stood_down_by", "stood_down_at", "summary"]
        )
        record(actor=None, action=AuditAction.DEMO_LOADED, details={"cism_activations": 1})
    return "CISM: the team and one activation, answered, with two sessions, stood down."
