from django.core import checks
from django.db import DatabaseError

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


@checks.register(checks.Tags.database)
def check_stored_key_ids(app_configs=None, **kwargs):
    try:
        missing = missing_key_ids()
    except DatabaseError:
        return []  # not migrated yet
    if missing:
        return [checks.Error(missing_keys_message(missing), id="crypto.E001")]
    return []
