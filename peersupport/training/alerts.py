"""The kinds of alert the training app sends (for the notification preferences)."""

KINDS = {
    "training/ready_to_activate": {
        "label": "A supporter finished initial training and is ready to activate",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "training/initial_complete": {
        "label": "Your initial training is complete",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
    "training/place_cancelled": {
        "label": "Your place on a training session was cancelled",
        "urgent": False,
        "roles": ["peer_supporter"],
    },
}
