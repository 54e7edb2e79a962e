from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from peersupport.web.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Take a consistent online backup of the database (SQLite's backup API, or pg_dump), "
        "compressed and encrypted with BACKUP_KEY (AES-256-GCM). Safe while the service runs."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="where to write the backup file")

    def handle(self, *args, path: Path, **options):
        try:
            written = backup(path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(written.meta["counts"].values())
        head = written.meta["audit_head"].get("seq", 0)
        self.stdout.write(
            f"backup written to {written.path} ({written.bytes:,} bytes, {rows:,} rows, "
            f"audit log up to #{head})"
        )
