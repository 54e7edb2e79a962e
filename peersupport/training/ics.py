"""iCalendar (RFC 5545) for the session feeds: one VEVENT per session day, written by hand (the
format is small and a dependency would be larger than this file)."""

from django.conf import settings
from django.utils import timezone


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start = [], 0
    while start < len(data):
        size = 75 if not parts else 74
        end = min(start + size, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:  # not inside a UTF-8 character
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    return "\r\n ".join(parts)


def _utc(value) -> str:
    return value.astimezone(timezone.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(days, *, name: str, statuses: dict | None = None) -> str:
    """``days`` are SessionDays with their session and course; ``statuses`` maps a session id
    to "TENTATIVE" (waiting list) where needed."""
    now = _utc(timezone.now())
    host = settings.SITE_URL.split("//")[-1].split("/")[0] or "peersupport"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Peer Support//Training//EN",
        "CALSCALE:GREGORIAN",
        f"X-WR-CALNAME:{_escape(name)}",
    ]
    for day in days:
        session = day.session
        status = "CANCELLED" if session.is_cancelled else "CONFIRMED"
        if statuses and statuses.get(session.pk) == "TENTATIVE" and status == "CONFIRMED":
            status = "TENTATIVE"
        lines += [
            "BEGIN:VEVENT",
            f"UID:training-day-{day.pk}@{host}",
            f"DTSTAMP:{now}",
            f"DTSTART:{_utc(day.starts_at)}",
            f"DTEND:{_utc(day.ends_at)}",
            f"SUMMARY:{_escape(str(session.course))}",
            f"LOCATION:{_escape(session.place)}",
            f"STATUS:{status}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(_fold(line) for line in lines) + "\r\n"
