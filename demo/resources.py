"""A believable resource directory for the demo department.

National services are listed with their published numbers (988, Crisis Text Line, the Veterans
Crisis Line, SAMHSA's helpline, COPLINE). Where we could not confirm a number, the entry gives
only the organisation's website. The department's own and local services are fictional: their
numbers are in the 555-01xx range set aside for fiction, and their e-mail and web addresses are
under .test, which can never be delivered to or resolved.
"""

from django.db import transaction

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.resources.models import Resource

from . import tables
from .personas import demo_refuse_in_production

# Entries as the coordinator's form would take them (data/resources.json).
DEMO_RESOURCES: list[dict] = tables.load("resources")


def load_demo() -> str:
    """Fill an empty directory with the demo entries; leave one that has any entry alone.

    Each entry is validated as the coordinator's form would; one audit event covers the whole
    load, as for the rest of the demo department. Refused in production, where fictional
    numbers would mislead someone in need.
    """
    demo_refuse_in_production()
    with transaction.atomic():
        if Resource.objects.exists():
            count = Resource.objects.active().count()
            return f"Resource directory: already has entries ({count} active); nothing added."
        resources = [Resource(**entry) for entry in DEMO_RESOURCES]
        for resource in resources:
            resource.full_clean()
        Resource.objects.bulk_create(resources)
        record(actor=None, action=AuditAction.DEMO_LOADED, details={"resources": len(resources)})
    return f"Resource directory: {len(resources)} demo entries added."
