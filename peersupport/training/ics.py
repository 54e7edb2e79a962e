"""The training feeds' events: one per session day, written by the kernel's iCalendar writer
(peersupport/web/ics.py). The UIDs (``training-day-<pk>@host``) are the ones the feeds have
always had, so calendar apps that follow them keep their events."""

from peersupport.web import ics


def calendar(days, *, name: str, statuses: dict | None = None) -> str:
    """``days`` are SessionDays with their session and course; ``statuses`` maps a session id
    to "TENTATIVE" (waiting list) where needed."""
    events = []
    for day in days:
        session = day.session
        status = "CANCELLED" if session.is_cancelled else "CONFIRMED"
        if statuses and statuses.get(session.pk) == "TENTATIVE" and status == "CONFIRMED":
            status = "TENTATIVE"
        events.append(
            ics.Event(
                uid=f"training-day-{day.pk}",
                start=day.starts_at,
                end=day.ends_at,
                summary=str(session.course),
                location=session.place,
                status=status,
            )
        )
    return ics.calendar(events, name=name, product="Training")
