"""Pure rules of the roster: the supporter lifecycle's one table of moves and who makes them."""

from peersupport.accounts.models import Role

from .models import SupporterProfile

Status = SupporterProfile.Status

# PROGRAM.md, "Supporter lifecycle": candidate -> appointed (in initial training) -> active <->
# inactive (leave, out of compliance, own request) -> retired or removed. The one table of
# allowed moves; anything not listed is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    # Selected and approved; or not selected, or withdrew.
    Status.CANDIDATE: frozenset({Status.APPOINTED, Status.REMOVED}),
    # Completed initial training; or did not complete it.
    Status.APPOINTED: frozenset({Status.ACTIVE, Status.REMOVED}),
    Status.ACTIVE: frozenset({Status.INACTIVE, Status.RETIRED, Status.REMOVED}),
    Status.INACTIVE: frozenset({Status.ACTIVE, Status.RETIRED, Status.REMOVED}),
    # A retired supporter who is nominated again goes through selection again.
    Status.RETIRED: frozenset({Status.CANDIDATE}),
    # Removal is final.
    Status.REMOVED: frozenset(),
}
# Who serves requesters: logs contacts and raises exceptions. Not a supporter still in initial
# training (appointed): their contacts would count in the program's figures before they may
# give support. An inactive supporter keeps it: they log what happened before their leave and
# must always be able to raise a danger they learned of.
SERVING = frozenset({Status.ACTIVE, Status.INACTIVE})
NOT_SERVING = (
    "You can log contacts and raise exceptions once your initial training is complete and the "
    "coordinator has made you active."
)

# Who moves a supporter through the lifecycle: the coordinator runs the roster, the BHS manager
# owns the program, the Chief approves appointments. ``actor=None`` is the system itself (the
# worker marking someone out of compliance, for example).
STATUS_CHANGERS = frozenset({Role.COORDINATOR, Role.BHS_MANAGER, Role.CHIEF})


# Moves only the selection pipeline makes (the selection app, with ``pipeline=True``): the
# Chief's approval appoints, a new nomination makes a retired supporter a candidate again.
PIPELINE_ONLY = {
    Status.APPOINTED: "A supporter is appointed only by the Chief's approval at the end of "
    "selection.",
    Status.CANDIDATE: "A retired supporter becomes a candidate again only by being nominated.",
}
