"""Codenames: how someone without an account comes back to their request.

A codename is seven (CODENAME_WORDS) words drawn with ``secrets`` from the EFF long word list
(7,776 words, shipped by the xkcdpass package): about 90 bits. It is shown once and stored only
as an Argon2id hash. The salt is the same for every request of a deployment (derived from
SECRET_KEY), which is what lets a codename be looked up at all; Argon2id's cost, and the global
rate limit in ``views``, make guessing hopeless.
"""

import hashlib
import hmac
import secrets
from functools import cache
from importlib import resources

from argon2.low_level import Type, hash_secret_raw
from django.conf import settings


@cache
def word_list() -> tuple[str, ...]:
    text = resources.files("xkcdpass").joinpath("static/eff-long").read_text(encoding="utf-8")
    words = tuple(sorted({w.strip().lower() for w in text.split() if w.strip().isalpha()}))
    if len(words) < 4096:
        raise RuntimeError(f"the codename word list has only {len(words)} words")
    return words


def new_codename() -> str:
    words = word_list()
    return " ".join(secrets.choice(words) for _ in range(settings.CODENAME_WORDS))


def normalise(codename: str) -> str:
    """Case, extra spaces and dashes between the words do not matter."""
    return " ".join(codename.lower().replace("-", " ").split())


def _salt() -> bytes:
    return hmac.new(
        settings.SECRET_KEY.encode(), b"peersupport codename salt", hashlib.sha256
    ).digest()[:16]


def codename_hash(codename: str) -> str:
    raw = hash_secret_raw(
        secret=normalise(codename).encode(),
        salt=_salt(),
        time_cost=settings.CODENAME_ARGON2["time_cost"],
        memory_cost=settings.CODENAME_ARGON2["memory_cost"],
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    return raw.hex()


def looks_like_a_codename(codename: str) -> bool:
    words = normalise(codename).split()
    return len(words) == settings.CODENAME_WORDS and all(w.isalpha() for w in words)
