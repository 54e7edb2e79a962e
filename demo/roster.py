"""Demo supporter profiles: every peer supporter of the demo department gets a directory entry.

Deterministic from ``random.Random(seed)`` (on-call shifts are placed relative to the current
hour), idempotent (only supporters without a profile get one) and written with a fixed number
of bulk inserts, however many supporters there are.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from peersupport.accounts.models import Employee, Role, RoleGrant
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.roster.models import ExperienceArea, OnCallShift, SupporterArea, SupporterProfile
from peersupport.tenancy import current_agency_id

from . import tables
from .personas import demo_refuse_in_production

Availability = SupporterProfile.Availability
Gender = SupporterProfile.Gender
A = ExperienceArea


_TEXTS = tables.load("supporter_profiles")
# First names of the demo department (data/names.json) that are given to women or to men
# there; a supporter with another name never shows a gender.
WOMEN = frozenset(_TEXTS["women"])
MEN = frozenset(_TEXTS["men"])
# One sentence for each area, in the supporter's own words.
LINES = {A(area): line for area, line in _TEXTS["lines"].items()}
OPENERS = tuple(_TEXTS["openers"])
CLOSERS = tuple(_TEXTS["closers"])
SHIFT_HOURS = tuple(tuple(hours) for hours in _TEXTS["shift_hours"])  # (start hour, length)


def _bio(rng: random.Random, areas: list[str]) -> str:
    parts = [rng.choice(OPENERS).format(years=rng.randint(3, 28))]
    parts += [LINES[area] for area in areas[:2]]
    parts.append(rng.choice(CLOSERS))
    return " ".join(p for p in parts if p)


def load_demo(*, seed: int = 2026) -> str:
    """Give every current peer supporter without a profile an ACTIVE one with areas, a bio,
    a mixed availability (about a third available) and some on-call shifts over the next two
    weeks. Returns a one-line summary."""
    demo_refuse_in_production()
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not a secret)
    now = timezone.now()
    hour = timezone.localtime(now).replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        supporter_ids = RoleGrant.objects.current(now).filter(role=Role.PEER_SUPPORTER)
        employees = list(
            Employee.objects.filter(
                user_id__in=supporter_ids.values("user_id"),
                user__supporter_profile__isnull=True,
            )
            .order_by("user_id")
            .only("user_id", "first_name", "preferred_name")
        )
        if not employees:
            return "Supporter profiles: every peer supporter already has one."
        profiles = []
        plans = []
        agency_id = current_agency_id()
        for employee in employees:
            areas = sorted(rng.sample(list(A.values), rng.randint(2, 4)))
            first = employee.first_name
            gender = Gender.WOMAN if first in WOMEN else Gender.MAN if first in MEN else ""
            show = rng.random() < 0.4 and bool(gender)  # one draw each, whatever the name
            roll = rng.random()
            availability = (
                Availability.AVAILABLE
                if roll < 0.34
                else Availability.BUSY
                if roll < 0.7
                else Availability.OFF
            )
            profiles.append(
                SupporterProfile(
                    agency_id=agency_id,  # bulk_create skips save(), which would fill it
                    user_id=employee.user_id,
                    status=SupporterProfile.Status.ACTIVE,
                    status_changed_at=now,
                    status_reason="demo department",
                    bio=_bio(rng, rng.sample(areas, len(areas))),
                    gender=gender if show else "",
                    show_gender=show,
                    availability=availability,
                    availability_updated_at=now - timedelta(minutes=rng.randint(5, 600)),
                    created_at=now,
                )
            )
            plans.append((areas, _shifts(rng, hour)))
        SupporterProfile.objects.bulk_create(profiles, batch_size=500)
        SupporterArea.objects.bulk_create(
            [
                SupporterArea(profile_id=profile.pk, area=area)
                for profile, (areas, _) in zip(profiles, plans, strict=True)
                for area in areas
            ],
            batch_size=1_000,
        )
        shifts = OnCallShift.objects.bulk_create(
            [
                OnCallShift(profile_id=profile.pk, start=start, end=end, created_at=now)
                for profile, (_, planned) in zip(profiles, plans, strict=True)
                for start, end in planned
            ],
            batch_size=1_000,
        )
        available = sum(1 for p in profiles if p.availability == Availability.AVAILABLE)
        record(
            actor=None,
            action=AuditAction.DEMO_LOADED,
            details={"roster_profiles": len(profiles), "on_call_shifts": len(shifts)},
        )
    return (
        f"Supporter profiles: {len(profiles)} created ({available} available now by their own "
        f"say), with {len(shifts)} on-call shifts over the next two weeks."
    )


def _shifts(rng: random.Random, hour):
    """None to three on-call shifts on different days of the next two weeks; now and then one
    that has just begun, so the directory shows someone on call at once."""
    if rng.random() < 0.35:
        return []
    planned = []
    if rng.random() < 0.2:
        planned.append((hour, hour + timedelta(hours=8)))
        first_day = 1
    else:
        first_day = 0
    for day in sorted(rng.sample(range(first_day + 1, 14), rng.randint(1, 3))):
        start_hour, length = rng.choice(SHIFT_HOURS)
        start = (hour + timedelta(days=day)).replace(hour=start_hour)
        planned.append((start, start + timedelta(hours=length)))
    return planned
