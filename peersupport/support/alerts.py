"""The kinds of alert the support app sends (templates/messages/support/), for the
notification settings: what each says, whether it is urgent, and which roles receive it."""

KINDS = {
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
}
