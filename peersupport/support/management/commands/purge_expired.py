from collections import Counter

from django.core.management.base import BaseCommand

from peersupport.accounts.models import Agency
from peersupport.support.services import purge_expired, purge_others
from peersupport.tenancy import using_agency


class Command(BaseCommand):
    help = (
        "Forget who asked for closed or withdrawn requests older than SUPPORT_RETENTION_DAYS "
        "whose follow-ups are done (identity, codename hash, messages), and purge what other "
        "apps keep past their retention (releases of information ended more than "
        "RELEASE_RETENTION_YEARS ago), in every agency. The worker does this on its ticks; "
        "this runs it now and reports the counts."
    )

    def handle(self, *args, **options):
        # As the worker's tick does, inside each agency; an agency no longer active keeps
        # rows that retention still ends.
        counts, others = Counter(), Counter()
        for agency_id in Agency.objects.order_by("pk").values_list("pk", flat=True):
            with using_agency(agency_id):
                counts.update(purge_expired())
                others.update(purge_others())
        parts = [f"{counts['requests']} request(s)", f"{counts['messages']} message(s)"]
        parts += [f"{n} {label}" for label, n in others.items()]
        listed = ", ".join(parts[:-1]) + " and " + parts[-1]
        self.stdout.write(f"purged {listed} past retention")
