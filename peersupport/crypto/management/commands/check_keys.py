from django.core.management.base import BaseCommand, CommandError

from peersupport.crypto.checks import missing_key_ids, missing_keys_message
from peersupport.crypto.fingerprints import mismatch_message, mismatched_key_ids
from peersupport.crypto.keyring import keyring
from peersupport.crypto.stored import key_ids_in_use


class Command(BaseCommand):
    help = "Show which encryption keys the stored values use, and fail if any key is missing."

    def handle(self, *args, **options):
        ring = keyring()
        self.stdout.write(f"current key: {ring.current_id}; keys held: {', '.join(ring.keys)}")
        for where, counts in key_ids_in_use().items():
            used = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "no values"
            self.stdout.write(f"  {where}: {used}")
        wrong = mismatched_key_ids(ring.keys)
        if wrong:
            raise CommandError(mismatch_message(wrong))
        missing = missing_key_ids()
        if missing:
            raise CommandError(missing_keys_message(missing))
        retired = [k for k in ring.keys if k != ring.current_id]
        in_use = {k for counts in key_ids_in_use().values() for k in counts}
        free = [k for k in retired if k not in in_use]
        if free:
            self.stdout.write(f"no value uses {', '.join(free)} any more: they can be retired.")
