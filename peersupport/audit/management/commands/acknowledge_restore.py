from io import StringIO

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from peersupport.audit import checkpoints
from peersupport.audit.models import AuditAction, AuditEvent
from peersupport.audit.services import record


class Command(BaseCommand):
    help = (
        "After restoring a backup on purpose: record that the audit log was put back to an "
        "earlier point, as an audit event and a signed `restore` checkpoint, so that "
        "verify_audit measures from here on. Refuses when the chain itself is broken or when "
        "nothing was rolled back."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reason",
            required=True,
            help="why (e.g. 'restored the backup of 2026-12-01 02:00 after the disk failed')",
        )

    def handle(self, *args, reason: str, **options):
        reason = " ".join(reason.split())[:500]
        if len(reason) < 10:
            raise CommandError("Give the reason in a sentence (--reason).")
        if checkpoints.path() is None:
            raise CommandError("AUDIT_CHECKPOINT_FILE is not set: there is nothing to reconcile.")
        cps = checkpoints.read()
        if cps.damaged:
            raise CommandError(
                f"the checkpoint file is damaged ({cps.damaged}); keep it as evidence, move it "
                "aside and start a new one instead."
            )
        if not cps.current:
            raise CommandError("there are no checkpoints: nothing to acknowledge.")
        try:
            call_command("verify_audit", "--no-checkpoints", stdout=StringIO())
        except CommandError as exc:
            raise CommandError(
                f"the restored chain itself is broken, not acknowledged: {exc}"
            ) from exc
        last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
        macs = dict(
            AuditEvent.objects.filter(seq__in={line.seq for line in cps.current}).values_list(
                "seq", "mac"
            )
        )
        compared = checkpoints.compare(cps, last_seq=last, macs=macs)
        if compared.ok:
            raise CommandError("the audit log agrees with its checkpoints: nothing to acknowledge.")
        replaced = max(line.seq for line in cps.current)
        event = record(
            actor=None,
            action=AuditAction.AUDIT_RESTORE_ACKNOWLEDGED,
            details={"restored_to_seq": last, "checkpointed_seq": replaced},
        )
        line = checkpoints.append(
            event.seq,
            event.mac,
            kind=checkpoints.RESTORE,
            replaced_seq=replaced,
            restored_seq=last,
            reason=reason,
        )
        if checkpoints.remote_configured():
            checkpoints.send_remote(line)
        self.stdout.write(
            f"restore acknowledged: the log was at #{replaced} and now continues from "
            f"#{event.seq} (checkpoint line {line['n']})"
        )
