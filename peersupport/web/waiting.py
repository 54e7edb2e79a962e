""" "Waiting for you": what each person has to do, at the top of their home page.

Each app registers a source in ``AppConfig.ready()`` with the roles that can have such work and
a function of the user returning ``Waiting`` items; the home page asks only the sources for the
roles the person holds and lists the items oldest first. A source answers in a fixed number of
queries however much waits (counts and the oldest time, never a row per item), and its labels
are the person's own to-do list: what kind of thing waits, how many, since when, and a link;
never who asked or what about, so the list is safe on a screen someone else glances at.

The home page is the page everyone opens most, and asking every source costs more than the rest
of the page. So each web process keeps each person's list for at most ``WAITING_KEEP_SECONDS``
(memory only, never written anywhere), and only while the audit chain's ``data_version`` is the
one it was built at: every audited write anywhere (an offer, an escalation, a decision) bumps it
in its own transaction, so what someone's action puts in a list shows on the next view, on
every server. What changes without an audited write (a follow-up falling due, the worker's
sweeps) shows within those seconds.
"""

import datetime
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Min
from django.urls import reverse
from django.utils import timezone

from peersupport.accounts.selectors import role_requests_waiting_for
from peersupport.audit.selectors import data_version
from peersupport.tenancy import current_agency_id_or_none


@dataclass(frozen=True)
class Waiting:
    label: str
    url: str
    since: datetime.datetime | datetime.date | None = None
    count: int = 1
    # Something that must be answered within the hour (an offer, an escalation): shown first.
    urgent: bool = False

    @property
    def since_at(self) -> datetime.datetime | None:
        """``since`` as an aware time, a date as the start of its day, for ordering and age."""
        if self.since is None or isinstance(self.since, datetime.datetime):
            return self.since
        return timezone.make_aware(datetime.datetime.combine(self.since, datetime.time.min))


@dataclass(frozen=True)
class Source:
    roles: frozenset[str]
    items: Callable[..., Iterable[Waiting]]


_sources: dict[str, Source] = {}


def register_waiting(name: str, *, roles: Iterable[str], items: Callable[..., Iterable[Waiting]]):
    """``items(user)`` lists what waits for ``user``; asked only of people holding one of
    ``roles``. Registering a name twice replaces it (autoreload, tests)."""
    _sources[name] = Source(roles=frozenset(roles), items=items)


_KEPT_PEOPLE = 4096
_kept: OrderedDict[tuple, tuple[int, float, list[Waiting]]] = OrderedDict()
_kept_lock = threading.Lock()


def waiting_for(user) -> list[Waiting]:
    """Everything that waits for ``user``: urgent first, then oldest first; undated last.
    Kept per agency, person and role set while nothing audited changed (see the module's note)."""
    seconds = settings.WAITING_KEEP_SECONDS
    if seconds <= 0:
        return _waiting_for(user)
    # The agency too: the same roles in two agencies are two different lists.
    key = (current_agency_id_or_none(), user.pk, user.roles)
    version = data_version()
    now = time.monotonic()
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None and kept[0] == version and kept[1] > now:
            _kept.move_to_end(key)
            return kept[2]
    items = _waiting_for(user)
    with _kept_lock:
        _kept[key] = (version, now + seconds, items)
        _kept.move_to_end(key)
        while len(_kept) > _KEPT_PEOPLE:
            _kept.popitem(last=False)
    return items


def forget_kept() -> None:
    with _kept_lock:
        _kept.clear()


def _waiting_for(user) -> list[Waiting]:
    roles = user.roles
    found: list[Waiting] = []
    for source in _sources.values():
        if source.roles & roles:
            found.extend(item for item in source.items(user) if item.count > 0)
    far = timezone.now() + datetime.timedelta(days=36500)
    return sorted(found, key=lambda w: (not w.urgent, w.since_at or far, w.label))


def role_requests_waiting(user) -> list[Waiting]:
    """The kernel's own: grants of confidential roles waiting for this approver (accounts)."""
    waiting = role_requests_waiting_for(user).aggregate(
        n=Count("pk"), since=Min("requested_at"), one=Min("pk")
    )
    if not waiting["n"]:
        return []
    n = waiting["n"]
    return [
        Waiting(
            "A role grant waits for your approval"
            if n == 1
            else f"{n} role grants wait for your approval",
            # One: straight to it, where it is read and decided.
            reverse("accounts:role_request_decide", args=[waiting["one"]])
            if n == 1
            else reverse("accounts:role_requests"),
            waiting["since"],
            n,
        )
    ]
