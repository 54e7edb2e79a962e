"""Who may use the calendar feeds (peersupport/calendars).

A peer supporter makes, replaces and stops their own feeds (on-call shifts, outreach
follow-ups); a kind they may not have answers 404 (tests/calendars/test_feeds.py). The feed
itself is public behind its secret token, because calendar apps cannot sign in.
"""

from peersupport.accounts.models import Role
from peersupport.accounts.permissions import PUBLIC

_SUPPORTER = frozenset({Role.PEER_SUPPORTER})


def _feed(dept):
    from peersupport.calendars.registry import source
    from peersupport.calendars.services import feed_reset

    return {"token": feed_reset(actor=dept.users["supporter"], source=source("oncall"))}


MATRIX = {
    "calendars:mine": {"GET": _SUPPORTER},
    "calendars:reset": {"POST": _SUPPORTER},
    "calendars:revoke": {"POST": _SUPPORTER},
    "calendars:feed": {"GET": frozenset({PUBLIC})},
}
URL_KWARGS = {
    "calendars:reset": lambda dept: {"kind": "oncall"},
    "calendars:revoke": lambda dept: {"kind": "outreach"},
    "calendars:feed": _feed,
}
