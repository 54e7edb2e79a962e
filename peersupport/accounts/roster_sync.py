"""The HR roster: the department's own list of who works where, brought in as a plan, then applied.

One code path for every way the roster arrives: ``manage.py import_roster``, the system
administrator's upload page, and later a SCIM endpoint. Each turns what it received into
``RosterRow`` values (``parse_roster`` does it for a CSV file), asks ``roster_plan`` what would
change, shows that, and calls ``roster_apply`` with the same rows.

``roster_plan`` checks every row before anything is written (a dry run writes nothing) and reads
the database a fixed number of times whatever the number of rows: all units, all employees.
``roster_apply`` plans again inside its transaction and writes only when there are no errors, so
nothing is ever half-imported. The layout of the file and what each change does are in
docs/hr-import.md.
"""

import csv
import dataclasses
import hashlib
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.tenancy import current_agency_id

from .models import EMPLOYEE_NUMBER, Employee, Unit, User, work_email_problem
from .services import employee_separation_effects, unit_create, unit_update

# The columns every file names in its header (in any order; extra columns are ignored).
COLUMNS = (
    "employee_number",
    "first_name",
    "last_name",
    "work_email",
    "unit",
    "position",
    "supervisor_number",
    "status",
    "hire_date",
    "separation_date",
    "employee_type",
)
# Read when present; a file without it leaves preferred names as they are.
OPTIONAL_COLUMNS = ("preferred_name",)
# The unit column is the unit's path from the department down: "Department/Patrol Bureau/North".
UNIT_SEPARATOR = "/"
# New units take their kind from their depth under the department; deeper ones are units.
KIND_BY_DEPTH = (
    Unit.Kind.DEPARTMENT,
    Unit.Kind.BUREAU,
    Unit.Kind.DIVISION,
    Unit.Kind.PRECINCT,
)
# What the status column may say, besides the stored values themselves.
STATUS_WORDS = {
    **{s.value: s.value for s in Employee.Status},
    **{s.label.lower(): s.value for s in Employee.Status},
    "leave": Employee.Status.ON_LEAVE,
    "on-leave": Employee.Status.ON_LEAVE,
    "terminated": Employee.Status.SEPARATED,
}
TYPE_WORDS = {
    **{t.value: t.value for t in Employee.Type},
    **{t.label.lower(): t.value for t in Employee.Type},
}
# The fields a row sets, compared with the stored record to decide what changed.
COMPARED = (
    "first_name",
    "last_name",
    "preferred_name",
    "work_email",
    "employee_type",
    "rank_title",
    "status",
    "hire_date",
    "separation_date",
)
BATCH_SIZE = 500
# Who a full import leaves alone when they are not in the file: the separated already are, and
# HR systems often leave retirees out of their export, while retirees keep signing in here.
UNLISTED_KEEP = (Employee.Status.SEPARATED, Employee.Status.RETIRED)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One person as the department's HR system sends them. ``preferred_name`` None: the
    source does not send it, so the stored one is kept."""

    line: int
    employee_number: str
    first_name: str
    last_name: str
    work_email: str | None
    unit: tuple[str, ...]
    rank_title: str
    supervisor_number: str
    status: str
    hire_date: date | None
    separation_date: date | None
    employee_type: str
    preferred_name: str | None = None


@dataclass(frozen=True, slots=True)
class LineError:
    line: int  # 0: the file as a whole
    message: str

    def __str__(self):
        return f"Line {self.line}: {self.message}" if self.line else self.message


@dataclass
class RosterPlan:
    """What applying the rows would change. Each list holds plain values for showing (employee
    numbers, names, unit paths); ``errors`` non-empty means nothing may be applied."""

    full: bool
    rows: int = 0
    added: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)  # {"fields": {name: (before, after)}}
    moved: list[dict] = field(default_factory=list)
    separated: list[dict] = field(default_factory=list)
    units_added: list[str] = field(default_factory=list)
    unit_supervisors: list[dict] = field(default_factory=list)
    unchanged: int = 0
    errors: list[LineError] = field(default_factory=list)
    # For roster_apply: what to write.
    _new: list[RosterRow] = field(default_factory=list, repr=False)
    _updates: dict[int, dict] = field(default_factory=dict, repr=False)  # pk -> field values
    _separating: list[int] = field(default_factory=list, repr=False)
    _new_units: list[tuple[str, ...]] = field(default_factory=list, repr=False)
    _supervisors: dict[tuple[str, ...], str | None] = field(default_factory=dict, repr=False)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "added": len(self.added),
            "changed": len(self.changed),
            "moved": len(self.moved),
            "separated": len(self.separated),
            "units_added": len(self.units_added),
            "unit_supervisors": len(self.unit_supervisors),
            "unchanged": self.unchanged,
            "errors": len(self.errors),
        }

    @property
    def fingerprint(self) -> str:
        """A digest of exactly what applying would write (every new, changed and separated
        record, unit and unit head): what the administrator previewed is what is applied."""
        what = {
            "new": sorted(dataclasses.astuple(row)[1:] for row in self._new),
            "updates": sorted((pk, sorted(fields.items())) for pk, fields in self._updates.items()),
            "separating": sorted(self._separating),
            "units": sorted(self._new_units),
            "supervisors": sorted(self._supervisors.items()),
        }
        return hashlib.sha256(repr(what).encode()).hexdigest()

    @property
    def changes_nothing(self) -> bool:
        counts = self.counts
        return not any(counts[k] for k in counts if k not in ("rows", "unchanged"))


def file_digest(data: bytes) -> str:
    """What the upload page keeps between the preview and the confirmation: the file's SHA-256,
    so that a file changed in between is refused."""
    return hashlib.sha256(data).hexdigest()


# --- Reading a CSV file ---------------------------------------------------------------------


def parse_roster(data: bytes) -> tuple[list[RosterRow], list[LineError]]:
    """The rows of a roster CSV file (UTF-8, with or without a byte-order mark; comma
    separated; one header line) and every error found in it, each with its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [LineError(0, "The file is not UTF-8 text: save it as “CSV UTF-8”.")]
    if "\x00" in text:
        return [], [LineError(0, "The file is not a CSV text file.")]
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[RosterRow] = []
    errors: list[LineError] = []
    try:
        header = next(reader, None)
        if header is None:
            return [], [LineError(0, "The file is empty.")]
        names = [_column(name) for name in header]
        missing = [c for c in COLUMNS if c not in names]
        if missing:
            return [], [LineError(1, "The header lacks the column(s) " + ", ".join(missing) + ".")]
        twice = sorted({n for n in names if n and names.count(n) > 1})
        if twice:
            return [], [LineError(1, "The header names a column twice: " + ", ".join(twice))]
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(names):
                errors.append(
                    LineError(line, f"{len(values)} values where the header has {len(names)}.")
                )
                continue
            row, problems = _row(line, dict(zip(names, values, strict=True)))
            errors.extend(LineError(line, p) for p in problems)
            if row is not None:
                rows.append(row)
    except csv.Error as exc:
        errors.append(LineError(reader.line_num, f"This is not valid CSV ({exc})."))
    return rows, errors


def roster_row(values: dict[str, str], *, line: int = 0) -> tuple[RosterRow | None, list[str]]:
    """One row from its columns' text (``COLUMNS``, and ``preferred_name`` when known), checked
    as a CSV line is: how SCIM turns a user into a row, with the same messages."""
    return _row(
        line,
        {column: values.get(column) or "" for column in COLUMNS}
        | (
            {"preferred_name": values["preferred_name"]}
            if values.get("preferred_name") is not None
            else {}
        ),
    )


def _column(name: str) -> str:
    return name.strip().lower().replace(" ", "_").replace("-", "_")


def _row(line: int, raw: dict[str, str]) -> tuple[RosterRow | None, list[str]]:
    """One row checked on its own; what needs the other rows is ``roster_plan``'s."""
    value = {k: v.strip() for k, v in raw.items()}
    problems: list[str] = []
    number = value["employee_number"].upper()
    if not number:
        problems.append("The employee number is missing.")
    elif not EMPLOYEE_NUMBER.fullmatch(number):
        problems.append(
            "The employee number must be letters and digits, with “-”, “_” or “.” between "
            "them (32 characters at most)."
        )
    for column, label, limit in (
        ("first_name", "first name", 80),
        ("last_name", "last name", 80),
        ("position", "position", 80),
    ):
        if not value[column]:
            problems.append(f"The {label} is missing.")
        elif len(value[column]) > limit:
            problems.append(f"The {label} is longer than {limit} characters.")
    preferred = value.get("preferred_name")
    if preferred is not None and len(preferred) > 80:
        problems.append("The preferred name is longer than 80 characters.")
    email = value["work_email"].lower() or None
    if email is not None:
        try:
            validate_email(email)
        except ValidationError:
            problems.append(f"“{value['work_email']}” is not an e-mail address.")
        else:
            if problem := work_email_problem(email):
                problems.append(problem)
    unit = tuple(part.strip() for part in value["unit"].split(UNIT_SEPARATOR))
    if not value["unit"] or not all(unit):
        problems.append(
            "The unit must be its path from the department, parts separated by “/” "
            "(for example “Metro Police Department/Patrol Bureau/North Division”)."
        )
    elif any(len(part) > 120 for part in unit):
        problems.append("A unit name is longer than 120 characters.")
    status = STATUS_WORDS.get(value["status"].lower())
    if status is None:
        problems.append(
            f"The status “{value['status']}” is not one of active, on_leave, retired, separated."
        )
    kind = TYPE_WORDS.get(value["employee_type"].lower())
    if kind is None:
        problems.append(
            f"The employee type “{value['employee_type']}” is not one of sworn, civilian, "
            "corrections."
        )
    hired = _date(value["hire_date"], "hire date", problems)
    left = _date(value["separation_date"], "separation date", problems)
    if hired and left and left < hired:
        problems.append("The separation date is before the hire date.")
    supervisor = value["supervisor_number"].upper()
    if supervisor and supervisor == number:
        problems.append("An employee cannot be their own supervisor.")
    if problems:
        return None, problems
    return (
        RosterRow(
            line=line,
            employee_number=number,
            first_name=value["first_name"],
            last_name=value["last_name"],
            work_email=email,
            unit=unit,
            rank_title=value["position"],
            supervisor_number=supervisor,
            status=status,
            hire_date=hired,
            separation_date=left,
            employee_type=kind,
            preferred_name=preferred,
        ),
        [],
    )


def _date(text: str, label: str, problems: list[str]) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"The {label} “{text}” is not a date written YYYY-MM-DD.")
        return None


# --- The plan -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Stored:
    """The database as the plan needs it, read in two queries."""

    units: dict[tuple[str, ...], int]  # path -> pk
    unit_supervisor: dict[tuple[str, ...], int | None]  # path -> employee pk
    employees: dict[str, dict]  # employee number -> the compared fields, pk, unit path
    number_of: dict[int, str]  # employee pk -> number
    emails: dict[str, str]  # work e-mail -> employee number


def _units() -> tuple[dict[int, tuple], dict[int, tuple[str, ...]]]:
    """Every unit as (name, parent, supervisor) and its path, in one query."""
    units = {
        pk: (name, parent_id, supervisor_id)
        for pk, name, parent_id, supervisor_id in Unit.objects.values_list(
            "pk", "name", "parent_id", "supervisor_id"
        )
    }
    paths: dict[int, tuple[str, ...]] = {}

    def path(pk: int) -> tuple[str, ...]:
        if pk not in paths:
            trail, node, seen = [], pk, set()
            while node is not None and node not in seen:  # a looping tree stops, not spins
                seen.add(node)
                trail.append(units[node][0])
                node = units[node][1]
            paths[pk] = tuple(reversed(trail))
        return paths[pk]

    return units, {pk: path(pk) for pk in units}


# A plan of at most this many rows that is not a full import (SCIM's one person, a short file)
# reads only the records those rows can touch, not the whole department.
FEW_ROWS = 50


def _stored(rows: list[RosterRow] | None = None) -> _Stored:
    """The records a plan compares with: all of them, or with ``rows`` (a few, not a full
    import) only those the plan reads for them (the rows' people and supervisors, holders of
    their e-mail addresses, and every unit's supervisor), so one SCIM change does not read
    20,000 records. The plan is the same either way."""
    units, path_of = _units()
    path = path_of.__getitem__
    employees, number_of, emails = {}, {}, {}
    found = Employee.objects.values("pk", "employee_number", "unit_id", "user_id", *COMPARED)
    if rows is not None:
        numbers = {r.employee_number for r in rows} | {r.supervisor_number for r in rows}
        addresses = [r.work_email for r in rows if r.work_email]
        heads = [head for _, _, head in units.values() if head is not None]
        found = found.filter(
            Q(employee_number__in=numbers - {""}) | Q(work_email__in=addresses) | Q(pk__in=heads)
        )
    for values in found:
        values["unit"] = path(values.pop("unit_id"))
        employees[values["employee_number"]] = values
        number_of[values["pk"]] = values["employee_number"]
        if values["work_email"]:
            emails[values["work_email"]] = values["employee_number"]
    return _Stored(
        units={path(pk): pk for pk in units},
        unit_supervisor={path(pk): units[pk][2] for pk in units},
        employees=employees,
        number_of=number_of,
        emails=emails,
    )


def roster_plan(
    rows: list[RosterRow], *, full: bool = False, today: date | None = None
) -> RosterPlan:
    """What ``rows`` would change, and every error by line. ``full``: the rows are the whole
    department, so anyone on record and not in them becomes separated."""
    today = today or timezone.localdate()
    plan = RosterPlan(full=full, rows=len(rows))
    stored = _stored(None if full or len(rows) > FEW_ROWS else rows)
    _check_unique(rows, stored, plan)
    _check_units(rows, stored, plan)
    _check_supervisors(rows, stored, plan)
    _check_separation_dates(rows, today, plan)
    if plan.errors:
        plan.errors.sort(key=lambda e: e.line)
        return plan
    for row in rows:
        _plan_row(row, stored, plan)
    if full:
        listed = {row.employee_number for row in rows}
        for number, values in stored.employees.items():
            if number in listed or values["status"] in UNLISTED_KEEP:
                continue
            plan._updates[values["pk"]] = {
                "status": Employee.Status.SEPARATED,
                "separation_date": values["separation_date"] or today,
            }
            plan._separating.append(values["pk"])
            plan.separated.append(_person(values, line=None))
    _plan_supervisors(rows, stored, plan)
    return plan


def _person(values, *, line: int | None) -> dict:
    get = values.get if isinstance(values, dict) else lambda k: getattr(values, k)
    return {
        "line": line,
        "employee_number": get("employee_number"),
        "name": f"{get('first_name')} {get('last_name')}",
    }


def _check_separation_dates(rows: list[RosterRow], today: date, plan: RosterPlan) -> None:
    """A separation date that has come (today counts) with someone still at work is a
    contradiction the file must settle; one still to come is notice given."""
    for row in rows:
        if (
            row.separation_date
            and row.separation_date <= today
            and row.status in (Employee.Status.ACTIVE, Employee.Status.ON_LEAVE)
        ):
            plan.errors.append(
                LineError(
                    row.line,
                    f"The separation date {row.separation_date:%Y-%m-%d} has passed but the "
                    f"status is {row.status}: say separated, or correct the date.",
                )
            )


def _check_unique(rows: list[RosterRow], stored: _Stored, plan: RosterPlan) -> None:
    """Refuse a number or an e-mail address given twice in the file, or an address that stays
    with another employee on record."""
    first_line: dict[str, int] = {}
    email_line: dict[str, int] = {}
    for row in rows:
        if row.employee_number in first_line:
            plan.errors.append(
                LineError(
                    row.line,
                    f"Employee number {row.employee_number} is already on line "
                    f"{first_line[row.employee_number]}.",
                )
            )
        first_line.setdefault(row.employee_number, row.line)
        if row.work_email:
            if row.work_email in email_line:
                plan.errors.append(
                    LineError(
                        row.line,
                        f"The e-mail address {row.work_email} is already on line "
                        f"{email_line[row.work_email]}.",
                    )
                )
            email_line.setdefault(row.work_email, row.line)
    for row in rows:
        holder = stored.emails.get(row.work_email) if row.work_email else None
        if holder and holder != row.employee_number and holder not in first_line:
            plan.errors.append(
                LineError(
                    row.line,
                    f"The e-mail address {row.work_email} belongs to employee {holder}, who is "
                    "not in this file.",
                )
            )


def _check_units(rows: list[RosterRow], stored: _Stored, plan: RosterPlan) -> None:
    """Every path starts at the department. With no units on record yet, the file's first row
    names the department and every other row must start there too."""
    roots = {path[0] for path in stored.units if len(path) == 1}
    if not roots and rows:
        roots = {rows[0].unit[0]}
    for row in rows:
        if row.unit[0] not in roots:
            plan.errors.append(
                LineError(
                    row.line,
                    f"The unit “{UNIT_SEPARATOR.join(row.unit)}” does not start at the "
                    f"department (“{sorted(roots)[0]}”).",
                )
            )


def _check_supervisors(rows: list[RosterRow], stored: _Stored, plan: RosterPlan) -> None:
    """Each supervisor's number is in the file or on record; following supervisors up from
    anyone never comes back to them."""
    boss = {row.employee_number: row.supervisor_number for row in rows}
    for row in rows:
        number = row.supervisor_number
        if number and number not in boss and number not in stored.employees:
            plan.errors.append(
                LineError(row.line, f"The supervisor's employee number {number} is unknown.")
            )
    for row in rows:
        seen = [row.employee_number]
        node = boss.get(row.employee_number)
        while node and node in boss and node not in seen:
            seen.append(node)
            node = boss[node]
        if node == row.employee_number:
            plan.errors.append(
                LineError(
                    row.line,
                    "The supervisors go round in a circle: " + " → ".join([*seen, node]) + ".",
                )
            )


def _plan_row(row: RosterRow, stored: _Stored, plan: RosterPlan) -> None:
    if row.unit not in stored.units and row.unit not in plan._new_units:
        for depth in range(1, len(row.unit) + 1):
            path = row.unit[:depth]
            if path not in stored.units and path not in plan._new_units:
                plan._new_units.append(path)
                plan.units_added.append(UNIT_SEPARATOR.join(path))
    values = stored.employees.get(row.employee_number)
    if values is None:
        plan._new.append(row)
        plan.added.append(_person(row, line=row.line) | {"unit": UNIT_SEPARATOR.join(row.unit)})
        if row.status == Employee.Status.SEPARATED:
            plan.separated.append(_person(row, line=row.line))
        return
    wanted = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "work_email": row.work_email,
        "employee_type": row.employee_type,
        "rank_title": row.rank_title,
        "status": row.status,
        "hire_date": row.hire_date,
        "separation_date": row.separation_date,
    }
    if row.preferred_name is not None:
        wanted["preferred_name"] = row.preferred_name
    diff = {k: (values[k], v) for k, v in wanted.items() if values[k] != v}
    moved = values["unit"] != row.unit
    if not diff and not moved:
        plan.unchanged += 1
        return
    updates = {k: after for k, (_, after) in diff.items()}
    if moved:
        updates["unit"] = row.unit
        plan.moved.append(
            _person(row, line=row.line)
            | {"from": UNIT_SEPARATOR.join(values["unit"]), "to": UNIT_SEPARATOR.join(row.unit)}
        )
    if diff:
        shown = {k: (_shown(a), _shown(b)) for k, (a, b) in diff.items()}
        plan.changed.append(_person(row, line=row.line) | {"fields": shown})
    plan._updates[values["pk"]] = updates
    if "status" in diff and row.status == Employee.Status.SEPARATED:
        plan._separating.append(values["pk"])
        plan.separated.append(_person(row, line=row.line))


def _shown(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return str(value)


def _plan_supervisors(rows: list[RosterRow], stored: _Stored, plan: RosterPlan) -> None:
    """A unit's supervisor is whom its people in the file name as theirs. Someone in the unit
    named by its other members heads it (the most named; the lowest number of equals). When
    nobody in the unit is named, one person named by all its members who sits in a unit above
    it heads it, unless they already head a unit above (then the unit has no head of its own
    and keeps what it has). Otherwise, and for a unit none of whose people are in the file,
    the unit keeps its supervisor."""
    members: dict[tuple[str, ...], list[RosterRow]] = defaultdict(list)
    for row in rows:
        if row.status != Employee.Status.SEPARATED:
            members[row.unit].append(row)
    in_file = {row.employee_number: row.unit for row in rows}

    def unit_of(number: str) -> tuple[str, ...] | None:
        if number in in_file:
            return in_file[number]
        values = stored.employees.get(number)
        return values["unit"] if values else None

    result: dict[tuple[str, ...], str | None] = {
        path: stored.number_of.get(pk) for path, pk in stored.unit_supervisor.items() if pk
    }
    for path in sorted(members, key=len):
        people = members[path]
        inside = {r.employee_number for r in people}
        named = Counter(
            r.supervisor_number
            for r in people
            if r.supervisor_number and r.supervisor_number != r.employee_number
        )
        heads = [n for n in named if n in inside]
        if heads:
            head = min(heads, key=lambda n: (-named[n], n))
        elif len(named) == 1 and sum(named.values()) == len(people):
            (head,) = named
            above = {result.get(path[:d]) for d in range(1, len(path))}
            if head in above or not _sits_above(unit_of(head), path):
                continue
        else:
            continue
        if result.get(path) != head:
            plan.unit_supervisors.append(
                {
                    "unit": UNIT_SEPARATOR.join(path),
                    "from": result.get(path) or "—",
                    "to": head,
                }
            )
            plan._supervisors[path] = head
            result[path] = head


def _sits_above(unit: tuple[str, ...] | None, path: tuple[str, ...]) -> bool:
    """``unit`` is one of the units above ``path``: where a unit's head sits when they are not
    in it (a lieutenant on the division's staff running one of its watches)."""
    return unit is not None and len(unit) < len(path) and path[: len(unit)] == unit


# --- Applying it ----------------------------------------------------------------------------


def many_separated(plan: RosterPlan) -> bool:
    """A full import of a file that is not the whole department would separate most of it:
    the preview says so loudly when a tenth or more of the records would be separated."""
    separated = len(plan.separated)
    return separated >= 10 and separated * 10 >= plan.rows + separated


def roster_apply(
    rows: list[RosterRow],
    *,
    actor: User | None,
    full: bool = False,
    digest: str = "",
    source: str = "csv",
    previewed: str | None = None,
    details: dict | None = None,
) -> RosterPlan:
    """Plan ``rows`` again and, when there are no errors, write it all in one transaction with
    one audit event of the counts (no names: like the employee pages' events, it says what
    changed, not about whom). Returns the plan; with errors, nothing was written.

    Employees are written in bulk; units through ``unit_create``/``unit_update`` (each audited,
    as on the units page); each employee who becomes separated goes through
    ``employee_separation_effects``, the path the employee page takes. With ``previewed`` (a
    plan's ``fingerprint``) nothing is written unless the plan is still exactly that one.
    Imports run one at a time (``_one_import_at_a_time``), each planning from what the one
    before it wrote. ``details`` adds identifiers to the audit event (SCIM's token key)."""
    try:
        with transaction.atomic():
            _one_import_at_a_time()
            plan = roster_plan(rows, full=full)
            if plan.errors:
                return plan
            if previewed is not None and plan.fingerprint != previewed:
                raise ValidationError(
                    "The records changed since the preview (someone edited, added or "
                    "separated an employee), so this file would now change other things than "
                    "those you checked. Nothing was imported: upload it again to see the "
                    "changes as they are now."
                )
            _write(plan, actor=actor)
            record(
                actor=actor,
                action=AuditAction.ROSTER_IMPORTED,
                details={
                    **plan.counts,
                    "full": full,
                    "sha256": digest,
                    "source": source,
                    **(details or {}),
                },
            )
    except IntegrityError:
        # Somebody changed the same records while this ran: nothing was written.
        # Or two people exchange work e-mail addresses in one file, which PostgreSQL checks
        # row by row within the one statement.
        raise ValidationError(
            "The records could not be written: they changed while the roster was being "
            "imported, or two people exchange work e-mail addresses in this file (import it in "
            "two steps). Nothing was imported."
        ) from None
    return plan


# Any fixed number: the key of the PostgreSQL advisory lock that one import holds while it runs.
_IMPORT_LOCK = 0x5253_594E  # "RSYN"


def _one_import_at_a_time() -> None:
    """Inside the import's transaction: wait for any other import to finish. SQLite's
    transactions are already one writer at a time (begun IMMEDIATE, settings.py); on
    PostgreSQL two imports (an upload and the command) would otherwise both plan from the same
    records and the second overwrite the first."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])


def _write(plan: RosterPlan, *, actor: User | None) -> None:
    units = {path: pk for path, pk in _stored_unit_paths().items()}
    for path in plan._new_units:
        parent = Unit.objects.get(pk=units[path[:-1]]) if len(path) > 1 else None
        kind = KIND_BY_DEPTH[len(path) - 1] if len(path) <= len(KIND_BY_DEPTH) else Unit.Kind.UNIT
        units[path] = unit_create(
            actor=actor, name=path[-1], kind=kind, parent=parent, supervisor=None
        ).pk
    agency_id = current_agency_id()  # bulk_create skips save(), which would fill it
    Employee.objects.bulk_create(
        [
            Employee(
                agency_id=agency_id,
                employee_number=row.employee_number,
                first_name=row.first_name,
                last_name=row.last_name,
                preferred_name=row.preferred_name or "",
                work_email=row.work_email,
                employee_type=row.employee_type,
                rank_title=row.rank_title,
                unit_id=units[row.unit],
                status=row.status,
                hire_date=row.hire_date,
                separation_date=row.separation_date,
            )
            for row in plan._new
        ],
        batch_size=BATCH_SIZE,
    )
    _update_employees(plan._updates, units)
    if plan._supervisors:
        numbers = {n for n in plan._supervisors.values() if n}
        found = Employee.objects.filter(employee_number__in=numbers)
        people = {e.employee_number: e for e in found}
        for unit in Unit.objects.filter(pk__in=[units[p] for p in plan._supervisors]):
            path = next(p for p in plan._supervisors if units[p] == unit.pk)
            unit_update(
                actor=actor,
                unit=unit,
                name=unit.name,
                kind=unit.kind,
                parent=unit.parent,
                supervisor=people.get(plan._supervisors[path]),
            )
    for employee in Employee.objects.filter(pk__in=plan._separating):
        employee_separation_effects(actor=actor, employee=employee)


def _stored_unit_paths() -> dict[tuple[str, ...], int]:
    return {path: pk for pk, path in _units()[1].items()}


def _update_employees(updates: dict[int, dict], units: dict[tuple[str, ...], int]) -> None:
    """Changed records in bulk, grouped by the set of fields each changes."""
    groups: dict[tuple[str, ...], list[Employee]] = defaultdict(list)
    for pk, values in updates.items():
        employee = Employee(pk=pk)
        for name, value in values.items():
            if name == "unit":
                employee.unit_id = units[value]
            else:
                setattr(employee, name, value)
        groups[tuple(sorted(values))].append(employee)
    for names, employees in groups.items():
        Employee.objects.bulk_update(employees, list(names), batch_size=BATCH_SIZE)


# --- Writing the layout back ----------------------------------------------------------------


def roster_rows_on_record(employees=None) -> list[RosterRow]:
    """Everyone on record as roster rows, in three queries: what a file that changes nothing
    says (the demo's example file is made this way). Each person's supervisor is the nearest
    unit supervisor above them who is not themselves. ``employees``: only the records of this
    queryset (SCIM's one person, changed by one row)."""
    units, path_of = _units()
    heads = [head for _, _, head in units.values() if head is not None]
    number_of = dict(Employee.objects.filter(pk__in=heads).values_list("pk", "employee_number"))
    if employees is None:
        employees = Employee.objects.all()

    def supervisor(unit_id: int, own: str) -> str:
        node, seen = unit_id, set()
        while node is not None and node not in seen:
            seen.add(node)
            _, parent, head = units[node]
            if head is not None and number_of.get(head) != own:
                return number_of.get(head, "")
            node = parent
        return ""

    return [
        RosterRow(
            line=0,
            employee_number=e.employee_number,
            first_name=e.first_name,
            last_name=e.last_name,
            work_email=e.work_email,
            unit=path_of[e.unit_id],
            rank_title=e.rank_title,
            supervisor_number=supervisor(e.unit_id, e.employee_number),
            status=e.status,
            hire_date=e.hire_date,
            separation_date=e.separation_date,
            employee_type=e.employee_type,
            preferred_name=e.preferred_name,
        )
        for e in employees.order_by("employee_number")
    ]


def roster_csv(rows: list[RosterRow]) -> str:
    """``rows`` in the layout ``parse_roster`` reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, *OPTIONAL_COLUMNS])
    for row in rows:
        writer.writerow(
            [
                row.employee_number,
                row.first_name,
                row.last_name,
                row.work_email or "",
                UNIT_SEPARATOR.join(row.unit),
                row.rank_title,
                row.supervisor_number,
                row.status,
                row.hire_date.isoformat() if row.hire_date else "",
                row.separation_date.isoformat() if row.separation_date else "",
                row.employee_type,
                row.preferred_name or "",
            ]
        )
    return out.getvalue()
