"""Who the selection pipeline tells that something waits for them. The words are templates,
``templates/messages/selection/<message>.txt``; each alert says what waits and links to it
(``site_link``), so it carries nothing of the candidacy's protected content (no scores, notes,
comments or reasons). Outbox rows, written in the caller's transaction.
"""

from peersupport.notifications.messages import notify_message, site_link

from .models import Candidacy


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


# The kinds of alert this app sends (for the notification preferences).
KINDS = {
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
