"""The kinds of personal calendar feed, each registered by the domain app that owns its events
(in ``AppConfig.ready()``), so this kernel app serves feeds of shifts or follow-ups without
importing the apps that hold them, and those apps never import each other.

A source's events go to third-party calendar servers: they must carry no protected content.
A summary that says what kind of thing it is, the time, and a link back to the page (which
needs sign-in) is the most a source may put in.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from peersupport.web.ics import Event


@dataclass(frozen=True)
class Source:
    kind: str
    # The feed's name in a calendar app and the heading on the calendars page.
    title: str
    # One sentence for the person: what anyone who has the address can see.
    reveals: str
    # Who may have this feed: a person who loses every one of these roles (or whose account
    # is made inactive) has a feed that answers 404 from then on.
    roles: frozenset[str]
    # The person's events, in a fixed number of queries however many there are.
    events: Callable[..., Iterable[Event]]


_sources: dict[str, Source] = {}


def register_source(
    kind: str,
    *,
    title: str,
    reveals: str,
    roles: Iterable[str],
    events: Callable[..., Iterable[Event]],
) -> None:
    if not kind.replace("-", "").isalnum() or len(kind) > 32:
        raise ValueError(f"calendar source kind {kind!r}: letters, digits and dashes, 32 at most")
    _sources[kind] = Source(kind, title, reveals, frozenset(roles), events)


def source(kind: str) -> Source | None:
    return _sources.get(kind)


def sources_for(user) -> list[Source]:
    """The sources ``user`` may have a feed of, in the order they were registered."""
    return [s for s in _sources.values() if user.is_active and user.has_role(*s.roles)]
