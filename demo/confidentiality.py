"""Demo escalations: an on-duty roster (the demo BHS manager and advocacy supervisor on duty,
other holders of those roles as backups) and two past escalations raised by the demo
supporter, one resolved and one acknowledged, so the pages have something to show. No alert
is sent for them: they are history. Idempotent; refused in production."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.accounts.selectors import role_holders
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.confidentiality.models import Duty, DutyAssignment, Escalation, EscalationRecipient
from peersupport.governance.models import ExceptionCategory
from peersupport.support.models import Contact
from peersupport.tenancy import current_agency_id

from . import tables
from .personas import EMAIL_DOMAIN, demo_refuse_in_production

DUTY_ROLES = (
    (Duty.BHS_MANAGER, Role.BHS_MANAGER),
    (Duty.ADVOCACY_SUPERVISOR, Role.ADVOCACY_SUPERVISOR),
)


def load_demo() -> str:
    demo_refuse_in_production()
    with transaction.atomic():
        if DutyAssignment.objects.exists() or Escalation.objects.exists():
            return "Escalations already loaded; nothing added."
        bhs = User.objects.filter(email=f"bhs.manager@{EMAIL_DOMAIN}").first()
        advocacy = User.objects.filter(email=f"advocacy@{EMAIL_DOMAIN}").first()
        supporter = User.objects.filter(email=f"supporter@{EMAIL_DOMAIN}").first()
        if not (bhs and advocacy and supporter):
            return "No demo personas: no escalations added."
        now = timezone.now()
        start = now - timedelta(days=30)
        rows = []
        agency_id = current_agency_id()  # bulk_create does not fill it as save() does
        for duty, role in DUTY_ROLES:
            holders = role_holders(role)
            on_duty = bhs if duty == Duty.BHS_MANAGER else advocacy
            others = [u for u in holders if u.pk != on_duty.pk][:2]
            for rank, user in enumerate([on_duty, *others]):
                rows.append(
                    DutyAssignment(
                        agency_id=agency_id,
                        duty=duty,
                        user=user,
                        rank=rank,
                        starts_at=start,
                        created_by=bhs,
                    )
                )
        DutyAssignment.objects.bulk_create(rows)

        contacts = list(Contact.objects.filter(supporter=supporter).order_by("-date")[:2])
        if len(contacts) < 2:
            return f"On-duty roster: {len(rows)} entries; no demo contacts for escalations."
        categories = {c.code: c for c in ExceptionCategory.objects.all()}
        texts = tables.load("escalations")
        resolved = Escalation.objects.create(
            category=categories[texts["resolved"]["category"]],
            note=texts["resolved"]["note"],
            contact=contacts[0],
            raised_by=supporter,
            raised_at=now - timedelta(days=12, hours=3),
            status=Escalation.Status.RESOLVED,
            round=0,
            acknowledged_by=bhs,
            acknowledged_at=now - timedelta(days=12, hours=2, minutes=56),
            resolved_by=bhs,
            resolved_at=now - timedelta(days=12, hours=1),
            resolution=texts["resolved"]["resolution"],
        )
        acknowledged = Escalation.objects.create(
            category=categories[texts["acknowledged"]["category"]],
            note=texts["acknowledged"]["note"],
            contact=contacts[1],
            raised_by=supporter,
            raised_at=now - timedelta(days=2, hours=5),
            status=Escalation.Status.ACKNOWLEDGED,
            round=1,
            acknowledged_by=advocacy,
            acknowledged_at=now - timedelta(days=2, hours=4, minutes=52),
        )
        for escalation in (resolved, acknowledged):
            EscalationRecipient.objects.bulk_create(
                EscalationRecipient(
                    escalation=escalation,
                    user=user,
                    reason=f"{label} on duty",
                    first_alerted_at=escalation.raised_at,
                    last_alerted_at=escalation.raised_at,
                )
                for user, label in ((bhs, "BHS manager"), (advocacy, "Advocacy supervisor"))
            )
        record(
            actor=None,
            action=AuditAction.DEMO_LOADED,
            details={"duty_assignments": len(rows), "escalations": 2},
        )
    return f"Escalations: an on-duty roster of {len(rows)} entries and 2 past escalations."
