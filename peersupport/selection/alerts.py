"""Who the selection pipeline tells that something waits for them. The words are templates,
``templates/messages/selection/<message>.txt``; each alert says what waits and links to it
(``site_link``), so it carries nothing of the candidacy's protected content (no scores, notes,
comments or reasons). Outbox rows, written in the caller's transaction.
"""

from peersupport.notifications.messages import notify_message, site_link

from .models import Candidacy

# The kinds of alert the pipeline sends (peersupport/notifications/kinds.py). None is urgent:
# each step waits days for its decision, not minutes, so quiet hours and gathering may hold it.
_CANDIDATE = ["employee"]
KINDS = {
    "selection/you_are_nominated": {
        "label": "You have been nominated as a peer supporter",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/your_interview": {
        "label": "Your interview for the program is set",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/panel_decided": {
        "label": "The interview panel decided on your candidacy",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/your_chain_declined": {
        "label": "Your chain of command declined your request to serve",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/not_recommended": {
        "label": "Your request to serve was not recommended",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/chief_refused": {
        "label": "The Chief decided on your request to serve",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/you_are_appointed": {
        "label": "You are appointed as a peer supporter",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/your_candidacy_withdrawn": {
        "label": "Your candidacy was withdrawn",
        "urgent": False,
        "roles": _CANDIDATE,
    },
    "selection/panelist_chosen": {
        "label": "You are chosen for an interview panel",
        "urgent": False,
        "roles": ["employee", "panelist"],
    },
    "selection/chain_endorse": {
        "label": "A request to serve awaits your endorsement",
        "urgent": False,
        "roles": ["supervisor"],
    },
    "selection/nominee_accepted": {
        "label": "A nominee accepted: an interview is to schedule",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "selection/panel_scored": {
        "label": "A panel has scored: its decision is to record",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "selection/candidate_withdrew": {
        "label": "A candidate withdrew",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "selection/appointed": {
        "label": "A new peer supporter is appointed",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "selection/chain_declined": {
        "label": "A request to serve was declined in the chain of command",
        "urgent": False,
        "roles": ["coordinator", "bhs_manager"],
    },
    "selection/bhs_recommend": {
        "label": "A candidate awaits your recommendation",
        "urgent": False,
        "roles": ["bhs_manager"],
    },
    "selection/chief_approve": {
        "label": "An appointment awaits your approval",
        "urgent": False,
        "roles": ["chief"],
    },
    "selection/chain_stalled": {
        "label": "A request to serve waits too long in the chain of command",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "selection/chain_no_holder": {
        "label": "A chain of command had nobody with an account to decide",
        "urgent": False,
        "roles": ["coordinator"],
    },
    "selection/your_decline_overridden": {
        "label": "A decline of your request to serve was overridden",
        "urgent": False,
        "roles": ["employee"],
    },
}


def tell(users, *, key: str, message: str, link: str = "", **context) -> None:
    """Tell each of ``users`` (once) that something waits for them, with the template
    ``messages/<message>.txt`` and a link to what waits (their selection tasks unless
    ``link``)."""
    link = link or site_link("selection:tasks")
    seen = set()
    for user in users:
        if user is None or user.pk in seen:
            continue
        seen.add(user.pk)
        notify_message(
            key=f"selection:{key}:{user.pk}",
            user=user,
            message=message,
            link=link,
            **context,
        )


def tell_candidate(candidacy: Candidacy, *, key: str, message: str, **context) -> None:
    notify_message(
        key=f"selection:{key}:candidate",
        user=candidacy.nominee,
        message=message,
        link=site_link("selection:mine"),
        **context,
    )


def event_key(candidacy: Candidacy) -> str:
    """A key unique to this move of this candidacy (its event count), for the outbox."""
    return f"{candidacy.pk}:{candidacy.events.count()}"
