"""Codenames: how someone without an account comes back to their request.

A codename is seven (CODENAME_WORDS) words drawn with ``secrets`` from the EFF long word list
(shipped by the xkcdpass package: 7,772 words of letters only, 12.92 bits a word, 90.5 bits for
seven) without the words that could upset someone asking for help (``DISTRESSING``: death,
grief, violence, weapons, crime and policing, injury, fear, shame; 161 words, about 2 %): 7,611
words, 12.89 bits a word, 90.3 bits for seven (tests/support/test_codename_safety.py computes
both). Codenames drawn before the list was cleaned keep working: a typed codename is checked
against the whole list (``from_the_word_list``); only new ones are drawn from the cleaned one.
It is shown after sending on one page that keeps it, encrypted, in the session for
``CODENAME_SHOW_MINUTES`` or until the person says they wrote it down; it is never stored.
A request keeps two things derived from it:

- ``codename_lookup``: HMAC-SHA256 of the normalised codename under the codename key
  (``CODENAME_KEYS``, kept outside the database and independent of ``SECRET_KEY``). It finds the
  request with one indexed query, so a wrong guess costs a hash and a query, never Argon2.
- ``codename_hash``: Argon2id of the codename with a random salt of its own (the encoded
  ``$argon2id$...`` form). It is verified only for the row the lookup found, so a copy of the
  database without the key still holds nothing a guess can be tested against cheaply.

Requests made before the lookup existed hold only a raw Argon2id digest whose salt was derived
from ``SECRET_KEY``. They are still found (``legacy_hashes``: under ``SECRET_KEY`` and each of
``SECRET_KEY_FALLBACKS``) and, on the first successful use, get a lookup and a salted hash of
the new kind (``services.codename_refresh``), after which they depend on ``SECRET_KEY`` no more.
Only that old path runs Argon2 for a guess, and only while such rows remain (they are purged
``SUPPORT_RETENTION_DAYS`` after they close).

Signed-in requesters' ``requester_tag`` is keyed by the codename key too (``rules``).
"""

import hashlib
import hmac
import re
import secrets
from functools import cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type, hash_secret_raw
from django.conf import settings

# What may separate the words: any spacing, dashes, commas, dots, slashes, underscores and
# semicolons, and any mix ("a, b-c. d"). None of them can be part of a word of the list, so an
# existing codename normalises exactly as before.
_SEPARATORS = re.compile(r"[\s,.;:/_\-\u2010-\u2015\u00b7]+")

# Words of the EFF long list that are never drawn for a new codename: someone reaching out
# after a death, an injury or a shooting should not be handed "casket widow grief". Picked by
# reading the list for death and grief, violence and weapons, crime, jail and policing, injury
# and illness, fear, despair and shame. They stay valid in codenames drawn before.
_DISTRESSING_WORDS = """
    afraid agony alone ambush anguished arrest arson ashamed ashes backstab blast bonehead
    bribe buckshot bully carnage casket casualty chokehold constable coroner cruelly
    cruelness cruelty crying curse custody dagger decay defraud demise depress desecrate
    despair disaster disown distress divorcee dreaded dreadful drown entomb evil exile
    explode extortion frighten frightful gallows gloomily gloomy gore gory graves graveyard
    grief grievance grieving grievous handcuff handgun harmful hatchet hate helpless
    humiliate hurt imprison jackknife jailbird jailbreak jailer jailhouse landmine maimed
    mangle manhunt mobster morbidity morbidly mortality mortally mourner mournful mutilated
    mutilator neurotic obituary outcast overkill panic parole penknife perish poison police
    predator prison probation punch punisher rage ransack ravage reburial relapse revenge
    riot rotten rotting ruined sabotage sadden sadly sadness savage scared scarily scariness
    scarring scary shame shank sinister skeletal skeleton slain slashed slashing slingshot
    smother snitch starved starving stench strangle sufferer suffering suffocate tantrum
    taunt threaten throttle tragedy traitor unhappy unloved unwanted undead venomous verdict
    villain widow wound wrath wreckage wrecker wrecking wrongdoer wronged wrongful
"""
DISTRESSING = frozenset(_DISTRESSING_WORDS.split())
ARGON2_PREFIX = "$argon2id$"


@cache
def full_word_list() -> tuple[str, ...]:
    """The whole EFF long list (letters only): what codenames drawn before were made of."""
    text = resources.files("xkcdpass").joinpath("static/eff-long").read_text(encoding="utf-8")
    return tuple(sorted({w.strip().lower() for w in text.split() if w.strip().isalpha()}))


@cache
def word_list() -> tuple[str, ...]:
    """The words new codenames are drawn from: the full list without ``DISTRESSING``."""
    words = tuple(w for w in full_word_list() if w not in DISTRESSING)
    if len(words) < 4096:
        raise RuntimeError(f"the codename word list has only {len(words)} words")
    return words


@cache
def _word_set() -> frozenset[str]:
    return frozenset(full_word_list())


def new_codename() -> str:
    words = word_list()
    return " ".join(secrets.choice(words) for _ in range(settings.CODENAME_WORDS))


def normalise(codename: str) -> str:
    """Case and any separators between the words (spaces, dashes, commas, dots...) do not
    matter."""
    return " ".join(_SEPARATORS.split(codename.lower())).strip()


def looks_like_a_codename(codename: str) -> bool:
    words = normalise(codename).split()
    return len(words) == settings.CODENAME_WORDS and all(w.isalpha() for w in words)


def from_the_word_list(codename: str) -> bool:
    """Every word is in the list: what a codename has to pass before the old path's Argon2."""
    return all(w in _word_set() for w in normalise(codename).split())


# --- Keys ------------------------------------------------------------------------------------


def codename_keys() -> list[bytes]:
    """The codename keys, newest first (settings.CODENAME_KEYS); the first one makes new
    lookups and requester tags, the others are only recognised."""
    return [key.encode() for key in settings.CODENAME_KEYS]


def keyed_hash(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def lookup_id(codename: str, *, key: bytes | None = None) -> str:
    """The indexed identifier of a codename under ``key`` (the newest codename key)."""
    return keyed_hash(key or codename_keys()[0], f"codename:{normalise(codename)}")


def lookup_ids(codename: str) -> list[str]:
    """Its identifier under every codename key, newest first."""
    return [lookup_id(codename, key=key) for key in codename_keys()]


# --- Argon2 ----------------------------------------------------------------------------------


def _hasher() -> PasswordHasher:
    cost = settings.CODENAME_ARGON2
    return PasswordHasher(
        time_cost=cost["time_cost"],
        memory_cost=cost["memory_cost"],
        parallelism=1,
        hash_len=32,
        salt_len=16,
        type=Type.ID,
    )


def codename_hash(codename: str) -> str:
    """Argon2id of the codename with a random salt, in the encoded form (about 100 chars)."""
    return _hasher().hash(normalise(codename))


def verify(stored: str, codename: str) -> bool:
    """Whether ``codename`` matches ``stored`` (either kind of hash)."""
    if stored.startswith(ARGON2_PREFIX):
        try:
            return _hasher().verify(stored, normalise(codename))
        except (VerificationError, InvalidHashError):
            return False
    return any(hmac.compare_digest(stored, h) for h in legacy_hashes(codename))


def needs_refresh(stored_hash: str, stored_lookup: str, codename: str) -> bool:
    """Whether a matched request should get a new lookup or hash: it has none yet, its lookup is
    under an older codename key, or its hash is of the old SECRET_KEY-salted kind."""
    return not stored_hash.startswith(ARGON2_PREFIX) or stored_lookup != lookup_id(codename)


# --- The old scheme (before codename_lookup) --------------------------------------------------


def _legacy_salt(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"peersupport codename salt", hashlib.sha256).digest()[:16]


def legacy_hash(codename: str, *, secret_key: str) -> str:
    """The old digest: raw Argon2id with a salt derived from a SECRET_KEY (64 hex chars)."""
    raw = hash_secret_raw(
        secret=normalise(codename).encode(),
        salt=_legacy_salt(secret_key),
        time_cost=settings.CODENAME_ARGON2["time_cost"],
        memory_cost=settings.CODENAME_ARGON2["memory_cost"],
        parallelism=1,
        hash_len=32,
        type=Type.ID,
    )
    return raw.hex()


def legacy_hashes(codename: str) -> list[str]:
    """The old digest under SECRET_KEY and each of SECRET_KEY_FALLBACKS (one Argon2 each)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [legacy_hash(codename, secret_key=key) for key in dict.fromkeys(keys)]
