from django.core.management.base import BaseCommand

from peersupport.releases.services import releases_purge
from peersupport.support.services import purge_expired


class Command(BaseCommand):
    help = (
        "Forget who asked for closed or withdrawn requests older than SUPPORT_RETENTION_DAYS "
        "whose follow-ups are done (identity, codename hash, messages), and releases of "
        "information ended more than RELEASE_RETENTION_YEARS ago. The worker does this every "
        "minute; this runs it now and reports the counts."
    )

    def handle(self, *args, **options):
        counts = purge_expired()
        releases = releases_purge()
        self.stdout.write(
            f"purged {counts['requests']} request(s), {counts['messages']} message(s) and "
            f"{releases} release(s) of information past retention"
        )
