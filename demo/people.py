"""The demo department's people: employees, their languages and families, the personas among
them, the peer supporters and the accounts; ``demo_department_plan()`` decides all of it.

``demo_department_plan()`` decides everything (units, people, languages, families, accounts and
roles) from ``random.Random(seed)`` alone, without touching the database, so the same seed always
gives the same department. Names and languages are data (``data/names.json``,
``data/languages.csv``).
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from peersupport.accounts.models import (
    CONFIDENTIAL_ROLES,
    MFA_EXEMPT_ROLES,
    Employee,
    FamilyMember,
    Role,
    Unit,
)

from . import tables
from .personas import EMAIL_DOMAIN, PERSONAS
from .units import (
    BHS_DIVISION,
    CIVILIAN,
    DAY,
    DEFAULT_EMPLOYEES,
    EVENING,
    NIGHT,
    NO_SHIFT,
    ROTATING,
    STAFF,
    SWORN,
    PlannedUnit,
    build_units,
)

DEFAULT_SEED = 1_948  # any fixed number: the default demo is the same everywhere
MIN_EMPLOYEES = 100
MAX_EMPLOYEES = 200_000
EMPLOYEE_NUMBER_PREFIX = "DEMO-"
# Share of the employees who are neither personas nor supporters but have signed up anyway.
ACCOUNT_SHARE = 0.05

# (code, name) of every language the demo uses; English is spoken by everyone.
LANGUAGES = tuple((row["code"], row["name"]) for row in tables.load("languages"))


@dataclass(frozen=True)
class NameGroup:
    weight: int
    first: tuple[str, ...]
    last: tuple[str, ...]
    languages: tuple[tuple[str, float], ...]  # (code, chance of speaking it)


NAME_GROUPS = tuple(
    NameGroup(
        group["weight"],
        tuple(group["first"]),
        tuple(group["last"]),
        tuple(group["languages"].items()),
    )
    for group in tables.load("names")["groups"]
)
NICKNAMES: dict[str, str] = tables.load("names")["nicknames"]


@dataclass(slots=True)
class PlannedEmployee:
    number: str
    first_name: str
    last_name: str
    preferred_name: str
    work_email: str
    employee_type: str
    rank_title: str
    unit: int
    shift: str
    status: str
    languages: tuple[str, ...]
    group: int  # NAME_GROUPS index, so relatives get names of the same origin


@dataclass(slots=True)
class PlannedAccount:
    email: str
    display_name: str
    employee: int | None  # index into Plan.employees; None for the system administrator
    roles: tuple[Role, ...] = ()  # granted roles


@dataclass
class Plan:
    employees_wanted: int
    seed: int
    units: list[PlannedUnit] = field(default_factory=list)
    employees: list[PlannedEmployee] = field(default_factory=list)
    family: list[tuple[int, str, str]] = field(default_factory=list)  # (employee, rel., name)
    accounts: list[PlannedAccount] = field(default_factory=list)

    def needs_mfa(self, account: PlannedAccount, supervisors: frozenset[int]) -> bool:
        """Everyone beyond plain employee: a granted role, or supervising a unit."""
        if set(account.roles) - MFA_EXEMPT_ROLES:
            return True
        return account.employee in supervisors

    def supervisors(self) -> frozenset[int]:
        return frozenset(u.supervisor for u in self.units)


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """At least one each, the rest in proportion to the weights (largest remainder)."""
    counts = [1] * len(weights)
    rest = total - len(weights)
    whole = sum(weights)
    shares = [rest * w / whole for w in weights]
    for i, share in enumerate(shares):
        counts[i] += int(share)
    left = total - sum(counts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] % 1), i))
    for i in by_remainder[:left]:
        counts[i] += 1
    return counts


class _People:
    """Draws names, languages and statuses from the plan's random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.group_weights = [g.weight for g in NAME_GROUPS]

    def person(self) -> tuple[int, str, str, str, tuple[str, ...]]:
        rng = self.rng
        g = rng.choices(range(len(NAME_GROUPS)), weights=self.group_weights)[0]
        group = NAME_GROUPS[g]
        first, last = rng.choice(group.first), rng.choice(group.last)
        nickname = NICKNAMES.get(first, "")
        preferred = nickname if nickname and rng.random() < 0.4 else ""
        languages = ["en"] + [code for code, chance in group.languages if rng.random() < chance]
        return g, first, last, preferred, tuple(languages)

    def status(self) -> str:
        r = self.rng.random()
        if r < 0.93:
            return Employee.Status.ACTIVE
        if r < 0.985:
            return Employee.Status.ON_LEAVE
        if r < 0.995:
            return Employee.Status.RETIRED
        return Employee.Status.SEPARATED


def _email_local(first: str, last: str, number: int) -> str:
    clean = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
    return f"{clean}.{number}"


def _add_employee(
    plan: Plan,
    people: _People,
    *,
    unit: int,
    employee_type: str,
    title: str,
    shift: str,
    status: str | None = None,
) -> int:
    g, first, last, preferred, languages = people.person()
    i = len(plan.employees)
    plan.employees.append(
        PlannedEmployee(
            number=f"{EMPLOYEE_NUMBER_PREFIX}{i + 1:06d}",
            first_name=first,
            last_name=last,
            preferred_name=preferred,
            work_email=f"{_email_local(first, last, i + 1)}@{EMAIL_DOMAIN}",
            employee_type=employee_type,
            rank_title=title,
            unit=unit,
            shift=shift,
            status=status or people.status(),
            languages=languages,
            group=g,
        )
    )
    return i


def _build_people(plan: Plan, people: _People) -> None:
    rng = people.rng
    units = plan.units
    # One supervisor per unit, who works in it, always active (an inactive supervisor would
    # leave a gap in everybody's chain of command).
    for u, unit in enumerate(units):
        shift = (
            unit.shift
            if unit.kind == Unit.Kind.UNIT
            else (DAY if unit.kind == Unit.Kind.PRECINCT else NO_SHIFT)
        )
        unit.supervisor = _add_employee(
            plan,
            people,
            unit=u,
            employee_type=unit.track,
            title=unit.lead_title,
            shift=shift,
            status=Employee.Status.ACTIVE,
        )
    leaves = [u for u, unit in enumerate(units) if unit.kind == Unit.Kind.UNIT]
    members = plan.employees_wanted - len(units)
    if members < len(leaves) + len(PERSONAS):
        raise ValueError(
            f"{plan.employees_wanted} employees are too few for the unit tree; "
            f"use at least {len(units) + len(leaves) + len(PERSONAS)}."
        )
    counts = _allocate(members, [units[u].weight for u in leaves])
    other_shifts = (DAY, EVENING, NIGHT, ROTATING)
    for u, count in zip(leaves, counts, strict=True):
        unit = units[u]
        staff = STAFF[unit.staff]
        weights = [w for w, _, _ in staff]
        for _ in range(count):
            _, employee_type, title = rng.choices(staff, weights=weights)[0]
            shift = unit.shift if rng.random() < 0.9 else rng.choice(other_shifts)
            _add_employee(
                plan, people, unit=u, employee_type=employee_type, title=title, shift=shift
            )


def _build_family(plan: Plan, people: _People) -> None:
    rng = people.rng
    for i, employee in enumerate(plan.employees):
        if rng.random() >= 0.2:
            continue
        group = NAME_GROUPS[employee.group]
        relatives = []
        if rng.random() < 0.7:
            relatives.append((FamilyMember.Relationship.SPOUSE, 0.65))
        relatives += [(FamilyMember.Relationship.CHILD, 0.95)] * rng.choice((0, 0, 1, 1, 2))
        if rng.random() < 0.1:
            relatives.append((FamilyMember.Relationship.PARENT, 0.6))
        if not relatives:
            relatives.append((FamilyMember.Relationship.SIBLING, 0.8))
        for relationship, same_name in relatives:
            last = employee.last_name if rng.random() < same_name else rng.choice(group.last)
            plan.family.append((i, relationship, f"{rng.choice(group.first)} {last}"))


def _first_member(plan: Plan, unit: int) -> int:
    supervisor = plan.units[unit].supervisor
    return next(i for i, e in enumerate(plan.employees) if e.unit == unit and i != supervisor)


def _unit_index(plan: Plan, name: str, *, kind: str | None = None) -> int:
    return next(
        u for u, unit in enumerate(plan.units) if unit.name == name and kind in (None, unit.kind)
    )


def _first_leaf(plan: Plan, section: str) -> int:
    s = _unit_index(plan, section, kind=Unit.Kind.PRECINCT)
    return next(u for u, unit in enumerate(plan.units) if unit.parent == s)


def _place_personas(plan: Plan) -> dict[str, int | None]:
    """Which generated employee each persona is: the Chief heads the department, the supervisor
    persona leads the first patrol squad and the employee persona works in it, so the employee's
    chain of command runs through the supervisor persona up to the Chief."""
    units = plan.units
    precincts = [
        u
        for u, unit in enumerate(units)
        if unit.kind == Unit.Kind.PRECINCT and unit.name.endswith("Precinct")
    ]
    squads = [u for u, unit in enumerate(units) if unit.parent in precincts]
    first_squad = squads[0]
    # Another precinct's evening watch: someone the employee persona may pick from outside
    # their own chain of command.
    second_precinct_squads = [u for u in squads if units[u].parent == precincts[1]]
    supporter_squad = next(
        (u for u in second_precinct_squads if units[u].shift == EVENING), second_precinct_squads[0]
    )
    bhs = _unit_index(plan, BHS_DIVISION)
    places = {
        "chief": (units[0].supervisor, "Chief of Police", SWORN),
        "bhs_manager": (units[bhs].supervisor, "Behavioral Health Services Manager", CIVILIAN),
        "advocacy_supervisor": (
            units[_unit_index(plan, "Professional Advocacy Unit")].supervisor,
            "Advocacy Supervisor",
            CIVILIAN,
        ),
        "supervisor": (units[first_squad].supervisor, "Sergeant", SWORN),
        "employee": (_first_member(plan, first_squad), "Police Officer", SWORN),
        "supporter": (_first_member(plan, supporter_squad), "Senior Police Officer", SWORN),
        "coordinator": (
            _first_member(plan, _unit_index(plan, "Peer Support Program")),
            "Peer Support Program Coordinator",
            CIVILIAN,
        ),
        "panelist": (
            _first_member(plan, _first_leaf(plan, "Homicide Section")),
            "Detective",
            SWORN,
        ),
        "committee_member": (
            _first_member(plan, _first_leaf(plan, "Records Section")),
            "Senior Records Specialist",
            CIVILIAN,
        ),
    }
    placed: dict[str, int | None] = {"sysadmin": None}
    for key, (i, title, employee_type) in places.items():
        employee = plan.employees[i]
        employee.rank_title, employee.employee_type = title, employee_type
        employee.status = Employee.Status.ACTIVE
        if key in ("employee", "supervisor", "supporter"):
            employee.shift = plan.units[employee.unit].shift
        if key == "supporter" and "es" not in employee.languages:
            employee.languages = (*employee.languages, "es")
        placed[key] = i
    return placed


def _pick_supporters(plan: Plan, rng: random.Random, *, count: int, exclude: set[int]) -> list[int]:
    """Peer supporters from every bureau, in proportion to its size, chosen to cover as many
    shifts, languages and kinds of employee as possible (a requester may want any of them)."""
    units = plan.units
    top = {
        u
        for u, unit in enumerate(units)
        if unit.kind in (Unit.Kind.DEPARTMENT, Unit.Kind.BUREAU, Unit.Kind.DIVISION)
    }
    bhs = _unit_index(plan, BHS_DIVISION)
    excluded_units = {bhs} | {u for u, unit in enumerate(units) if unit.parent == bhs}
    excluded_units |= {u for u, unit in enumerate(units) if unit.parent in excluded_units}
    excluded = exclude | {units[u].supervisor for u in top}
    bureaus = [u for u, unit in enumerate(units) if unit.kind == Unit.Kind.BUREAU]
    pools: dict[int, list[int]] = {b: [] for b in bureaus}
    for i, e in enumerate(plan.employees):
        if (
            i not in excluded
            and e.status == Employee.Status.ACTIVE
            and e.unit not in excluded_units
        ):
            pools[units[e.unit].bureau].append(i)
    quotas = _allocate(count, [len(pools[b]) or 1 for b in bureaus])
    # A sample keeps the greedy choice cheap in a 200,000-person department.
    candidates = {b: rng.sample(pools[b], min(len(pools[b]), 400)) for b in bureaus}
    chosen: list[int] = []
    languages: set[str] = set()
    shifts: set[str] = set()
    types: set[str] = set()

    def score(i: int) -> int:
        e = plan.employees[i]
        return (
            3 * len(set(e.languages) - languages)
            + 2 * (e.shift not in shifts)
            + 2 * (e.employee_type not in types)
        )

    # Bureaus take turns, so the languages and shifts are spread over all of them.
    for turn in range(max(quotas)):
        for b, quota in zip(bureaus, quotas, strict=True):
            if turn >= quota or not candidates[b]:
                continue
            best = max(candidates[b], key=score)  # max() keeps the first of equals: seeded
            candidates[b].remove(best)
            chosen.append(best)
            e = plan.employees[best]
            languages.update(e.languages)
            shifts.add(e.shift)
            types.add(e.employee_type)
    return chosen


def default_supporters(employees: int) -> int:
    """40 supporters, as in a department of a few thousand; fewer in a tiny demo department."""
    return min(40, max(4, employees // 20))


def demo_department_plan(
    *, employees: int = DEFAULT_EMPLOYEES, seed: int = DEFAULT_SEED, supporters: int | None = None
) -> Plan:
    """Decide the whole department from the seed. Touches no database."""
    if not MIN_EMPLOYEES <= employees <= MAX_EMPLOYEES:
        raise ValueError(
            f"The demo department has between {MIN_EMPLOYEES:,} and {MAX_EMPLOYEES:,} employees."
        )
    supporters = default_supporters(employees) if supporters is None else supporters
    rng = random.Random(seed)  # noqa: S311  (repeatable demo data, not a secret)
    people = _People(rng)
    plan = Plan(employees_wanted=employees, seed=seed)
    build_units(plan)
    _build_people(plan, people)
    placed = _place_personas(plan)

    persona_employees = {i for i in placed.values() if i is not None}
    supporter_persona = placed["supporter"]
    chosen = [supporter_persona] + _pick_supporters(
        plan,
        rng,
        count=supporters - 1,
        exclude=persona_employees,
    )

    for persona in PERSONAS:
        i = placed[persona.key]
        name = "System Administrator" if i is None else _full_name(plan.employees[i])
        plan.accounts.append(
            PlannedAccount(
                email=persona.email,
                display_name=name,
                employee=i,
                roles=(persona.granted,) if persona.granted else (),
            )
        )
        if i is not None:
            plan.employees[i].work_email = persona.email
    for i in chosen[1:]:
        plan.accounts.append(_account(plan, i, roles=(Role.PEER_SUPPORTER,)))
    # A few ordinary employees have signed up too, so the directory and the chain of command
    # show a mix of people with and without accounts.
    taken = persona_employees | set(chosen)
    for i, e in enumerate(plan.employees):
        if (
            i not in taken
            and e.status in (Employee.Status.ACTIVE, Employee.Status.ON_LEAVE)
            and rng.random() < ACCOUNT_SHARE
        ):
            plan.accounts.append(_account(plan, i))
    _build_family(plan, people)
    _check(plan)
    return plan


def _full_name(e: PlannedEmployee) -> str:
    return f"{e.preferred_name or e.first_name} {e.last_name}"


def _account(plan: Plan, i: int, *, roles: tuple[Role, ...] = ()) -> PlannedAccount:
    e = plan.employees[i]
    return PlannedAccount(email=e.work_email, display_name=_full_name(e), employee=i, roles=roles)


def _check(plan: Plan) -> None:
    """The rules the services enforce, checked here because bulk inserts bypass the services."""
    if len(plan.employees) != plan.employees_wanted:
        raise RuntimeError("The demo plan has the wrong number of employees.")
    for account in plan.accounts:
        # Separation of duties: the administrator may read nothing confidential.
        if Role.SYSADMIN in account.roles and set(account.roles) & CONFIDENTIAL_ROLES:
            raise RuntimeError("A demo system administrator holds a confidential role.")
    if len({a.email for a in plan.accounts}) != len(plan.accounts):
        raise RuntimeError("Two demo accounts share an e-mail address.")
