"""Reads about peer supporters. The directory and matching read them only through here.

Who is listed: a supporter whose profile is ACTIVE, whose account is enabled, who holds the
peer-supporter role now and whose employee record is active (or retired, where the program lets
retirees serve: ``RETIREES_MAY_SERVE``). Anyone else (a candidate, someone in training,
inactive, retired from the program or removed, on leave from the department, or whose role was
revoked) never appears in the directory and is never offered a request.

Agencies (issue 23, docs/design/agencies.md §2.3): a profile belongs to the supporter's home
agency, but an agency lists whoever holds its peer-supporter role now, whatever their home (a
supporter lent by another agency, step 6). So the listing, and the reads of one person's own
profile, go through ``SupporterProfile.everywhere`` (and the areas and shifts of the profiles
so found through theirs); each such use says why. Only home supporters vote
(``may_vote``), and the coordinator's roster is the home agency's (``SupporterProfile.objects``).
The hand-written SQL here carries the same predicates, the agency a bound parameter.
"""

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    Expression,
    ExpressionWrapper,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import (
    Employee,
    Language,
    Role,
    RoleGrant,
    Unit,
    User,
    person_name,
)
from peersupport.accounts.selectors import chain_of_command
from peersupport.notifications.messages import site_link
from peersupport.tenancy import current_agency_id
from peersupport.web.ics import Event

from . import rules
from .models import AREA_LABELS, OnCallShift, SupporterArea, SupporterProfile

Status = SupporterProfile.Status
Availability = SupporterProfile.Availability


# --- The availability rule ------------------------------------------------------------------


def availability_rule(*, status: str, availability: str, on_call: bool) -> bool:
    """Whether a supporter can take a request now.

    - Only an ACTIVE supporter is ever available.
    - "off" always wins: a supporter who has switched off is not available, even during an
      on-call shift (they may be ill, or the calendar out of date; they said so last).
    - "available" is available, with or without a shift.
    - "busy" is available only while an on-call shift covers the moment: being on call is a
      promise to answer even when otherwise busy.

    A shift covers ``now`` when ``start <= now < end``.
    """
    if status != Status.ACTIVE or availability == Availability.OFF:
        return False
    return availability == Availability.AVAILABLE or on_call


def _on_call_exists(now: datetime) -> Exists:
    # ``everywhere``: the shifts of a listed profile, whose home may be another agency.
    return Exists(
        OnCallShift.everywhere.filter(profile=OuterRef("pk"), start__lte=now, end__gt=now)
    )


def _available_q() -> Q:
    """The rule above in SQL, over a queryset annotated with ``on_call_now``. Status is
    already restricted to ACTIVE by ``_listed()``."""
    return Q(availability=Availability.AVAILABLE) | (
        Q(on_call_now=True) & ~Q(availability=Availability.OFF)
    )


def is_available_now(profile: SupporterProfile, *, now: datetime | None = None) -> bool:
    """``availability_rule`` for one profile at ``now`` (default: this moment).

    A profile from ``directory()`` or ``matching_supporters()`` already carries the answer for
    the moment it was read (``available_now``), so asking again costs no query; with an
    explicit ``now``, or for any other profile, one query looks for a covering shift.
    """
    if now is None and hasattr(profile, "available_now"):
        return profile.available_now
    now = now or timezone.now()
    # The shift only matters for an active supporter who is busy: ask the database then only.
    # ``everywhere``: the profile's own shifts, wherever its home is (a lent supporter's).
    on_call = (
        profile.status == Status.ACTIVE
        and profile.availability == Availability.BUSY
        and OnCallShift.everywhere.filter(profile=profile, start__lte=now, end__gt=now).exists()
    )
    return availability_rule(
        status=profile.status, availability=profile.availability, on_call=on_call
    )


# --- Listed supporters ----------------------------------------------------------------------


def serving_employee_statuses() -> tuple[str, ...]:
    """The employee statuses a listed supporter may have (see the module's docstring)."""
    if settings.RETIREES_MAY_SERVE:
        return (Employee.Status.ACTIVE, Employee.Status.RETIRED)
    return (Employee.Status.ACTIVE,)


def _listed_profiles(now: datetime, *, home_only: bool = False) -> QuerySet[SupporterProfile]:
    """The listed supporters' profiles alone (``_listed`` without what the directory shows).

    Listed in the current agency: an active profile of ANY home whose account holds the
    peer-supporter role in the current agency now (``RoleGrant.objects`` is the current
    agency's): a supporter lent by another agency serves here while the loan's grant lasts, and
    their profile stays at home. Hence ``SupporterProfile.everywhere``; the grant is what
    scopes. ``home_only``: only supporters whose home is the current agency (who vote here)."""
    holds_role = RoleGrant.objects.current(now).filter(
        user=OuterRef("user"), role=Role.PEER_SUPPORTER
    )
    profiles = SupporterProfile.objects if home_only else SupporterProfile.everywhere
    return profiles.filter(
        status=Status.ACTIVE,
        user__is_active=True,
        user__employee__status__in=serving_employee_statuses(),
    ).filter(Exists(holds_role))


def _listed(now: datetime) -> QuerySet[SupporterProfile]:
    """Listed supporters with everything the directory shows, annotated with ``on_call_now``
    and ``available_now_db`` at ``now``. A fixed number of queries however many there are:
    one for the rows, one each for languages and areas."""
    return (
        _listed_profiles(now)
        .select_related("user", "user__employee", "user__employee__unit")
        # The areas of profiles of any home (``_listed_profiles``), not the current agency's.
        .prefetch_related(
            "user__employee__languages", Prefetch("areas", SupporterArea.everywhere.all())
        )
        .annotate(on_call_now=_on_call_exists(now))
        .annotate(available_now_db=ExpressionWrapper(_available_q(), output_field=BooleanField()))
    )


def _finish(profiles: Iterable[SupporterProfile]) -> list[SupporterProfile]:
    result = []
    for profile in profiles:
        profile.available_now = availability_rule(
            status=profile.status, availability=profile.availability, on_call=profile.on_call_now
        )
        result.append(profile)
    return result


BIO_SHORT = 200  # characters of the bio a directory card shows


def _labels_sql(count: int) -> str:
    """Both labels of ``count`` profiles in one statement: languages by employee id, areas by
    profile id, each in the order shown (``_labels_params`` gives its parameters). Only of
    people who hold the peer-supporter role in the current agency (the listed supporters, of
    any home: ``_listed_profiles``), so a list of ids from elsewhere reads nothing."""
    languages = Employee.languages.through._meta.db_table
    language = Language._meta.db_table
    areas = SupporterArea._meta.db_table
    grants = RoleGrant._meta.db_table
    marks = ", ".join(["%s"] * count)
    return (
        f"SELECT 0, el.employee_id, l.name FROM {languages} el "  # noqa: S608 - table names
        f"JOIN {language} l ON l.id = el.language_id WHERE el.employee_id IN ({marks}) "
        f"AND EXISTS (SELECT 1 FROM {Employee._meta.db_table} le JOIN {grants} lg "
        "ON lg.user_id = le.user_id WHERE le.id = el.employee_id AND lg.role = %s "
        "AND lg.agency_id = %s) "
        f"UNION ALL SELECT 1, a.profile_id, a.area FROM {areas} a "
        f"WHERE a.profile_id IN ({marks}) "
        f"AND EXISTS (SELECT 1 FROM {SupporterProfile._meta.db_table} ap JOIN {grants} ag "
        "ON ag.user_id = ap.user_id WHERE ap.id = a.profile_id AND ag.role = %s "
        "AND ag.agency_id = %s) ORDER BY 1, 3"
    )


def _labels_params(employee_ids: list[int], profile_ids: list[int]) -> list:
    held = [Role.PEER_SUPPORTER.value, current_agency_id()]
    return [*employee_ids, *held, *profile_ids, *held]


def _labelled(profiles: list[SupporterProfile]) -> list[SupporterProfile]:
    """Give each profile ``language_names``, ``area_labels`` and ``bio_short``: one hand-written
    query of plain values in place of prefetching Language and SupporterArea objects, which was
    half of the directory's database time (about 250 model instances a page; bench/README.md),
    and of two ORM queries, whose building cost about 1 ms a page (issue 21)."""
    if not profiles:
        return profiles
    employee_ids = [p.user.employee.pk for p in profiles]
    profile_ids = [p.pk for p in profiles]
    found: tuple[dict[int, list[str]], dict[int, list[str]]] = ({}, {})
    with connection.cursor() as cursor:
        cursor.execute(_labels_sql(len(profiles)), _labels_params(employee_ids, profile_ids))
        for part, owner, value in cursor.fetchall():
            found[part].setdefault(owner, []).append(value)
    languages, areas = found
    for profile in profiles:
        profile.language_names = languages.get(profile.user.employee.pk, [])
        profile.area_labels = [AREA_LABELS.get(a, a) for a in areas.get(profile.pk, [])]
        bio = profile.bio
        profile.bio_short = bio if len(bio) <= BIO_SHORT else bio[: BIO_SHORT - 1].rstrip() + "…"
    return profiles


class Listed(Sequence):
    """The directory's supporters, read from the database a slice at a time.

    The directory page shows 30 supporters; loading every listed one (with its employee, unit,
    languages and areas) to show 30 made the page grow with the program: about 3 times slower
    at 400 supporters than at 40 (bench/pages.py). ``Paginator`` asks for ``count()`` and then
    one slice, which is one ``LIMIT`` query plus two of languages and areas. Iterating reads
    them all, as before; either way each profile carries ``available_now``, ``language_names``
    and ``area_labels``.
    """

    def __init__(self, queryset: QuerySet[SupporterProfile]):
        self._queryset = queryset.prefetch_related(None)
        self._count: int | None = None

    @property
    def queryset(self) -> QuerySet[SupporterProfile]:
        """The rows, unread: a page of them goes through ``prepare`` before it is shown."""
        return self._queryset

    @staticmethod
    def prepare(profiles: Iterable[SupporterProfile]) -> list[SupporterProfile]:
        """Give rows of ``queryset`` what the directory shows (``available_now``, labels)."""
        return _labelled(_finish(profiles))

    def count(self) -> int:
        if self._count is None:
            self._count = self._queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if isinstance(index, slice):
            return _labelled(_finish(self._queryset[index]))
        return _labelled(_finish(self._queryset[index : index + 1]))[0]

    def __iter__(self) -> Iterator[SupporterProfile]:
        return iter(_labelled(_finish(self._queryset)))

    def __contains__(self, profile) -> bool:
        return isinstance(profile, SupporterProfile) and (
            self._queryset.filter(pk=profile.pk).exists()
        )


def _chain_employee_ids(employee: Employee | None) -> list[int]:
    return [sup.pk for sup in chain_of_command(employee)] if employee is not None else []


def _employee_of(person: User | Employee | None) -> Employee | None:
    if person is None or isinstance(person, Employee):
        return person
    return Employee.objects.filter(user=person).select_related("unit").first()


def directory(
    *,
    viewer: User,
    query: str = "",
    language: Language | int | None = None,
    area: str | None = None,
    employee_type: str | None = None,
    gender: str | None = None,
    service: str | None = None,
    available_now: bool = False,
    hide_my_chain: bool = False,
) -> Listed:
    """Every listed supporter in every unit, those available now first, then by name.

    ``query`` matches name, rank or title, unit and bio. ``gender`` matches only supporters
    who chose to show theirs. ``service`` "retired" lists only retirees, "serving" only those
    still serving with the department (None: both, where retirees serve at all). ``hide_my_chain``
    leaves out the viewer's supervisors, from the immediate one up to the head of the
    department (computed once). Each profile carries ``available_now``.
    """
    now = timezone.now()
    qs = _listed(now)
    query = query.strip()
    if query:
        words = Q()
        for word in query.split()[:6]:
            words &= (
                Q(user__employee__first_name__icontains=word)
                | Q(user__employee__last_name__icontains=word)
                | Q(user__employee__preferred_name__icontains=word)
                | Q(user__employee__rank_title__icontains=word)
                | Q(user__employee__unit__name__icontains=word)
                | Q(bio__icontains=word)
            )
        qs = qs.filter(words)
    if language is not None:
        language_id = getattr(language, "pk", language)
        qs = qs.filter(
            Exists(
                Employee.languages.through.objects.filter(
                    employee_id=OuterRef("user__employee"), language_id=language_id
                )
            )
        )
    if area:
        # ``everywhere``: the areas of listed profiles of any home.
        qs = qs.filter(Exists(SupporterArea.everywhere.filter(profile=OuterRef("pk"), area=area)))
    if employee_type:
        qs = qs.filter(user__employee__employee_type=employee_type)
    if gender:
        qs = qs.filter(show_gender=True, gender=gender)
    if service == "retired":
        qs = qs.filter(user__employee__status=Employee.Status.RETIRED)
    elif service == "serving":
        qs = qs.exclude(user__employee__status=Employee.Status.RETIRED)
    if available_now:
        qs = qs.filter(available_now_db=True)
    if hide_my_chain:
        chain = _chain_employee_ids(_employee_of(viewer))
        if chain:
            qs = qs.exclude(user__employee__in=chain)
    qs = qs.order_by(
        "-available_now_db",
        "user__employee__last_name",
        "user__employee__first_name",
        "pk",
    )
    return Listed(qs)


def language_options() -> tuple[tuple[int, str], ...]:
    """Every language as (id, name), by name: the directory's language filter. One
    hand-written query: the options also key the filter form's HTML kept per process."""
    table = connection.ops.quote_name(Language._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, name FROM {table} ORDER BY name")  # noqa: S608 - the table
        return tuple(cursor.fetchall())


# --- The directory's page, read as plain values ----------------------------------------------


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """What a directory card shows about one listed supporter (``cards.directory_cards``)."""

    pk: int
    name: str
    initials: str
    has_photo: bool
    rank_title: str
    unit: str
    shift: str  # the label
    retired: bool
    available_now: bool
    language_names: list[str]
    area_labels: list[str]
    shown_gender: str
    bio_short: str


SHIFT_LABELS = dict(Employee.Shift.choices)
GENDER_LABELS = dict(SupporterProfile.Gender.choices)


def _short(bio: str) -> str:
    return bio if len(bio) <= BIO_SHORT else bio[: BIO_SHORT - 1].rstrip() + "…"


def _initials(name: str) -> str:
    parts = name.split() or ["?"]
    return (parts[0][0] + (parts[-1][0] if len(parts) > 1 else "")).upper()


def directory_entry(profile: SupporterProfile) -> DirectoryEntry:
    """The entry of a profile from ``directory()`` (labelled: ``available_now``,
    ``language_names``, ``area_labels``, ``bio_short``), as ``directory_page`` reads it."""
    employee = profile.employee
    return DirectoryEntry(
        pk=profile.pk,
        name=profile.name,
        initials=profile.initials,
        has_photo=bool(profile.photo),
        rank_title=employee.rank_title,
        unit=str(employee.unit),
        shift=employee.get_shift_display(),
        retired=employee.status == Employee.Status.RETIRED,
        available_now=profile.available_now,
        language_names=profile.language_names,
        area_labels=profile.area_labels,
        shown_gender=profile.shown_gender,
        bio_short=profile.bio_short,
    )


def _like(column: str, internal_type: str = "CharField") -> str:
    """``column__icontains=%s`` as the database's own lookup writes it."""
    lhs = connection.ops.lookup_cast("icontains", internal_type) % column
    return f"{lhs} {connection.operators['icontains'] % '%s'}"


def _directory_where(
    now: datetime,
    *,
    query: str = "",
    language: Language | int | None = None,
    area: str | None = None,
    employee_type: str | None = None,
    gender: str | None = None,
    service: str | None = None,
    available_now: bool = False,
    chain: list[int],
) -> tuple[list[str], list]:
    """The conditions of ``directory()`` (listed, then each filter) over ``p`` (profile), ``u``
    (account), ``e`` (employee) and ``n`` (unit), and their parameters in order."""
    ops = connection.ops
    moment = ops.adapt_datetimefield_value(now)
    statuses = serving_employee_statuses()
    where = [
        "p.status = %s",
        "u.is_active",
        f"e.status IN ({', '.join(['%s'] * len(statuses))})",
        # The role held in the current agency, whatever the profile's home (``_listed_profiles``).
        f"EXISTS (SELECT 1 FROM {RoleGrant._meta.db_table} g WHERE g.user_id = p.user_id"  # noqa: S608
        " AND g.role = %s AND g.revoked_at IS NULL"
        " AND (g.expires_at IS NULL OR g.expires_at > %s) AND g.agency_id = %s)",
    ]
    params: list = [
        Status.ACTIVE.value,
        *statuses,
        Role.PEER_SUPPORTER.value,
        moment,
        current_agency_id(),
    ]
    for word in query.strip().split()[:6]:
        columns = [
            _like("e.first_name"),
            _like("e.last_name"),
            _like("e.preferred_name"),
            _like("e.rank_title"),
            _like("n.name"),
            _like("p.bio", "TextField"),
        ]
        where.append(f"({' OR '.join(columns)})")
        params += [f"%{ops.prep_for_like_query(word)}%"] * len(columns)
    if language is not None:
        where.append(
            f"EXISTS (SELECT 1 FROM {Employee.languages.through._meta.db_table} el"  # noqa: S608
            " WHERE el.employee_id = e.id AND el.language_id = %s)"
        )
        params.append(getattr(language, "pk", language))
    if area:
        where.append(
            f"EXISTS (SELECT 1 FROM {SupporterArea._meta.db_table} a"  # noqa: S608
            " WHERE a.profile_id = p.id AND a.area = %s)"
        )
        params.append(area)
    if employee_type:
        where.append("e.employee_type = %s")
        params.append(employee_type)
    if gender:
        where += ["p.show_gender = %s", "p.gender = %s"]
        params += [True, gender]
    if service == "retired":
        where.append("e.status = %s")
        params.append(Employee.Status.RETIRED.value)
    elif service == "serving":
        where.append("e.status <> %s")
        params.append(Employee.Status.RETIRED.value)
    if available_now:
        where.append(_AVAILABLE_SQL)
        params += _available_params(now)
    if chain:
        where.append(f"e.id NOT IN ({', '.join(['%s'] * len(chain))})")
        params += chain
    return where, params


# ``availability_rule`` over ``p`` (an active profile): available, or on call and not off.
_AVAILABLE_SQL = (
    "(p.availability = %s OR (p.availability <> %s AND EXISTS (SELECT 1 FROM "  # noqa: S608
    f"{OnCallShift._meta.db_table} s WHERE s.profile_id = p.id"
    ' AND s.start <= %s AND s."end" > %s)))'
)


def _available_params(now: datetime) -> list:
    moment = connection.ops.adapt_datetimefield_value(now)
    return [Availability.AVAILABLE.value, Availability.OFF.value, moment, moment]


def _directory_page_sql(where: list[str], limit: int, offset: int) -> str:
    """One page of the directory and how many match: the matching supporters are ranked as
    ``directory()`` orders them with only their sort keys (the window count over narrow rows),
    then the page's rows are joined to what their cards show."""
    conditions = " AND ".join(where)
    profile = connection.ops.quote_name(SupporterProfile._meta.db_table)
    unit = Unit._meta.db_table
    return (
        f'SELECT {profile}."id", {profile}."photo", {profile}."bio", '  # noqa: S608
        f'{profile}."gender", {profile}."show_gender", r.available_now, r.total, e.id, '
        "e.first_name, e.preferred_name, e.last_name, e.rank_title, e.status, e.shift, n.name "
        f"FROM (SELECT p.id, p.user_id, e.last_name, e.first_name, {_AVAILABLE_SQL} "
        "AS available_now, COUNT(*) OVER () AS total "
        f"FROM {profile} p JOIN {User._meta.db_table} u ON u.id = p.user_id "
        f"JOIN {Employee._meta.db_table} e ON e.user_id = p.user_id "
        f"JOIN {unit} n ON n.id = e.unit_id WHERE {conditions} "
        "ORDER BY available_now DESC, e.last_name, e.first_name, p.id "
        f"LIMIT {int(limit)} OFFSET {int(offset)}) r "
        f'JOIN {profile} ON {profile}."id" = r.id '
        f"JOIN {Employee._meta.db_table} e ON e.user_id = r.user_id "
        f"JOIN {unit} n ON n.id = e.unit_id "
        "ORDER BY r.available_now DESC, r.last_name, r.first_name, r.id"
    )


def directory_page(
    *, viewer: User, limit: int, offset: int = 0, hide_my_chain: bool = False, **filters
) -> tuple[list[DirectoryEntry], int]:
    """``limit`` entries of ``directory(viewer=viewer, **filters)`` from ``offset``, in its
    order, and how many match in all (0 when the page is past the end, as when none match).

    The same supporters in the same order as ``directory()`` (tests/roster/test_directory.py
    compares them filter by filter), read as plain values in one hand-written query and the
    labels in a second: building the ORM query and a profile, account, employee and unit
    for each card was most of the directory's time (issue 21)."""
    now = timezone.now()
    chain = _chain_employee_ids(_employee_of(viewer)) if hide_my_chain else []
    where, params = _directory_where(now, chain=chain, **filters)
    with connection.cursor() as cursor:
        cursor.execute(_directory_page_sql(where, limit, offset), _available_params(now) + params)
        rows = cursor.fetchall()
        if not rows:
            return [], 0
        employee_ids = [row[7] for row in rows]
        profile_ids = [row[0] for row in rows]
        cursor.execute(_labels_sql(len(rows)), _labels_params(employee_ids, profile_ids))
        found: tuple[dict[int, list[str]], dict[int, list[str]]] = ({}, {})
        for part, owner, value in cursor.fetchall():
            found[part].setdefault(owner, []).append(value)
    languages, areas = found
    entries = []
    for (
        pk,
        photo,
        bio,
        gender,
        show_gender,
        available,
        _total,
        employee_id,
        first,
        preferred,
        last,
        rank_title,
        status,
        shift,
        unit,
    ) in rows:
        name = f"{preferred or first} {last}"
        entries.append(
            DirectoryEntry(
                pk=pk,
                name=name,
                initials=_initials(name),
                has_photo=bool(photo),
                rank_title=rank_title,
                unit=unit,
                shift=SHIFT_LABELS.get(shift, shift),
                retired=status == Employee.Status.RETIRED,
                available_now=bool(available),
                language_names=languages.get(employee_id, []),
                area_labels=[AREA_LABELS.get(a, a) for a in areas.get(pk, [])],
                shown_gender=GENDER_LABELS.get(gender, gender) if show_gender and gender else "",
                bio_short=_short(bio),
            )
        )
    return entries, rows[0][6]


def _load_key(profile: SupporterProfile) -> int:
    """How busy the supporter already is: the requests they hold open plus the offers waiting
    for their answer (annotated by ``matching_supporters``, so no query per profile). Fewer
    comes first among equally available supporters."""
    return getattr(profile, "open_load", 0) or 0


# How busy a supporter already is comes from the apps that give supporters work (support
# registers its open requests and pending offers in its AppConfig.ready()): each source is an
# integer expression over a supporter profile's row (``OuterRef("user")`` is the supporter).
_load_sources: dict[str, Callable[[], Expression]] = {}


def register_load_source(name: str, source: Callable[[], Expression]) -> None:
    _load_sources[name] = source


def _open_load() -> Expression:
    """Every registered source of work held, per supporter, as one expression."""
    parts = [Coalesce(source(), 0) for source in _load_sources.values()]
    if not parts:
        return Value(0, output_field=IntegerField())
    total = parts[0]
    for part in parts[1:]:
        total = total + part
    return total


# Who lived through an event of a kind is told by the app that records such events (outreach
# registers its open outreaches' affected people and responders in its AppConfig.ready()): each
# source takes the experience areas a request asks for and gives the accounts involved in an
# event that calls for one of them.
_involvement_sources: dict[str, Callable[[frozenset[str]], Iterable[int]]] = {}


def register_involvement_source(
    name: str, source: Callable[[frozenset[str]], Iterable[int]]
) -> None:
    _involvement_sources[name] = source


def involved_in_events_of(areas: Iterable[str]) -> set[int]:
    """The accounts every registered source says are involved in an event calling for one of
    ``areas`` (none given: nobody)."""
    wanted = frozenset(areas)
    if not wanted:
        return set()
    return {user_id for source in _involvement_sources.values() for user_id in source(wanted)}


def _ids(languages: Iterable[Language | int]) -> list[int]:
    return [getattr(lang, "pk", lang) for lang in languages]


def _speaks(language_ids: list[int]) -> Exists:
    """The supporter speaks at least one of ``language_ids``."""
    return Exists(
        Employee.languages.through.objects.filter(
            employee_id=OuterRef("user__employee"), language_id__in=language_ids
        )
    )


def _leave_out(qs, excluded: set[int], chain_of: User | Employee | None):
    """``qs`` without the accounts in ``excluded`` and without ``chain_of``'s chain of command
    (the two selectors that offer supporters leave out the same people)."""
    if excluded:
        qs = qs.exclude(user_id__in=excluded)
    if chain_of is not None:
        chain = _chain_employee_ids(_employee_of(chain_of))
        if chain:
            qs = qs.exclude(user__employee__in=chain)
    return qs


def matching_supporters(
    *,
    languages: Iterable[Language | int] = (),
    areas: Iterable[str] = (),
    employee_type: str | None = None,
    exclude_user_ids: Iterable[int] = (),
    exclude_chain_of: User | Employee | None = None,
    leave_out_involved: bool = False,
    available_now: bool = True,
    now: datetime | None = None,
) -> list[SupporterProfile]:
    """Listed supporters who fit a request, best first.

    - ``languages``: the supporter speaks at least one of them (none given: any).
    - ``areas``: the supporter has at least one of these experience areas (none given: any).
    - ``employee_type``: sworn, civilian or corrections, as the requester asked.
    - ``exclude_user_ids``: accounts never to offer to (the requester, who already passed...).
    - ``exclude_chain_of``: the requester (account or employee record) whose chain of command
      is left out.
    - ``leave_out_involved``: leave out supporters involved now in an event that calls for
      one of ``areas`` (``involved_in_events_of``): someone who was hurt in, lost someone in,
      or responded to a critical incident is not offered a request asking for that experience.
    - ``available_now``: only supporters available now (the default, for offering a request).

    Order: available now first; then ``_load_key`` (fewest open requests); then the most of
    the requested areas covered; then name and id, so equal candidates always come in the
    same order.
    """
    now = now or timezone.now()
    qs = _listed(now).annotate(open_load=_open_load())
    language_ids = _ids(languages)
    if language_ids:
        qs = qs.filter(_speaks(language_ids))
    wanted_areas = set(areas)
    if wanted_areas:
        # ``everywhere``: the areas of listed profiles of any home.
        qs = qs.filter(
            Exists(SupporterArea.everywhere.filter(profile=OuterRef("pk"), area__in=wanted_areas))
        )
    if employee_type:
        qs = qs.filter(user__employee__employee_type=employee_type)
    excluded = set(exclude_user_ids)
    if leave_out_involved:
        excluded |= involved_in_events_of(wanted_areas)
    qs = _leave_out(qs, excluded, exclude_chain_of)
    if available_now:
        qs = qs.filter(available_now_db=True)
    profiles = _finish(qs)

    def rank(profile: SupporterProfile):
        covered = sum(1 for a in profile.areas.all() if a.area in wanted_areas)
        employee = profile.user.employee
        return (
            not profile.available_now,
            _load_key(profile),
            -covered,
            employee.last_name,
            employee.first_name,
            profile.pk,
        )

    return sorted(profiles, key=rank)


def suggested_supporters(
    *,
    languages: Iterable[Language | int] = (),
    areas: Iterable[str] = (),
    exclude_user_ids: Iterable[int] = (),
    exclude_chain_of: User | Employee | None = None,
    limit: int,
    now: datetime | None = None,
) -> list[SupporterProfile]:
    """The ``limit`` listed supporters best suited to reach out to someone, whether available
    now or not: those who speak one of ``languages`` and have one of the experience ``areas``
    first, then those with one of the areas, then those who speak one of the languages, then
    anyone (none given: that part counts as met). Within each, as ``matching_supporters``
    ranks: available now first, then the least loaded, the most areas covered, name and id.

    The same answer as asking ``matching_supporters`` for each of the four in turn, in one
    query of ``limit`` rows, ordered by the database: the four rounds loaded every matching
    supporter with their languages and areas, most of the outreach assignment page's time,
    and more with every supporter the program gains. Only ``user`` is loaded with each."""
    now = now or timezone.now()
    language_ids = _ids(languages)
    wanted_areas = sorted(set(areas))
    true = Value(True, output_field=BooleanField())
    speaks = _speaks(language_ids) if language_ids else true
    if wanted_areas:
        # ``everywhere``: the areas of listed profiles of any home.
        of_wanted = SupporterArea.everywhere.filter(profile=OuterRef("pk"), area__in=wanted_areas)
        has_area = Exists(of_wanted)
        covered = Subquery(
            of_wanted.order_by().values("profile").annotate(n=Count("pk")).values("n"),
            output_field=IntegerField(),
        )
    else:
        has_area, covered = true, Value(0, output_field=IntegerField())
    qs = (
        _listed(now)
        .prefetch_related(None)
        .select_related(None)
        .select_related("user")
        .annotate(open_load=_open_load(), speaks=speaks, has_area=has_area, covered=covered)
    )
    qs = _leave_out(qs, set(exclude_user_ids), exclude_chain_of)
    # Those with one of the areas first (speaking a language first among them), then those
    # who speak one: that is, by has_area then speaks, both true first.
    qs = qs.order_by(
        "-has_area",
        "-speaks",
        "-available_now_db",
        "open_load",
        "-covered",  # none (NULL) only where has_area is false: all alike there
        "user__employee__last_name",
        "user__employee__first_name",
        "pk",
    )
    return _finish(qs[:limit])


# --- One supporter --------------------------------------------------------------------------


def supporter_for_viewer(*, viewer: User, profile_id: int) -> SupporterProfile:
    """A listed supporter, or the viewer's own profile whatever its status (to preview it).
    404 for anything else, so an unlisted supporter is indistinguishable from none."""
    profile = next(iter(_finish(_listed(timezone.now()).filter(pk=profile_id))), None)
    if profile is not None:
        return profile
    own = own_profile(viewer) if getattr(viewer, "is_authenticated", False) else None
    if own is not None and own.pk == profile_id:
        return own
    raise Http404("No such supporter.")


def home_agency_id(user: User) -> int | None:
    """The agency the supporter belongs to (their profile's, ``everywhere``: they may be serving
    another), or None for someone with no profile."""
    return SupporterProfile.everywhere.filter(user=user).values_list("agency_id", flat=True).first()


def own_profile(user: User) -> SupporterProfile | None:
    """The signed-in supporter's own profile, with what their page shows. ``everywhere``: a
    person has one profile, at home, and it is theirs in whichever agency they serve."""
    return (
        SupporterProfile.everywhere.filter(user=user)
        .select_related("user", "user__employee", "user__employee__unit")
        .prefetch_related(
            "user__employee__languages", Prefetch("areas", SupporterArea.everywhere.all())
        )
        .first()
    )


def upcoming_shifts(profile: SupporterProfile, *, now: datetime | None = None):
    """The supporter's shifts that have not ended yet, soonest first. ``everywhere``: the
    shifts of a profile already found (listed here, or one's own), whatever its home."""
    now = now or timezone.now()
    return list(OnCallShift.everywhere.filter(profile=profile, end__gt=now).order_by("start"))


def own_shift(*, user: User, shift_id: int) -> OnCallShift:
    """One of the signed-in supporter's own shifts; 404 for anyone else's."""
    shift = (
        OnCallShift.objects.filter(pk=shift_id, profile__user=user)
        .select_related("profile")
        .first()
    )
    if shift is None:
        raise Http404("No such shift.")
    return shift


# --- Lifecycle --------------------------------------------------------------------------------


# Whether someone completed initial training is the training app's answer, registered in its
# AppConfig.ready(); without one, nobody has.
_initial_training_check: list[Callable[[User], bool]] = []


def register_initial_training_check(check: Callable[[User], bool]) -> None:
    _initial_training_check[:] = [check]


def initial_training_complete(user: User) -> bool:
    """Whether ``user`` has completed initial training (PROGRAM.md, "Training"): the one place
    the roster asks."""
    return any(bool(check(user)) for check in _initial_training_check)


def ready_to_activate(profile: SupporterProfile) -> bool:
    """An appointed supporter whose initial training is complete: one click makes them active."""
    return profile.status == SupporterProfile.Status.APPOINTED and initial_training_complete(
        profile.user
    )


def serves(user: User) -> bool:
    """Whether ``user`` may log contacts and raise exceptions (``rules.SERVING``). Their
    profile wherever it lives (``everywhere``): a lent supporter serves with their home
    profile, and the pages that ask also require the current agency's peer-supporter role."""
    return SupporterProfile.everywhere.filter(user=user, status__in=rules.SERVING).exists()


def may_vote(user: User) -> bool:
    """One ballot per active supporter in committee elections: only a listed supporter whose
    home is the current agency votes (one lent by another agency votes at home)."""
    return _listed_profiles(timezone.now(), home_only=True).filter(user=user).exists()


def voters() -> list[User]:
    """Everyone ``may_vote`` says yes to, by name, in one query."""
    profiles = (
        _listed_profiles(timezone.now(), home_only=True)
        .select_related("user", "user__employee", "user__employee__unit")
        .order_by("user__employee__last_name", "user__employee__first_name", "pk")
    )
    return [p.user for p in profiles]


def voter_names() -> list[tuple[int, str]]:
    """``(user id, str(user))`` of each of ``voters``, in the same order, read as values: a
    select of every voter (nominating one) builds no account, profile or employee for them."""
    rows = (
        _listed_profiles(timezone.now(), home_only=True)
        .order_by("user__employee__last_name", "user__employee__first_name", "pk")
        .values_list("user_id", "user__display_name", "user__email")
    )
    return [(pk, display_name or email) for pk, display_name, email in rows]


# What may need the coordinator's attention on the roster, from what the roster stores (no
# per-supporter computation): each a label and the rows it picks.
OFF_FOR_DAYS = 30
CONCERN_LABELS = {
    "off": f"Active, switched off for {OFF_FOR_DAYS} days or more",
    "overdue": "Inactive past their expected return",
    "unlisted": "Active but not in the directory (role, account or employee record)",
}


def _concerns(now: datetime) -> dict[str, tuple[str, Q]]:
    listed = Q(
        Exists(
            RoleGrant.objects.current(now).filter(user=OuterRef("user"), role=Role.PEER_SUPPORTER)
        ),
        user__is_active=True,
        user__employee__status__in=serving_employee_statuses(),
    )
    return {
        "off": (
            CONCERN_LABELS["off"],
            Q(
                status=Status.ACTIVE,
                availability=Availability.OFF,
                availability_updated_at__lte=now - timedelta(days=OFF_FOR_DAYS),
            ),
        ),
        "overdue": (
            CONCERN_LABELS["overdue"],
            Q(status=Status.INACTIVE, inactive_until__lt=timezone.localdate(now)),
        ),
        "unlisted": (
            CONCERN_LABELS["unlisted"],
            Q(status=Status.ACTIVE) & ~listed,
        ),
    }


ROSTER_CONCERNS = ("off", "overdue", "unlisted")


def roster_rows(
    *, status: str | None = None, concern: str | None = None
) -> QuerySet[SupporterProfile]:
    """The coordinator's roster, whatever each supporter's status, by name, unread (a page of
    it goes through ``roster_prepare``): of one ``status``, or one of ``ROSTER_CONCERNS``."""
    qs = SupporterProfile.objects.select_related(
        "user", "user__employee", "user__employee__unit"
    ).order_by("user__employee__last_name", "user__employee__first_name", "pk")
    if status:
        qs = qs.filter(status=status)
    if concern:
        qs = qs.filter(_concerns(timezone.now())[concern][1])
    return qs


def roster_prepare(profiles: Iterable[SupporterProfile]) -> list[SupporterProfile]:
    """Mark each profile ``ready`` (to activate): one question per appointed supporter only, a
    handful at a time."""
    profiles = list(profiles)
    for profile in profiles:
        profile.ready = ready_to_activate(profile)
    return profiles


def roster_counts() -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """How many supporters there are in each status, and the concerns with their labels and
    counts: one hand-written query, however many supporters there are (a grouped count and
    the concerns' labels built as Django queries cost more than running them, issue 21)."""
    figures = _roster_counts(timezone.now())
    by_status = {value: figures[f"status_{value}"] for value in Status.values}
    by_concern = [(key, CONCERN_LABELS[key], figures[key]) for key in ROSTER_CONCERNS]
    return by_status, by_concern


def roster_for_coordinator(*, status: str | None = None) -> list[SupporterProfile]:
    """Every supporter profile of ``status`` (or all), by name, each marked ``ready``."""
    return roster_prepare(roster_rows(status=status))


def profile_for_coordinator(profile_id: int) -> SupporterProfile:
    profile = (
        SupporterProfile.objects.select_related("user", "user__employee", "user__employee__unit")
        .filter(pk=profile_id)
        .first()
    )
    if profile is None:
        raise Http404("No such supporter.")
    return profile


# ``_concerns`` in SQL over ``p`` (profile), ``u`` (account) and ``e`` (employee, left joined),
# counted in one hand-written query: Django compiling the three filtered counts and their
# subquery cost 2 ms of the roster's page (0.5 ms to run, SQLite, 400 supporters).
# tests/roster/test_roster_counts.py checks they say what ``_concerns`` says. The roster is the
# home agency's (``%(agency)s``: ``_HOME_SQL``), and "unlisted" asks for the role held in it.
_CONCERN_SQL = {
    "off": "p.status = %(active)s AND p.availability = %(off)s"
    " AND p.availability_updated_at <= %(off_since)s",
    "overdue": "p.status = %(inactive)s AND p.inactive_until < %(today)s",
    "unlisted": f"""p.status = %(active)s AND NOT (
          EXISTS (SELECT 1 FROM {RoleGrant._meta.db_table} g
                   WHERE g.user_id = p.user_id AND g.role = %(role)s AND g.revoked_at IS NULL
                     AND (g.expires_at IS NULL OR g.expires_at > %(now)s)
                     AND g.agency_id = %(agency)s)
          AND e.status IS NOT NULL AND e.status IN (%(employed)s, %(retired)s)
          AND u.is_active)""",  # noqa: S608 - the table's name
}

_HOME_SQL = "p.agency_id = %(agency)s"

_CONCERN_COUNTS_SQL = f"""
    SELECT
      COUNT(CASE WHEN {_CONCERN_SQL["off"]} THEN 1 END),
      COUNT(CASE WHEN {_CONCERN_SQL["overdue"]} THEN 1 END),
      COUNT(CASE WHEN {_CONCERN_SQL["unlisted"]} THEN 1 END),
      {", ".join(f"COUNT(CASE WHEN p.status = %(status_{value})s THEN 1 END)" for value in Status.values)}
      FROM {SupporterProfile._meta.db_table} p
      JOIN {User._meta.db_table} u ON u.id = p.user_id
      LEFT JOIN {Employee._meta.db_table} e ON e.user_id = p.user_id
     WHERE {_HOME_SQL}
"""  # noqa: S608, E501 - table names from the models; every value is a parameter


def _concern_params(now: datetime) -> dict:
    ops = connection.ops
    return {
        "agency": current_agency_id(),
        "active": Status.ACTIVE.value,
        "inactive": Status.INACTIVE.value,
        "off": Availability.OFF.value,
        "off_since": ops.adapt_datetimefield_value(now - timedelta(days=OFF_FOR_DAYS)),
        "today": ops.adapt_datefield_value(timezone.localdate(now)),
        "now": ops.adapt_datetimefield_value(now),
        "role": Role.PEER_SUPPORTER.value,
        # The statuses a listed supporter may have (``serving_employee_statuses``): a retiree
        # counts as listed only where retirees serve, so the second is active again otherwise.
        "employed": Employee.Status.ACTIVE.value,
        "retired": (
            Employee.Status.RETIRED.value
            if Employee.Status.RETIRED in serving_employee_statuses()
            else Employee.Status.ACTIVE.value
        ),
    }


def _roster_counts(now: datetime) -> dict[str, int]:
    """Each of ``ROSTER_CONCERNS`` and each status (``status_<value>``) with how many
    supporters it picks, in one query."""
    params = _concern_params(now) | {f"status_{value}": value for value in Status.values}
    with connection.cursor() as cursor:
        cursor.execute(_CONCERN_COUNTS_SQL, params)
        counts = cursor.fetchone()
    keys = [*ROSTER_CONCERNS, *(f"status_{value}" for value in Status.values)]
    return dict(zip(keys, counts, strict=True))


def roster_concern_counts(now: datetime | None = None) -> dict[str, int]:
    """How many supporters each of ``ROSTER_CONCERNS`` picks, in one query."""
    figures = _roster_counts(now or timezone.now())
    return {key: figures[key] for key in ROSTER_CONCERNS}


@dataclass(frozen=True, slots=True)
class RosterEntry:
    """What a row of the coordinator's roster shows about one supporter (``rows``)."""

    pk: int
    name: str
    unit: str  # "" for an account without an employee record
    status: str
    status_label: str
    inactive_reason_label: str  # "" unless inactive
    inactive_until: date | None
    status_changed_at: datetime | None
    status_reason: str
    ready: bool  # appointed, and initial training complete: one click activates


STATUS_LABELS = dict(Status.choices)
INACTIVE_REASON_LABELS = dict(SupporterProfile.InactiveReason.choices)


def roster_entry(profile: SupporterProfile) -> RosterEntry:
    """The entry of a profile from ``roster_prepare``, as ``roster_page`` reads it."""
    employee = profile.employee
    return RosterEntry(
        pk=profile.pk,
        name=profile.name,
        unit=str(employee.unit) if employee is not None else "",
        status=profile.status,
        status_label=profile.get_status_display(),
        inactive_reason_label=profile.get_inactive_reason_display(),
        inactive_until=profile.inactive_until,
        status_changed_at=profile.status_changed_at,
        status_reason=profile.status_reason,
        ready=profile.ready,
    )


def _roster_page_sql(condition: str, limit: int, offset: int) -> str:
    """A page of the roster in ``roster_rows``' order and how many rows ``condition`` picks:
    ranked by the sort keys alone (the window count over narrow rows), then the page's rows
    joined to what they show."""
    profile = connection.ops.quote_name(SupporterProfile._meta.db_table)
    users, employees = User._meta.db_table, Employee._meta.db_table
    return (
        f'SELECT {profile}."id", {profile}."row_id", {profile}."status", '  # noqa: S608
        f'{profile}."status_changed_at", {profile}."status_reason", '
        f'{profile}."inactive_reason", {profile}."inactive_until", {profile}."user_id", '
        "u.display_name, u.email, e.first_name, e.preferred_name, e.last_name, n.name, r.total "
        "FROM (SELECT p.id, e.last_name, e.first_name, COUNT(*) OVER () AS total "
        f"FROM {profile} p JOIN {users} u ON u.id = p.user_id "
        f"LEFT JOIN {employees} e ON e.user_id = p.user_id WHERE {condition} "
        "ORDER BY e.last_name, e.first_name, p.id "
        f"LIMIT {int(limit)} OFFSET {int(offset)}) r "
        f'JOIN {profile} ON {profile}."id" = r.id '
        f'JOIN {users} u ON u.id = {profile}."user_id" '
        f'LEFT JOIN {employees} e ON e.user_id = {profile}."user_id" '
        f"LEFT JOIN {Unit._meta.db_table} n ON n.id = e.unit_id "
        "ORDER BY r.last_name, r.first_name, r.id"
    )


def _converters(field_name: str) -> list:
    """What turns the database's value of ``field_name`` into Python's (a raw query's
    datetimes and dates are text on SQLite)."""
    field = SupporterProfile._meta.get_field(field_name)
    return connection.ops.get_db_converters(field.cached_col) + field.get_db_converters(connection)


def _converted(converters: list, value):
    for converter in converters:
        value = converter(value, None, connection)
    return value


def roster_page(
    *, status: str | None = None, concern: str | None = None, limit: int, offset: int = 0
) -> tuple[list[RosterEntry], int]:
    """``limit`` entries of ``roster_rows(status=..., concern=...)`` from ``offset``, in its
    order, and how many there are in all (0 past the end), read as plain values in one
    hand-written query: building the ORM query and four models a row (the status reason
    decrypted through each) was most of the roster's time (issue 21). An appointed
    supporter's entry asks whether their initial training is complete, as ``roster_prepare``
    does."""
    now = timezone.now()
    params = _concern_params(now)
    conditions = [_HOME_SQL]
    if status:
        conditions.append("p.status = %(status)s")
        params["status"] = status
    if concern:
        conditions.append(f"({_CONCERN_SQL[concern]})")
    sql = _roster_page_sql(" AND ".join(conditions), limit, offset)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return [], 0
    changed_at, until = _converters("status_changed_at"), _converters("inactive_until")
    reason_field = SupporterProfile._meta.get_field("status_reason")
    reasons = reason_field.get_db_converters(connection)
    appointed = [row[7] for row in rows if row[2] == Status.APPOINTED]
    accounts = User.objects.in_bulk(appointed) if appointed else {}
    entries = []
    for row in rows:
        pk, row_id, status_, changed, reason, why, until_, user_id = row[:8]
        display_name, email, first, preferred, last, unit = row[8:14]
        reason = _converted(reasons, reason)
        if reason is not None:
            reason = reason_field.decrypt_for(_Row(pk, row_id), reason)
        entries.append(
            RosterEntry(
                pk=pk,
                name=person_name(preferred, first, last, display_name, email),
                unit=unit or "",
                status=status_,
                status_label=STATUS_LABELS.get(status_, status_),
                inactive_reason_label=INACTIVE_REASON_LABELS.get(why, why),
                inactive_until=_converted(until, until_),
                status_changed_at=_converted(changed_at, changed),
                status_reason=reason,
                ready=status_ == Status.APPOINTED and initial_training_complete(accounts[user_id]),
            )
        )
    return entries, rows[0][14]


@dataclass(frozen=True, slots=True)
class _Row:
    """A profile's id and row id, to which its encrypted values are bound."""

    pk: int
    row_id: object


# --- The on-call calendar feed (registered in apps.py) --------------------------------------

ONCALL_FEED_SUMMARY = "On call (peer support)"


def oncall_feed_events(user: User) -> list[Event]:
    """``user``'s on-call shifts from a year back on, for their secret calendar feed: the time
    and a fixed summary, nothing else (the feed lives on a calendar server outside the
    department). One query however many shifts."""
    since = timezone.now() - timedelta(days=365)
    link = site_link("roster:mine")
    # ``everywhere``: the feed's owner's own shifts, whichever agency their profile's home is
    # (the feed is a personal token, not a session working for one agency).
    shifts = OnCallShift.everywhere.filter(profile__user=user, end__gte=since).values_list(
        "pk", "start", "end"
    )
    return [
        Event(uid=f"oncall-{pk}", start=start, end=end, summary=ONCALL_FEED_SUMMARY, url=link)
        for pk, start, end in shifts.order_by("start")
    ]


def listed_profile_ids(now: datetime):
    """The listed supporters' profile ids at ``now``, as a subquery: on-call coverage counts
    only the supporters a requester could find in the directory (of any home: their shifts are
    read through ``OnCallShift.everywhere``)."""
    return _listed_profiles(now).values("pk")


# --- Person pickers of supporters (accounts.selectors.register_person_pool) -------------------


def _of_this_agency() -> Q:
    """A supporter's account whose home is the current agency, or who holds its peer-supporter
    role now (lent by another agency): the pickers find no other agency's supporters."""
    return Q(Exists(SupporterProfile.objects.filter(user=OuterRef("pk")))) | Q(
        Exists(RoleGrant.objects.current().filter(user=OuterRef("pk"), role=Role.PEER_SUPPORTER))
    )


def serving_supporters(accounts: QuerySet) -> QuerySet:
    """The "supporter" pool: accounts of active peer supporters (who may be assigned)."""
    return accounts.filter(_of_this_agency(), supporter_profile__status=Status.ACTIVE)


def any_supporters(accounts: QuerySet) -> QuerySet:
    """The "any_supporter" pool: every peer supporter, whatever their status (one on leave now
    may have responded to an incident)."""
    return accounts.filter(_of_this_agency(), supporter_profile__isnull=False)
