import time

from django.core.management.base import BaseCommand, CommandError

from demo.accounts import (
    DEFAULT_EMPLOYEES,
    DEFAULT_SEED,
    DemoRefused,
    demo_department_load,
)
from peersupport.accounts.agencies import in_default_agency


class Command(BaseCommand):
    help = (
        "Load a realistic demo department (units, employees, families, peer supporters and one "
        "sign-in per role) unless it is already loaded. Refused in production."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--employees",
            type=int,
            default=DEFAULT_EMPLOYEES,
            help=f"how many employees (default {DEFAULT_EMPLOYEES:,})",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="the same seed always gives the same department",
        )

    def handle(self, *args, **options):
        # Units, employees and roles belong to an agency: the default one (accounts/agencies.py).
        with in_default_agency():
            return self._handle(*args, **options)

    def _handle(self, *args, employees: int, seed: int, **options):
        started = time.perf_counter()
        try:
            result = demo_department_load(employees=employees, seed=seed)
        except (DemoRefused, ValueError) as exc:
            raise CommandError(str(exc)) from exc
        # The feature apps' demo data, each idempotent: supporters' directory entries, the
        # resource directory, a year of support activity that uses both, and releases of
        # information signed for some of those requests.
        from demo.cism import load_demo as load_cism
        from demo.committee import load_demo as load_committee
        from demo.confidentiality import load_demo as load_escalations
        from demo.devices import load_demo as load_devices
        from demo.outreach import load_demo as load_outreach
        from demo.releases import load_demo as load_releases
        from demo.resources import load_demo as load_resources
        from demo.roster import load_demo as load_roster
        from demo.selection import load_demo as load_selection
        from demo.support import load_demo as load_support
        from demo.training import load_demo as load_training
        from demo.webhooks import load_demo as load_webhooks

        extras = [load_roster(seed=seed), load_resources(), load_support(seed=seed)]
        # Releases of information need the requests the support demo made; escalations its
        # contacts.
        extras.append(load_releases(seed=seed))
        extras.append(load_escalations())
        extras.append(load_training(seed=seed))
        extras.append(load_selection(seed=seed))  # candidates at every stage of selection
        extras.append(load_outreach())  # two closed outreaches and an open one
        extras.append(load_cism())  # the CISM team and a call-out, linked to that outreach
        extras.append(load_committee(seed=seed))  # a current committee and a past election
        extras.append(load_devices())  # a phone on the supporter's devices page
        extras.append(load_webhooks())  # a disabled endpoint on the webhooks page
        seconds = time.perf_counter() - started
        summary = (
            f"{result.units:,} units, {result.employees:,} employees, "
            f"{result.family_members:,} family members, {result.accounts:,} accounts, "
            f"{result.supporters:,} peer supporters"
        )
        if not result.created:
            self.stdout.write(
                f"The demo department is already loaded ({summary}); nothing changed."
            )
            for line in extras:
                self.stdout.write(line)
            return
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the demo department in {seconds:.1f} s: {summary}.")
        )
        for line in extras:
            self.stdout.write(line)
        self.stdout.write("Run `manage.py demo_logins` to see how to sign in.")
