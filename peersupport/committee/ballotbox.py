"""The sealed ballot box: ballots no copy of the database can read or link to their voters.

Design (docs/operations.md, "Committee"):

- When the coordinator opens an election, an X25519 key pair is made. The public key is kept
  with the election (``Election.ballot_key``); the private key is shown once to the coordinator
  as the *count code* and is never written anywhere: not the database, not the session, not a
  log. Counting needs it; without it the ballots can never be read (the election is voided and
  run again).
- A ballot is a fixed-size plaintext (the sorted candidate ids, padded to PLAIN_SIZE bytes)
  sealed to the public key: an ephemeral X25519 key, ECDH, HKDF-SHA256, AES-256-GCM (a "sealed
  box"; one layer adds LAYER_OVERHEAD bytes).
- At every vote every ballot already in the box is sealed again under one more layer (fresh
  ephemeral key, so every byte changes), the new ballot is sealed under as many layers as the
  others now have, and the box is shuffled. All ballots of one box have the same size, and no
  ciphertext of one state of the box appears in the next: comparing two copies of the database
  taken before and after a vote shows that the box grew by one, not which ballot is new. Sealing
  again needs only the public key.
- The count peels the layers with the private key the counter types in, and gives the choices.

The cost: after n votes each ballot is PLAIN_SIZE + n * LAYER_OVERHEAD bytes, so one vote
rewrites O(n) ballots of O(n) bytes and the count opens n² layers. Measured on one core: with
60 voters a vote takes 50 ms and the box is 230 KB, the count under a second; with 300 voters a
vote takes 0.25 s, the box 4.5 MB, the count 20 s. A department has a few dozen supporters.

Pure functions: nothing here reads or writes the database.
"""

import base64
import binascii
import hashlib
import hmac
import json
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_SIZE = 32
PLAIN_SIZE = 1024
LAYER_OVERHEAD = KEY_SIZE + 16  # the ephemeral public key, the GCM tag
_INFO = b"peersupport committee ballot v1"
_NONCE = bytes(12)  # every layer has its own key (a fresh ephemeral key), used once
_RAW = serialization.Encoding.Raw, serialization.PublicFormat.Raw
_random = secrets.SystemRandom()


class BallotTooLong(ValueError):
    """The choices do not fit in a ballot's fixed size."""


class WrongCountCode(ValueError):
    """The count code is malformed, or is not the one of this election."""


def new_key() -> tuple[bytes, str]:
    """A new election key: (the public key to keep, the count code to hand to the counter)."""
    private = X25519PrivateKey.generate()
    public = private.public_key().public_bytes(*_RAW)
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return public, format_code(raw)


def format_code(raw: bytes) -> str:
    """32 bytes as 52 letters and digits in groups of four (base32: no 0/O or 1/I mix-ups)."""
    text = base64.b32encode(raw).decode().rstrip("=")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4))


def parse_code(code: str) -> X25519PrivateKey:
    """The private key a typed count code gives. Spaces, dashes and case do not matter.
    Raises WrongCountCode."""
    text = "".join(ch for ch in (code or "") if ch.isalnum()).upper()
    if len(text) != 52 or not text.isascii():
        raise WrongCountCode("length")
    try:
        raw = base64.b32decode(text + "====")
    except (binascii.Error, ValueError):
        raise WrongCountCode("alphabet") from None
    return X25519PrivateKey.from_private_bytes(raw)


def public_bytes(key: X25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(*_RAW)


def private_key(code: str, public: bytes) -> X25519PrivateKey:
    """The private key a typed count code gives, checked against the election's public key.
    Raises WrongCountCode."""
    key = parse_code(code)
    if not secrets.compare_digest(key.public_key().public_bytes(*_RAW), bytes(public)):
        raise WrongCountCode("another key")
    return key


def lots_seed(private: X25519PrivateKey) -> str:
    """The seed of any drawing of lots this election needs, as hex: fixed when the election is
    opened (its SHA-256 is published then, ``lots_commitment``), known to nobody but the
    holder of the count code until the count, then published with the result so that anyone
    can repeat the drawing (``rules.draw_order``)."""
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    public = private.public_key().public_bytes(*_RAW)
    return hmac.new(raw, b"peersupport-lots:" + public, hashlib.sha256).hexdigest()


def lots_commitment(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()


def _layer_key(shared: bytes, ephemeral: bytes, public: bytes) -> AESGCM:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + public, info=_INFO).derive(
        shared
    )
    return AESGCM(key)


def seal(public: bytes, data: bytes) -> bytes:
    """One layer: ephemeral public key || AES-GCM(data), readable only with the private key."""
    recipient = X25519PublicKey.from_public_bytes(bytes(public))
    ephemeral = X25519PrivateKey.generate()
    eph = ephemeral.public_key().public_bytes(*_RAW)
    aead = _layer_key(ephemeral.exchange(recipient), eph, bytes(public))
    return eph + aead.encrypt(_NONCE, data, bytes(public))


def unseal(private: X25519PrivateKey, data: bytes) -> bytes:
    """Remove one layer. Raises InvalidTag when the layer was not sealed to this key."""
    public = private.public_key().public_bytes(*_RAW)
    eph, body = data[:KEY_SIZE], data[KEY_SIZE:]
    shared = private.exchange(X25519PublicKey.from_public_bytes(eph))
    return _layer_key(shared, eph, public).decrypt(_NONCE, body, public)


def encode(choices: list[int]) -> bytes:
    """The sorted candidate ids, as JSON, padded with spaces to PLAIN_SIZE bytes."""
    text = json.dumps(sorted(int(c) for c in choices), separators=(",", ":")).encode()
    if len(text) > PLAIN_SIZE:
        raise BallotTooLong(len(text))
    return text.ljust(PLAIN_SIZE, b" ")


def decode(plain: bytes) -> list[int]:
    return [int(c) for c in json.loads(plain.decode())]


def cast(public: bytes, box: list[bytes], choices: list[int]) -> list[bytes]:
    """The box after one more vote: every ballot sealed under one more layer, the new ballot
    sealed under as many layers, in a fresh random order. No input bytes survive."""
    layers = {len(b) for b in box}
    if len(layers) > 1:
        raise ValueError("the ballots of a box all have one size")
    depth = (layers.pop() - PLAIN_SIZE) // LAYER_OVERHEAD + 1 if box else 1
    ballot = encode(choices)
    for _ in range(depth):
        ballot = seal(public, ballot)
    new_box = [seal(public, b) for b in box]
    new_box.append(ballot)
    _random.shuffle(new_box)
    return new_box


def open_box(private: X25519PrivateKey, box: list[bytes]) -> list[list[int]]:
    """Every ballot's choices (the count). Raises InvalidTag for a ballot not sealed to this
    key, ValueError for one of the wrong size."""
    ballots = []
    for sealed in box:
        data = bytes(sealed)
        if (len(data) - PLAIN_SIZE) % LAYER_OVERHEAD or len(data) < PLAIN_SIZE:
            raise ValueError("a ballot of the wrong size")
        while len(data) > PLAIN_SIZE:
            data = unseal(private, data)
        ballots.append(decode(data))
    return ballots


__all__ = [
    "BallotTooLong",
    "InvalidTag",
    "WrongCountCode",
    "cast",
    "new_key",
    "open_box",
    "parse_code",
    "private_key",
    "public_bytes",
    "seal",
]
