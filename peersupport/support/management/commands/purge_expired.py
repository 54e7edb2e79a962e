from django.core.management.base import BaseCommand

from peersupport.accounts.agencies import in_default_agency
from peersupport.support.services import purge_expired, purge_others


class Command(BaseCommand):
    help = (
        "Forget who asked for closed or withdrawn requests older than SUPPORT_RETENTION_DAYS "
        "whose follow-ups are done (identity, codename hash, messages), and purge what other "
        "apps keep past their retention (releases of information ended more than "
        "RELEASE_RETENTION_YEARS ago). The worker does this on its ticks; this runs it now and "
        "reports the counts."
    )

    def handle(self, *args, **options):
        # As the worker's tick does, inside the agency (the default one until step 5).
        with in_default_agency():
            counts = purge_expired()
            others = purge_others()
        parts = [f"{counts['requests']} request(s)", f"{counts['messages']} message(s)"]
        parts += [f"{n} {label}" for label, n in others.items()]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1]
        self.stdout.write(f"purged {listed} past retention")
