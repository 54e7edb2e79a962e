"""Reads of support data. Each applies the rule of who may see what and answers 404 otherwise.

- A requester sees their own requests: a signed-in employee through ``requester_tag``, anyone
  else through the codename they were given.
- A supporter sees a request offered to them (what was asked for, not who asked) and, once
  they hold it, who asked and how to reach them; each such reading is audited.
- The coordinator sees counts and waiting times only (``coordinator_overview``).
"""

import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime

from django.db import connection
from django.db.models import (
    Count,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import Language, User
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.rawsql import day, moment
from peersupport.roster.selectors import matching_supporters
from peersupport.tenancy import current_agency_id

from .codenames import (
    from_the_word_list,
    legacy_hashes,
    looks_like_a_codename,
    lookup_ids,
    verify,
)
from .models import (
    Contact,
    DebriefRequest,
    FollowUp,
    Offer,
    RequesterKind,
    SupportRequest,
)
from .rules import requester_tags

Status = SupportRequest.Status


# --- Requesters -----------------------------------------------------------------------------


def own_requests(user: User) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(requester_tag__in=requester_tags(user)).order_by(
        "-created_at"
    )


def open_own_request(user: User) -> SupportRequest | None:
    """The person's newest request still open, if any (one open request at a time)."""
    return own_requests(user).filter(status__in=SupportRequest.OPEN_STATUSES).first()


def open_request_among(request_pks) -> SupportRequest | None:
    """The newest still-open one of the requests this browser sent from the public page (a
    family member cannot be recognised otherwise; the session holds only their ids)."""
    pks = [pk for pk in (request_pks or []) if isinstance(pk, int)]
    return (
        SupportRequest.objects.filter(pk__in=pks, status__in=SupportRequest.OPEN_STATUSES)
        .order_by("-created_at")
        .first()
    )


def supporter_available_now(user_id: int) -> bool:
    """Whether a named supporter would be offered a request now (listed, available, on duty,
    under their limit): what the ask form tells the person before they send it."""
    return any(p.user_id == user_id for p in matching_supporters(available_now=True))


def own_request(user: User, public_id) -> SupportRequest:
    req = own_requests(user).filter(public_id=public_id).first()
    if req is None:
        raise Http404
    return req


def request_for_codename(codename: str) -> SupportRequest | None:
    """The live request this codename opens, or None. The keyed lookup finds the one candidate
    and Argon2 verifies only that one: a wrong guess runs no Argon2. Rows made before the lookup
    existed (no ``codename_lookup``) are matched by the old digest while any remain; only then
    does a guess made of list words cost Argon2 (one per SECRET_KEY and fallback)."""
    if not looks_like_a_codename(codename):
        return None
    live = SupportRequest.objects.filter(purged_at__isnull=True).exclude(codename_hash="")
    found = live.filter(codename_lookup__in=lookup_ids(codename)).first()
    if found is not None:
        return found if verify(found.codename_hash, codename) else None
    old_rows = live.filter(codename_lookup="")
    if not from_the_word_list(codename) or not old_rows.exists():
        return None
    return old_rows.filter(codename_hash__in=legacy_hashes(codename)).first()


# Where the public pages keep which request this browser opened with its codename.
CODENAME_SESSION_KEY = "support_codename_request"


def request_for_codename_session(session) -> SupportRequest:
    """The request this browser opened with its codename (``views.check``); 404 if none."""
    return request_by_id_for_codename_session(session.get(CODENAME_SESSION_KEY))


def request_by_id_for_codename_session(request_pk: int | None) -> SupportRequest:
    req = (
        SupportRequest.objects.filter(pk=request_pk, purged_at__isnull=True)
        .exclude(codename_hash="")
        .first()
        if request_pk
        else None
    )
    if req is None:
        raise Http404
    return req


# --- Supporters -----------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferedRequest:
    """What an offer shows of its request: what was asked for, never who asked."""

    pk: int
    kind: str
    created_at: datetime
    requested_supporter_id: int | None
    wanted_languages: list
    wanted_areas: list
    wanted_employee_type: str

    def get_kind_display(self) -> str:
        return RequesterKind(self.kind).label


@dataclass(frozen=True)
class OfferLine:
    pk: int
    offered_at: datetime
    request: OfferedRequest


_OFFERS_SQL = f"""
    SELECT o.id, o.offered_at, r.id, r.kind, r.created_at, r.requested_supporter_id,
           r.wanted_languages, r.wanted_areas, r.wanted_employee_type
      FROM {Offer._meta.db_table} o
      JOIN {SupportRequest._meta.db_table} r ON r.id = o.request_id
     WHERE o.supporter_id = %s AND o.answer = %s AND r.agency_id = %s
     ORDER BY o.offered_at, o.id
"""  # noqa: S608 - the table names from the models; every value is a parameter


def _json_list(value) -> list:
    # Django reads JSON as text on both engines and decodes it in the field; so do we.
    return json.loads(value) if isinstance(value, str) else list(value or [])


def pending_offers(user: User) -> list[OfferLine]:
    """The offers waiting for ``user``'s answer, oldest first, with what each request asked
    for, as plain values in one hand-written query: the inbox is every supporter's main page,
    and building the query and the models through the ORM cost more than reading them."""
    with connection.cursor() as cursor:
        cursor.execute(_OFFERS_SQL, [user.pk, Offer.Answer.PENDING, current_agency_id()])
        rows = cursor.fetchall()
    return [
        OfferLine(
            pk,
            moment(offered_at),
            OfferedRequest(
                request_id,
                kind,
                moment(created_at),
                named,
                _json_list(languages),
                _json_list(areas),
                employee_type,
            ),
        )
        for (
            pk,
            offered_at,
            request_id,
            kind,
            created_at,
            named,
            languages,
            areas,
            employee_type,
        ) in rows
    ]


def offer_for(user: User, offer_id: int) -> Offer:
    offer = Offer.objects.filter(pk=offer_id, supporter=user).select_related("request").first()
    if offer is None:
        raise Http404
    return offer


def held_requests(user: User) -> QuerySet[SupportRequest]:
    return SupportRequest.objects.filter(assigned_supporter=user).order_by("-accepted_at")


def held_request(user: User, public_id, *, audit: bool = True) -> SupportRequest:
    """The request with who asked, for the supporter who holds it. Reading it is audited."""
    req = held_requests(user).filter(public_id=public_id).first()
    if req is None:
        raise Http404
    if audit:
        record(actor=user, action=AuditAction.REQUEST_VIEWED, target=req)
    return req


def unpurged_held_request(user: User, request_id: int) -> SupportRequest:
    """A request ``user`` holds, by its id, whose identity is not purged yet; 404 for any
    other. Not an audited reading: the caller shows nothing of who asked."""
    req = held_requests(user).filter(pk=request_id).first()
    if req is None or req.purged_at is not None:
        raise Http404
    return req


def held_request_by_id(user: User, request_id: int, *, audit: bool = True) -> SupportRequest:
    """A request ``user`` holds, by its id (as in the supporter's URLs); 404 for any other. With
    ``audit`` the reading that shows who asked is recorded; without it, who asked is not even
    read (``identity`` is left in the database, undecrypted), as the caller shows none of it."""
    found = held_requests(user).filter(pk=request_id)
    req = (found if audit else found.defer("identity")).first()
    if req is None:
        raise Http404
    if audit:
        record(actor=user, action=AuditAction.REQUEST_VIEWED, target=req)
    return req


@dataclass(frozen=True)
class HeldLine:
    """What the inbox shows of a request the supporter holds or closed: what kind, when, and a
    link. Never who asked (the request's page shows that, audited), so none of it is read."""

    pk: int
    kind: str
    status: str
    accepted_at: datetime | None
    closed_at: datetime | None

    def get_kind_display(self) -> str:
        return RequesterKind(self.kind).label


_HELD_PART = """
    SELECT id, kind, status, accepted_at, closed_at, {part} AS part
      FROM {requests}
     WHERE assigned_supporter_id = %s AND agency_id = %s AND {where}
     ORDER BY {order} DESC, id DESC
     {limit}
"""

# The open requests the supporter holds, then the latest they closed: one query on the
# (supporter, status) rows, each part in its own order.
_HELD_SQL = "SELECT * FROM ({}) held UNION ALL SELECT * FROM ({}) closed".format(  # noqa: S608
    _HELD_PART.format(
        part=0,
        requests=SupportRequest._meta.db_table,
        where="status IN (%s, %s, %s)",
        order="accepted_at",
        limit="",
    ),
    _HELD_PART.format(
        part=1,
        requests=SupportRequest._meta.db_table,
        where="status = %s",
        order="closed_at",
        limit="LIMIT %s",
    ),
)


def open_and_recently_closed(
    user: User, *, closed_limit: int
) -> tuple[list[HeldLine], list[HeldLine]]:
    """The requests ``user`` holds that are open, latest accepted first, and the latest ones
    they closed, as plain values in one hand-written query: a model each, its encrypted
    identity and all, cost more than the rest of the list, and the ORM's two queries cost more
    to build than to run."""
    agency = current_agency_id()
    with connection.cursor() as cursor:
        cursor.execute(
            _HELD_SQL,
            [
                *(user.pk, agency, *SupportRequest.OPEN_STATUSES),
                *(user.pk, agency, Status.CLOSED, closed_limit),
            ],
        )
        rows = cursor.fetchall()
    parts: tuple[list[HeldLine], list[HeldLine]] = ([], [])
    for pk, kind, status, accepted_at, closed_at, part in rows:
        parts[part].append(HeldLine(pk, kind, status, moment(accepted_at), moment(closed_at)))
    # UNION ALL keeps no order across its parts; each part's own, latest first (a moment
    # missing sorts last, as it would on SQLite), then the newest row.
    never = datetime.min.replace(tzinfo=UTC)
    parts[0].sort(key=lambda line: (line.accepted_at or never, line.pk), reverse=True)
    parts[1].sort(key=lambda line: (line.closed_at or never, line.pk), reverse=True)
    return parts


@dataclass(frozen=True)
class FollowUpLine:
    """What a follow-up card shows (``rows.followup_cards_html``): no model is built for it."""

    pk: int
    due: date
    request_id: int | None
    contact_id: int | None
    contact_date: date | None


def request_followups(user: User, *, request: SupportRequest) -> list[FollowUpLine]:
    """``user``'s open follow-ups of one request they hold, soonest first, with their contacts'
    dates."""
    rows = (
        own_followups(user)
        .filter(request=request)
        .order_by("due", "pk")
        .values_list("pk", "due", "request_id", "contact_id", "contact__date")
    )
    return [FollowUpLine(*row) for row in rows]


def language_names(language_ids) -> dict[int, str]:
    """Language names by id, in one query."""
    return dict(Language.objects.filter(pk__in=language_ids).values_list("pk", "name"))


def own_contact(user: User, contact_id: int) -> Contact:
    """A contact ``user`` logged; 404 for anyone else's."""
    contact = Contact.objects.filter(pk=contact_id, supporter=user).first()
    if contact is None:
        raise Http404
    return contact


@dataclass(frozen=True)
class ContactLine:
    """What the inbox lists of one of the supporter's own contacts."""

    pk: int
    date: date
    mode: str
    duration_minutes: int

    def get_mode_display(self) -> str:
        return Contact.Mode(self.mode).label


_RECENT_CONTACTS_SQL = f"""
    SELECT id, date, mode, duration_minutes
      FROM {Contact._meta.db_table}
     WHERE supporter_id = %s AND agency_id = %s
     ORDER BY date DESC, created_at DESC, id DESC
     LIMIT %s
"""  # noqa: S608 - the table name from the model; every value is a parameter


def recent_contacts(user: User, *, limit: int = 5) -> list[ContactLine]:
    """The supporter's own latest contacts (de-identified), newest first: by the contact's
    date, so the (supporter, date) index gives them without sorting all of the supporter's
    contacts (thousands, for a busy supporter after a few years). Plain values from one
    hand-written query, as the rest of the inbox."""
    with connection.cursor() as cursor:
        cursor.execute(_RECENT_CONTACTS_SQL, [user.pk, current_agency_id(), limit])
        rows = cursor.fetchall()
    return [ContactLine(pk, day(on), mode, minutes) for pk, on, mode, minutes in rows]


@dataclass(frozen=True)
class InboxFollowUps:
    due: list[FollowUpLine]  # the longest overdue first, at most ``limit``
    due_count: int
    upcoming: list[FollowUpLine]  # the soonest first, at most ``limit``
    upcoming_count: int


_FOLLOWUP_COUNTS_SQL = f"""
    SELECT COALESCE(SUM(CASE WHEN due <= %s THEN 1 ELSE 0 END), 0),
           COALESCE(SUM(CASE WHEN due > %s THEN 1 ELSE 0 END), 0)
      FROM {FollowUp._meta.db_table}
     WHERE supporter_id = %s AND agency_id = %s AND done_at IS NULL
"""  # noqa: S608 - the table name from the model; every value is a parameter

_FOLLOWUP_PART = """
    SELECT f.id, f.due, f.request_id, f.contact_id, c.date, {part} AS part
      FROM {followups} f
      LEFT JOIN {contacts} c ON c.id = f.contact_id
     WHERE f.supporter_id = %s AND f.agency_id = %s AND f.done_at IS NULL AND f.due {compare} %s
     ORDER BY f.due, f.id
     LIMIT %s
"""

# The first ``limit`` due by today, then the first ``limit`` to come, each its own index scan.
_FOLLOWUP_LINES_SQL = "SELECT * FROM ({}) due UNION ALL SELECT * FROM ({}) upcoming".format(  # noqa: S608
    *(
        _FOLLOWUP_PART.format(
            part=part,
            compare=compare,
            followups=FollowUp._meta.db_table,
            contacts=Contact._meta.db_table,
        )
        for part, compare in ((0, "<="), (1, ">"))
    )
)


def inbox_followups(user: User, *, limit: int, today: date | None = None) -> InboxFollowUps:
    """The supporter's open follow-ups due by today and those to come, at most ``limit`` of
    each with how many there are in all, however many a supporter has let pile up: one query
    counts both parts, one reads the first ``limit`` of each (in the order of the (supporter,
    due) index), both hand-written. Through the ORM the three queries cost about 2 ms to build,
    a quarter of the inbox (issue 21), and a model for each follow-up and its contact another.
    ``today`` (the department's, by default) is the one the page marks late follow-ups by."""
    today = connection.ops.adapt_datefield_value(today or timezone.localdate())
    agency = current_agency_id()
    with connection.cursor() as cursor:
        cursor.execute(_FOLLOWUP_COUNTS_SQL, [today, today, user.pk, agency])
        n_due, n_upcoming = cursor.fetchone()
        cursor.execute(
            _FOLLOWUP_LINES_SQL,
            [*(user.pk, agency, today, limit), *(user.pk, agency, today, limit)],
        )
        found = sorted(cursor.fetchall(), key=lambda row: (row[5], day(row[1]), row[0]))
    parts: tuple[list[FollowUpLine], list[FollowUpLine]] = ([], [])
    for pk, due, request_id, contact_id, contact_date, part in found:
        parts[part].append(FollowUpLine(pk, day(due), request_id, contact_id, day(contact_date)))
    return InboxFollowUps(
        due=parts[0], due_count=int(n_due), upcoming=parts[1], upcoming_count=int(n_upcoming)
    )


def own_followups(user: User) -> QuerySet[FollowUp]:
    return FollowUp.objects.filter(supporter=user, done_at__isnull=True).order_by("due")


def own_followup(user: User, followup_id: int) -> FollowUp:
    followup = FollowUp.objects.filter(pk=followup_id, supporter=user).first()
    if followup is None:
        raise Http404
    return followup


@dataclass(frozen=True)
class Load:
    open_requests: int
    contacts_this_month: int
    followups_due: int


_CONTACTS_SINCE_SQL = f"""
    SELECT COUNT(*) FROM {Contact._meta.db_table}
     WHERE supporter_id = %s AND agency_id = %s AND date >= %s
"""  # noqa: S608 - the table name from the model; every value is a parameter


def _count_contacts_since(user: User, day: date) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            _CONTACTS_SINCE_SQL,
            [user.pk, current_agency_id(), connection.ops.adapt_datefield_value(day)],
        )
        return int(cursor.fetchone()[0])


def supporter_load(user: User, *, held: list[HeldLine], followups_due: int) -> Load:
    """The supporter's load, from the requests they hold and the number of follow-ups due
    (which the inbox has already read) and one count of this month's contacts."""
    today = timezone.localdate()
    return Load(
        open_requests=sum(1 for req in held if req.status == Status.ACCEPTED),
        contacts_this_month=_count_contacts_since(user, today.replace(day=1)),
        followups_due=followups_due,
    )


# --- The coordinator: counts, never identities ---------------------------------------------

AGE_BUCKETS = ((60, "under an hour"), (24 * 60, "under a day"), (7 * 24 * 60, "under a week"))


@dataclass(frozen=True)
class Person:
    """Someone the coordinator's pages name: a supporter, by the name their account shows."""

    pk: int
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class DebriefLine:
    pk: int
    supporter: Person
    created_at: datetime


@dataclass(frozen=True)
class Overview:
    open_by_age: list[tuple[str, int]]
    unaccepted_waiting_minutes: list[int]
    overdue_followups: list[tuple[Person, int]]
    overdue_total: int
    overdue_supporters: int
    debriefs: list[DebriefLine]
    raised: int


# The supporters with the most overdue follow-ups that the overview names; the rest are counted.
OVERDUE_SHOWN = 10

_OVERDUE_SQL = f"""
    SELECT g.supporter_id, u.display_name, u.email, g.n, g.supporters, g.total
      FROM (
        SELECT supporter_id, COUNT(*) AS n, COUNT(*) OVER () AS supporters,
               SUM(COUNT(*)) OVER () AS total
          FROM {FollowUp._meta.db_table}
         WHERE agency_id = %s AND done_at IS NULL AND due < %s
         GROUP BY supporter_id
         ORDER BY n DESC, supporter_id
         LIMIT %s OFFSET %s
      ) g
      JOIN {User._meta.db_table} u ON u.id = g.supporter_id
     ORDER BY g.n DESC, g.supporter_id
"""  # noqa: S608 - the table names from the models; every value is a parameter


def overdue_followups(
    today: date, *, limit: int = OVERDUE_SHOWN, offset: int = 0
) -> tuple[list[tuple[Person, int]], int, int]:
    """``limit`` supporters with overdue follow-ups from ``offset`` on, those with the most
    first (then by id), how many are overdue in all and across how many supporters: one grouped
    query read through the open follow-ups' partial index, its totals as window sums over the
    groups, so the overview costs the same with 400 supporters as with 4 (naming each one cost
    12 ms at 400, bench/sweep.py), and the full list a page the same. Hand-written: the ORM
    cannot sum an aggregate in a window. The supporters' names come in the same query, as plain
    values. A page past the end gives no row and no totals."""
    with connection.cursor() as cursor:
        cursor.execute(
            _OVERDUE_SQL,
            [current_agency_id(), connection.ops.adapt_datefield_value(today), limit, offset],
        )
        rows = cursor.fetchall()
    if not rows:
        return [], 0, 0
    named = [(Person(pk, display_name or email), n) for pk, display_name, email, n, *_ in rows]
    return named, int(rows[0][5]), rows[0][4]


_OPEN_SQL = f"""
    SELECT created_at, status, escalated_at IS NOT NULL
      FROM {SupportRequest._meta.db_table}
     WHERE agency_id = %s AND status IN (%s, %s, %s)
"""  # noqa: S608 - the table name from the model; every value is a parameter

_DEBRIEFS_SQL = f"""
    SELECT d.id, d.created_at, u.id, u.display_name, u.email
      FROM {DebriefRequest._meta.db_table} d
      JOIN {User._meta.db_table} u ON u.id = d.supporter_id
     WHERE d.agency_id = %s AND d.handled_at IS NULL
     ORDER BY d.created_at, d.id
"""  # noqa: S608 - the table names from the models; every value is a parameter


def coordinator_overview(*, now=None) -> Overview:
    """Counts and waiting times of the open requests, the supporters with the most overdue
    follow-ups and the debriefs asked for, in three hand-written queries of plain values: the
    coordinator's main page, whose ORM queries cost more to build than to run (issue 21)."""
    now = now or timezone.now()
    ages: Counter = Counter()
    unaccepted = []
    raised = 0
    agency = current_agency_id()
    with connection.cursor() as cursor:
        cursor.execute(_OPEN_SQL, [agency, *SupportRequest.OPEN_STATUSES])
        opened = cursor.fetchall()
        cursor.execute(_DEBRIEFS_SQL, [agency])
        debriefs = [
            DebriefLine(pk, Person(supporter, display_name or email), moment(created_at))
            for pk, created_at, supporter, display_name, email in cursor.fetchall()
        ]
    for created_at, status, escalated in opened:
        minutes = int((now - moment(created_at)).total_seconds() // 60)
        label = next((lbl for limit, lbl in AGE_BUCKETS if minutes < limit), "a week or more")
        ages[label] += 1
        if status != Status.ACCEPTED:
            unaccepted.append(minutes)
            raised += bool(escalated)
    order = [lbl for _, lbl in AGE_BUCKETS] + ["a week or more"]
    overdue, overdue_total, overdue_supporters = overdue_followups(timezone.localdate())
    return Overview(
        open_by_age=[(label, ages[label]) for label in order],
        unaccepted_waiting_minutes=sorted(unaccepted, reverse=True),
        overdue_followups=overdue,
        overdue_total=overdue_total,
        overdue_supporters=overdue_supporters,
        debriefs=debriefs,
        raised=raised,
    )


def debrief_for_coordinator(debrief_id: int) -> DebriefRequest:
    debrief = DebriefRequest.objects.filter(pk=debrief_id).first()
    if debrief is None:
        raise Http404
    return debrief


def supporter_open_load():
    """Accepted requests held plus pending offers, per supporter (``OuterRef("user")``), as one
    expression: the roster's matching ranks the less busy first (registered in apps.py)."""
    held = (
        SupportRequest.objects.filter(
            assigned_supporter=OuterRef("user"), status=SupportRequest.Status.ACCEPTED
        )
        .order_by()
        .values("assigned_supporter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    pending = (
        Offer.objects.filter(supporter=OuterRef("user"), answer=Offer.Answer.PENDING)
        .order_by()
        .values("supporter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(held), 0) + Coalesce(Subquery(pending), 0)


# Sections that apps above support add to the requester's own page (releases adds the person's
# releases of information, in its AppConfig.ready()): a template and a function of the request
# returning what to show; an empty answer shows nothing.
_requester_sections: dict[str, tuple[str, Callable[[SupportRequest], list]]] = {}


def register_requester_section(
    name: str, *, template: str, items: Callable[[SupportRequest], list]
) -> None:
    _requester_sections[name] = (template, items)


def requester_sections(req: SupportRequest) -> list[tuple[str, list]]:
    shown = []
    for template, items in _requester_sections.values():
        found = items(req)
        if found:
            shown.append((template, found))
    return shown


# Reporting periods (reports registers, in its AppConfig.ready()): the last day of the last
# month whose figures are published, or None. A contact dated on or before it is counted as a
# late entry of a later month, and the supporter is told.
_published_through: list[Callable[[], date | None]] = []


def register_reporting_periods(published_through: Callable[[], date | None]) -> None:
    _published_through[:] = [published_through]


def reports_published_through() -> date | None:
    return _published_through[0]() if _published_through else None


def request_gauges(now):
    """For the metrics endpoint (notifications/monitoring.py): how many requests wait for a
    supporter to accept them and how long the oldest has waited, in one query on the status
    index. Counts and an age only, as on the coordinator's overview."""
    from django.db.models import Min

    from peersupport.notifications.monitoring import Gauge, age_seconds

    waiting = (SupportRequest.Status.WAITING, SupportRequest.Status.OFFERED)
    row = SupportRequest.objects.filter(status__in=waiting).aggregate(
        waiting=Count("pk"), oldest=Min("created_at")
    )
    return [
        Gauge(
            "support_requests_unaccepted",
            "Requests for support that no supporter has accepted yet.",
            row["waiting"],
        ),
        Gauge(
            "support_requests_unaccepted_oldest_age_seconds",
            "How long the oldest request not yet accepted has waited.",
            age_seconds(row["oldest"], now),
        ),
    ]
