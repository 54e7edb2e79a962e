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
    "support/offered": {
        "label": "A request is offered to you",
        "urgent": True,
        "roles": ["peer_supporter"],
    },
    "support/new_message": {
        "label": "A new message on a request you hold",
        "urgent": True,
        "roles": ["peer_supporter"],
    },
    "support/reply": {
        "label": "A supporter replied to your request",
        "urgent": False,
        "roles": ["employee"],
    },
    "support/withdrawn": {
        "label": "A request with you was withdrawn",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "support/debrief_requested": {
        "label": "A supporter asks for a debrief",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "support/family_reply": {
        # A family member without an account who asked to be told (and left a contact): sent
        # to their address alone, never to an account, so no one's settings apply.
        "label": "A supporter replied to a family member's request",
        "urgent": True,
        "roles": [],
        "accounts": False,  # listed on nobody's alert settings page
    },
}
