from django.core.management.base import BaseCommand

from peersupport.notifications.vapid import generate, public_key_of


class Command(BaseCommand):
    help = (
        "Print a new VAPID private key for Web Push (the value of VAPID_PRIVATE_KEY); "
        "--public prints the public key of the configured one instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--public", action="store_true", help="the configured public key")

    def handle(self, *args, **options):
        from django.conf import settings

        if options["public"]:
            self.stdout.write(
                public_key_of(settings.VAPID_PRIVATE_KEY) if settings.VAPID_PRIVATE_KEY else ""
            )
            return
        self.stdout.write(generate())
