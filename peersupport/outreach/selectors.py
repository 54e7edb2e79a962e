"""Reads of outreach, applying who may see what.

The coordinator and the BHS manager see every outreach (they open and run them). A supporter
sees only the people they are assigned to, and only while the assignment is offered or
accepted; anything else 404s, whatever id is tried.
"""

import functools
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Exists, Min, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import Employee, FamilyMember, Role, User
from peersupport.accounts.selectors import chain_of_command
from peersupport.notifications.messages import site_link
from peersupport.rawsql import moment
from peersupport.roster.models import SupporterProfile
from peersupport.roster.selectors import availability_rule, serving_employee_statuses
from peersupport.tenancy import current_agency_id
from peersupport.web.ics import Event

from .models import (
    AffectedPerson,
    Assignment,
    Attempt,
    FollowUpTask,
    GroupSession,
    Outreach,
    PlanStep,
    Responder,
)
from .rules import AREAS, closable, closable_from, may_remind

STAFF = (Role.COORDINATOR, Role.BHS_MANAGER)


def outreach_for_staff(public_id) -> Outreach:
    outreach = (
        Outreach.objects.select_related("opened_by", "closed_by")
        .filter(public_id=public_id)
        .first()
    )
    if outreach is None:
        raise Http404
    return outreach


def board(*, now=None) -> list[Outreach]:
    """Open outreaches with what needs attention: people without a supporter, follow-ups
    overdue, people not reached yet."""
    now = now or timezone.now()
    reached = Attempt.objects.filter(task__person=OuterRef("pk"), outcome=Attempt.Outcome.REACHED)
    people = AffectedPerson.objects.annotate(was_reached=Exists(reached))
    unassigned = ~Exists(
        Assignment.objects.filter(person=OuterRef("pk"), status__in=Assignment.ACTIVE)
    )
    people = people.annotate(unassigned=unassigned)
    open_outreaches = list(
        Outreach.objects.filter(status=Outreach.Status.OPEN)
        .annotate(
            people_count=Count("people", distinct=True),
            overdue=Count(
                "people__tasks",
                filter=Q(
                    people__tasks__status=FollowUpTask.Status.OPEN, people__tasks__due_at__lt=now
                ),
                distinct=True,
            ),
            next_due=Min(
                "people__tasks__due_at", filter=Q(people__tasks__status=FollowUpTask.Status.OPEN)
            ),
        )
        .order_by("-event_date", "-opened_at")
    )
    flags = {
        row["outreach_id"]: row
        for row in people.filter(outreach__in=open_outreaches)
        .values("outreach_id")
        .annotate(
            unassigned_count=Count("pk", filter=Q(unassigned=True)),
            not_reached=Count("pk", filter=Q(was_reached=False, declined_at__isnull=True)),
        )
    }
    for outreach in open_outreaches:
        row = flags.get(outreach.pk, {})
        outreach.unassigned_count = row.get("unassigned_count", 0)
        outreach.not_reached = row.get("not_reached", 0)
    return open_outreaches


def closed() -> QuerySet[Outreach]:
    """Every closed outreach, the last closed first: the board shows them a page at a time."""
    return Outreach.objects.filter(status=Outreach.Status.CLOSED).order_by("-closed_at", "-pk")


# Everything the people's cards show beside who they are, in one statement: their follow-ups
# (kind 0, by person), the attempts made (kind 1, by follow-up) and the assignments offered or
# accepted (kind 2, by person, with the supporter's name), each kind in the order its model
# keeps. Plain values: four ORM queries built and compiled for three people were most of the
# outreach page's time (issue 21). The first part's empty columns are typed, as PostgreSQL
# types a UNION's columns by its first part. Past the scoped managers, so each part names the
# current agency itself.
_CARDS_SQL = """
SELECT 0, t.person_id, t.id, t.label, t.due_at, t.status,
       CAST(NULL AS BIGINT), CAST(NULL AS TEXT), CAST(NULL AS TEXT)
  FROM outreach_followuptask t
  JOIN outreach_affectedperson p ON p.id = t.person_id
  JOIN outreach_outreach o ON o.id = p.outreach_id
 WHERE o.id = %s AND o.agency_id = %s
UNION ALL
SELECT 1, a.task_id, a.id, NULL, a.at, a.outcome, NULL, NULL, NULL
  FROM outreach_attempt a
  JOIN outreach_followuptask t ON t.id = a.task_id
  JOIN outreach_affectedperson p ON p.id = t.person_id
  JOIN outreach_outreach o ON o.id = p.outreach_id
 WHERE o.id = %s AND o.agency_id = %s
UNION ALL
SELECT 2, s.person_id, s.id, s.chain_reason, s.assigned_at, s.status,
       u.id, u.email, u.display_name
  FROM outreach_assignment s
  JOIN outreach_affectedperson p ON p.id = s.person_id
  JOIN outreach_outreach o ON o.id = p.outreach_id
  JOIN accounts_user u ON u.id = s.supporter_id
 WHERE o.id = %s AND o.agency_id = %s AND s.status IN (%s, %s)
 ORDER BY 1, 5, 3
"""


def people_of(outreach: Outreach) -> list[AffectedPerson]:
    """The people on ``outreach`` for its staff page, each carrying ``task_list`` (their
    follow-ups, each carrying ``attempt_list``) and ``active_assignment`` (the one offered or
    accepted, with its supporter, or None). Two queries however many people: the people
    (whose names are encrypted) and ``_CARDS_SQL``."""
    people = list(outreach.people.select_related("employee", "family_member__employee"))
    if not people:
        return people
    alias = connection.alias  # Model.from_db takes the values in the model's field order
    tasks_of: dict[int, list[FollowUpTask]] = {}
    attempts: dict[int, list[Attempt]] = {}
    active: dict[int, Assignment] = {}
    with connection.cursor() as cursor:
        cursor.execute(_CARDS_SQL, [outreach.pk, current_agency_id()] * 3 + list(Assignment.ACTIVE))
        rows = cursor.fetchall()
    for kind, owner, pk, label, at, status, user_id, email, display_name in rows:
        if kind == 0:
            task = FollowUpTask.from_db(
                alias,
                ["id", "person_id", "label", "due_at", "status"],
                [pk, owner, label, moment(at), status],
            )
            task.attempt_list = attempts.setdefault(pk, [])
            tasks_of.setdefault(owner, []).append(task)
        elif kind == 1:
            attempts.setdefault(owner, []).append(
                Attempt.from_db(
                    alias, ["id", "task_id", "at", "outcome"], [pk, owner, moment(at), status]
                )
            )
        elif owner not in active:  # the first, as ordered
            assignment = Assignment.from_db(
                alias,
                ["id", "person_id", "supporter_id", "status", "assigned_at", "chain_reason"],
                [pk, owner, user_id, status, moment(at), label],
            )
            assignment.supporter = User.from_db(
                alias, ["id", "email", "display_name"], [user_id, email, display_name]
            )
            active[owner] = assignment
    for person in people:
        person.task_list = tasks_of.get(person.pk, [])
        person.active_assignment = active.get(person.pk)
    return people


def relatives_not_on(outreach: Outreach, people: list[AffectedPerson]) -> list[FamilyMember]:
    """The relatives of the employees among ``people`` (an outreach's, for its staff page)
    who are not on the outreach themselves."""
    on_outreach = {p.family_member_id for p in people if p.family_member_id}
    employees = [p.employee for p in people if p.employee_id]
    return [
        member
        for member in FamilyMember.objects.filter(employee__in=employees).select_related("employee")
        if member.pk not in on_outreach
    ]


def relative_for_staff(outreach: Outreach, family_member_id) -> FamilyMember | None:
    """A relative of an employee on ``outreach``, or None: the staff may add only them."""
    return FamilyMember.objects.filter(
        pk=family_member_id or 0,
        employee__in=[p.employee for p in outreach.people.filter(employee__isnull=False)],
    ).first()


def session_for_staff(session_id: int) -> GroupSession:
    """A group session with its outreach (the staff see every outreach); 404 if none."""
    session = GroupSession.objects.select_related("outreach").filter(pk=session_id).first()
    if session is None:
        raise Http404
    return session


def plan_steps() -> list[PlanStep]:
    return list(PlanStep.objects.all())


def plan_step(step_id: int) -> PlanStep:
    step = PlanStep.objects.filter(pk=step_id).first()
    if step is None:
        raise Http404
    return step


def tasks_with_attempts(person: AffectedPerson, *, now=None) -> list[FollowUpTask]:
    """A person's follow-ups with their attempts (for a page already behind an access rule),
    each carrying ``closable``: whether it may be marked reached yet (``rules.closable``)."""
    now = now or timezone.now()
    tasks = list(person.tasks.prefetch_related("attempts"))
    for task in tasks:
        task.closable = closable(task.due_at, now)
        task.closable_from = closable_from(task.due_at)
    return tasks


def overdue_followups(*, now=None, limit: int = 50) -> list[FollowUpTask]:
    """Open follow-ups of open outreaches past their due time, oldest first, for the board:
    each carrying ``assigned`` (someone holds the person) and ``remindable`` (the coordinator
    may remind that supporter now, ``rules.may_remind``). Two queries."""
    now = now or timezone.now()
    active = Assignment.objects.filter(person=OuterRef("person"), status__in=Assignment.ACTIVE)
    tasks = list(
        FollowUpTask.objects.filter(
            status=FollowUpTask.Status.OPEN,
            due_at__lt=now,
            person__outreach__status=Outreach.Status.OPEN,
            person__declined_at__isnull=True,
        )
        .annotate(assigned=Exists(active))
        .select_related("person__outreach")
        .order_by("due_at", "pk")[:limit]
    )
    for task in tasks:
        task.remindable = task.assigned and may_remind(task.staff_reminded_at, now)
    return tasks


def task_for_staff(task_id: int) -> FollowUpTask:
    task = FollowUpTask.objects.select_related("person__outreach").filter(pk=task_id).first()
    if task is None:
        raise Http404
    return task


def accepted_assignment_for(user: User, person: AffectedPerson) -> Assignment:
    """The assignment ``user`` accepted for ``person`` (``task_for_supporter`` found one)."""
    return Assignment.objects.get(person=person, supporter=user, status=Assignment.Status.ACCEPTED)


def sessions_of(outreach: Outreach) -> QuerySet[GroupSession]:
    return outreach.sessions.all()


def assignments_for(user: User) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(supporter=user, status__in=Assignment.ACTIVE)
        .select_related("person__outreach")
        .annotate(
            next_due=Min(
                "person__tasks__due_at",
                filter=Q(person__tasks__status=FollowUpTask.Status.OPEN),
            )
        )
        .order_by("next_due", "pk")
    )


def assignment_for(user: User, assignment_id: int) -> Assignment:
    assignment = (
        assignments_for(user)
        .select_related(
            "person__employee__unit", "person__family_member__employee", "person__outreach"
        )
        .filter(pk=assignment_id)
        .first()
    )
    if assignment is None:
        raise Http404
    return assignment


def task_for_supporter(user: User, task_id: int) -> FollowUpTask:
    task = (
        FollowUpTask.objects.filter(
            pk=task_id,
            person__assignments__supporter=user,
            person__assignments__status=Assignment.Status.ACCEPTED,
        )
        .select_related("person__outreach")
        .first()
    )
    if task is None:
        raise Http404
    return task


def person_for_staff(person_id: int) -> AffectedPerson:
    person = (
        AffectedPerson.objects.select_related("outreach", "employee", "family_member__employee")
        .filter(pk=person_id)
        .first()
    )
    if person is None:
        raise Http404
    return person


# --- Supporters involved in the event -------------------------------------------------------

AFFECTED = "is one of the people affected"
RELATIVE_AFFECTED = "has a relative among the people affected"
RESPONDED = "responded to the incident"


def _involvement(outreaches: Q) -> dict[int, str]:
    """Account id -> why, for everyone involved in the outreaches ``outreaches`` picks (a
    condition on ``outreach``): an affected employee, the employee whose relative is affected,
    a supporter marked as having responded. Three queries."""
    people = AffectedPerson.objects.filter(outreaches)
    involved: dict[int, str] = {}
    for user_id in Responder.objects.filter(outreaches).values_list("supporter_id", flat=True):
        involved[user_id] = RESPONDED
    for user_id in people.filter(family_member__employee__user__isnull=False).values_list(
        "family_member__employee__user_id", flat=True
    ):
        involved[user_id] = RELATIVE_AFFECTED
    for user_id in people.filter(employee__user__isnull=False).values_list(
        "employee__user_id", flat=True
    ):
        involved[user_id] = AFFECTED
    return involved


def involvement(outreach: Outreach) -> dict[int, str]:
    """Who was involved in this outreach's event (account id -> why): never suggested or
    assigned to reach out to anyone on it."""
    return _involvement(Q(outreach_id=outreach.pk))


def involved_in_open_outreaches(areas: frozenset[str]) -> set[int]:
    """The accounts involved in an open outreach whose kind of event calls for one of the
    experience ``areas`` (rules.AREAS). Registered with roster's matching in apps.py, so a
    support request asking for that experience is not offered to someone who lived through
    such an event now: the request itself stays unlinked to any outreach."""
    types = [event_type for event_type, wanted in AREAS.items() if areas & set(wanted)]
    if not types:
        return set()
    return set(
        _involvement(Q(outreach__status=Outreach.Status.OPEN, outreach__event_type__in=types))
    )


def responders_of(outreach: Outreach) -> QuerySet[Responder]:
    return outreach.responders.select_related("supporter", "marked_by")


def responder_of(outreach: Outreach, responder_id: str | None) -> Responder | None:
    """One of ``outreach``'s responders by the id a form sent, or None (whatever was sent)."""
    if not (responder_id or "").isdigit() or len(responder_id) > 18:
        return None
    return outreach.responders.filter(pk=int(responder_id)).select_related("supporter").first()


# One statement for the assign page's suggestions: the roster's listing rules (an active
# profile and account, a serving employee record, the peer-supporter role held now), the
# availability rule, the load (support's accepted requests and pending offers, as
# support.selectors.supporter_open_load counts it), the person's chain of command (a recursive
# walk up the unit tree, as accounts.selectors.chain_of_command) and who was involved in the
# event (``involvement``). Building and compiling the same query with the ORM was two thirds of
# the page's time (issue 21); tests/outreach/test_suggestions_sql.py holds it to the roster's
# ``suggested_supporters``, ranking for ranking. It bypasses the scoped managers, so it names the
# current agency itself: the person's chain is looked up in it, and a supporter is listed only
# while holding the peer-supporter role in it (the roster's listing rule per agency).
_SUGGEST_SQL = """
WITH RECURSIVE up(id, parent_id, supervisor_id) AS (
    SELECT id, parent_id, supervisor_id FROM accounts_unit
     WHERE id = (SELECT unit_id FROM accounts_employee WHERE id = %s AND agency_id = %s)
    UNION
    SELECT u.id, u.parent_id, u.supervisor_id FROM accounts_unit u JOIN up ON u.id = up.parent_id
), chain(id) AS (
    SELECT id FROM accounts_employee
     WHERE id IN (SELECT supervisor_id FROM up) AND status = '{employee_active}' AND id <> %s
), involved(user_id) AS (
    SELECT supporter_id FROM outreach_responder WHERE outreach_id = %s
    UNION
    SELECT e.user_id FROM outreach_affectedperson a
      JOIN accounts_employee e ON e.id = a.employee_id
     WHERE a.outreach_id = %s AND e.user_id IS NOT NULL
    UNION
    SELECT e.user_id FROM outreach_affectedperson a
      JOIN accounts_familymember f ON f.id = a.family_member_id
      JOIN accounts_employee e ON e.id = f.employee_id
     WHERE a.outreach_id = %s AND e.user_id IS NOT NULL
), listed AS (
    SELECT p.id, p.user_id, p.status, p.availability, u.email, u.display_name,
           e.last_name, e.first_name,
           EXISTS (SELECT 1 FROM roster_oncallshift s
                    WHERE s.profile_id = p.id AND s.start <= %s AND s."end" > %s) AS on_call,
           (NOT EXISTS (SELECT 1 FROM accounts_employee_languages pl WHERE pl.employee_id = %s)
            OR EXISTS (SELECT 1 FROM accounts_employee_languages sl
                         JOIN accounts_employee_languages pl ON pl.language_id = sl.language_id
                        WHERE sl.employee_id = e.id AND pl.employee_id = %s)) AS speaks,
           {has_area} AS has_area,
           {covered} AS covered,
           (SELECT COUNT(*) FROM support_supportrequest r
             WHERE r.assigned_supporter_id = p.user_id AND r.status = '{request_accepted}'
               AND r.agency_id = %s)
           + (SELECT COUNT(*) FROM support_offer o
               JOIN support_supportrequest q ON q.id = o.request_id
               WHERE o.supporter_id = p.user_id AND o.answer = '{offer_pending}'
                 AND q.agency_id = %s) AS open_load
      FROM roster_supporterprofile p
      JOIN accounts_user u ON u.id = p.user_id
      JOIN accounts_employee e ON e.user_id = u.id
     WHERE p.status = '{profile_active}' AND u.is_active = %s AND e.status IN ({serving})
       AND EXISTS (SELECT 1 FROM accounts_rolegrant g
                    WHERE g.user_id = p.user_id AND g.role = '{role}' AND g.revoked_at IS NULL
                      AND (g.expires_at IS NULL OR g.expires_at > %s) AND g.agency_id = %s)
       AND p.user_id NOT IN (SELECT user_id FROM involved)
       AND e.id NOT IN (SELECT id FROM chain)
)
SELECT id, user_id, status, availability, email, display_name, on_call FROM listed
 ORDER BY has_area DESC, speaks DESC,
          (availability = '{available}' OR (on_call AND availability <> '{off}')) DESC,
          open_load, covered DESC, last_name, first_name, id
 LIMIT %s
"""


@functools.cache
def _suggest_sql(areas: int, serving: int) -> str:
    """The statement for ``areas`` wanted experience areas and ``serving`` employee statuses
    (the values are parameters; the constants are the models' own)."""
    from peersupport.support.models import Offer, SupportRequest

    of_wanted = (
        "FROM roster_supporterarea a WHERE a.profile_id = p.id "
        f"AND a.area IN ({', '.join(['%s'] * areas)})"
    )
    return _SUGGEST_SQL.format(
        employee_active=Employee.Status.ACTIVE,
        has_area=f"EXISTS (SELECT 1 {of_wanted})" if areas else "1 = 1",
        covered=f"(SELECT COUNT(*) {of_wanted})" if areas else "0",
        request_accepted=SupportRequest.Status.ACCEPTED,
        offer_pending=Offer.Answer.PENDING,
        profile_active=SupporterProfile.Status.ACTIVE,
        serving=", ".join(["%s"] * serving),
        role=Role.PEER_SUPPORTER,
        available=SupporterProfile.Availability.AVAILABLE,
        off=SupporterProfile.Availability.OFF,
    )


def suggest_supporters(person: AffectedPerson, *, limit: int = 6) -> list[SupporterProfile]:
    """Active supporters for an affected person, never in their chain of command and never
    involved in the event (``involvement``): those with experience of this kind of event who
    speak the person's languages first, then those with one of the two, then anyone; within
    each, available now and least loaded first, then the most areas covered, name and id (as
    ``roster.selectors.suggested_supporters`` ranks them). One hand-written query of ``limit``
    rows, however many supporters the program has; each profile carries ``user`` (its e-mail
    and display name) and ``available_now``."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    areas = sorted(set(AREAS.get(person.outreach.event_type, [])))
    serving = list(serving_employee_statuses())
    anchor = person.employee_id or (
        person.family_member.employee_id if person.family_member_id else None
    )
    outreach_id = person.outreach_id
    spoken = person.employee_id
    agency = current_agency_id()
    params = [anchor, agency, anchor, outreach_id, outreach_id, outreach_id, now, now, spoken]
    # The load counted is this agency's, as the roster's matching counts it.
    params += [spoken, *areas, *areas, agency, agency, True, *serving, now, agency, limit]
    with connection.cursor() as cursor:
        cursor.execute(_suggest_sql(len(areas), len(serving)), params)
        rows = cursor.fetchall()
    suggestions = []
    for pk, user_id, status, availability, email, display_name, on_call in rows:
        profile = SupporterProfile.from_db(
            connection.alias,
            ["id", "user_id", "status", "availability"],
            [pk, user_id, status, availability],
        )
        profile.user = User.from_db(
            connection.alias, ["id", "email", "display_name"], [user_id, email, display_name]
        )
        profile.available_now = availability_rule(
            status=status, availability=availability, on_call=bool(on_call)
        )
        suggestions.append(profile)
    return suggestions


def in_chain_of_command(supporter: User, person: AffectedPerson) -> bool:
    anchor = person.anchor_employee
    supporter_employee = getattr(supporter, "employee", None)
    if anchor is None or supporter_employee is None:
        return False
    return any(boss.pk == supporter_employee.pk for boss in chain_of_command(anchor))


# --- The follow-up calendar feed (registered in apps.py) ------------------------------------

FOLLOWUP_FEED_SUMMARY = "Outreach follow-up"
FOLLOWUP_FEED_MINUTES = 30


def followup_feed_events(user: User) -> list[Event]:
    """The open follow-ups of the people ``user`` has accepted to support, for their secret
    calendar feed. The feed lives on a calendar server outside the department, so each event
    is a fixed summary, the time it is due and a link to the assignment page (which needs
    sign-in): the query reads no name, unit, label or note, so none can leak. One query
    however many follow-ups."""
    length = timedelta(minutes=FOLLOWUP_FEED_MINUTES)
    rows = (
        FollowUpTask.objects.filter(
            status=FollowUpTask.Status.OPEN,
            person__assignments__supporter=user,
            person__assignments__status=Assignment.Status.ACCEPTED,
        )
        .order_by("due_at", "pk")
        .values_list("pk", "due_at", "person__assignments__pk")
    )
    return [
        Event(
            uid=f"outreach-followup-{pk}",
            start=due,
            end=due + length,
            summary=FOLLOWUP_FEED_SUMMARY,
            url=site_link("outreach:assignment", assignment_id=assignment_id),
        )
        for pk, due, assignment_id in rows
    ]
