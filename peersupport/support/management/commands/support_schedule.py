from django.core.management.base import BaseCommand

from peersupport.support.tasks import ensure_scheduled


class Command(BaseCommand):
    help = "Make sure the worker's once-a-minute support tick (offers, escalations, purge) runs."

    def handle(self, *args, **options):
        if ensure_scheduled():
            self.stdout.write("support tick scheduled")
        else:
            self.stdout.write("support tick already scheduled")
