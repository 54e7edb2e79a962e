"""Pure rules of the training app: who may do what, and derived values. No reads, no writes."""

import hashlib

from peersupport.accounts.models import Role, User

from .models import TrainingSession

MANAGERS = frozenset({Role.COORDINATOR})


def is_manager(actor: User | None) -> bool:
    return actor is not None and actor.has_role(*MANAGERS)


def may_record_attendance(actor: User, session: TrainingSession) -> bool:
    return is_manager(actor) or (
        session.instructor_id is not None and session.instructor_id == actor.pk
    )


def feed_token_hash(token: str) -> str:
    """Calendar feed tokens are stored as this hash only, never as themselves."""
    return hashlib.sha256(token.encode()).hexdigest()
