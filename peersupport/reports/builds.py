"""The reports' figures are built by the worker, never by a request.

Building the protected cube (selectors.cube) reads the records of every open period: seconds
of CPU at a large department. So:

1. **One current build per agency.** The agency's ``Build`` row holds the last cube built, the
   time it was built and what it saw (the audit head's data version, the day, the threshold
   and grace days). Readers take it as it is (``current``), with "figures as of" its time;
   they never build.
   When nothing was ever built, the page says the figures are being prepared and a build is
   queued (``request``).
2. **Writes queue a rebuild, debounced.** Every audited write sends
   ``audit.signals.data_changed`` in its transaction; the reports queue ``reports_rebuild``
   to run ``DEBOUNCE_SECONDS`` later unless one is already waiting, so a burst of writes makes
   one build. The task (for the agency the write was made in) is a row of django-tasks-db in
   the same database, committed with the write: a restart loses nothing. ``reports_tick``
   (every ``TICK_SECONDS``, in each agency) rebuilds whatever is stale anyway: a task lost, a
   write during a build, the day changed (a period ended), the threshold or the grace days
   changed.
3. **One builder at a time.** A builder claims the row (an ``UPDATE ... WHERE`` nobody holds
   it, or their lease ran out) before building, and gives it back after; a second builder finds
   it claimed and stops, and a build that is still stale when the claim is given back is done
   by the next task or tick. Nothing is locked while the cube is built.
4. **Publishing is unchanged.** A build is ``selectors.cube()``: the first build that sees a
   closed period publishes it (publishing.py).
5. **Rendered outputs are kept per build** (``Rendered``: the dashboard's report for a period
   and audience, a CSV, a PDF), so one set of figures is never rendered twice; when a new build
   lands, the rows of earlier builds are deleted in the same transaction. Nothing accumulates:
   one build row per agency, and the outputs of its current build.
6. **Each agency's own.** Every row here is the current agency's (scoped managers), and what is
   sealed is bound to its agency: a row moved or copied into another agency is refused and
   built again, never shown there. The data version that marks a build stale is the install's
   (one audit chain), so a write in one agency makes every agency's build stale: the write's
   own agency rebuilds after ``DEBOUNCE_SECONDS``, the others at their next tick (a build of
   unchanged data, the same figures).
"""

import datetime
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from peersupport.audit.selectors import data_version
from peersupport.crypto import sealing
from peersupport.tenancy import current_agency_id

from . import selectors
from .models import Build, Rendered

log = logging.getLogger(__name__)

DEBOUNCE_SECONDS = 10  # a write waits this long for the writes that come with it
TICK_SECONDS = 60  # how often the worker looks for a stale build
LEASE = timedelta(minutes=15)  # a claim older than this is a builder that died


@dataclass(frozen=True)
class Figures:
    """The figures readers get: the cube of the current build and when it was built."""

    number: int
    token: str  # unique to the build, even in a restored database
    built_at: datetime.datetime
    cube: selectors.Cube


# The modules whose classes a cube is made of: the only ones its unpickler makes.
CUBE_MODULES = (
    "peersupport.reports.periods",
    "peersupport.reports.selectors",
    "peersupport.reports.suppression",
)


def _purpose(token: str, version: int, day, threshold: int, grace_days: int) -> str:
    """What a cube is sealed for: its agency and build, and what the build saw, so that an
    older build's row put back with today's figures claimed for it is refused and built again,
    and so is another agency's row copied into this agency's."""
    agency = current_agency_id()
    return f"reports.build:{agency}:{token}:{version}:{day}:{threshold}:{grace_days}"


# The last build this process unpickled, per agency (agency id -> (token, cube)): a request
# reads two small columns while the build is the same.
_memo: dict[int, tuple[str, selectors.Cube]] = {}
# Builds this process found it could not load: refused once (logged, a rebuild queued), then
# simply not shown, so that readers do not each write and queue again.
_refused: set[tuple[int, str]] = set()  # (agency id, token)


def current() -> Figures | None:
    """The last build, or None if nothing was ever built. Never builds. One query, two when
    this process has not read this build yet."""
    row = Build.objects.filter(number__gt=0).values_list("number", "token", "built_at").first()
    if row is None:
        return None
    number, token, built_at = row
    agency = current_agency_id()
    kept_token, cube = _memo.get(agency, ("", None))
    if kept_token != token:
        if (agency, token) in _refused:
            return None
        row = (
            Build.objects.filter(token=token)
            .values_list("cube", "data_version", "day", "threshold", "grace_days")
            .first()
        )
        if row is None:  # a new build landed between the two reads
            return current()
        blob, *seen = row
        cube = sealing.loads(blob, purpose=_purpose(token, *seen), modules=CUBE_MODULES)
        if cube is None:
            # Not this application's cube (crypto/sealing.py), or sealed under a key this
            # process lacks: never shown; marked stale so that the worker builds it again.
            log.error("Reports build %s did not load; it is built again.", number)
            _refused.add((agency, token))
            Build.objects.filter(token=token).update(data_version=-1)
            request(delay=0)
            return None
        _memo[agency] = (token, cube)
    return Figures(number, token, built_at, cube)


def request(*, delay: int = DEBOUNCE_SECONDS) -> bool:
    """Queue a rebuild of the current agency's figures ``delay`` seconds from now unless one
    is waiting already. True when one was queued."""
    from django_tasks_db.models import DBTaskResult

    from peersupport.accounts.agencies import task_agency_id

    from .tasks import reports_rebuild

    agency_id = task_agency_id()
    waiting = DBTaskResult.objects.filter(
        task_path=reports_rebuild.module_path, status="READY", args_kwargs__args=[agency_id]
    )
    if waiting.exists():
        return False
    reports_rebuild.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(agency_id)
    return True


def on_data_changed(**_kwargs) -> None:
    """audit.signals.data_changed: an audited write changed the data."""
    request()


def stale(*, today: datetime.date | None = None) -> bool:
    """Whether the current build is missing or no longer matches the data, the day, the
    threshold or the grace days. Two queries."""
    today = today or timezone.localdate()
    row = Build.objects.values_list(
        "number", "data_version", "day", "threshold", "grace_days"
    ).first()
    if row is None or row[0] == 0:
        return True
    return row[1:] != (
        data_version(),
        today,
        settings.REPORTS_SUPPRESSION_THRESHOLD,
        settings.REPORTS_PERIOD_GRACE_DAYS,
    )


def rebuild(*, force: bool = False) -> int | None:
    """Build the figures again if they are stale (or ``force``), unless another builder is at
    work. Returns the new build's number, or None when nothing was built."""
    now = timezone.now()
    Build.objects.get_or_create()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE)
    if not Build.objects.filter(free).update(claimed_at=now):
        return None  # another builder holds it
    try:
        today = timezone.localdate()
        version = data_version()  # before the build: a write during it leaves it stale
        if not force and not stale(today=today):
            return None
        return land(selectors.cube(today=today), version=version)
    finally:
        Build.objects.filter(claimed_at=now).update(claimed_at=None)


def land(built: selectors.Cube, *, version: int | None = None) -> int:
    """Make ``built`` the current build (and drop the outputs of earlier ones). ``version`` is
    the data version read before it was built (now, if it was built in this transaction).
    Returns its number."""
    if version is None:
        version = data_version()
    token = uuid.uuid4().hex
    grace_days = settings.REPORTS_PERIOD_GRACE_DAYS
    purpose = _purpose(token, version, built.today, built.threshold, grace_days)
    blob = sealing.dumps(built, purpose=purpose)
    # Read back as every reader will: a cube holding a class from a module CUBE_MODULES does
    # not name would otherwise land, be refused by every reader and be built again for ever.
    if sealing.loads(blob, purpose=purpose, modules=CUBE_MODULES) is None:
        raise RuntimeError("Program reports: the figures built do not load back (CUBE_MODULES).")
    with transaction.atomic():
        Build.objects.get_or_create()
        Build.objects.update(
            number=F("number") + 1,
            token=token,
            built_at=timezone.now(),
            data_version=version,
            day=built.today,
            threshold=built.threshold,
            grace_days=grace_days,
            cube=blob,
        )
        number = Build.objects.values_list("number", flat=True).get()
        Rendered.objects.exclude(build=number).delete()
    return number


def rendered(figures: Figures, key: str, render: Callable[[], bytes]) -> bytes:
    """The output ``key`` of this build, rendered by ``render`` the first time only. A kept
    output that this application did not seal for this build and key (crypto/sealing.py) is
    never served: it is rendered again and replaced."""
    key = key[:120]
    purpose = f"reports.rendered:{current_agency_id()}:{figures.token}:{key}"
    found = (
        Rendered.objects.filter(build=figures.number, key=key)
        .values_list("content", flat=True)
        .first()
    )
    if found is not None:
        content = sealing.opened(found, purpose=purpose)
        if content is not None:
            return content
    content = render()
    if not content:  # nothing to keep (a table this audience has not): no row per name asked
        return content
    sealed = sealing.seal(content, purpose=purpose)
    if found is not None:
        Rendered.objects.filter(build=figures.number, key=key).update(content=sealed)
    else:
        Rendered.objects.bulk_create(  # no save(): the agency is named
            [
                Rendered(
                    agency_id=current_agency_id(), build=figures.number, key=key, content=sealed
                )
            ],
            ignore_conflicts=True,
        )
    return content
