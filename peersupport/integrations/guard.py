"""The guard between a token and the separation of people: what SCIM (``scim_resources``) and
the API's roster import (``api_roster``) both ask before a change of theirs separates anyone.

A token is another system's key, and a stolen one must not empty the department nor cut the
program's own people off. So, with no person in the loop:

* one token separates at most ``SCIM_SEPARATIONS_PER_DAY`` people in 24 hours, SCIM and the
  roster import together, counted from that token's own audit events (``details.token``);
  nothing lifts it for a call, not even the import's ``allow_many_separated``;
* nobody whose account holds a confidential role or the system administrator's
  (``PROTECTED_ROLES``) is separated by a token at all: a person does that on the employee page.

``hold`` locks the token's row first, inside the change's transaction, so two calls with the
same token count one after the other (PostgreSQL; SQLite's transactions are one writer at a
time already). A refusal is an exception; the caller audits it (``audit_refused``) once its
transaction has rolled back, so the refusal stays in the log while the change does not.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from peersupport.accounts.models import CONFIDENTIAL_ROLES, Employee, Role
from peersupport.accounts.selectors import role_holder_ids
from peersupport.audit.models import AuditAction, AuditEvent, Outcome
from peersupport.audit.services import record

from .models import ApiToken

PROTECTED_ROLES = CONFIDENTIAL_ROLES | {Role.SYSADMIN}
PER_DAY = "separations_per_day"
PROTECTED = "protected_role"


@dataclass
class Refused(Exception):
    """A change the guard will not let a token make. ``numbers``: the employee numbers it
    refused for (PROTECTED), never written to the audit log."""

    why: str
    detail: str
    numbers: list[str] = field(default_factory=list)

    def __str__(self):
        return self.detail


def hold(token_key: str) -> None:
    """Lock the token's row until the transaction ends: the count below and the change it
    allows are then one step for this token, whatever runs beside it."""
    ApiToken.objects.select_for_update().only("pk").get(key=token_key)


def separations_today(token_key: str) -> int:
    """The people this token separated in the last 24 hours, by SCIM or the roster import."""
    since = timezone.now() - timedelta(days=1)
    return sum(
        details.get("separated", 0)
        for details in AuditEvent.objects.filter(
            action=AuditAction.ROSTER_IMPORTED,
            outcome=Outcome.SUCCESS,
            at__gte=since,
            details__token=token_key,
            details__separated__gt=0,
        ).values_list("details", flat=True)
    )


def protected_numbers(numbers) -> list[str]:
    """Which of these employee numbers belong to an account holding a ``PROTECTED_ROLES``
    role now."""
    return sorted(
        Employee.objects.filter(
            employee_number__in=list(numbers), user_id__in=role_holder_ids(*PROTECTED_ROLES)
        ).values_list("employee_number", flat=True)
    )


def check_separations(token_key: str, numbers: list[str]) -> None:
    """Inside the change's transaction, before it writes: may this token separate the people
    with these employee numbers (those this change would separate, new records included)?
    Takes the token's lock, then raises ``Refused`` or returns."""
    if not numbers:
        return
    hold(token_key)
    protected = protected_numbers(numbers)
    if protected:
        raise Refused(
            PROTECTED,
            "A person who holds a confidential or administrator role is separated on the "
            "employee page, by a person, never by a token. Nothing was changed.",
            protected,
        )
    limit = settings.SCIM_SEPARATIONS_PER_DAY
    if not limit:
        return
    done = separations_today(token_key)
    if done + len(numbers) > limit:
        raise Refused(
            PER_DAY,
            f"This token has separated {done} people in the last 24 hours and this change "
            f"would separate {len(numbers)} more; SCIM_SEPARATIONS_PER_DAY allows {limit} a "
            "day, SCIM and the roster import together. Nothing was changed: separate them "
            "through the HR roster upload page, or later.",
        )


def audit_refused(exc: Refused, *, token_key: str, source: str) -> None:
    """The refusal as a denied roster change: the token and the reason, never whom."""
    record(
        actor=None,
        action=AuditAction.ROSTER_IMPORTED,
        outcome=Outcome.DENIED,
        details={"source": source, "token": token_key, "why": exc.why},
    )
