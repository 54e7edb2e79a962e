"""Reads of the selection pipeline, with who may see what.

- The candidate sees their own candidacy as a timeline: what happened and when, the names of
  nominators who did not ask to stay unnamed, never panel scores, notes or anyone's comments.
- The coordinator, the BHS manager and the Chief see every candidacy (the board and the
  candidacy page); panel notes only the coordinator and the BHS manager (each reading audited).
- A panelist reaches only the candidacies whose current interview they sit on; a supervisor
  only those whose chain of command they are in. Anyone else: 404.
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, F, OuterRef, Prefetch, Subquery
from django.http import Http404
from django.utils import timezone

from peersupport.accounts.models import Role, RoleGrant, User, person_name

from .models import (
    Candidacy,
    CandidacyEvent,
    ChainStep,
    Interview,
    Nomination,
    NominationRound,
    PanelScore,
)
from .rules import BOARD_STAGES, NO_ACCOUNT_HOLDER, interview_overdue_days, staff_label

Stage = Candidacy.Stage
STAFF = (Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF)
NOTE_READERS = (Role.COORDINATOR, Role.BHS_MANAGER)


def _with_person(qs):
    return qs.select_related("nominee", "nominee__employee", "nominee__employee__unit")


def _with_interview_at(qs):
    """Annotate ``interview_at``: the time of the candidacy's current (latest) interview."""
    latest = Interview.objects.filter(candidacy=OuterRef("pk")).order_by("-scheduled_at", "-pk")
    return qs.annotate(interview_at=Subquery(latest.values("at")[:1]))


def _flag_overdue(candidacy: Candidacy, now: datetime.datetime) -> Candidacy:
    """Set ``overdue_days`` on a candidacy annotated by ``_with_interview_at``: how many days
    its interview is past with no decision (rules.interview_overdue_days), or None."""
    at = candidacy.interview_at if candidacy.stage == Stage.INTERVIEW else None
    candidacy.overdue_days = interview_overdue_days(at, now)
    return candidacy


# --- Where a candidacy stands (read by the services too) ------------------------------------


def nominations_open_on(day: datetime.date) -> tuple[bool, NominationRound | None]:
    """Whether nominations are open on ``day``, and the round that makes them so."""
    current = NominationRound.objects.filter(opens_on__lte=day, closes_on__gte=day).first()
    if settings.SELECTION_NOMINATIONS == "always":
        return True, current
    return current is not None, current


def current_interview(candidacy: Candidacy) -> Interview | None:
    return candidacy.interviews.order_by("-scheduled_at", "-pk").first()


def current_step(candidacy: Candidacy) -> ChainStep | None:
    """The level of the chain of command the request is with now."""
    return (
        ChainStep.objects.select_related("supervisor")
        .filter(candidacy=candidacy, position=candidacy.chain_position)
        .first()
    )


def where_after_level(candidacy: Candidacy) -> dict:
    """Where the request goes after the current level: the next level still waiting, or the
    BHS manager (keyword arguments of ``services._move``)."""
    nxt = (
        ChainStep.objects.filter(
            candidacy=candidacy,
            position__gt=candidacy.chain_position,
            outcome=ChainStep.Outcome.PENDING,
        )
        .order_by("position")
        .first()
    )
    if nxt is None:
        return {"to": Stage.BHS_REVIEW}
    return {"to": Stage.CHAIN, "chain_position": nxt.position}


def missing_before_appointment(candidacy: Candidacy) -> str:
    """What is missing before the Chief may appoint, or "" when nothing: appointing needs every
    earlier step on record (a panel that selected, every level of the chain endorsed, skipped
    or overridden, and the BHS manager's recommendation)."""
    if not candidacy.interviews.filter(decision=Interview.Decision.SELECTED).exists():
        return "No interview panel selected this candidate."
    done = [ChainStep.Outcome.ENDORSED, ChainStep.Outcome.SKIPPED, ChainStep.Outcome.OVERRIDDEN]
    if candidacy.chain.exclude(outcome__in=done).exists():
        return "The chain of command has not endorsed every level."
    if not candidacy.events.filter(action="recommend").exists():
        return "The BHS manager has not recommended this candidate."
    return ""


# --- The candidate --------------------------------------------------------------------------


def own_candidacy(user: User, *, with_person: bool = True) -> Candidacy | None:
    """The candidate's open candidacy, or else their latest one; ``with_person=False`` when
    only its stage is shown (no joins: every employee's home page asks, issue 21)."""
    qs = Candidacy.objects.filter(nominee=user)
    if with_person:
        qs = _with_person(qs)
    return qs.exclude(stage__in=Candidacy.CLOSED_STAGES).first() or qs.first()


@dataclass
class Timeline:
    candidacy: Candidacy
    events: list[CandidacyEvent]
    nominators: list[str]
    hidden_nominators: int
    interview: Interview | None


def timeline_for_candidate(candidacy: Candidacy) -> Timeline:
    """What the candidate may see: stage labels and dates, named nominators, the interview's
    date and place. Four queries."""
    nominations = list(
        candidacy.nominations.select_related("nominator", "nominator__employee").order_by(
            "created_at", "pk"
        )
    )
    named = [n for n in nominations if not n.hide_from_nominee]
    return Timeline(
        candidacy=candidacy,
        events=list(candidacy.events.only("at", "label", "candidacy_id").order_by("at", "pk")),
        nominators=[_person(n.nominator) for n in named],
        hidden_nominators=len(nominations) - len(named),
        interview=candidacy.interviews.order_by("-scheduled_at", "-pk").first(),
    )


def _person(user: User) -> str:
    employee = getattr(user, "employee", None)
    return employee.full_name if employee is not None else str(user)


def nominations_made(user: User) -> list[Nomination]:
    return list(
        Nomination.objects.filter(nominator=user)
        .select_related("candidacy", "candidacy__nominee", "candidacy__nominee__employee")
        .order_by("-created_at")[:20]
    )


# --- Staff: the board and one candidacy -------------------------------------------------------


@dataclass(frozen=True)
class BoardCard:
    """What the board shows of one open candidacy, read as plain values (a candidacy with its
    nominee, employee and unit as models, and its chain prefetched, cost most of the page)."""

    pk: int
    name: str
    unit: str
    # How long since it reached its stage.
    waited: datetime.timedelta
    nominator_count: int
    interview_at: datetime.datetime | None
    # An interview past with no decision (rules.interview_overdue_days), or None.
    overdue_days: int | None
    # The levels of its chain skipped for want of an account holder, in words.
    no_holder: list[str]


@dataclass
class Column:
    stage: str
    label: str
    candidacies: list[BoardCard] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.candidacies)


def board(*, now=None) -> tuple[list[Column], dict[str, int]]:
    """Every open candidacy by stage, longest waiting first (``BoardCard``), and counts of the
    closed ones by outcome. Three queries however many candidacies there are."""
    now = now or timezone.now()
    columns = {stage: Column(stage, Stage(stage).label) for stage in BOARD_STAGES}
    open_ = Candidacy.objects.filter(stage__in=BOARD_STAGES)
    # The levels the system skipped because nobody there holds an account.
    no_holder: dict[int, list[str]] = {}
    for candidacy_id, position in (
        ChainStep.objects.filter(
            candidacy__in=open_, outcome=ChainStep.Outcome.SKIPPED, decided_by__isnull=True
        )
        .order_by("candidacy_id", "position")
        .values_list("candidacy_id", "position")
    ):
        no_holder.setdefault(candidacy_id, []).append(NO_ACCOUNT_HOLDER.format(level=position + 1))
    found = (
        _with_interview_at(open_)
        .annotate(nominator_count=Count("nominations__nominator", distinct=True))
        .order_by("stage_changed_at", "pk")
        .values_list(
            "pk",
            "stage",
            "stage_changed_at",
            "interview_at",
            "nominator_count",
            "nominee__employee__preferred_name",
            "nominee__employee__first_name",
            "nominee__employee__last_name",
            "nominee__display_name",
            "nominee__email",
            "nominee__employee__unit__name",
        )
    )
    for pk, stage, since, interview_at, nominators, *name, unit in found:
        columns[stage].candidacies.append(
            BoardCard(
                pk=pk,
                name=person_name(*name),
                unit=unit or "",
                waited=now - since,
                nominator_count=nominators,
                interview_at=interview_at,
                overdue_days=interview_overdue_days(
                    interview_at if stage == Stage.INTERVIEW else None, now
                ),
                no_holder=no_holder.get(pk, []),
            )
        )
    closed = dict(
        Candidacy.objects.filter(stage__in=Candidacy.CLOSED_STAGES)
        .values_list("stage")
        .annotate(n=Count("pk"))
        .order_by()
    )
    outcomes = {Stage(stage).label: closed.get(stage, 0) for stage in Candidacy.CLOSED_STAGES}
    return list(columns.values()), outcomes


def candidacy_for_staff(viewer: User, candidacy_id: int) -> Candidacy:
    """The full candidacy for the coordinator, BHS manager and Chief, with everything its page
    shows prefetched (a fixed number of queries)."""
    if not viewer.has_role(*STAFF):
        raise Http404("No such candidacy.")
    candidacy = (
        _with_person(Candidacy.objects.filter(pk=candidacy_id))
        .prefetch_related(
            Prefetch(
                "nominations",
                queryset=Nomination.objects.select_related(
                    "nominator", "nominator__employee"
                ).order_by("created_at", "pk"),
            ),
            Prefetch(
                "interviews",
                queryset=Interview.objects.prefetch_related(
                    # With their employee records joined: one query, not two.
                    Prefetch("panelists", queryset=User.objects.select_related("employee")),
                    Prefetch(
                        "scores",
                        queryset=PanelScore.objects.select_related(
                            "panelist", "panelist__employee"
                        ),
                    ),
                ).order_by("-scheduled_at", "-pk"),
            ),
            Prefetch(
                "chain",
                queryset=ChainStep.objects.select_related(
                    "supervisor", "unit", "decided_by"
                ).order_by("position"),
            ),
            Prefetch(
                "events",
                queryset=CandidacyEvent.objects.select_related("actor", "actor__employee"),
            ),
        )
        .first()
    )
    if candidacy is None:
        raise Http404("No such candidacy.")
    for event in candidacy.events.all():
        event.staff_label = staff_label(event.label)
    interviews = candidacy.interviews.all()
    candidacy.interview_at = interviews[0].at if interviews else None
    _flag_overdue(candidacy, timezone.now())
    return candidacy


def candidacy_brief_for_staff(viewer: User, candidacy_id: int) -> Candidacy:
    """The candidacy with its nominee only, for the same staff as ``candidacy_for_staff``
    (404 to everyone else), for a page that shows no more than who and at what stage (to
    schedule an interview): without the six prefetches, most of that page's time. One query."""
    if not viewer.has_role(*STAFF):
        raise Http404("No such candidacy.")
    candidacy = _with_person(Candidacy.objects.filter(pk=candidacy_id)).first()
    if candidacy is None:
        raise Http404("No such candidacy.")
    return candidacy


def may_read_notes(viewer: User) -> bool:
    return viewer.has_role(*NOTE_READERS)


def candidacy_for_panelist(viewer: User, candidacy_id: int) -> tuple[Candidacy, Interview]:
    """A candidacy whose current interview ``viewer`` sits on, with that interview."""
    candidacy = _with_person(Candidacy.objects.filter(pk=candidacy_id)).first()
    interview = (
        Interview.objects.filter(candidacy_id=candidacy_id).order_by("-scheduled_at", "-pk").first()
        if candidacy is not None
        else None
    )
    if interview is None or not interview.panelists.filter(pk=viewer.pk).exists():
        raise Http404("No such interview.")
    return candidacy, interview


def candidacy_for_supervisor(viewer: User, candidacy_id: int) -> tuple[Candidacy, list]:
    """A candidacy whose chain of command includes ``viewer``, with its levels."""
    steps = list(
        ChainStep.objects.filter(candidacy_id=candidacy_id)
        .select_related("supervisor", "unit")
        .order_by("position")
    )
    if not any(step.supervisor.user_id == viewer.pk for step in steps):
        raise Http404("No such request.")
    candidacy = _with_person(Candidacy.objects.filter(pk=candidacy_id)).get()
    return candidacy, steps


def nomination_rounds() -> list[NominationRound]:
    return list(NominationRound.objects.select_related("created_by")[:50])


def panelist_choices():
    """Accounts holding the panelist role now, for scheduling a panel."""
    ids = RoleGrant.objects.current().filter(role=Role.PANELIST).values("user_id")
    return User.objects.filter(pk__in=ids, is_active=True).order_by("display_name", "email")


# --- What waits for each person -------------------------------------------------------------


@dataclass
class Tasks:
    invitation: Candidacy | None = None
    own: Candidacy | None = None
    to_score: list[Candidacy] = field(default_factory=list)
    to_endorse: list[Candidacy] = field(default_factory=list)
    to_schedule: list[Candidacy] = field(default_factory=list)
    to_decide: list[Candidacy] = field(default_factory=list)
    # Interviews past SELECTION_INTERVIEW_OVERDUE_DAYS with no decision (scored or not).
    overdue: list[Candidacy] = field(default_factory=list)
    # Interviews the panelist sits on that are still to come (scored once they took place).
    upcoming: list[Candidacy] = field(default_factory=list)
    # Requests waiting longer than SELECTION_CHAIN_STALL_DAYS at one level of the chain.
    chain_waiting: list[Candidacy] = field(default_factory=list)
    to_recommend: list[Candidacy] = field(default_factory=list)
    declined: list[Candidacy] = field(default_factory=list)
    to_approve: list[Candidacy] = field(default_factory=list)

    @property
    def count(self) -> int:
        return (
            bool(self.invitation)
            + len(self.to_score)
            + len(self.to_endorse)
            + len(self.to_schedule)
            + len(self.to_decide)
            + len(self.overdue)
            + len(self.chain_waiting)
            + len(self.to_recommend)
            + len(self.declined)
            + len(self.to_approve)
        )


def chain_waiting(*, now=None) -> list[Candidacy]:
    """Requests to serve waiting at one level of the chain of command for
    SELECTION_CHAIN_STALL_DAYS or more, longest first (the coordinator skips or chases them)."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.SELECTION_CHAIN_STALL_DAYS)
    return list(
        _with_person(
            Candidacy.objects.filter(stage=Stage.CHAIN, stage_changed_at__lte=cutoff)
        ).order_by("stage_changed_at", "pk")
    )


def tasks_for(user: User) -> Tasks:
    """Everything in the pipeline that waits for ``user`` to act, by role. A fixed number of
    queries (one or two per role held)."""
    tasks = Tasks()
    roles = user.roles
    if Role.EMPLOYEE in roles:
        tasks.own = own_candidacy(user, with_person=False)  # only its stage is shown
        if tasks.own is not None and tasks.own.stage == Stage.INVITED:
            tasks.invitation = tasks.own
    if Role.PANELIST in roles:
        interviews = (
            Interview.objects.filter(
                decision="", candidacy__stage=Stage.INTERVIEW, panelist__user=user
            )
            .exclude(scores__panelist=user)
            .select_related(
                "candidacy",
                "candidacy__nominee",
                "candidacy__nominee__employee",
                "candidacy__nominee__employee__unit",
            )
            .order_by("at")
        )
        now = timezone.now()
        for interview in interviews:
            interview.candidacy.interview_at = interview.at
            held = interview.at <= now
            (tasks.to_score if held else tasks.upcoming).append(interview.candidacy)
    if Role.SUPERVISOR in roles:
        tasks.to_endorse = list(
            _with_person(
                Candidacy.objects.filter(
                    stage=Stage.CHAIN,
                    chain__supervisor__user=user,
                    chain__outcome=ChainStep.Outcome.PENDING,
                    chain__position=F("chain_position"),
                )
            ).distinct()
        )
    if Role.COORDINATOR in roles:
        now = timezone.now()
        open_ = [
            _flag_overdue(c, now)
            for c in _with_interview_at(
                _with_person(
                    Candidacy.objects.filter(
                        stage__in=[Stage.ACCEPTED, Stage.DEFERRED, Stage.INTERVIEW]
                    ).annotate(
                        panel=Count("interviews__panelist", distinct=True),
                        scored=Count("interviews__scores", distinct=True),
                    )
                )
            ).order_by("stage_changed_at")
        ]
        tasks.to_schedule = [c for c in open_ if c.stage != Stage.INTERVIEW]
        # Counted over the candidacy's interviews; only the current one is undecided, and
        # earlier ones were complete, so "every panelist scored" reads the same. An overdue
        # interview is listed once, as overdue.
        tasks.overdue = [c for c in open_ if c.overdue_days is not None]
        tasks.to_decide = [
            c
            for c in open_
            if c.stage == Stage.INTERVIEW
            and c.panel
            and c.scored >= c.panel
            and c.overdue_days is None
        ]
        tasks.chain_waiting = chain_waiting()
    if Role.BHS_MANAGER in roles:
        waiting = list(
            _with_person(
                Candidacy.objects.filter(stage__in=[Stage.BHS_REVIEW, Stage.CHAIN_DECLINED])
            ).order_by("stage_changed_at")
        )
        tasks.to_recommend = [c for c in waiting if c.stage == Stage.BHS_REVIEW]
        tasks.declined = [c for c in waiting if c.stage == Stage.CHAIN_DECLINED]
    if Role.CHIEF in roles:
        tasks.to_approve = list(
            _with_person(Candidacy.objects.filter(stage=Stage.CHIEF_REVIEW)).order_by(
                "stage_changed_at"
            )
        )
    return tasks
