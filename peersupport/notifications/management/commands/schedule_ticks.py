from django.core.management.base import BaseCommand

from peersupport.notifications.scheduling import ensure_scheduled, periodic_tasks


class Command(BaseCommand):
    help = (
        "Start the worker's periodic work (support tick, escalation tick) unless it is already "
        "waiting or running. Run at every start; safe to run any number of times."
    )

    def handle(self, *args, **options):
        for task, seconds in periodic_tasks():
            name = task.name
            if ensure_scheduled(task):
                self.stdout.write(f"Scheduled {name} (every {seconds} s).")
            else:
                self.stdout.write(f"{name} is already scheduled.")
