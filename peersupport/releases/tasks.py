"""The releases app's scheduled work: releases of information and their accounting are purged
once past RELEASE_RETENTION_YEARS. Runs every RELEASES_TICK_SECONDS (registered in apps.py)."""

from django.tasks import task

from peersupport.notifications.scheduling import run_tick

from .services import releases_purge


@task()
def releases_tick() -> dict:
    return run_tick(releases_tick, lambda: {"releases_purged": releases_purge()})
