"""Sealed blobs (crypto/sealing.py): what the application reads back from its own database is
what it wrote there, for that row, or nothing."""

import base64
import os
import pickle

import pytest

from peersupport.crypto import sealing
from peersupport.reports.periods import Period

CURRENT = os.urandom(32)
EARLIER = os.urandom(32)

ran: list[str] = []


def _entry(key_id: str, key: bytes) -> str:
    return f"{key_id}:{base64.b64encode(key).decode()}"


@pytest.fixture(autouse=True)
def keys(settings):
    settings.ENCRYPTION_KEYS = _entry("k2", CURRENT) + "," + _entry("k1", EARLIER)
    ran.clear()


def mark(what: str) -> None:
    """What a hostile pickle would call: records that it ran."""
    ran.append(what)


class Hostile:
    def __reduce__(self):
        return (mark, ("code ran",))


def test_a_sealed_blob_opens_for_its_purpose_only():
    blob = sealing.seal(b"figures", purpose="reports.build:a")
    assert sealing.opened(blob, purpose="reports.build:a") == b"figures"
    assert sealing.opened(memoryview(blob), purpose="reports.build:a") == b"figures"
    # Moved to another row (another build, audience or period): refused.
    assert sealing.opened(blob, purpose="reports.build:b") is None


@pytest.mark.parametrize("where", [0, sealing.TAG - 1, sealing.TAG, -1])
def test_a_changed_byte_anywhere_is_refused(where):
    blob = bytearray(sealing.seal(b"some figures", purpose="p"))
    blob[where] ^= 0x01
    assert sealing.opened(bytes(blob), purpose="p") is None


@pytest.mark.parametrize("blob", [None, b"", b"short", b"\x00" * 64])
def test_nothing_or_garbage_opens_to_nothing(blob):
    assert sealing.opened(blob, purpose="p") is None


def test_an_earlier_key_of_the_ring_still_opens_and_a_removed_one_does_not(settings):
    settings.ENCRYPTION_KEYS = _entry("k1", EARLIER)
    blob = sealing.seal(b"x", purpose="p")
    settings.ENCRYPTION_KEYS = _entry("k2", CURRENT) + "," + _entry("k1", EARLIER)
    assert sealing.opened(blob, purpose="p") == b"x"
    settings.ENCRYPTION_KEYS = _entry("k2", CURRENT)
    assert sealing.opened(blob, purpose="p") is None


def test_a_database_writer_cannot_make_a_pickle_load():
    """Someone who can write the database but has no key writes a pickle that runs code."""
    forged = pickle.dumps(Hostile())
    assert sealing.loads(forged, purpose="p", modules=()) is None
    assert sealing.loads(b"\x00" * sealing.TAG + forged, purpose="p", modules=()) is None
    assert ran == []


def test_even_a_sealed_pickle_makes_only_the_allowed_classes():
    """With the key stolen too, a pickle can still only build figures: no function of any
    module runs, not even of an allowed one, nor anything reached through it."""
    hostile = sealing.dumps(Hostile(), purpose="p")
    assert sealing.loads(hostile, purpose="p", modules=(__name__,)) is None
    assert ran == []
    # A module imported into an allowed one is not reachable through it.
    reached = pickle.dumps(os.system)  # pickles as a reference to posix.system
    assert (
        sealing.loads(sealing.seal(reached, purpose="p"), purpose="p", modules=("posix",)) is None
    )
    for name in ("sealing.pickle", "sealing", "request"):
        through = sealing.seal(_global("peersupport.reports.builds", name), purpose="p")
        assert sealing.loads(through, purpose="p", modules=("peersupport.reports.builds",)) is None


def _global(module: str, name: str) -> bytes:
    """A protocol 4 pickle of the object ``module.name``, whatever it is."""
    m, n = module.encode(), name.encode()
    return b"\x80\x04\x8c%c%s\x94\x8c%c%s\x94\x93\x94." % (len(m), m, len(n), n)


def test_a_sealed_blob_that_is_no_pickle_opens_to_nothing():
    assert (
        sealing.loads(sealing.seal(b"\x80\x04garbage", purpose="p"), purpose="p", modules=())
        is None
    )


def test_figures_round_trip_with_their_own_classes_and_dates():
    import datetime

    figures = {"q": Period(2026, 4, 12), "day": datetime.date(2026, 12, 31), "n": {(1, "a"): 3}}
    blob = sealing.dumps(figures, purpose="p")
    assert sealing.loads(blob, purpose="p", modules=("peersupport.reports.periods",)) == figures
    # The same figures with their module not named: refused, not half-made.
    assert sealing.loads(blob, purpose="p", modules=()) is None
