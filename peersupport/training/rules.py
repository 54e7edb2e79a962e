"""Pure rules of the training app: who may do what, and derived values. No reads, no writes."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from peersupport.accounts.models import Role, User
from peersupport.roster.models import SupporterProfile

from .models import TrainingSession

MANAGERS = frozenset({Role.COORDINATOR})


def is_manager(actor: User | None) -> bool:
    return actor is not None and actor.has_role(*MANAGERS)


def may_record_attendance(actor: User, session: TrainingSession) -> bool:
    return is_manager(actor) or (
        session.instructor_id is not None and session.instructor_id == actor.pk
    )


def feed_token_hash(token: str) -> str:
    """Calendar feed tokens are stored as this hash only, never as themselves."""
    return hashlib.sha256(token.encode()).hexdigest()


# Who may be enrolled: anyone in the program short of retired or removed.
ELIGIBLE = frozenset(
    {
        SupporterProfile.Status.CANDIDATE,
        SupporterProfile.Status.APPOINTED,
        SupporterProfile.Status.ACTIVE,
        SupporterProfile.Status.INACTIVE,
    }
)


def session_when(session: TrainingSession) -> str:
    first, last = session.first_date, session.last_date
    if first == last:
        return f"{first:%A %-d %B %Y}"
    return f"{first:%-d %B} to {last:%-d %B %Y}"


@dataclass(frozen=True)
class DayPlan:
    starts_at: datetime
    ends_at: datetime
    hours: Decimal


def check_days(days: list[DayPlan]) -> list[DayPlan]:
    if not days:
        raise ValidationError({"days": "A session has at least one day."})
    days = sorted(days, key=lambda d: d.starts_at)
    for day in days:
        if day.ends_at <= day.starts_at:
            raise ValidationError(
                {"days": f"On {timezone.localdate(day.starts_at)} the end is before the start."}
            )
        length = Decimal((day.ends_at - day.starts_at).total_seconds()) / 3600
        if day.hours <= 0 or day.hours > length:
            raise ValidationError(
                {
                    "days": f"On {timezone.localdate(day.starts_at)} the hours credited must be "
                    f"more than 0 and at most the day's length ({length.normalize():f} h)."
                }
            )
    for before, after in zip(days, days[1:], strict=False):
        if after.starts_at < before.ends_at:
            raise ValidationError({"days": "Two days of the session overlap."})
    return days
