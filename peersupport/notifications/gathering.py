"""The words of a gathered message: several alerts to one person on one channel that fell due
together, sent as one (services.deliver). It says how many things wait and links to each
(once per page), and nothing else: no subject of the alerts it gathers, so it is content-free
however they were worded."""

import hashlib

from .messages import render_message, site_link
from .models import Notification


def gathered_key(batch: list[Notification]) -> str:
    """The same key for the same set of rows, whatever order they come in: a retry or a
    repeat after a crash of the same set is the same message (Message-ID, Idempotency-Key)."""
    digest = hashlib.sha256("\n".join(sorted(n.key for n in batch)).encode()).hexdigest()
    return f"gathered:{digest[:40]}"


def gathered_words(batch: list[Notification]) -> tuple[str, str]:
    """(subject, body) saying that ``len(batch)`` things wait, with their links in order."""
    links: list[str] = []
    for notification in sorted(batch, key=lambda n: (n.created_at, n.pk)):
        link = notification.link or site_link("web:home")
        if link not in links:
            links.append(link)
    # kinds.COMBINED_MESSAGE, written out so that the template checks find its call site.
    return render_message("notifications/waiting", n=len(batch), links="\n".join(links))
