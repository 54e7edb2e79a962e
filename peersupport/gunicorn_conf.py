"""Gunicorn's hooks for the metrics files (web/metrics.py): ``gunicorn -c
python:peersupport.gunicorn_conf peersupport.wsgi:application``, as scripts/run does.

With metrics on, every worker process writes its request timings to files in
PROMETHEUS_MULTIPROC_DIR, and a scrape sums them all. The folder is emptied when the server
starts, so that the sums start again with the server rather than carry the files of processes
long gone (a counter that starts again is what Prometheus expects of a restart), and a worker
that ends has its files marked dead. One gunicorn server per PEERSUPPORT_VAR_DIR.
"""

import os
import shutil


def _metrics_dir() -> str | None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    from django.conf import settings

    if not settings.METRICS_ENABLED:
        return None
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or str(settings.METRICS_DIR)


def on_starting(server):
    """Before any worker starts: empty the metrics folder."""
    folder = _metrics_dir()
    if folder is None:
        return
    for entry in os.scandir(folder) if os.path.isdir(folder) else ():
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path)
        else:
            os.unlink(entry.path)
    os.makedirs(folder, mode=0o700, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder


def child_exit(server, worker):
    """A worker ended: its live gauges no longer count (its timings still do)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
