"""The HMAC chain over the audit log: how a row's MAC is computed and how the chain is checked."""

import hashlib
import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings

GENESIS = "0" * 64


def _key() -> bytes:
    return settings.AUDIT_HMAC_KEY.encode()


def _canonical(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def event_mac(event, *, prev_mac: str) -> str:
    """HMAC-SHA256 over everything the row says, its place in the chain and the previous MAC."""
    fields = {
        "seq": event.seq,
        "at": event.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "outcome": event.outcome,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "details": event.details,
        "prev": prev_mac,
    }
    # Only when set: every row written before agencies keeps the MAC it was given, and a row of
    # an agency cannot be moved to another without breaking the chain.
    if getattr(event, "agency_id", None) is not None:
        fields["agency"] = event.agency_id
    return hmac.new(_key(), _canonical(fields), hashlib.sha256).hexdigest()


def head_mac(*, seq: int, last_mac: str) -> str:
    return hmac.new(_key(), _canonical({"head": seq, "last": last_mac}), hashlib.sha256).hexdigest()


@dataclass
class Verification:
    checked: int
    broken_seq: int | None = None
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None and not self.reason


def verify(events: Iterator, head) -> Verification:
    """Walk the events in ``seq`` order and report the first one that breaks the chain."""
    expected_seq, prev = 1, GENESIS
    checked = 0
    for event in events:
        if event.seq != expected_seq:
            what = "missing" if event.seq > expected_seq else "out of order or duplicated"
            return Verification(
                checked,
                expected_seq if event.seq > expected_seq else event.seq,
                event.pk,
                f"entry #{expected_seq} is {what} (found #{event.seq} next)",
            )
        if not hmac.compare_digest(event.prev_mac, prev):
            return Verification(
                checked, event.seq, event.pk, "does not follow the previous entry (prev_mac)"
            )
        if not hmac.compare_digest(event.mac, event_mac(event, prev_mac=prev)):
            return Verification(
                checked, event.seq, event.pk, "content does not match its MAC (altered)"
            )
        prev = event.mac
        expected_seq += 1
        checked += 1
    last_seq = expected_seq - 1
    if head is None:
        if last_seq:
            return Verification(checked, None, None, "the chain head is missing")
        return Verification(checked)
    if not hmac.compare_digest(head.head_mac, head_mac(seq=head.seq, last_mac=head.last_mac)):
        return Verification(checked, None, None, "the chain head was altered")
    if head.seq != last_seq or not hmac.compare_digest(head.last_mac, prev):
        return Verification(
            checked,
            last_seq + 1 if head.seq > last_seq else None,
            None,
            f"the log ends at #{last_seq} but the chain head says #{head.seq}: entries were "
            "removed from the end",
        )
    return Verification(checked)
