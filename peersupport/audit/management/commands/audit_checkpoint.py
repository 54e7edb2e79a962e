from django.core.management.base import BaseCommand, CommandError

from peersupport.audit import checkpoints
from peersupport.audit.models import AuditChainHead


class Command(BaseCommand):
    help = (
        "Checkpoint the audit chain head now (AUDIT_CHECKPOINT_FILE) and send the latest "
        "checkpoint to AUDIT_CHECKPOINT_EMAIL / AUDIT_CHECKPOINT_WEBHOOK_URL. Run it from cron "
        "(e.g. every 5 minutes) so that quiet periods are anchored off the machine too. Exits 1 "
        "when a configured copy could not be made."
    )

    def handle(self, *args, **options):
        if checkpoints.path() is None:
            raise CommandError("AUDIT_CHECKPOINT_FILE is not set: nowhere to write checkpoints.")
        head = AuditChainHead.objects.filter(pk=1).first()
        if head is None or not head.seq:
            self.stdout.write("the audit log is empty: nothing to checkpoint")
            return
        checkpoints.append(head.seq, head.last_mac)
        cps = checkpoints.read()
        if cps.damaged:
            raise CommandError(f"the checkpoint file is damaged: {cps.damaged}")
        latest = cps.lines[-1]
        self.stdout.write(f"checkpoint {latest.describe()}: #{latest.seq}")
        if checkpoints.remote_configured():
            failures = checkpoints.send_remote(latest.fields)
            if failures:
                raise CommandError("checkpoint not sent: " + "; ".join(failures))
            self.stdout.write("sent")
