from django.core import checks
from django.db import DatabaseError

from .fingerprints import mismatch_message, mismatched_key_ids
from .keyring import keyring


def missing_key_ids() -> dict[str, list[str]]:
    """Key ids that stored values need but ENCRYPTION_KEYS lacks, by field."""
    from .stored import key_ids_in_use

    known = set(keyring().keys)
    missing = {}
    for where, counts in key_ids_in_use().items():
        lacking = sorted(k for k in counts if k not in known)
        if lacking:
            missing[where] = lacking
    return missing


def missing_keys_message(missing: dict[str, list[str]]) -> str:
    ids = sorted({k for lacking in missing.values() for k in lacking})
    fields = ", ".join(sorted(missing))
    return (
        f"Stored values need encryption key ids {', '.join(ids)}, which ENCRYPTION_KEYS does "
        f"not hold (fields: {fields}). Add the old keys back, or those values cannot be read."
    )


def key_problems() -> list[tuple[str, str]]:
    """(check id, message) for every reason not to start: a key id that stored values need and
    ENCRYPTION_KEYS lacks, or a configured key that is not the one its id stood for. Empty
    before the first migration."""
    try:
        missing = missing_key_ids()
        wrong = mismatched_key_ids(keyring().keys)
    except DatabaseError:
        return []  # not migrated yet; migrate will come first
    problems = []
    if missing:
        problems.append(("crypto.E001", missing_keys_message(missing)))
    if wrong:
        problems.append(("crypto.E002", mismatch_message(wrong)))
    return problems


@checks.register(checks.Tags.database)
def check_stored_key_ids(app_configs=None, **kwargs):
    return [checks.Error(message, id=check_id) for check_id, message in key_problems()]
