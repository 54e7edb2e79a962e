from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
from peersupport.crypto.fields import (
    PREFIX,
    Ciphertext,
    DecryptionError,
    decrypt,
    encrypt,
    encrypted_fields,
)
from peersupport.crypto.keyring import keyring
from peersupport.crypto.stored import replace_value, rows_not_under


def reseal(stored: str, *, field, pk, row) -> str:
    """The plaintext of a value to re-encrypt. In a row-bound model a ``v1`` value (from before
    the model was row-bound) is read as ``v1`` here, the one place that does, and rebound."""
    where = field.where(pk)
    if row is not None and Ciphertext(stored).version == PREFIX:
        return decrypt(stored, aad=field.aad(), where=where)
    return decrypt(stored, aad=field.aad(), where=where, row=row)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value that is not under the current key (the first in "
        "ENCRYPTION_KEYS), in batches. Safe to stop and run again: it resumes where it was."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        current = keyring().current_id
        totals: dict[str, int] = {}
        failures: list[str] = []
        for model, field in encrypted_fields():
            where = f"{model._meta.label}.{field.name}"
            done, after = 0, 0
            while True:
                rows = rows_not_under(current, model, field, after_pk=after, batch=batch_size)
                if not rows:
                    break
                with transaction.atomic():
                    for pk, stored, row in rows:
                        after = pk
                        try:
                            plain = reseal(stored, field=field, pk=pk, row=row)
                        except DecryptionError as exc:
                            failures.append(str(exc))
                            continue
                        new = encrypt(plain, aad=field.aad(), row=row)
                        if replace_value(model, field, pk=pk, old=stored, new=str(new)):
                            done += 1
            totals[where] = done
            self.stdout.write(f"{where}: {done} re-encrypted under {current}")
        with transaction.atomic():
            record(
                actor=None,
                action=AuditAction.KEYS_ROTATED,
                details={"current": current, "reencrypted": totals, "failed": len(failures)},
            )
        if failures:
            for line in failures[:20]:
                self.stderr.write(line)
            raise CommandError(f"{len(failures)} value(s) could not be decrypted; see above.")
        self.stdout.write(f"done: {sum(totals.values())} value(s) re-encrypted.")
