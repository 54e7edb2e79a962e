"""The kinds of alert confidentiality escalations send (peersupport/notifications/kinds.py)."""

KINDS = {
    "confidentiality/escalation_waiting": {
        # PROGRAM.md rule 5: told at once on every configured channel, re-alerted until
        # acknowledged. Urgent: never held for quiet hours, never gathered, never all off.
        "label": "A confidentiality escalation waits for your acknowledgement",
        "urgent": True,
        "roles": ["bhs_manager", "advocacy_supervisor"],
    },
    "confidentiality/escalation_acknowledged": {
        # Tells the supporter who raised it that it was seen; nothing waits on them.
        "label": "An escalation you raised was acknowledged",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
