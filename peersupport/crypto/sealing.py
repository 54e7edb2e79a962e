"""Blobs this application writes into its own database and later reads back as its own.

The reports keep their figures as pickles (``reports.Build.cube``, ``reports.SealedCounts``)
and their rendered outputs as bytes (``reports.Rendered``: page fragments shown as HTML, CSV,
PDF). Reading such a row as it is would give whoever can write to the database more than the
database: a pickle runs code in the process that loads it, and that process holds the
encryption keys; a fragment is shown unescaped to the Chief and the BHS manager; and a row
moved from one audience's key to another's would show one audience the other's figures.

So each blob is sealed: it carries an HMAC-SHA256 tag over its bytes and its ``purpose`` (the
row it belongs to: which build, which audience and period) under a key derived from
ENCRYPTION_KEYS, which is never in the database. ``opened`` gives None for a blob whose tag
does not check (written by someone else, moved to another row, or sealed under a key since
removed from the ring), and the caller makes it again as if it were missing. Pickles are also
read by an unpickler that makes only the classes defined in the modules its caller names (the
standard library's "restricting globals"), never a function, so that even a pickle sealed under
a stolen key can only ever build figures.
"""

import hashlib
import hmac
import io
import logging
import pickle  # noqa: S403 - only ever loaded through _Restricted, after the tag checks
from collections.abc import Iterable
from typing import Any

from .keyring import keyring

log = logging.getLogger(__name__)

TAG = 32  # bytes of HMAC-SHA256 in front of every sealed blob

# What every pickle of figures may hold besides its own classes: dates, and the containers
# pickle writes by reference.
_ALWAYS = frozenset(
    {
        ("datetime", "date"),
        ("datetime", "datetime"),
        ("datetime", "timedelta"),
        ("datetime", "timezone"),
        ("builtins", "set"),
        ("builtins", "frozenset"),
        ("collections", "OrderedDict"),
        ("collections", "defaultdict"),
        ("collections", "Counter"),
    }
)


def _key(master: bytes, purpose: str) -> bytes:
    return hmac.new(master, b"peersupport.sealing\x00" + purpose.encode(), hashlib.sha256).digest()


def _tag(master: bytes, purpose: str, data: bytes) -> bytes:
    return hmac.new(_key(master, purpose), data, hashlib.sha256).digest()


def seal(data: bytes, *, purpose: str) -> bytes:
    """``data`` with a tag that binds it to ``purpose``, under the current key."""
    ring = keyring()
    return _tag(ring.keys[ring.current_id], purpose, data) + data


def opened(blob: bytes | memoryview | None, *, purpose: str) -> bytes | None:
    """The data of a blob ``seal`` made for ``purpose`` under any key of the ring, or None."""
    if blob is None:
        return None
    blob = bytes(blob)
    if len(blob) < TAG:
        return None
    tag, data = blob[:TAG], blob[TAG:]
    for master in keyring().keys.values():
        if hmac.compare_digest(tag, _tag(master, purpose, data)):
            return data
    log.warning("A sealed blob for %s did not check; it is made again.", purpose.split(":")[0])
    return None


class _Restricted(pickle.Unpickler):
    def __init__(self, data: bytes, allowed: frozenset[str]):
        super().__init__(io.BytesIO(data))
        self._allowed = allowed

    def find_class(self, module: str, name: str):
        if (module, name) in _ALWAYS:
            return super().find_class(module, name)
        if module in self._allowed and "." not in name:
            # A class defined in an allowed module, never a function or a module imported
            # into it (``peersupport.reports.builds.pickle`` is reachable by name).
            found = super().find_class(module, name)
            if isinstance(found, type) and found.__module__ == module:
                return found
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed here")


def dumps(obj: Any, *, purpose: str) -> bytes:
    """``obj`` pickled and sealed for ``purpose``."""
    return seal(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), purpose=purpose)


def loads(blob: bytes | memoryview | None, *, purpose: str, modules: Iterable[str]) -> Any:
    """What ``dumps`` sealed for ``purpose``, making only classes defined in ``modules`` (and
    dates and the standard containers); None when the tag does not check or the pickle names
    anything else."""
    data = opened(blob, purpose=purpose)
    if data is None:
        return None
    try:
        return _Restricted(data, frozenset(modules)).load()
    except Exception as exc:  # noqa: BLE001 - whatever the bytes hold, never more than None
        log.warning("A sealed pickle for %s was refused: %s", purpose.split(":")[0], exc)
        return None
