"""iCalendar (RFC 5545) for the calendar feeds, written by hand: the format is small and a
dependency would be larger than this file.

Times are written as the department's wall-clock time (``DTSTART;TZID=<TIME_ZONE>:...``) with
a ``VTIMEZONE`` that describes that zone over the events' span, so a calendar app shows a shift
at 07:00 as 07:00 however it treats zones, and a session after a daylight-saving change moves
with the department's clocks. The ``VTIMEZONE`` is worked out from the zone database (zoneinfo),
not copied from a table: an opening observance with the offset in force when the span begins,
then one observance for every change of offset inside the span, each at its exact local onset.
Explicit onsets rather than ``RRULE``s keep the file right for any zone and any year, including
zones whose rules changed. A UTC department gets plain UTC times (``...Z``) and no ``VTIMEZONE``.

One instant cannot be named by a local time: the second pass through the hour the clocks go
back (RFC 5545 3.3.5 reads an ambiguous local time as the first). Such a time is written in UTC.

UIDs are ``<kind>-<id>@<SITE_URL's host>``: stable for the same event across fetches, so a
calendar app updates an event rather than adding it again.
"""

import datetime
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/GMT", "GMT", "Universal", "Zulu"})
_DAY = datetime.timedelta(days=1)
_EPOCH_ONSET = "19700101T000000"


@dataclass(frozen=True)
class Event:
    """One VEVENT. ``uid`` is the part before the ``@``; the writer adds the site's host."""

    uid: str
    start: datetime.datetime
    end: datetime.datetime
    summary: str
    location: str = ""
    url: str = ""
    status: str = "CONFIRMED"


def escape(text: str) -> str:
    """TEXT values (RFC 5545 3.3.11): backslash, semicolon, comma and newlines escaped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, never inside a
    UTF-8 character."""
    data = line.encode()
    if len(data) <= 75:
        return line
    parts, start = [], 0
    while start < len(data):
        size = 75 if not parts else 74
        end = min(start + size, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode())
        start = end
    return "\r\n ".join(parts)


def uid_host() -> str:
    return settings.SITE_URL.split("//")[-1].split("/")[0].split("@")[-1] or "peersupport"


def _utc(value: datetime.datetime) -> str:
    return value.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def _offset(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours:02d}{minutes:02d}" + (f"{secs:02d}" if secs else "")


def _is_utc(zone_name: str) -> bool:
    return zone_name in UTC_NAMES


def _property(name: str, value: datetime.datetime, zone: zoneinfo.ZoneInfo | None) -> str:
    if zone is None:
        return f"{name}:{_utc(value)}"
    local = value.astimezone(zone)
    if local.fold and local.replace(fold=0).utcoffset() != local.utcoffset():
        return f"{name}:{_utc(value)}"  # the repeated hour: a local time would name the first
    return f"{name};TZID={zone.key}:{local.strftime('%Y%m%dT%H%M%S')}"


def _transitions(zone, start: datetime.datetime, end: datetime.datetime):
    """(instant, offset before, offset after) for each change of ``zone``'s offset in
    [start, end]: a day-by-day walk finds the day, halving finds the second."""
    found = []
    here = start.astimezone(datetime.UTC)
    stop = end.astimezone(datetime.UTC)
    before = here.astimezone(zone).utcoffset()
    while here < stop:
        following = min(here + _DAY, stop)
        after = following.astimezone(zone).utcoffset()
        if after != before:
            low, high = here, following  # offset(low) == before, offset(high) != before
            while high - low > datetime.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == before:
                    low = middle
                else:
                    high = middle
            high = high.replace(microsecond=0)
            found.append((high, before, high.astimezone(zone).utcoffset()))
            before = high.astimezone(zone).utcoffset()
            here = high
            continue
        here = following
    return found


def _observance(zone, instant, offset_from, offset_to, *, onset: str | None = None) -> list[str]:
    local = instant.astimezone(zone)
    kind = "DAYLIGHT" if local.dst() else "STANDARD"
    return [
        f"BEGIN:{kind}",
        f"DTSTART:{onset or (instant + offset_from).strftime('%Y%m%dT%H%M%S')}",
        f"TZOFFSETFROM:{_offset(offset_from)}",
        f"TZOFFSETTO:{_offset(offset_to)}",
        f"TZNAME:{escape(local.tzname() or kind.title())}",
        f"END:{kind}",
    ]


def vtimezone(zone_name: str, start: datetime.datetime, end: datetime.datetime) -> list[str]:
    """The lines of a VTIMEZONE for ``zone_name`` that is right for every time from ``start``
    to ``end``; none for UTC."""
    if _is_utc(zone_name):
        return []
    zone = zoneinfo.ZoneInfo(zone_name)
    opening = start.astimezone(zone).utcoffset()
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone_name}"]
    lines += _observance(zone, start, opening, opening, onset=_EPOCH_ONSET)
    for instant, before, after in _transitions(zone, start, end):
        lines += _observance(zone, instant, before, after)
    lines.append("END:VTIMEZONE")
    return lines


def calendar(events: Iterable[Event], *, name: str, product: str = "Calendar") -> str:
    """The whole iCalendar text of ``events``, in the department's zone (TIME_ZONE)."""
    events = list(events)
    zone_name = settings.TIME_ZONE
    zone = None if _is_utc(zone_name) else zoneinfo.ZoneInfo(zone_name)
    now = timezone.now()
    host = uid_host()
    span_start = min((e.start for e in events), default=now) - _DAY
    span_end = max((e.end for e in events), default=now) + _DAY
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//Peer Support//{escape(product)}//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    if zone is not None:
        lines.append(f"X-WR-TIMEZONE:{zone_name}")
        lines += vtimezone(zone_name, span_start, span_end)
    stamp = _utc(now)
    for event in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{event.uid}@{host}",
            f"DTSTAMP:{stamp}",
            _property("DTSTART", event.start, zone),
            _property("DTEND", event.end, zone),
            f"SUMMARY:{escape(event.summary)}",
        ]
        if event.location:
            lines.append(f"LOCATION:{escape(event.location)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        lines += [f"STATUS:{event.status}", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold(line) for line in lines) + "\r\n"
