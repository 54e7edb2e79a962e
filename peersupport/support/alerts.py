"""The kinds of alert support sends (peersupport/notifications/kinds.py)."""

KINDS = {
    "support/requests_waiting": {
        # Someone asked for help and no supporter took it within the time limit: a person is
        # waiting now, so the coordinator hears at once, even in quiet hours.
        "label": "Support requests wait without a supporter",
        "urgent": True,
        "roles": ["coordinator"],
    },
    "support/followups_due": {
        # A daily reminder of follow-ups due that day.
        "label": "Follow-ups are due",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
