"""The kinds of alert the roster sends (peersupport/notifications/kinds.py). Not urgent: they
say how a supporter's status stands, nothing to do within the hour."""

KINDS = {
    "roster/status_changed": {
        "label": "Your peer supporter status changed",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "roster/inactive_ended": {
        "label": "Your inactive period has ended",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
