"""The kernel's iCalendar writer (peersupport/web/ics.py): local times with a VTIMEZONE that is
right across daylight-saving changes and year ends, UTC for a UTC department, folding,
escaping and stable UIDs.

The VTIMEZONE is checked by reading it back the way a calendar app does (``_resolve``): each
event's local time, read through the observances written, must give the event's instant.
"""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest

from peersupport.web import ics

UTC = datetime.UTC
NEW_YORK = ZoneInfo("America/New_York")


def _unfold(text: str) -> list[str]:
    assert text.endswith("\r\n")
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def _local(value: str) -> datetime.datetime:
    """A wall-clock value, carried as if it were UTC so that offsets can be subtracted."""
    return datetime.datetime.strptime(value + "+0000", "%Y%m%dT%H%M%S%z")


def _offset(value: str) -> datetime.timedelta:
    sign = -1 if value[0] == "-" else 1
    hours, minutes, seconds = int(value[1:3]), int(value[3:5]), int(value[5:7] or 0)
    return sign * datetime.timedelta(hours=hours, minutes=minutes, seconds=seconds)


def _observances(lines: list[str]) -> list[dict]:
    """The VTIMEZONE's observances, each with its onset as a UTC instant."""
    found, current = [], None
    for line in lines:
        if line in ("BEGIN:STANDARD", "BEGIN:DAYLIGHT"):
            current = {"kind": line.split(":")[1]}
        elif current is not None and line.startswith("END:"):
            current["onset"] = current["start"] - current["from"]
            found.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            if name == "DTSTART":
                current["start"] = _local(value)
            elif name == "TZOFFSETFROM":
                current["from"] = _offset(value)
            elif name == "TZOFFSETTO":
                current["to"] = _offset(value)
            elif name == "TZNAME":
                current["name"] = value
    return sorted(found, key=lambda o: o["onset"])


def _resolve(prop: str, observances: list[dict]) -> datetime.datetime:
    """A DTSTART/DTEND line as an aware UTC instant, read as RFC 5545 says: a local time names
    the first instant at which the zone's clock showed it."""
    name, value = prop.split(":", 1)
    if value.endswith("Z"):
        return _local(value[:-1])
    local = _local(value)
    candidates = []
    for i, o in enumerate(observances):
        instant = local - o["to"]
        following = observances[i + 1]["onset"] if i + 1 < len(observances) else None
        if o["onset"] <= instant and (following is None or instant < following):
            candidates.append(instant)
    assert candidates, f"{prop} is no time of the zone written"
    return min(candidates)


def _events(lines: list[str]) -> list[dict]:
    found, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            found.append(current)
            current = None
        elif current is not None:
            name = line.split(":", 1)[0].split(";", 1)[0]
            current[name] = line
    return found


def _event(uid, start, hours=1, **kwargs):
    return ics.Event(
        uid=uid, start=start, end=start + datetime.timedelta(hours=hours), summary="Shift", **kwargs
    )


def _instants_round_trip(text: str, events: list[ics.Event]) -> list[dict]:
    lines = _unfold(text)
    observances = _observances(lines)
    written = _events(lines)
    assert len(written) == len(events)
    for event, seen in zip(events, written, strict=True):
        assert _resolve(seen["DTSTART"], observances) == event.start.astimezone(UTC)
        assert _resolve(seen["DTEND"], observances) == event.end.astimezone(UTC)
    return observances


# A start every few hours across a year end, both changes of clocks and the quarter ends.
def _spread(zone: ZoneInfo) -> list[ics.Event]:
    starts = [
        datetime.datetime(2026, 3, 8, 1, 30, tzinfo=zone),  # before the spring change
        datetime.datetime(2026, 3, 8, 3, 30, tzinfo=zone),  # after it
        datetime.datetime(2026, 3, 31, 23, 0, tzinfo=zone),  # quarter end, into 1 April
        datetime.datetime(2026, 6, 30, 22, 0, tzinfo=zone),
        datetime.datetime(2026, 9, 30, 23, 30, tzinfo=zone),
        datetime.datetime(2026, 11, 1, 0, 30, tzinfo=zone),  # over the autumn change
        datetime.datetime(2026, 11, 1, 1, 30, tzinfo=zone),  # first 01:30 (fold 0)
        datetime.datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=zone),  # the repeated 01:30
        datetime.datetime(2026, 12, 31, 22, 0, tzinfo=zone),  # over the year end
        datetime.datetime(2027, 1, 1, 0, 0, tzinfo=zone),
        datetime.datetime(2027, 3, 14, 9, 0, tzinfo=zone),  # next year's spring change
        datetime.datetime(2027, 7, 4, 12, 0, tzinfo=zone),
    ]
    return [_event(f"e-{i}", s, hours=3) for i, s in enumerate(starts)]


def test_new_york_local_times_with_a_vtimezone_right_across_changes_and_years(settings):
    settings.TIME_ZONE = "America/New_York"
    events = _spread(NEW_YORK)
    text = ics.calendar(events, name="Shifts")
    lines = _unfold(text)
    observances = _instants_round_trip(text, events)
    assert "TZID:America/New_York" in lines and "X-WR-TIMEZONE:America/New_York" in lines
    # The opening observance, then each change inside the span at its exact local onset.
    changes = [(o["kind"], o["start"], o["name"]) for o in observances[1:]]
    assert changes == [
        ("DAYLIGHT", datetime.datetime(2026, 3, 8, 2, 0, tzinfo=UTC), "EDT"),
        ("STANDARD", datetime.datetime(2026, 11, 1, 2, 0, tzinfo=UTC), "EST"),
        ("DAYLIGHT", datetime.datetime(2027, 3, 14, 2, 0, tzinfo=UTC), "EDT"),
    ]
    hours = datetime.timedelta(hours=1)
    assert [(o["from"] / hours, o["to"] / hours) for o in observances] == [
        (-5, -5),
        (-5, -4),
        (-4, -5),
        (-5, -4),
    ]
    assert lines.count("BEGIN:VTIMEZONE") == 1
    written = _events(lines)
    assert written[0]["DTSTART"] == "DTSTART;TZID=America/New_York:20260308T013000"
    assert written[1]["DTSTART"] == "DTSTART;TZID=America/New_York:20260308T033000"
    assert written[8]["DTEND"] == "DTEND;TZID=America/New_York:20270101T010000"
    # The repeated hour cannot be named by a local time: it is written in UTC.
    assert written[6]["DTSTART"] == "DTSTART;TZID=America/New_York:20261101T013000"
    assert written[7]["DTSTART"] == "DTSTART:20261101T063000Z"


@pytest.mark.parametrize("zone_name", ["America/Phoenix", "Asia/Kolkata", "Australia/Sydney"])
def test_other_zones_read_back_to_the_same_instants(settings, zone_name):
    """No daylight saving (Phoenix, Kolkata's half hour) and a southern one, whose summer
    spans the year end."""
    settings.TIME_ZONE = zone_name
    events = _spread(ZoneInfo(zone_name))
    observances = _instants_round_trip(ics.calendar(events, name="Shifts"), events)
    if zone_name != "Australia/Sydney":
        assert len(observances) == 1 and observances[0]["kind"] == "STANDARD"
        assert observances[0]["from"] == observances[0]["to"]
    else:
        assert {o["kind"] for o in observances} == {"STANDARD", "DAYLIGHT"}


def test_a_utc_department_gets_utc_times_and_no_vtimezone(settings):
    settings.TIME_ZONE = "UTC"
    start = datetime.datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    lines = _unfold(ics.calendar([_event("e-1", start)], name="Shifts"))
    assert not any(line.startswith(("BEGIN:VTIMEZONE", "X-WR-TIMEZONE")) for line in lines)
    event = _events(lines)[0]
    assert event["DTSTART"] == "DTSTART:20261231T233000Z"
    assert event["DTEND"] == "DTEND:20270101T003000Z"


def test_an_empty_calendar_is_still_valid(settings):
    settings.TIME_ZONE = "America/Chicago"
    lines = _unfold(ics.calendar([], name="Nothing yet"))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    assert "BEGIN:VTIMEZONE" in lines and "BEGIN:VEVENT" not in lines


def test_uids_are_stable_and_under_the_site_host(settings):
    settings.SITE_URL = "https://peersupport.pd.example.org/"
    start = datetime.datetime(2026, 5, 1, 9, tzinfo=UTC)
    first = _events(_unfold(ics.calendar([_event("oncall-7", start)], name="A")))
    again = _events(_unfold(ics.calendar([_event("oncall-7", start)], name="A")))
    assert first[0]["UID"] == again[0]["UID"] == "UID:oncall-7@peersupport.pd.example.org"


def test_text_is_escaped_and_long_lines_folded_within_75_octets(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    start = datetime.datetime(2026, 5, 1, 9, tzinfo=UTC)
    summary = "Grüße; a, b\\c\nnext line " + "é" * 60
    text = ics.calendar(
        [ics.Event(uid="x-1", start=start, end=start, summary=summary, location="Room 1, B")],
        name="Naïve; name",
    )
    for physical in text.split("\r\n"):
        assert len(physical.encode()) <= 75
    lines = _unfold(text)
    event = _events(lines)[0]
    assert event["SUMMARY"] == "SUMMARY:Grüße\\; a\\, b\\\\c\\nnext line " + "é" * 60
    assert event["LOCATION"] == "LOCATION:Room 1\\, B"
    assert "X-WR-CALNAME:Naïve\\; name" in lines
    assert not re.search(r"[^\r]\n", text)
