"""The activation log's timings, as pure functions of the moments recorded.

"Team assembled" is the first moment CISM_TEAM_MINIMUM members had accepted at once (default 3:
a lead and two, the smallest team that can run a defusing). Counting acceptances rather than
naming who must come keeps the rule simple and true whatever the team's mix; the activation page
shows who accepted as what, so a coordinator sees at once if no lead or clinician is among them.

A member may change their answer while the activation is active. The log keeps the first moment
the team was assembled (what the after-action report measures: how long the call-out took); if
acceptances later drop below the minimum, the page says the team is no longer assembled, and
the audit log keeps every change with its moment.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

# The coordinator's "remind those who have not answered" button: at most once in this long per
# activation, so a worried double press does not alert a member twice in a minute.
REMIND_EVERY = timedelta(minutes=5)


def assembled_at(accepted: Iterable[datetime], minimum: int) -> datetime | None:
    """The moment the ``minimum``-th acceptance came, or None while fewer have accepted."""
    times = sorted(accepted)
    if minimum < 1 or len(times) < minimum:
        return None
    return times[minimum - 1]


def is_assembled(accepted_now: int, minimum: int) -> bool:
    """Whether the team counts as assembled at this moment (the answers as they stand)."""
    return minimum >= 1 and accepted_now >= minimum


def may_remind(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= REMIND_EVERY


def realert_due_before(now: datetime, minutes: int) -> datetime:
    """A waiting member last alerted before this moment is alerted again (CISM_REALERT_MINUTES)."""
    return now - timedelta(minutes=minutes)


def duration_text(delta: timedelta | None) -> str:
    """ "1 h 05 min", "3 d 2 h 00 min"; "" when there is nothing to measure yet."""
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours} h {minutes:02d} min"
    return f"{days} d {text}" if days else text


def minutes_between(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds() // 60))


@dataclass(frozen=True)
class Timings:
    """The after-action summary: each moment and how long it took from the request."""

    requested_at: datetime
    assembled_at: datetime | None
    first_session_at: datetime | None
    stood_down_at: datetime | None

    def _since_request(self, moment):
        return None if moment is None else moment - self.requested_at

    @property
    def to_assemble(self) -> timedelta | None:
        return self._since_request(self.assembled_at)

    @property
    def to_first_session(self) -> timedelta | None:
        return self._since_request(self.first_session_at)

    @property
    def to_stand_down(self) -> timedelta | None:
        return self._since_request(self.stood_down_at)

    @property
    def to_assemble_text(self) -> str:
        return duration_text(self.to_assemble)

    @property
    def to_first_session_text(self) -> str:
        return duration_text(self.to_first_session)

    @property
    def to_stand_down_text(self) -> str:
        return duration_text(self.to_stand_down)
