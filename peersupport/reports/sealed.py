"""Counts of an append-only population kept between builds, so that a build reads only the
rows added since the last (issue 21: a rebuild read all of a large department's million
contacts, five seconds of CPU, after every write).

A population is append-only when its rows are never changed or deleted in a way its counts
see: contacts are (``support.services.contact_log`` only creates them; nothing updates or
deletes one). Its counts are additive: ``read(lo, hi)`` gives, for the rows with
``lo < id <= hi`` (``hi`` None: no upper bound), a dict of named parts, each a dict from a key
to a number or a tuple of numbers, and the counts of two ranges are the sum of theirs.

``counts(name, model, read)`` keeps, in ``SealedCounts``, the sum over every row up to
``sealed_id`` and reads the rest each build. Ids are handed out before a transaction commits,
so a row with a lower id than the newest seen may still be on its way: the newest id is only
noted (``candidate_id``) and added to the sealed counts at a build ``SEAL_AFTER`` later, when
every transaction open at the time has long ended. A row is thus counted by the range it falls
in, wherever its date is: a contact logged late for a closed month is counted like any other,
and publishing.freeze sees it as it did when every build read every row.
"""

import datetime

from django.db.models import Max
from django.utils import timezone

from peersupport.crypto import sealing
from peersupport.tenancy import current_agency_id

from .models import SealedCounts

SEAL_AFTER = datetime.timedelta(hours=1)
# Bump when what ``read`` returns changes shape: kept counts of another layout are read again.
LAYOUT = 1


def add(total: dict, more: dict) -> dict:
    """``total`` plus ``more``, part by part and key by key (``total`` is changed)."""
    for part, values in more.items():
        into = total.setdefault(part, {})
        for key, value in values.items():
            if key not in into:
                into[key] = value
            elif isinstance(value, tuple):
                into[key] = tuple(a + b for a, b in zip(into[key], value, strict=True))
            else:
                into[key] += value
    return total


def counts(name: str, model, read, *, now: datetime.datetime | None = None) -> dict:
    """The counts of every row of ``model`` (see the module's docstring), reading only the
    rows after the sealed id, and sealing the noted candidate when it is old enough."""
    now = now or timezone.now()
    kept = SealedCounts.objects.filter(population=name, layout=LAYOUT).first()
    if kept is None:
        kept = SealedCounts(agency_id=current_agency_id(), population=name, layout=LAYOUT)
        SealedCounts.objects.filter(population=name).delete()  # another layout
        sealed = {}
    else:
        sealed = sealing.loads(kept.counts, purpose=_purpose(kept), modules=())
        if sealed is None:
            # Not counts this application sealed for this row (crypto/sealing.py), or none
            # yet: count from the first row again.
            kept.sealed_id, kept.candidate_id, kept.candidate_at, sealed = 0, None, None, {}
    if (
        kept.candidate_id is not None
        and kept.candidate_at is not None
        and now - kept.candidate_at >= SEAL_AFTER
    ):
        if kept.candidate_id > kept.sealed_id:
            add(sealed, read(kept.sealed_id, kept.candidate_id))
            kept.sealed_id = kept.candidate_id
        kept.candidate_id = kept.candidate_at = None
    if kept.candidate_id is None:
        newest = model.objects.aggregate(newest=Max("pk"))["newest"] or 0
        if newest > kept.sealed_id:
            kept.candidate_id, kept.candidate_at = newest, now
    kept.counts = sealing.dumps(sealed, purpose=_purpose(kept))
    kept.save()
    return add(_copy(sealed), read(kept.sealed_id, None))


def _purpose(kept: SealedCounts) -> str:
    # Bound to the id counted through (counts moved to another id would miscount) and to the
    # agency (another agency's counts copied into this one's row are refused, counted again).
    return f"reports.sealed:{kept.agency_id}:{kept.population}:{kept.layout}:{kept.sealed_id}"


def forget(name: str) -> None:
    """Count ``name`` from its first row again at the next build (after rows were changed or
    deleted by hand, or restored from elsewhere)."""
    SealedCounts.objects.filter(population=name).delete()


def _copy(parts: dict) -> dict:
    return {part: dict(values) for part, values in parts.items()}
