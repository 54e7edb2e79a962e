"""Pure rules of outreach: which experience fits which kind of event, and when a follow-up
may be closed or its supporter reminded."""

from datetime import date, datetime, timedelta

from django.utils import timezone

from .models import EventType

AREAS = {
    EventType.LINE_OF_DUTY_INJURY: ["injury_illness"],
    EventType.LINE_OF_DUTY_ILLNESS: ["injury_illness"],
    EventType.FAMILY_TRAGEDY: ["family_tragedy", "grief_loss"],
    EventType.CRITICAL_INCIDENT: ["critical_incidents"],
    EventType.LINE_OF_DUTY_DEATH: ["grief_loss", "critical_incidents"],
}


# A follow-up opens a day before it is due, when its supporter is reminded: the first contact
# ("within 24 hours") at once, a one-week call on day six, an anniversary the day before it.
OPENS_BEFORE_DUE = timedelta(days=1)


def closable_from(due_at: datetime) -> date:
    """The first (local) day a follow-up due at ``due_at`` may be marked reached."""
    return timezone.localdate(due_at - OPENS_BEFORE_DUE)


def closable(due_at: datetime, now: datetime) -> bool:
    """A follow-up is marked reached (or a message left) only once it is open: an anniversary
    a year away cannot be done today."""
    return timezone.localdate(now) >= closable_from(due_at)


def may_remind(last: datetime | None, now: datetime) -> bool:
    """The coordinator reminds a supporter of a follow-up at most once a (local) day."""
    return last is None or timezone.localdate(last) < timezone.localdate(now)
