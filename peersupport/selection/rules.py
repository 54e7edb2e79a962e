"""The selection pipeline's pure rules (PROGRAM.md, "Selection of supporters"): the one table
of allowed moves, and what a refusal says. No queries and no writes.

Every change of a candidacy's stage is an action in TRANSITIONS: the stages it may start from,
the stages it may lead to, and who may take it. services._move is the only code that changes
``Candidacy.stage``, and it refuses anything this table does not allow.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from peersupport.accounts.models import Role

from .models import Candidacy

Stage = Candidacy.Stage

# Who takes an action. Besides roles: NOMINEE (the candidate themselves), CHAIN (the supervisor
# at the level the request is with), PANEL (a panelist of the interview), SYSTEM (the service
# itself, when enough colleagues have nominated).
NOMINEE = "nominee"
CHAIN = "chain"
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    targets: frozenset[str]
    actors: frozenset[str]
    label: str  # what the candidate's timeline says happened


def _t(sources, targets, actors, label) -> Transition:
    return Transition(frozenset(sources), frozenset(targets), frozenset(actors), label)


OPEN_BEFORE_CHIEF = (
    Stage.NOMINATED,
    Stage.INVITED,
    Stage.ACCEPTED,
    Stage.INTERVIEW,
    Stage.DEFERRED,
    Stage.CHAIN,
    Stage.CHAIN_DECLINED,
    Stage.BHS_REVIEW,
    Stage.CHIEF_REVIEW,
)

TRANSITIONS: dict[str, Transition] = {
    # Enough distinct colleagues nominated: the nominee is invited.
    "invite": _t({Stage.NOMINATED}, {Stage.INVITED}, {SYSTEM}, "Invited to become a candidate"),
    "accept": _t({Stage.INVITED}, {Stage.ACCEPTED}, {NOMINEE}, "You accepted the nomination"),
    "decline": _t({Stage.INVITED}, {Stage.DECLINED}, {NOMINEE}, "You declined the nomination"),
    # A deferred candidate is interviewed again.
    "schedule": _t(
        {Stage.ACCEPTED, Stage.DEFERRED},
        {Stage.INTERVIEW},
        {Role.COORDINATOR},
        "Interview scheduled",
    ),
    "select": _t(
        {Stage.INTERVIEW},
        {Stage.CHAIN, Stage.BHS_REVIEW},
        {Role.COORDINATOR},
        "Selected by the interview panel",
    ),
    "not_select": _t(
        {Stage.INTERVIEW}, {Stage.NOT_SELECTED}, {Role.COORDINATOR}, "Not selected by the panel"
    ),
    "defer": _t({Stage.INTERVIEW}, {Stage.DEFERRED}, {Role.COORDINATOR}, "Deferred by the panel"),
    # Each level in turn; the last one's endorsement sends the request to the BHS manager.
    "endorse": _t(
        {Stage.CHAIN},
        {Stage.CHAIN, Stage.BHS_REVIEW},
        {CHAIN},
        "Endorsed by your chain of command (level {level})",
    ),
    "decline_level": _t(
        {Stage.CHAIN},
        {Stage.CHAIN_DECLINED},
        {CHAIN},
        "Declined by your chain of command (level {level})",
    ),
    # By the coordinator (vacant, absent), or by the system when nobody holds an account there.
    "skip_level": _t(
        {Stage.CHAIN},
        {Stage.CHAIN, Stage.BHS_REVIEW},
        {Role.COORDINATOR, SYSTEM},
        "Level {level} of your chain of command skipped (vacant or absent)",
    ),
    "override": _t(
        {Stage.CHAIN_DECLINED},
        {Stage.CHAIN, Stage.BHS_REVIEW},
        {Role.BHS_MANAGER},
        "The BHS manager overrode the decline at level {level}",
    ),
    "recommend": _t(
        {Stage.BHS_REVIEW},
        {Stage.CHIEF_REVIEW},
        {Role.BHS_MANAGER},
        "Recommended to the Chief by the BHS manager",
    ),
    "not_recommend": _t(
        {Stage.BHS_REVIEW},
        {Stage.NOT_RECOMMENDED},
        {Role.BHS_MANAGER},
        "Not recommended by the BHS manager",
    ),
    "approve": _t(
        {Stage.CHIEF_REVIEW}, {Stage.APPOINTED}, {Role.CHIEF}, "Approved by the Chief: appointed"
    ),
    "refuse": _t({Stage.CHIEF_REVIEW}, {Stage.REFUSED}, {Role.CHIEF}, "Refused by the Chief"),
    "withdraw": _t(OPEN_BEFORE_CHIEF, {Stage.WITHDRAWN}, {NOMINEE, Role.COORDINATOR}, "Withdrawn"),
}

# The board's columns, in the order a candidate moves through them.
BOARD_STAGES = [
    Stage.NOMINATED,
    Stage.INVITED,
    Stage.ACCEPTED,
    Stage.INTERVIEW,
    Stage.DEFERRED,
    Stage.CHAIN,
    Stage.CHAIN_DECLINED,
    Stage.BHS_REVIEW,
    Stage.CHIEF_REVIEW,
]

# What the system writes when it skips a level nobody can act at.
NO_ACCOUNT_HOLDER = "No account holder at level {level}"

# The timeline is written in the candidate's words; staff pages read it in the third person.
STAFF_WORDING = (
    ("You accepted the nomination", "The nominee accepted the nomination"),
    ("You declined the nomination", "The nominee declined the nomination"),
    ("your chain of command", "the candidate's chain of command"),
)


def staff_label(label: str) -> str:
    """A timeline label as staff read it ("The nominee accepted", not "You accepted")."""
    for candidate_words, staff_words in STAFF_WORDING:
        label = label.replace(candidate_words, staff_words)
    return label


def interview_overdue_days(at, now) -> int | None:
    """How many days an undecided interview held at ``at`` is overdue at ``now``: None until
    SELECTION_INTERVIEW_OVERDUE_DAYS have passed since its time (or when there is none)."""
    if at is None:
        return None
    late = now - at
    if late < datetime.timedelta(days=settings.SELECTION_INTERVIEW_OVERDUE_DAYS):
        return None
    return late.days


# --- What a refusal says ----------------------------------------------------------------------

REASON_MAX = 2000
# Who may not take an action, in words (ValidationError messages).
NOT_YOURS = {
    "accept": "Only the nominee answers their nomination.",
    "decline": "Only the nominee answers their nomination.",
    "schedule": "Only the program coordinator schedules interviews.",
    "select": "Only the program coordinator records the panel's decision.",
    "not_select": "Only the program coordinator records the panel's decision.",
    "defer": "Only the program coordinator records the panel's decision.",
    "endorse": "Only the supervisor at the level the request is with may endorse it.",
    "decline_level": "Only the supervisor at the level the request is with may decline it.",
    "skip_level": "Only the program coordinator skips a level of the chain of command.",
    "override": "Only the BHS manager overrides a decline.",
    "recommend": "Only the BHS manager recommends a candidate to the Chief.",
    "not_recommend": "Only the BHS manager recommends a candidate to the Chief.",
    "approve": "Only the Chief of Police approves an appointment.",
    "refuse": "Only the Chief of Police decides on an appointment.",
    "withdraw": "Only the candidate or the program coordinator withdraws a candidacy.",
    "invite": "Invitations are sent by the system when enough colleagues have nominated.",
}
NOT_NOW = {
    "approve": "The Chief approves only a candidate the BHS manager has recommended, after "
    "the interview and the whole chain of command; this candidacy is {stage}.",
    "refuse": "The Chief decides only on a candidate the BHS manager has recommended; this "
    "candidacy is {stage}.",
    "recommend": "The BHS manager recommends only once the chain of command has endorsed; "
    "this candidacy is {stage}.",
    "not_recommend": "The BHS manager recommends only once the chain of command has "
    "endorsed; this candidacy is {stage}.",
}


def not_now(action: str, stage: str) -> str:
    """Why ``action`` cannot be taken on a candidacy at ``stage``."""
    text = NOT_NOW.get(action, "This candidacy is {stage}: that cannot be done now.")
    return text.format(stage=Stage(stage).label.lower())


def clean_reason(text: str, field: str = "reason", what: str = "Say why.") -> str:
    """``text`` stripped; refused when empty or longer than REASON_MAX."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: what})
    if len(text) > REASON_MAX:
        raise ValidationError({field: f"Keep it under {REASON_MAX} characters."})
    return text
