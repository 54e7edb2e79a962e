"""The kinds of alert the outreach app sends (for the notification preferences)."""

KINDS = {
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
