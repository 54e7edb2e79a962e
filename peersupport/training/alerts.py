"""The kinds of alert training sends (peersupport/notifications/kinds.py). None is urgent:
sessions and quarters are planned days and weeks ahead."""

_SUPPORTER = ["peer_supporter"]
KINDS = {
    "training/enrolled": {
        "label": "You were given a place in a training session",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/promoted": {
        "label": "A place came free for you in a training session",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/session_soon": {
        "label": "A training session you are enrolled in is soon",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/session_moved": {
        "label": "A training session you are enrolled in moved",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/session_cancelled": {
        "label": "A training session you are enrolled in was cancelled",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/quarter_warning": {
        "label": "This quarter's update training is still to do",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/quarter_missed": {
        "label": "A quarter's update training was missed",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/out_of_compliance": {
        "label": "You are out of training compliance",
        "urgent": False,
        "roles": _SUPPORTER,
    },
    "training/quarter_missed_coordinator": {
        "label": "Supporters missed a quarter's update training",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "training/out_of_compliance_coordinator": {
        "label": "Supporters are out of training compliance",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "training/sessions_needed": {
        "label": "Update sessions are needed for supporters to meet their hours",
        "urgent": False,
        "roles": ["coordinator"],
    },
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
