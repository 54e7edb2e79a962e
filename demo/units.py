"""The demo department's unit tree: bureaus, divisions, precincts and sections, and their units.

The tree itself is data (``data/units.json``, with the supervisors' titles in ``data/ladder.csv``
and who works in each kind of unit in ``data/staff.csv``); the code here sizes it to the
department: precincts and units grow with the number of employees, and a section appears only
in a department at least as big as its ``since``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings

from peersupport.accounts.models import Employee, Unit

from . import tables

if TYPE_CHECKING:
    from .people import Plan

DEFAULT_EMPLOYEES = 2_000

# --- What a department is made of -----------------------------------------------------------

SWORN, CIVILIAN, CORRECTIONS = (
    Employee.Type.SWORN,
    Employee.Type.CIVILIAN,
    Employee.Type.CORRECTIONS,
)
DAY, EVENING, NIGHT = Employee.Shift.DAY, Employee.Shift.EVENING, Employee.Shift.NIGHT
ROTATING, NO_SHIFT = Employee.Shift.ROTATING, Employee.Shift.NONE


def _ladder() -> dict[str, dict[str, str]]:
    """Titles of the supervisors at each level, by the kind of people the level is made of."""
    return {
        Employee.Type(row["track"]): {level: row[level] for level in LEVELS}
        for row in tables.load("ladder")
    }


def _staff() -> dict[str, tuple[tuple[int, str, str], ...]]:
    """Who works in a unit: (weight, type, title), by the kind of unit."""
    staff: dict[str, list[tuple[int, str, str]]] = {}
    for row in tables.load("staff"):
        staff.setdefault(row["staff"], []).append(
            (int(row["weight"]), Employee.Type(row["employee_type"]), row["title"])
        )
    return {kind: tuple(rows) for kind, rows in staff.items()}


LEVELS = ("division", "precinct", "section", "unit")
LADDER = _ladder()
STAFF = _staff()


@dataclass(frozen=True)
class SectionSpec:
    """A precinct or section and the units it is divided into.

    ``labels`` are the unit names with their shift; a bigger section repeats them with numbers
    ("Homicide Squad 1", "Homicide Squad 2"). ``since`` is the smallest department that has the
    section, so a 300-person department has no bomb squad.
    """

    name: str
    staff: str
    labels: tuple[tuple[str, str], ...]
    weight: float
    since: int = 0
    track: str | None = None  # sworn/civilian/corrections; default: the division's
    head: str = ""  # the section head's title; default from LADDER
    lead: str = ""  # the unit supervisors' title; default from LADDER
    fixed: bool = False  # exactly these units, whatever the size of the department
    prefix: bool = False  # unit names start with the section's name
    kind: str = "section"  # "precinct" or "section": which LADDER title its head gets
    min_units: int = 1


@dataclass(frozen=True)
class DivisionSpec:
    name: str
    track: str
    sections: tuple[SectionSpec, ...]
    head: str = ""


def _section(spec: dict) -> SectionSpec:
    """A section of data/units.json: units are names on the section's shift (default: day), or
    [name, shift] pairs where they differ."""
    shift = Employee.Shift(spec.get("shift", DAY))
    labels = tuple(
        (unit, shift) if isinstance(unit, str) else (unit[0], Employee.Shift(unit[1]))
        for unit in spec["units"]
    )
    track = spec.get("track")
    return SectionSpec(
        spec["name"],
        spec["staff"],
        labels,
        float(spec["weight"]),
        since=spec.get("since", 0),
        track=None if track is None else Employee.Type(track),
        head=spec.get("head", ""),
        lead=spec.get("lead", ""),
        fixed=spec.get("fixed", False),
        prefix=spec.get("prefix", False),
        kind=spec.get("kind", "section"),
        min_units=spec.get("min_units", 1),
    )


def _division(spec: dict) -> DivisionSpec:
    return DivisionSpec(
        spec["name"],
        Employee.Type(spec["track"]),
        tuple(_section(s) for s in spec["sections"]),
        head=spec.get("head", ""),
    )


_TREE = tables.load("units")
WATCHES = tuple((name, Employee.Shift(shift)) for name, shift in _TREE["patrol"]["watches"])
# The patrol precincts are generated to fit the department (see _patrol_divisions); their
# divisions take these names in turn.
PATROL_DIVISION_NAMES = tuple(_TREE["patrol"]["division_names"])
PATROL_WEIGHT = float(_TREE["patrol"]["weight"])  # percent of the department in precincts
BHS_DIVISION = "Behavioral Health Services Division"
SPECIAL_OPERATIONS = _division(_TREE["special_operations"])
OTHER_BUREAUS: dict[str, tuple[DivisionSpec, ...]] = {
    bureau["name"]: tuple(_division(d) for d in bureau["divisions"])
    for bureau in _TREE["other_bureaus"]
}
BUREAU_ORDER = ("Patrol Bureau", *OTHER_BUREAUS)
if not any(d.name == BHS_DIVISION for ds in OTHER_BUREAUS.values() for d in ds):
    raise RuntimeError(f"data/units.json has no {BHS_DIVISION}: the personas need it.")


@dataclass(slots=True)
class PlannedUnit:
    name: str
    kind: str
    parent: int | None  # index into Plan.units
    bureau: int  # index of its bureau (the department itself: -1)
    track: str
    lead_title: str  # the title of this unit's supervisor
    shift: str = NO_SHIFT
    staff: str = ""
    weight: float = 0.0
    supervisor: int = -1  # index into Plan.employees


def _target_unit_size(employees: int) -> float:
    # Bigger departments have bigger units: a few hundred units for 20,000 people rather
    # than two thousand squads, which would make the unit list unusable.
    return max(8.0, 20.0 * math.sqrt(employees / DEFAULT_EMPLOYEES))


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _patrol_divisions(employees: int, share: float) -> tuple[DivisionSpec, ...]:
    """Precincts sized to the department, grouped four to a division."""
    patrol = employees * share
    precinct_size = 110.0 * math.sqrt(employees / DEFAULT_EMPLOYEES)
    precincts = min(36, max(2, round(patrol / precinct_size)))
    per = PATROL_WEIGHT / precincts
    specs = [
        SectionSpec(
            f"{_ordinal(i + 1)} Precinct",
            "patrol",
            WATCHES,
            per,
            prefix=True,
            kind="precinct",
            min_units=3,
        )
        for i in range(precincts)
    ]
    return tuple(
        DivisionSpec(f"{name} Patrol Division", SWORN, tuple(specs[4 * g : 4 * g + 4]))
        for g, name in enumerate(PATROL_DIVISION_NAMES[: math.ceil(precincts / 4)])
    )


def _section_units(section: SectionSpec, headcount: float, target: float) -> list[tuple[str, str]]:
    if section.fixed:
        return list(section.labels)
    count = max(section.min_units, round(headcount / target))
    rounds = math.ceil(count / len(section.labels))
    units = []
    for i in range(count):
        label, shift = section.labels[i % len(section.labels)]
        name = label if rounds == 1 else f"{label} {i // len(section.labels) + 1}"
        units.append((f"{section.name} {name}" if section.prefix else name, shift))
    return units


def build_units(plan: Plan) -> None:
    n = plan.employees_wanted
    other = {
        bureau: tuple(
            DivisionSpec(d.name, d.track, tuple(s for s in d.sections if s.since <= n), head=d.head)
            for d in divisions
        )
        for bureau, divisions in OTHER_BUREAUS.items()
    }
    special = DivisionSpec(
        SPECIAL_OPERATIONS.name,
        SWORN,
        tuple(s for s in SPECIAL_OPERATIONS.sections if s.since <= n),
    )
    other_weight = sum(s.weight for ds in other.values() for d in ds for s in d.sections)
    total_weight = PATROL_WEIGHT + sum(s.weight for s in special.sections) + other_weight
    bureaus = {
        "Patrol Bureau": (*_patrol_divisions(n, PATROL_WEIGHT / total_weight), special),
        **other,
    }
    target = _target_unit_size(n)

    units = plan.units
    units.append(
        PlannedUnit(
            settings.DEPARTMENT_NAME[:120], Unit.Kind.DEPARTMENT, None, -1, SWORN, "Chief of Police"
        )
    )
    for bureau_name in BUREAU_ORDER:
        b = len(units)
        units.append(PlannedUnit(bureau_name, Unit.Kind.BUREAU, 0, b, SWORN, "Deputy Chief"))
        for division in bureaus[bureau_name]:
            if not division.sections:
                continue
            d = len(units)
            head = division.head or LADDER[division.track]["division"]
            units.append(PlannedUnit(division.name, Unit.Kind.DIVISION, b, b, division.track, head))
            for section in division.sections:
                track = section.track or division.track
                s = len(units)
                units.append(
                    PlannedUnit(
                        section.name,
                        Unit.Kind.PRECINCT,
                        d,
                        b,
                        track,
                        section.head or LADDER[track][section.kind],
                        shift=DAY,
                    )
                )
                headcount = n * section.weight / total_weight
                leaves = _section_units(section, headcount, target)
                lead = section.lead or LADDER[track]["unit"]
                for name, shift in leaves:
                    units.append(
                        PlannedUnit(
                            name,
                            Unit.Kind.UNIT,
                            s,
                            b,
                            track,
                            lead,
                            shift=shift,
                            staff=section.staff,
                            weight=section.weight / len(leaves),
                        )
                    )
