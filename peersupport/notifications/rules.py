"""Pure rules of alerting: no reads, no writes."""

import re
from datetime import UTC, datetime, time, timedelta, tzinfo


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Is the wall-clock time ``local`` within [start, end)? ``start`` after ``end`` crosses
    midnight (22:00 to 07:00 holds 23:30 and 06:59, not 07:00)."""
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(now: datetime, start: time, end: time, tz: tzinfo) -> datetime | None:
    """When quiet hours from ``start`` to ``end`` (wall-clock times in ``tz``) that hold the
    moment ``now`` end; None when ``now`` is not in them.

    The end is the next wall-clock ``end`` after ``now``. On the night the clocks go forward an
    end that does not exist that day (02:30) is taken as the moment it would have been (03:30,
    as zoneinfo reads it); on the night they go back, an end that comes twice is its first
    occurrence after ``now``.
    """
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return None
    day = local.date()
    if local.time().replace(tzinfo=None) >= end:
        day += timedelta(days=1)  # the quiet hours cross midnight and end tomorrow
    for fold in (0, 1):
        # In UTC: Python compares two datetimes of one tzinfo by wall clock, ignoring fold.
        candidate = datetime.combine(day, end, tzinfo=tz).replace(fold=fold).astimezone(UTC)
        if candidate > now.astimezone(UTC):
            return candidate
    return None  # the hour came back and the end has passed on this pass too: send now


def clean_phone(text: str) -> str:
    """A phone number as given for text alerts: digits with an optional leading +, spaces,
    dashes, dots and brackets allowed in between; 7 to 15 digits (E.164's longest). Returns
    it as typed (spaces collapsed), or ValueError saying what is wrong."""
    if not re.fullmatch(r"\+?[0-9 ().-]+", text):
        raise ValueError("Give a phone number with digits only (and +, spaces or dashes).")
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        raise ValueError("A phone number has 7 to 15 digits.")
    return text
