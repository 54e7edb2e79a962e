"""Demo outreach: two closed outreaches from earlier in the year and one open one, with people,
assignments, follow-ups at every stage and a group session. Idempotent; refused in production.
Descriptions and names are fictional and encrypted like real ones."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import Employee, FamilyMember, User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.outreach.defaults import install_defaults
from peersupport.outreach.models import (
    AffectedPerson,
    Assignment,
    Attempt,
    EventType,
    FollowUpTask,
    GroupSession,
    Outreach,
    PlanStep,
)
from peersupport.outreach.services import plan_for
from peersupport.roster.models import SupporterProfile

from . import tables
from .personas import EMAIL_DOMAIN, demo_refuse_in_production


def load_demo() -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if Outreach.objects.exists():
            return f"Outreach already loaded ({Outreach.objects.count()}); nothing added."
        coordinator = User.objects.filter(email=f"coordinator@{EMAIL_DOMAIN}").first()
        supporters = list(
            User.objects.filter(supporter_profile__status=SupporterProfile.Status.ACTIVE).order_by(
                "pk"
            )[:6]
        )
        employees = list(
            Employee.objects.filter(user__isnull=True, status=Employee.Status.ACTIVE).order_by(
                "pk"
            )[:6]
        )
        if coordinator is None or len(supporters) < 3 or len(employees) < 3:
            return "No demo personas or supporters: no outreach added."
        install_defaults(PlanStep=PlanStep)
        now = timezone.now()
        today = timezone.localdate()
        made = []
        for i, event in enumerate(tables.load("outreach")["events"]):
            second = None
            if event.get("second_person"):
                second = (
                    employees[i + 1] if len(employees) > i + 1 else None,
                    supporters[(i + 1) % len(supporters)],
                )
            made.append(
                _outreach(
                    coordinator,
                    EventType(event["event_type"]),
                    today - timedelta(days=event["days_ago"]),
                    event["description"],
                    employees[i],
                    supporters[i],
                    now,
                    closed=event["closed"],
                    second=second,
                )
            )
        record(actor=None, action=AuditAction.DEMO_LOADED, details={"outreaches": len(made)})
    return "Outreach: 2 closed outreaches and 1 open one, with follow-ups and a group session."


def _outreach(
    coordinator,
    event_type,
    event_date,
    description,
    employee,
    supporter,
    now,
    *,
    closed,
    second=None,
):
    outreach = Outreach.objects.create(
        event_type=event_type,
        event_date=event_date,
        description=description,
        opened_by=coordinator,
        opened_at=now - timedelta(days=(timezone.localdate() - event_date).days - 1),
    )
    added = outreach.opened_at
    people = [AffectedPerson.objects.create(outreach=outreach, employee=employee, added_at=added)]
    relative = FamilyMember.objects.filter(employee=employee).first()
    if relative is not None:
        people.append(
            AffectedPerson.objects.create(outreach=outreach, family_member=relative, added_at=added)
        )
    else:
        people.append(
            AffectedPerson.objects.create(
                outreach=outreach,
                name=tables.load("outreach")["partner"]["name"],
                how_to_reach=tables.load("outreach")["partner"]["how_to_reach"],
                added_at=added,
            )
        )
    if second and second[0] is not None:
        people.append(
            AffectedPerson.objects.create(outreach=outreach, employee=second[0], added_at=added)
        )
    for index, person in enumerate(people):
        holder = second[1] if second and index == 2 else supporter
        Assignment.objects.create(
            person=person,
            supporter=holder,
            assigned_by=coordinator,
            assigned_at=added,
            status=Assignment.Status.ENDED if closed else Assignment.Status.ACCEPTED,
            answered_at=added + timedelta(hours=1),
        )
        for label, due in plan_for(outreach, added_at=added):
            task = FollowUpTask.objects.create(person=person, label=label, due_at=due)
            if due < now:
                outcome = Attempt.Outcome.REACHED if index != 1 else Attempt.Outcome.LEFT_MESSAGE
                Attempt.objects.create(
                    task=task, supporter=holder, at=due - timedelta(hours=2), outcome=outcome
                )
                task.status = FollowUpTask.Status.DONE
                task.done_at = due - timedelta(hours=2)
                task.save(update_fields=["status", "done_at"])
            elif closed:
                task.status = FollowUpTask.Status.CANCELLED
                task.save(update_fields=["status"])
    if event_type == EventType.CRITICAL_INCIDENT:
        GroupSession.objects.create(
            outreach=outreach,
            starts_at=added + timedelta(days=3, hours=2),
            place="Training room B, headquarters",
            facilitator="BHS clinician and two peer supporters",
            attendance=11,
            created_by=coordinator,
        )
    if closed:
        outreach.status = Outreach.Status.CLOSED
        outreach.closed_by = coordinator
        outreach.closed_at = now - timedelta(days=5)
        outreach.summary = "Everyone reached; the officer is back on light duty and in touch."
        outreach.save(update_fields=["status", "closed_by", "closed_at", "summary"])
    return outreach
