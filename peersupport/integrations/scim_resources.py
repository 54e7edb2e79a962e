"""SCIM Users and Groups as this application's employee records and units, and every change
SCIM makes, through the HR roster's one code path (accounts/roster_sync.py).

A User is an ``Employee``; a Group is a ``Unit``, named by its path from the department
("Metro Police Department/Patrol Bureau/North Division"), its members the people in the unit
itself. Each write turns what the identity provider sent into roster rows (the records' own
rows with the change made) and hands them to ``roster_apply``: the same checks, messages,
separation effects and audit event as an HR import, with ``actor`` None (the system) and the
token's key in the event's details, never a name. Only creating, renaming and moving a unit
(a Group's ``displayName``) use the units page's services directly.
"""

import dataclasses
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from peersupport.accounts.models import Employee, Unit
from peersupport.accounts.roster_sync import (
    KIND_BY_DEPTH,
    UNIT_SEPARATOR,
    roster_apply,
    roster_row,
    roster_rows_on_record,
)
from peersupport.accounts.services import unit_create, unit_update
from peersupport.audit.models import AuditAction, Outcome
from peersupport.audit.services import record

from . import guard
from .scim_filter import FilterError, attr_name
from .scim_schemas import ENTERPRISE, GROUP, USER


class ScimError(Exception):
    """Answered as a SCIM error (RFC 7644 §3.12)."""

    def __init__(
        self, status: int, detail: str, scim_type: str | None = None, denied: dict | None = None
    ):
        super().__init__(detail)
        self.status, self.detail, self.scim_type = status, detail, scim_type
        # Audited as a refused roster change once the request's transaction has rolled back.
        self.denied = denied


def audit_denied(exc: ScimError) -> None:
    if exc.denied:
        record(
            actor=None,
            action=AuditAction.ROSTER_IMPORTED,
            outcome=Outcome.DENIED,
            details=exc.denied,
        )


def invalid(detail: str) -> ScimError:
    return ScimError(400, detail, "invalidValue")


# --- The unit tree, read once per request -------------------------------------------------


@dataclass
class Org:
    """Every unit (a few hundred at most) with its path and head, read in one query, and the
    names of the heads in one more: what a page of Users or Groups needs, whatever its size."""

    units: dict[int, tuple[str, int | None, int | None]]  # pk -> name, parent, supervisor
    paths: dict[int, tuple[str, ...]]
    by_path: dict[tuple[str, ...], int]
    heads: dict[int, str]  # head employee pk -> the name shown

    @classmethod
    def load(cls) -> "Org":
        units = {
            pk: (name, parent, head)
            for pk, name, parent, head in Unit.objects.values_list(
                "pk", "name", "parent_id", "supervisor_id"
            )
        }
        paths: dict[int, tuple[str, ...]] = {}
        for pk in units:
            trail, node, seen = [], pk, set()
            while node is not None and node not in seen:
                seen.add(node)
                trail.append(units[node][0])
                node = units[node][1]
            paths[pk] = tuple(reversed(trail))
        head_pks = {head for _, _, head in units.values() if head}
        heads = {
            pk: f"{preferred or first} {last}"
            for pk, preferred, first, last in Employee.objects.filter(pk__in=head_pks).values_list(
                "pk", "preferred_name", "first_name", "last_name"
            )
        }
        return cls(units, paths, {p: pk for pk, p in paths.items()}, heads)

    def path(self, unit_id: int) -> str:
        return UNIT_SEPARATOR.join(self.paths[unit_id])

    def manager(self, employee: Employee) -> int | None:
        """The nearest unit head above the person who is not themselves (as the HR roster
        reads a supervisor back, ``roster_rows_on_record``)."""
        node, seen = employee.unit_id, set()
        while node is not None and node not in seen:
            seen.add(node)
            _, parent, head = self.units[node]
            if head is not None and head != employee.pk:
                return head
            node = parent
        return None

    def root(self) -> tuple[str, ...] | None:
        roots = sorted(p for p in self.by_path if len(p) == 1)
        return roots[0] if roots else None


def parse_path(text) -> tuple[str, ...]:
    if not isinstance(text, str) or not text.strip():
        raise invalid("displayName must be the unit's path, for example “Department/Bureau”.")
    path = tuple(part.strip() for part in text.split(UNIT_SEPARATOR))
    if not all(path):
        raise invalid("A unit's path has an empty name between two “/”.")
    if any(len(part) > 120 for part in path):
        raise invalid("A unit name is longer than 120 characters.")
    return path


def pk_of(scim_id) -> int | None:
    text = str(scim_id or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else None


# --- Users ---------------------------------------------------------------------------------


def user_resource(employee: Employee, org: Org, base: str) -> dict:
    path = org.paths[employee.unit_id]
    manager = org.manager(employee)
    extension = {
        "employeeNumber": employee.employee_number,
        "organization": path[0],
        "department": UNIT_SEPARATOR.join(path),
    }
    if manager is not None:
        extension["manager"] = {
            "value": str(manager),
            "$ref": f"{base}/Users/{manager}",
            "displayName": org.heads.get(manager, ""),
        }
    resource = {
        "schemas": [USER, ENTERPRISE],
        "id": str(employee.pk),
        "externalId": employee.employee_number,
        "userName": employee.work_email or employee.employee_number,
        "name": {
            "givenName": employee.first_name,
            "familyName": employee.last_name,
            "formatted": employee.full_name,
        },
        "displayName": employee.full_name,
        "title": employee.rank_title,
        "userType": employee.employee_type,
        "active": employee.status != Employee.Status.SEPARATED,
        "groups": [
            {
                "value": str(employee.unit_id),
                "$ref": f"{base}/Groups/{employee.unit_id}",
                "display": UNIT_SEPARATOR.join(path),
            }
        ],
        ENTERPRISE: extension,
        "meta": {"resourceType": "User", "location": f"{base}/Users/{employee.pk}"},
    }
    if employee.preferred_name:
        resource["nickName"] = employee.preferred_name
    if employee.work_email:
        resource["emails"] = [{"value": employee.work_email, "type": "work", "primary": True}]
    return resource


def _text(field: str):
    def build(op: str, value):
        if op == "pr":
            return Q(**{f"{field}__isnull": False}) & ~Q(**{field: ""})
        if not isinstance(value, str):
            raise FilterError(f"“{field}” compares with a string.")
        lookup = {
            "eq": "iexact",
            "ne": "iexact",
            "co": "icontains",
            "sw": "istartswith",
            "ew": "iendswith",
            "gt": "gt",
            "ge": "gte",
            "lt": "lt",
            "le": "lte",
        }[op]
        q = Q(**{f"{field}__{lookup}": value})
        return ~q if op == "ne" else q

    return build


def _user_name(op: str, value):
    """userName is the work e-mail address, or the employee number of a record without one."""
    by_email = _text("work_email")(op, value)
    if op in ("eq", "co", "sw", "ew") and isinstance(value, str):
        return by_email | (Q(work_email__isnull=True) & _text("employee_number")(op, value))
    return by_email


def _user_id(op: str, value):
    pk = pk_of(value)
    if op not in ("eq", "ne"):
        raise FilterError("id compares with eq or ne.")
    q = Q(pk=pk) if pk is not None else Q(pk__in=[])
    return ~q if op == "ne" else q


def _active(op: str, value):
    if op not in ("eq", "ne") or not isinstance(value, bool):
        raise FilterError("active compares with eq true or eq false.")
    separated = Q(status=Employee.Status.SEPARATED)
    return separated if (value is False) == (op == "eq") else ~separated


def _email_type(op: str, value):
    if op == "pr":
        return Q(work_email__isnull=False)
    if op == "eq" and isinstance(value, str):
        return Q(work_email__isnull=False) if value.lower() == "work" else Q(pk__in=[])
    raise FilterError("emails.type compares with eq.")


USER_FILTERS = {
    "id": _user_id,
    "username": _user_name,
    "externalid": _text("employee_number"),
    "employeenumber": _text("employee_number"),
    "emails": _text("work_email"),
    "emails.value": _text("work_email"),
    "emails.type": _email_type,
    "emails.primary": lambda op, value: Q(work_email__isnull=False),
    "name.givenname": _text("first_name"),
    "name.familyname": _text("last_name"),
    "nickname": _text("preferred_name"),
    "title": _text("rank_title"),
    "usertype": _text("employee_type"),
    "active": _active,
}


# What a user's attributes become in a roster row: (SCIM path, lower case) -> state key.
_USER_PATHS = {
    "username": "username",
    "name.givenname": "first_name",
    "name.familyname": "last_name",
    "nickname": "preferred_name",
    "title": "position",
    "usertype": "employee_type",
    "active": "active",
    "externalid": "external_id",
    "employeenumber": "employee_number",
    "department": "department",
    "manager": "manager",
    "manager.value": "manager",
    "emails": "emails",
    "emails.value": "email",
}
_CONTAINERS = {USER.lower(), ENTERPRISE.lower()}


def _as_bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"  # Entra ID sends "False"
    raise invalid("active must be true or false.")


def _user_path(path: str) -> str:
    """A PATCH path or a body's key, lower case, without its schema URN and with any value
    filter reduced (``emails[type eq "work"].value`` → ``emails.value``)."""
    path = path.strip()
    if "[" in path:
        head, _, rest = path.partition("[")
        _, _, after = rest.partition("]")
        path = head + after
    lowered = path.lower()
    if lowered in _CONTAINERS:
        return lowered
    return attr_name(path)


def user_set(state: dict, path: str, value, *, op: str = "replace") -> None:
    """Change one attribute of ``state`` (the person's values: see ``user_state``) as a PATCH
    operation or a body's key says. Attributes that mean nothing here are ignored."""
    key = _user_path(path)
    if key in _CONTAINERS or key == "name":
        if op == "remove":
            return
        if not isinstance(value, dict):
            raise invalid(f"“{path}” takes an object.")
        for sub, sub_value in value.items():
            name = sub if key in _CONTAINERS else f"name.{sub}"
            user_set(state, name, sub_value, op=op)
        return
    target = _USER_PATHS.get(key)
    if target is None:
        return
    if op == "remove":
        value = None
    if target == "emails":
        if value is None:
            state["email"] = None
            return
        if not isinstance(value, list):
            value = [value]
        chosen = [e for e in value if isinstance(e, dict) and e.get("value")]
        work = [e for e in chosen if str(e.get("type", "")).lower() == "work" or e.get("primary")]
        state["email"] = (work or chosen or [{"value": None}])[0]["value"]
        return
    if target == "manager" and isinstance(value, dict):
        value = value.get("value")
    if target == "active":
        if op == "remove":
            # Removing it would read as true: a separated person re-hired by accident.
            raise ScimError(400, "active cannot be removed: send true or false.", "mutability")
        if value is None:
            raise invalid("active must be true or false, not null.")
        value = _as_bool(value)
    elif value is not None and not isinstance(value, str):
        raise invalid(f"“{path}” takes a string.")
    state[target] = value


def user_state(employee: Employee | None, org: Org) -> dict:
    """A person's values as SCIM changes them: from the record, or empty for a new one."""
    if employee is None:
        return {"active": True}
    manager = org.manager(employee)
    return {
        "username": employee.work_email or employee.employee_number,
        "email": employee.work_email,
        "first_name": employee.first_name,
        "last_name": employee.last_name,
        "preferred_name": employee.preferred_name,
        "position": employee.rank_title,
        "employee_type": employee.employee_type,
        "active": employee.status != Employee.Status.SEPARATED,
        "employee_number": employee.employee_number,
        "manager": str(manager) if manager else None,
    }


def _row(state: dict, employee: Employee | None, org: Org):
    """The roster row of ``state``, checked as a line of a CSV file is."""
    number = state.get("employee_number") or (
        state.get("external_id") if employee is None else None
    )
    if employee is not None and (number or "").upper() != employee.employee_number:
        raise ScimError(400, "The employee number never changes.", "mutability")
    if not number:
        raise invalid(
            "The enterprise extension's employeeNumber (or externalId) is required: it is "
            "the HR system's employee number."
        )
    user_name = (state.get("username") or "").strip()
    if not user_name:
        raise invalid("userName is required: the work e-mail address.")
    email = user_name if "@" in user_name else state.get("email")
    if employee is None:
        unit = _department(state.get("department"))
        if unit not in org.by_path:
            unit = org.root()
        if unit is None:
            raise invalid("There is no department yet: create it first as a Group.")
        status, hired, left = Employee.Status.ACTIVE, "", ""
    else:
        unit = org.paths[employee.unit_id]
        status = employee.status
        hired = employee.hire_date.isoformat() if employee.hire_date else ""
        left = employee.separation_date.isoformat() if employee.separation_date else ""
    today = timezone.localdate()
    if not state.get("active", True):
        if status != Employee.Status.SEPARATED:
            status = Employee.Status.SEPARATED
            if not left or left > today.isoformat():
                left = today.isoformat()
    elif status == Employee.Status.SEPARATED:
        status, left = Employee.Status.ACTIVE, ""  # re-hired
    values = {
        "employee_number": number,
        "first_name": state.get("first_name") or "",
        "last_name": state.get("last_name") or "",
        "work_email": email or "",
        "unit": UNIT_SEPARATOR.join(unit),
        "position": state.get("position") or "",
        "supervisor_number": _supervisor(state, employee, org, org.by_path[unit]),
        "status": status,
        "hire_date": hired,
        "separation_date": left,
        "employee_type": state.get("employee_type") or "",
        "preferred_name": state.get("preferred_name") or "",
    }
    row, problems = roster_row(values)
    if problems:
        raise invalid(" ".join(problems))
    return row


def _department(text) -> tuple[str, ...] | None:
    """The unit a new user's ``department`` names, if it is a path: identity providers send
    their own department names too, which place nobody and refuse nothing."""
    try:
        return parse_path(text) if text else None
    except ScimError:
        return None


def _supervisor(state: dict, employee: Employee | None, org: Org, unit_id: int) -> str:
    """The row's supervisor: blank (nothing about heads changes) unless SCIM names a manager
    other than the one on record for someone whose unit has no head of its own; then the HR
    roster's rule decides whether that manager becomes the unit's head. One person's manager
    never replaces the head a unit has: that is the units page's or a full HR file's to say
    (docs/scim.md, "Managers")."""
    wanted = state.get("manager")
    on_record = org.manager(employee) if employee is not None else None
    if not wanted or pk_of(wanted) == on_record or org.units[unit_id][2] is not None:
        if wanted and _manager_number(wanted) is None:
            raise invalid(f"The manager “{wanted}” is not a user here.")
        return ""
    number = _manager_number(wanted)
    if number is None:
        raise invalid(f"The manager “{wanted}” is not a user here.")
    return number


def _manager_number(wanted) -> str | None:
    pk = pk_of(wanted)
    if pk is None:
        return None
    return Employee.objects.filter(pk=pk).values_list("employee_number", flat=True).first()


def _check_unique(row, employee: Employee | None) -> None:
    others = Employee.objects.exclude(pk=employee.pk) if employee else Employee.objects.all()
    if employee is None and others.filter(employee_number=row.employee_number).exists():
        raise ScimError(
            409, f"Employee number {row.employee_number} is already on record.", "uniqueness"
        )
    if row.work_email and others.filter(work_email=row.work_email).exists():
        raise ScimError(409, "Another employee record has this userName.", "uniqueness")


def _apply(rows, *, token_key: str) -> None:
    plan = roster_apply(rows, actor=None, source="scim", details={"token": token_key})
    if plan.errors:
        raise invalid(" ".join(error.message for error in plan.errors))


def _check_separations(row, employee: Employee | None, *, token_key: str) -> None:
    """What ``guard`` allows a token to separate (docs/scim.md, "Separations"): called inside
    the request's transaction, it locks the token before it counts."""
    separating = row.status == Employee.Status.SEPARATED and (
        employee is None or employee.status != Employee.Status.SEPARATED
    )
    if not separating:
        return
    try:
        guard.check_separations(token_key, [row.employee_number])
    except guard.Refused as exc:
        raise ScimError(
            403, exc.detail, denied={"source": "scim", "token": token_key, "why": exc.why}
        ) from None


def user_write(state: dict, employee: Employee | None, *, token_key: str) -> Employee:
    """Create or change one employee record from ``state``; returns it as now stored."""
    org = Org.load()
    row = _row(state, employee, org)
    _check_unique(row, employee)
    _check_separations(row, employee, token_key=token_key)
    _apply([row], token_key=token_key)
    return Employee.objects.get(employee_number=row.employee_number)


# --- Groups --------------------------------------------------------------------------------


def group_resource(unit_id: int, org: Org, base: str, members=None) -> dict:
    resource = {
        "schemas": [GROUP],
        "id": str(unit_id),
        "displayName": org.path(unit_id),
        "meta": {"resourceType": "Group", "location": f"{base}/Groups/{unit_id}"},
    }
    if members is not None:
        resource["members"] = [
            {"value": str(pk), "$ref": f"{base}/Users/{pk}", "display": name, "type": "User"}
            for pk, name in members
        ]
    return resource


def group_members(unit_ids) -> dict[int, list[tuple[int, str]]]:
    """The people in each unit itself, in one query; the separated are no longer members."""
    found: dict[int, list[tuple[int, str]]] = {pk: [] for pk in unit_ids}
    for pk, unit, preferred, first, last in (
        Employee.objects.filter(unit_id__in=unit_ids)
        .exclude(status=Employee.Status.SEPARATED)
        .order_by("pk")
        .values_list("pk", "unit_id", "preferred_name", "first_name", "last_name")
    ):
        found[unit].append((pk, f"{preferred or first} {last}"))
    return found


def group_filter_values(unit_id: int, org: Org) -> dict:
    return {"id": str(unit_id), "displayname": org.path(unit_id)}


def member_ids(value) -> list[int]:
    """The users a ``members`` value names (a list of ``{"value": id}``)."""
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise invalid('members takes a list of {"value": id}.')
    ids = []
    for member in value:
        pk = pk_of(member.get("value")) if isinstance(member, dict) else None
        if pk is None:
            raise invalid('Each member is {"value": the user\'s id}.')
        ids.append(pk)
    return ids


def group_create(path: tuple[str, ...], *, token_key: str) -> int:
    org = Org.load()
    if path in org.by_path:
        raise ScimError(409, "A unit with this path is already on record.", "uniqueness")
    if len(path) == 1 and org.root() is not None:
        raise invalid(f"There is one department (“{org.root()[0]}”): a unit's path starts with it.")
    parent = None
    if len(path) > 1:
        if path[:-1] not in org.by_path:
            raise invalid(
                f"The unit above, “{UNIT_SEPARATOR.join(path[:-1])}”, is not on record: "
                "create it first."
            )
        parent = Unit.objects.get(pk=org.by_path[path[:-1]])
    kind = KIND_BY_DEPTH[len(path) - 1] if len(path) <= len(KIND_BY_DEPTH) else Unit.Kind.UNIT
    unit = unit_create(
        actor=None,
        name=path[-1],
        kind=kind,
        parent=parent,
        supervisor=None,
        details={"token": token_key, "source": "scim"},
    )
    return unit.pk


def group_rename(unit_id: int, path: tuple[str, ...], *, token_key: str) -> None:
    """A new ``displayName``: the unit's new name, and its new place when the path above it
    changed (the units page's rules: never under itself)."""
    org = Org.load()
    if org.paths[unit_id] == path:
        return
    if path in org.by_path:
        raise ScimError(409, "A unit with this path is already on record.", "uniqueness")
    unit = Unit.objects.get(pk=unit_id)
    parent = None
    if len(path) > 1:
        if path[:-1] not in org.by_path:
            raise invalid(f"The unit above, “{UNIT_SEPARATOR.join(path[:-1])}”, is not on record.")
        parent = Unit.objects.get(pk=org.by_path[path[:-1]])
    elif unit.parent_id is not None:
        raise invalid("A unit's path starts at the department.")
    unit_update(
        actor=None,
        unit=unit,
        name=path[-1],
        kind=unit.kind,
        parent=parent,
        supervisor=unit.supervisor,
        details={"token": token_key, "source": "scim"},
    )


def group_move(unit_id: int, *, add=(), remove=(), replace=None, token_key: str) -> None:
    """Move people into the unit (``add``), out of it to the unit above (``remove``), or make
    its members exactly ``replace``: all as one roster change of those people's rows."""
    org = Org.load()
    here = org.paths[unit_id]
    current = {
        pk
        for pk in Employee.objects.filter(unit_id=unit_id)
        .exclude(status=Employee.Status.SEPARATED)
        .values_list("pk", flat=True)
    }
    if replace is not None:
        add, remove = set(replace) - current, current - set(replace)
    moves = {pk: here for pk in add}
    leaving = [pk for pk in remove if pk in current and pk not in moves]
    if leaving:
        if len(here) == 1:
            raise invalid(
                "Everyone belongs to a unit: add them to another Group rather than remove "
                "them from the department."
            )
        for pk in leaving:
            moves[pk] = here[:-1]
    if not moves:
        return
    found = Employee.objects.filter(pk__in=moves)
    rows = roster_rows_on_record(found)
    if len(rows) != len(moves):
        raise invalid("A member is not a user here.")
    by_number = dict(found.values_list("employee_number", "pk"))
    moved = [
        # Nothing about supervisors changes with a move (docs/scim.md, "Managers").
        dataclasses.replace(row, unit=moves[by_number[row.employee_number]], supervisor_number="")
        for row in rows
        if row.unit != moves[by_number[row.employee_number]]
    ]
    if moved:
        _apply(moved, token_key=token_key)


@transaction.atomic
def group_write(
    unit_id: int | None,
    *,
    path: tuple[str, ...] | None,
    add=(),
    remove=(),
    replace=None,
    token_key: str,
) -> int:
    """Create or change a unit and move its members, all in one transaction."""
    try:
        if unit_id is None:
            unit_id = group_create(path, token_key=token_key)
        elif path is not None:
            group_rename(unit_id, path, token_key=token_key)
    except ValidationError as exc:
        raise invalid(" ".join(exc.messages)) from None
    group_move(unit_id, add=add, remove=remove, replace=replace, token_key=token_key)
    return unit_id
