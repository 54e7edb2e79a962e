from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from peersupport.audit import checkpoints
from peersupport.audit.chain import verify
from peersupport.audit.models import AuditChainHead, AuditEvent


class Command(BaseCommand):
    help = (
        "Recompute the audit log's HMAC chain and compare it with the checkpoints kept outside "
        "the database (AUDIT_CHECKPOINT_FILE). Exits 0 and prints the number of entries checked "
        "when it is intact; otherwise exits 1 naming the first broken entry, or the rollback, "
        "truncation or wipe the checkpoints show."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-checkpoints",
            action="store_true",
            help="check the chain in the database only (e.g. a copy on another machine)",
        )
        parser.add_argument(
            "--copies",
            type=Path,
            help="compare with checkpoint copies collected from the e-mail or the webhook (one "
            "JSON line each) instead of AUDIT_CHECKPOINT_FILE",
        )

    def handle(self, *args, no_checkpoints: bool = False, copies: Path | None = None, **options):
        if no_checkpoints:
            cps = None
        elif copies is not None:
            cps = checkpoints.read_copies(copies)
        else:
            cps = checkpoints.read()
        wanted = {line.seq for line in cps.current} if cps and not cps.damaged else set()
        head = AuditChainHead.objects.filter(pk=1).first()
        events = AuditEvent.objects.order_by("seq", "pk").iterator(chunk_size=2000)
        seen = checkpoints.MacsAt(events, wanted)
        try:
            result = verify(iter(seen), head)
        finally:
            events.close()  # stopping early: release the cursor while the connection is open
        problems = []
        if not result.ok:
            where = ""
            if result.broken_seq is not None:
                where = f"first broken entry: #{result.broken_seq}"
                if result.broken_id is not None:
                    where += f" (row id {result.broken_id})"
                where += ": "
            problems.append(
                f"audit log BROKEN after {result.checked} good entries; {where}{result.reason}"
            )
        if cps is not None:
            # The last entry the database holds (the chain walk stops at a break; the real end
            # is what a rollback is measured by).
            last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first()
            compared = checkpoints.compare(
                cps,
                last_seq=last or 0,
                macs=seen.macs,
                read_to=None if result.ok else result.checked,
            )
            problems.extend(compared.problems)
            notes = compared.notes
        else:
            notes = ["checkpoints not compared (--no-checkpoints)"]
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(f"audit log intact: {result.checked} entries verified")
        for note in notes:
            self.stdout.write(note)
