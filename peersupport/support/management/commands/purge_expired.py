from django.core.management.base import BaseCommand

from peersupport.support.services import purge_expired


class Command(BaseCommand):
    help = (
        "Forget who asked for closed or withdrawn requests older than SUPPORT_RETENTION_DAYS "
        "whose follow-ups are done (identity, codename hash, messages). The worker does this "
        "every minute; this runs it now and reports the counts."
    )

    def handle(self, *args, **options):
        counts = purge_expired()
        self.stdout.write(
            f"purged {counts['requests']} request(s) and {counts['messages']} message(s)"
        )
