"""The committee's pure rules: terms, the windows of an election and who a count elects. No
database here; the services read and write, and call these."""

import calendar
import datetime
import hashlib
import random
from collections import Counter
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import Election


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the last day of a shorter month)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def start_of_day(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def required_text(value: str, field: str, message: str) -> str:
    """``value`` with its white space collapsed; refused with ``message`` when empty."""
    value = " ".join((value or "").split())
    if not value:
        raise ValidationError({field: message})
    return value


def check_windows(
    *, now, nominations_open_at, nominations_close_at, voting_open_at, voting_close_at
) -> None:
    """Nominations, then voting, in order, and nominations still to close."""
    errors = {}
    if None in (nominations_open_at, nominations_close_at, voting_open_at, voting_close_at):
        raise ValidationError("Give the four dates and times of the two windows.")
    if nominations_close_at <= nominations_open_at:
        errors["nominations_close_at"] = "Nominations must close after they open."
    if nominations_close_at <= now:
        errors["nominations_close_at"] = "Nominations must close in the future."
    if voting_open_at < nominations_close_at:
        errors["voting_open_at"] = "Voting opens when nominations have closed, or later."
    if voting_close_at <= voting_open_at:
        errors["voting_close_at"] = "Voting must close after it opens."
    if errors:
        raise ValidationError(errors)


def draw_order(seed: str, candidate_ids: Sequence[int]) -> list[int]:
    """The drawing of lots: the tied candidates ordered by SHA-256 of "seed:id". Anyone with
    the published seed and the ids repeats it (docs/operations.md, "Committee elections")."""
    return sorted(candidate_ids, key=lambda pk: hashlib.sha256(f"{seed}:{pk}".encode()).digest())


def decide(
    *,
    tie_rule: str,
    standing: Sequence,
    counts: Counter,
    places: int,
    rng: random.Random,
    seed: str = "",
):
    """Who is elected: the most votes first (nobody without a vote), ties at the last place by
    ``tie_rule``: a drawing of lots (``draw_order`` with the published ``seed``; ``rng`` only
    for an election opened before seeds were committed), or the tied seats left vacant.
    Returns (elected candidates in order, the drawing of lots or {})."""
    ranked = sorted(standing, key=lambda c: (-counts[c.pk], c.pk))
    ranked = [c for c in ranked if counts[c.pk] > 0]
    if len(ranked) <= places:
        return ranked, {}
    boundary = counts[ranked[places - 1].pk]
    sure = [c for c in ranked if counts[c.pk] > boundary]
    tied = [c for c in ranked if counts[c.pk] == boundary]
    left = places - len(sure)
    if len(tied) <= left:
        return sure + tied, {}
    if tie_rule == Election.TieRule.VACANT:
        return sure, {"votes": boundary, "tied": [c.pk for c in tied], "places": left}
    if seed:
        by_id = {c.pk: c for c in tied}
        drawn = [by_id[pk] for pk in draw_order(seed, list(by_id))]
    else:
        drawn = list(tied)
        rng.shuffle(drawn)
    draw = {
        "votes": boundary,
        "tied": [c.pk for c in tied],
        "drawn": [c.pk for c in drawn],
        "places": left,
    }
    if seed:
        draw["seed"] = seed
    return sure + drawn[:left], draw
