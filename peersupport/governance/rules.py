"""Pure rules of policy versions: the one table of moves, and which states are still open."""

from peersupport.accounts.models import Role

from .models import PolicyVersion

S = PolicyVersion.Status

# action -> (states it may start from, state it leads to, the role that may take it, audit)
TRANSITIONS = {
    "submit": (frozenset({S.DRAFT, S.RETURNED}), S.SUBMITTED, Role.BHS_MANAGER),
    "approve": (frozenset({S.SUBMITTED}), S.APPROVED, Role.CHIEF),
    "return": (frozenset({S.SUBMITTED}), S.RETURNED, Role.CHIEF),
}


OPEN_STATES = frozenset({S.DRAFT, S.SUBMITTED, S.RETURNED})
