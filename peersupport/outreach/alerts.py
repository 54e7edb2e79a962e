"""The kinds of alert outreach sends (peersupport/notifications/kinds.py). Not urgent: outreach
follows a plan of days (next day, one week...), and an assignment made at night can wait for
the morning; the coordinator phones when minutes matter."""

KINDS = {
    "outreach/assigned": {
        "label": "You are asked to reach out to someone after a hard event",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "outreach/followup_due": {
        "label": "An outreach follow-up is due",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "outreach/declined": {
        "label": "An outreach assignment was declined and needs someone else",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "outreach/followup_overdue": {
        "label": "An outreach follow-up is overdue",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "outreach/followup_reminder": {
        "label": "The coordinator reminds you of an overdue outreach follow-up",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
