from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from peersupport.web.backup import BackupError, compare, restore


class Command(BaseCommand):
    help = (
        "Rebuild the configured database from a backup made by `manage.py backup` (BACKUP_KEY "
        "must be the key it was made with), then check its row counts and its audit chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the backup file")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="overwrite a database that already holds data (stop the service first)",
        )

    def handle(self, *args, path: Path, replace: bool, **options):
        if not path.exists():
            raise CommandError(f"{path} does not exist.")
        try:
            meta = restore(path, replace=replace)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        # Anything newer than the backup's code (an upgrade since) is applied now.
        call_command("migrate", verbosity=0)
        problems = compare(meta)
        if problems:
            raise CommandError("restored, but it differs from the backup: " + "; ".join(problems))
        call_command("verify_audit", stdout=self.stdout)
        rows = sum(meta["counts"].values())
        self.stdout.write(f"restored {rows:,} rows from the backup of {meta['created']}")
