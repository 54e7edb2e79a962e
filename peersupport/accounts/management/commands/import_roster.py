from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from peersupport.accounts.agencies import in_default_agency
from peersupport.accounts.roster_sync import (
    file_digest,
    many_separated,
    parse_roster,
    roster_apply,
    roster_plan,
)


class Command(BaseCommand):
    help = (
        "Import the department's HR roster from a CSV file (docs/hr-import.md): show what would "
        "change, then apply it in one audited transaction. Any error, by line, imports nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the CSV file (UTF-8)")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change and change nothing"
        )
        parser.add_argument(
            "--full",
            action="store_true",
            help="the file is the whole department: anyone not in it becomes separated",
        )
        parser.add_argument(
            "--yes",
            action="store_true",
            help="import a full file even though it would separate a tenth of the department",
        )
        parser.add_argument(
            "--show", type=int, default=20, help="how many of each list to print (default 20)"
        )

    def handle(self, *args, **options):
        # Units, employees and roles belong to an agency: the default one (accounts/agencies.py).
        with in_default_agency():
            return self._handle(*args, **options)

    def _handle(self, *args, file, dry_run, full, show, yes=False, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        if path.stat().st_size > settings.ROSTER_IMPORT_MAX_BYTES:
            raise CommandError(
                f"The file is larger than ROSTER_IMPORT_MAX_BYTES "
                f"({settings.ROSTER_IMPORT_MAX_BYTES:,} bytes)."
            )
        data = path.read_bytes()
        rows, errors = parse_roster(data)
        if errors:
            self._fail(errors, show)
        try:
            plan = roster_plan(rows, full=full)
            if not dry_run and not plan.errors and many_separated(plan) and not yes:
                self._print(plan, show)
                raise CommandError(
                    f"This full import would separate {len(plan.separated):,} people, a tenth or "
                    "more of the department: is the file the whole department? Nothing was "
                    "imported. Add --yes to import it all the same."
                )
            if not dry_run:
                plan = roster_apply(
                    rows, actor=None, full=full, digest=file_digest(data), source="command"
                )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if plan.errors:
            self._fail(plan.errors, show)
        self._print(plan, show)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        elif plan.changes_nothing:
            self.stdout.write("The roster already matches the file: nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))

    def _fail(self, errors, show):
        for error in errors[: max(show, 1) * 5]:
            self.stderr.write(str(error))
        if len(errors) > max(show, 1) * 5:
            self.stderr.write(f"… and {len(errors) - max(show, 1) * 5:,} more errors.")
        raise CommandError(f"{len(errors):,} error(s): nothing was imported.")

    def _print(self, plan, show):
        counts = plan.counts
        self.stdout.write(
            f"{counts['rows']:,} rows: {counts['added']:,} added, {counts['changed']:,} changed, "
            f"{counts['moved']:,} moved, {counts['separated']:,} separated, "
            f"{counts['unchanged']:,} unchanged; {counts['units_added']:,} new units, "
            f"{counts['unit_supervisors']:,} unit supervisors changed."
        )
        sections = (
            ("Added", plan.added, lambda p: f"{p['employee_number']} {p['name']} ({p['unit']})"),
            (
                "Changed",
                plan.changed,
                lambda p: (
                    f"{p['employee_number']} {p['name']}: "
                    + "; ".join(f"{k} {a} → {b}" for k, (a, b) in p["fields"].items())
                ),
            ),
            (
                "Moved",
                plan.moved,
                lambda p: f"{p['employee_number']} {p['name']}: {p['from']} → {p['to']}",
            ),
            ("Separated", plan.separated, lambda p: f"{p['employee_number']} {p['name']}"),
            ("New units", plan.units_added, str),
            (
                "Unit supervisors",
                plan.unit_supervisors,
                lambda u: f"{u['unit']}: {u['from']} → {u['to']}",
            ),
        )
        for title, items, line in sections:
            if not items:
                continue
            self.stdout.write(f"{title} ({len(items):,}):")
            for item in items[:show]:
                self.stdout.write(f"  {line(item)}")
            if len(items) > show:
                self.stdout.write(f"  … and {len(items) - show:,} more")
