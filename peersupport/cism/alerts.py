"""The kind of alert CISM sends (peersupport/notifications/kinds.py). Urgent: a call-out is
answered within the hour, so it is never held for quiet hours or gathered with others."""

KINDS = {
    "cism/callout": {
        "label": "A CISM call-out needs your answer",
        "urgent": True,
        "roles": ["peer_supporter", "bhs_manager", "advocacy_supervisor"],
    },
}
