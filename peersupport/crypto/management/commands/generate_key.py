import base64
import os

from django.core.management.base import BaseCommand

from peersupport.crypto.keyring import KEY_ID


class Command(BaseCommand):
    help = "Print a new random AES-256 key as an ENCRYPTION_KEYS entry (id:base64key)."

    def add_arguments(self, parser):
        parser.add_argument("--id", default=None, help="key id (default: k + the date)")

    def handle(self, *args, **options):
        from django.utils import timezone

        key_id = options["id"] or f"k{timezone.now():%Y%m%d}"
        if not KEY_ID.match(key_id):
            from django.core.management.base import CommandError

            raise CommandError("A key id is 1-32 letters, digits, - or _.")
        self.stdout.write(f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}")
