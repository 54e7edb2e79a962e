from django.core.management.base import BaseCommand, CommandError

from peersupport.audit.chain import verify
from peersupport.audit.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = (
        "Recompute the audit log's HMAC chain. Exits 0 and prints the number of entries checked "
        "when it is intact; otherwise exits 1 naming the first broken entry."
    )

    def handle(self, *args, **options):
        head = AuditChainHead.objects.filter(pk=1).first()
        events = AuditEvent.objects.order_by("seq", "pk").iterator(chunk_size=2000)
        try:
            result = verify(events, head)
        finally:
            events.close()  # stopping early: release the cursor while the connection is open
        if result.ok:
            self.stdout.write(f"audit log intact: {result.checked} entries verified")
            return
        where = ""
        if result.broken_seq is not None:
            where = f"first broken entry: #{result.broken_seq}"
            if result.broken_id is not None:
                where += f" (row id {result.broken_id})"
            where += ": "
        raise CommandError(
            f"audit log BROKEN after {result.checked} good entries; {where}{result.reason}"
        )
