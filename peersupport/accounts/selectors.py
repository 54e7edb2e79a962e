"""Reads about people, units and roles. Views reach these records only through here."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from peersupport.tenancy import current_agency_id

from .models import (
    CONFIDENTIAL_ROLES,
    DERIVED_ROLES,
    GRANT_APPROVERS,
    MEMBER_STATUSES,
    Employee,
    Role,
    RoleGrant,
    RoleGrantRequest,
    Unit,
    User,
)


def user_roles(user: User, agency_id: int | None = None) -> frozenset[str]:
    """Current granted roles in the agency (by default the current one), plus EMPLOYEE (an
    active, on-leave or retired employee record there: ``MEMBER_STATUSES``) and SUPERVISOR (an
    active employee who supervises a unit). An install system administrator's grant (no agency)
    counts in every agency. tests/accounts/test_roles.py covers each rule (expiry, revocation,
    leave, supervising)."""
    return roles_of(role_rows(user), agency_id if agency_id is not None else current_agency_id())


def roles_anywhere(user: User) -> frozenset[str]:
    """The roles ``user`` holds in any agency: multi-factor authentication and the separation
    of duties look at the person, not at the agency the session points at (§2.1)."""
    return roles_of(role_rows(user), None)


def role_rows(user: User) -> tuple:
    """The account's current grants and employee records, in every agency, with their agency:
    ``roles_of`` reads the roles of one agency (or of all) from them.

    Every signed-in request asks this first, so it is one hand-written query (the grants and
    the employee records, ``UNION ALL``) instead of two built by the ORM: building them cost
    more than running them, about a fifth of a page that shows little else (bench/README.md).
    Raw SQL passes by the scoped managers, so the agency is kept in each row and ``roles_of``
    applies it; a person has a handful of rows."""
    if not user.is_authenticated or not user.is_active:
        return ()
    with connection.cursor() as cursor:
        cursor.execute(_ROLES_SQL, _roles_params(user.pk, timezone.now()))
        return tuple(cursor.fetchall())


def roles_of(rows, agency_id: int | None) -> frozenset[str]:
    """The roles in ``rows`` (``role_rows``) held in agency ``agency_id``, or in any agency
    when None. A grant with no agency (the install system administrator) counts in all."""
    roles = set()
    for source, value, supervises, agency in rows:
        if (
            agency_id is not None
            and agency != agency_id
            and not (source == "grant" and agency is None)
        ):
            continue
        if source == "grant":
            roles.add(value)
            continue
        if value in MEMBER_STATUSES:
            roles.add(Role.EMPLOYEE)
        if value == Employee.Status.ACTIVE and supervises:
            roles.add(Role.SUPERVISOR)
    return frozenset(roles)


# Table names come from the models; every value is a parameter. Every row carries its agency
# (``roles_of`` keeps one agency's): tests/system/test_agency_scoping.py lists this query.
_ROLES_SQL = f"""
    SELECT 'grant', role, NULL, agency_id FROM {RoleGrant._meta.db_table}
     WHERE user_id = %s AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > %s)
    UNION ALL
    SELECT 'employee', e.status,
           EXISTS (SELECT 1 FROM {Unit._meta.db_table} u WHERE u.supervisor_id = e.id),
           e.agency_id
      FROM {Employee._meta.db_table} e
     WHERE e.user_id = %s
"""  # noqa: S608


def _roles_params(user_id: int, now) -> list:
    return [user_id, connection.ops.adapt_datetimefield_value(now), user_id]


def user_needs_mfa(user: User) -> bool:
    """Anyone holding a role beyond plain employee in any agency (``roles_anywhere``): someone
    whose only roles are in another agency than the session's still needs a second factor."""
    return bool(user.roles_anywhere - {Role.EMPLOYEE})


def unit_tree_lines() -> list[tuple[int, int]]:
    """The tree flattened depth-first as (depth, unit id), each parent before its children and
    siblings by name, from each unit's id, parent and name alone: a page of it is read whole by
    ``unit_tree_page``. Reading every unit with its supervisor to show fifty cost 8 ms at 392
    units (SQLite)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Unit.objects.order_by("name").values_list("pk", "parent_id"):
        children.setdefault(parent_id, []).append(pk)
    lines: list[tuple[int, int]] = []
    stack = [(0, pk) for pk in reversed(children.get(None, []))]
    while stack:
        depth, pk = stack.pop()
        lines.append((depth, pk))
        stack.extend((depth + 1, c) for c in reversed(children.get(pk, [])))
    return lines


def unit_tree_page(lines: list[tuple[int, int]]) -> list[tuple[int, Unit]]:
    """A page of ``unit_tree_lines`` as (depth, unit), each unit read with its supervisor."""
    units = Unit.objects.select_related("supervisor").in_bulk([pk for _, pk in lines])
    return [(depth, units[pk]) for depth, pk in lines]


def unit_ancestors(unit: Unit) -> list[Unit]:
    """The unit's parents, nearest first, one query per level (five levels at most)."""
    ancestors: list[Unit] = []
    seen = {unit.pk}
    current = unit
    while current.parent_id is not None and current.parent_id not in seen:
        current = Unit.objects.select_related("supervisor").get(pk=current.parent_id)
        seen.add(current.pk)
        ancestors.append(current)
    return ancestors


def chain_of_command(employee: Employee) -> list[Employee]:
    """The employee's supervisors from the immediate one up to the head of the department.

    Walks the unit tree upwards from the employee's unit; a unit without a supervisor, or one
    the employee supervises themselves, is skipped; a person appears once.
    """
    chain: list[Employee] = []
    seen = {employee.pk}
    unit = Unit.objects.select_related("supervisor").get(pk=employee.unit_id)
    for level in [unit, *unit_ancestors(unit)]:
        sup = level.supervisor
        if sup is not None and sup.pk not in seen and sup.status == Employee.Status.ACTIVE:
            chain.append(sup)
            seen.add(sup.pk)
    return chain


def employee_search(*, query: str = "") -> QuerySet[Employee]:
    qs = Employee.objects.select_related("unit", "user").order_by("last_name", "first_name", "pk")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(last_name__icontains=query)
            | Q(first_name__icontains=query)
            | Q(preferred_name__icontains=query)
            | Q(employee_number__iexact=query)
            | Q(work_email__iexact=query)
        )
    return qs


def role_grants(*, include_ended: bool = False) -> QuerySet[RoleGrant]:
    qs = RoleGrant.objects.select_related("user", "user__employee", "granted_by", "revoked_by")
    return qs if include_ended else qs.current()


# What the Roles page can list: current grants, those ending soon, or every grant ever made.
GRANT_VIEWS = {
    "current": "Current grants",
    "expiring": "Ending within 30 days",
    "all": "All grants, including ended ones",
}
EXPIRING_DAYS = 30


def role_grants_listed(*, show: str = "current", role: str | None = None) -> QuerySet[RoleGrant]:
    """The Roles page's grants (``GRANT_VIEWS``), optionally of one ``role``, by role then
    e-mail address; unread, so the page reads one page of them. With the accounts the page
    shows (the holder's and the granter's) and not the others: making the employee and
    revoker rows of fifty grants was half the page's reading time."""
    grants = role_grants(include_ended=show == "all").select_related(None)
    grants = grants.select_related("user", "granted_by")
    if show == "expiring":
        soon = timezone.now() + timedelta(days=EXPIRING_DAYS)
        grants = grants.filter(expires_at__isnull=False, expires_at__lte=soon)
    if role:
        grants = grants.filter(role=role)
    return grants.order_by("role", "user__email", "pk")


def role_holders(*roles: str) -> list[User]:
    """Active accounts holding any of ``roles`` by a current grant, each once, by id. Only
    granted roles: employee and supervisor follow from records and are not listed here."""
    if DERIVED_ROLES.intersection(roles):
        raise ValueError("role_holders lists granted roles only")
    ids = RoleGrant.objects.current().filter(role__in=roles).values("user_id")
    return list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))


def role_holder_ids(*roles: str) -> QuerySet:
    """The ids of ``role_holders`` as a subquery, for a query that needs only to filter by
    them (a select of instructors): no account is read to build it."""
    if DERIVED_ROLES.intersection(roles):
        raise ValueError("role_holders lists granted roles only")
    ids = RoleGrant.objects.current().filter(role__in=roles).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).values("pk")


def role_grant(grant_id: int) -> RoleGrant:
    """A role grant in force (``role_grants``), by id; 404 for any other."""
    grant = role_grants().filter(pk=grant_id).first()
    if grant is None:
        raise Http404
    return grant


# --- Two-person rule ------------------------------------------------------------------------


def _open_requests() -> QuerySet[RoleGrantRequest]:
    return RoleGrantRequest.objects.filter(
        status=RoleGrantRequest.Status.PENDING, lapses_at__gt=timezone.now()
    )


def pending_roles(user: User) -> frozenset[str]:
    """Roles waiting for a second person's approval for ``user``, in any agency (separation of
    duties looks at the person)."""
    return frozenset(
        RoleGrantRequest.everywhere.filter(
            user=user, status=RoleGrantRequest.Status.PENDING, lapses_at__gt=timezone.now()
        ).values_list("role", flat=True)
    )


def user_is_guarded(user: User) -> bool:
    """Holds or waits for a confidential role: its grants, second factors and e-mail
    addresses are alerted and the Django admin cannot change them."""
    if user.pk is None:
        return False
    # In any agency: the account is one, whichever agency its roles are in.
    return (
        RoleGrant.everywhere.current().filter(user=user, role__in=CONFIDENTIAL_ROLES).exists()
        or RoleGrantRequest.everywhere.filter(
            user=user, status=RoleGrantRequest.Status.PENDING, lapses_at__gt=timezone.now()
        ).exists()
    )


def guarded_user_ids() -> QuerySet:
    """Ids of the guarded accounts (user_is_guarded), as a subquery."""
    granted = RoleGrant.everywhere.current().filter(role__in=CONFIDENTIAL_ROLES).values("user_id")
    waiting = RoleGrantRequest.everywhere.filter(
        status=RoleGrantRequest.Status.PENDING, lapses_at__gt=timezone.now()
    ).values("user_id")
    return User.objects.filter(Q(pk__in=granted) | Q(pk__in=waiting)).values("pk")


def grant_approvers(*, requested_by: User | None, user: User) -> list[User]:
    """Who may approve a confidential grant to ``user`` asked by ``requested_by``: active
    holders of GRANT_APPROVERS, neither of the two."""
    excluded = {user.pk} | ({requested_by.pk} if requested_by is not None else set())
    return [u for u in role_holders(*GRANT_APPROVERS) if u.pk not in excluded]


def role_requests_waiting_for(user: User) -> QuerySet[RoleGrantRequest]:
    """Requests ``user`` may decide: open, and neither asked by them nor for them. Empty for
    anyone who holds no approver role."""
    if not user.has_role(*GRANT_APPROVERS):
        return RoleGrantRequest.objects.none()
    return (
        _open_requests()
        .exclude(requested_by=user)
        .exclude(user=user)
        .select_related("user", "user__employee", "requested_by")
        .order_by("requested_at")
    )


def role_requests_open() -> QuerySet[RoleGrantRequest]:
    """Every open request, for the Roles page (who waits, for whom; never the reason)."""
    return _open_requests().select_related("user", "requested_by").order_by("requested_at")


def role_request_for_approver(user: User, request_id: int) -> RoleGrantRequest:
    """A request ``user`` may decide (role_requests_waiting_for), by id; 404 for any other."""
    req = role_requests_waiting_for(user).filter(pk=request_id).first()
    if req is None:
        raise Http404
    return req


def unit(unit_id: int) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise Http404
    return unit


def employee_number_taken(number: str, *, other_than: int | None = None) -> bool:
    """Whether another employee record of the current agency has this employee number."""
    from peersupport.tenancy import current_agency_id

    taken = Employee.objects.filter(agency_id=current_agency_id(), employee_number=number)
    if other_than is not None:
        taken = taken.exclude(pk=other_than)
    return taken.exists()


def employee(employee_id: int) -> Employee:
    employee = Employee.objects.filter(pk=employee_id).first()
    if employee is None:
        raise Http404
    return employee


# --- Finding a person by name (the person picker, peersupport/web/picker.py) -----------------

PERSON_SEARCH_LIMIT = 10  # matches shown at most; type more of the name to narrow them
PERSON_SEARCH_MIN_CHARS = 2


@dataclass(frozen=True)
class PersonPool:
    """Who may be found in one kind of picker, and who may search it.

    ``roles``: the roles that may search this pool (anyone else finds nobody).
    ``with_email``: the result shows the account's e-mail (only to those who manage accounts).
    """

    roles: frozenset[str]
    with_email: bool = False
    # What is found: accounts ("user") or employee records, with or without an account
    # ("employee").
    of: str = "user"
    # A registered pool's own narrowing of the enabled accounts (register_person_pool).
    narrow: Callable[[QuerySet], QuerySet] | None = None


# Everyone found is a person the searcher may already see: a colleague's name, rank or title
# and unit, as on any staff list of the department. A search never shows, and never filters
# on, anything the directory or the program keeps private: whether someone is a peer
# supporter, a candidate, on leave, a family member, or holds a role. Family members (no
# employee record), former employees and disabled accounts are never found by employees.
# The one exception is a registered pool (register_person_pool): the roster's peer supporters,
# for the coordinator and the BHS manager, who keep the roster and so already know who serves.
PERSON_POOLS = {
    # A colleague with an account, in the department now (nominating one).
    "colleague": PersonPool(roles=frozenset({Role.EMPLOYEE})),
    # Any enabled account (granting a role): those who manage roles see the e-mail too.
    "account": PersonPool(roles=frozenset({Role.SYSADMIN, Role.BHS_MANAGER}), with_email=True),
    # Any employee in the department now, on leave too, with or without an account (adding
    # the people an outreach reaches): for those who run outreach.
    "employee": PersonPool(roles=frozenset({Role.COORDINATOR, Role.BHS_MANAGER}), of="employee"),
}


# Who may search at all (the search endpoint's roles): anyone who may search some pool.
PERSON_SEARCHERS = frozenset().union(*(pool.roles for pool in PERSON_POOLS.values()))


def register_person_pool(name: str, pool: PersonPool) -> None:
    """A domain app's own pool of accounts (its ``AppConfig.ready``), narrowed by
    ``pool.narrow``: the roster's peer supporters, found by those who run the roster and
    outreach, who already see who serves. Only roles that may already search (PERSON_SEARCHERS,
    the search page's roles, fixed at start-up) can be given one."""
    if pool.of != "user" or pool.narrow is None:
        raise ValueError(f"person pool {name!r}: a registered pool narrows accounts")
    if not pool.roles <= PERSON_SEARCHERS:
        raise ValueError(
            f"person pool {name!r}: {sorted(pool.roles - PERSON_SEARCHERS)} may not search"
        )
    existing = PERSON_POOLS.get(name)
    if existing is not None and existing != pool:
        raise ValueError(f"person pool {name!r} is already registered")
    PERSON_POOLS[name] = pool


def person_pool(viewer: User, pool: str) -> PersonPool | None:
    """The pool ``viewer`` may search by that name, or None (unknown, or not theirs)."""
    found = PERSON_POOLS.get(pool)
    if found is None or not viewer.has_role(*found.roles):
        return None
    return found


def _pool_people(pool: str) -> QuerySet:
    if PERSON_POOLS[pool].of == "employee":
        return Employee.objects.filter(
            status__in=[Employee.Status.ACTIVE, Employee.Status.ON_LEAVE]
        ).select_related("unit")
    return _pool_users(pool)


def _pool_users(pool: str) -> QuerySet[User]:
    # A family member's account is never found: it may be the account of someone who asked
    # for help.
    qs = User.objects.filter(
        _of_this_agency(pool), is_active=True, family_member__isnull=True
    ).select_related("employee", "employee__unit")
    if pool == "colleague":
        qs = qs.filter(employee__status=Employee.Status.ACTIVE)
    narrow = PERSON_POOLS[pool].narrow
    return qs if narrow is None else narrow(qs)


def _of_this_agency(pool: str) -> Q:
    """Accounts are the install's, so a search names the agency's people itself (a join
    passes by the scoped managers): those with an employee record in it. Whoever grants roles
    also finds the accounts with no employee record that hold or held a role in it, and those
    that hold none anywhere yet (an account the install's administrator has just made is
    nobody's); never another agency's people."""
    here = current_agency_id()
    mine = Q(employee__agency_id=here)
    if pool == "account":
        granted_here = RoleGrant.objects.filter(user=OuterRef("pk"), agency_id=here)
        granted_anywhere = RoleGrant.everywhere.filter(user=OuterRef("pk"))
        mine |= Q(employee__isnull=True) & (Exists(granted_here) | ~Exists(granted_anywhere))
    return mine


def _name_matches(pool: str, query: str) -> Q:
    """Every word of ``query`` in a name; or the whole of it an exact work e-mail, account
    e-mail or employee number."""
    e = "" if PERSON_POOLS[pool].of == "employee" else "employee__"
    words = Q()
    for word in query.split()[:4]:
        one = (
            Q(**{f"{e}first_name__icontains": word})
            | Q(**{f"{e}last_name__icontains": word})
            | Q(**{f"{e}preferred_name__icontains": word})
        )
        if pool == "account":
            one |= Q(display_name__icontains=word)
        words &= one
    exact = Q(**{f"{e}work_email__iexact": query}) | Q(**{f"{e}employee_number__iexact": query})
    if pool == "account":
        exact |= Q(email__iexact=query)
    return words | exact


@dataclass
class PersonMatches:
    people: list  # Users, or Employees for an "employee" pool
    more: bool  # more than PERSON_SEARCH_LIMIT matched: type more of the name
    too_short: bool = False


def _searchable(query: str | None) -> str:
    """What of a typed name can be searched for: no NUL (PostgreSQL refuses it in text, a 500)
    and no half of a surrogate pair (it cannot be encoded), spaces folded, at most 100
    characters."""
    text = (query or "").replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return " ".join(text.split())[:100]


def people_search(*, viewer: User, pool: str, query: str) -> PersonMatches:
    """The people of ``pool`` (PERSON_POOLS) whose name matches ``query``, by last and first
    name, at most PERSON_SEARCH_LIMIT: one query however many people there are. Nobody for a
    viewer who may not search that pool, or for a query under PERSON_SEARCH_MIN_CHARS."""
    query = _searchable(query)
    if person_pool(viewer, pool) is None:
        return PersonMatches([], more=False)
    if len(query) < PERSON_SEARCH_MIN_CHARS:
        return PersonMatches([], more=False, too_short=bool(query))
    order = (
        ["last_name", "first_name", "pk"]
        if PERSON_POOLS[pool].of == "employee"
        else ["employee__last_name", "employee__first_name", "display_name", "pk"]
    )
    found = list(
        _pool_people(pool)
        .filter(_name_matches(pool, query))
        .order_by(*order)[: PERSON_SEARCH_LIMIT + 1]
    )
    return PersonMatches(found[:PERSON_SEARCH_LIMIT], more=len(found) > PERSON_SEARCH_LIMIT)


def person_pick(*, viewer: User, pool: str, person_id: int) -> User | Employee | None:
    """The person chosen from a picker (a User, or an Employee for an "employee" pool), if
    ``viewer`` may find them in ``pool``; else None."""
    if person_pool(viewer, pool) is None:
        return None
    return _pool_people(pool).filter(pk=person_id).first()
