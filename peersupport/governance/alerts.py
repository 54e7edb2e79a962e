"""The kinds of alert the governance app sends (templates/messages/governance/), for the
notification settings: what each says, whether it is urgent, and which roles receive it."""

KINDS = {
    "governance/submitted": {
        "label": "A policy version awaits your approval",
        "urgent": False,
        "roles": ["chief"],
    },
    "governance/approved": {
        "label": "A policy version you submitted is approved",
        "urgent": False,
        "roles": ["bhs_manager"],
    },
    "governance/returned": {
        "label": "A policy version was returned to you",
        "urgent": False,
        "roles": ["bhs_manager"],
    },
    "governance/acknowledge": {
        "label": "A new program policy to acknowledge",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "governance/remind": {
        "label": "Reminder to acknowledge the program policy",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
