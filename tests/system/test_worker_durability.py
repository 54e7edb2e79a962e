"""The worker is killed with SIGKILL in the middle of delivering an escalation's e-mail; after a
restart everything is delivered (at least once; the repeat carries the same Message-ID, so it
is one message to the mail system). No web server runs at any point: the worker alone keeps
alerting about a pending escalation.

The processes use their own database, made by ``migrate``: a SQLite file, or a fresh
PostgreSQL database when the suite runs on PostgreSQL.
"""

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from ..servers import SMTPServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def database(tmp_path):
    outer = os.environ.get("DATABASE_URL", "")
    if outer.startswith("postgres"):
        name = f"peersupport_durability_{uuid.uuid4().hex[:8]}"
        subprocess.run(["createdb", name], check=True)
        yield f"postgres:///{name}"
        subprocess.run(["dropdb", "--if-exists", "--force", name], check=False)
    else:
        yield f"sqlite:///{tmp_path / 'durability.sqlite3'}"


def _env(database: str, smtp: SMTPServer) -> dict:
    env = dict(os.environ)
    env.update(
        PEERSUPPORT_ENV="test",
        DJANGO_SETTINGS_MODULE="peersupport.settings",
        DATABASE_URL=database,
        EMAIL_URL=smtp.email_url,
        NOTIFY_LEASE_SECONDS="3",
        ESCALATION_TICK_SECONDS="1",
        PYTHONPATH=str(ROOT),
    )
    return env


def _run(env, *args) -> dict:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def _worker(env, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.1"],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _wait(predicate, *, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_kill_the_worker_mid_delivery_then_everything_is_delivered(database, tmp_path):
    log = tmp_path / "worker.log"
    with SMTPServer() as smtp:
        env = _env(database, smtp)
        _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
        _run(env, "-m", "tests.worker_scenario", "raise")
        status = _run(env, "-m", "tests.worker_scenario", "status")["notifications"]
        assert len(status) == 2 and {n["status"] for n in status} == {"pending"}

        # The SMTP server takes the message but holds its answer: the worker is caught in the
        # middle of sending, holding the lease. Kill it there.
        smtp.recorder.hold.set()
        worker = _worker(env, log)
        try:
            assert smtp.recorder.data_started.wait(60), log.read_text()[-3000:]
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(10)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
        status = _run(env, "-m", "tests.worker_scenario", "status")["notifications"]
        assert "sending" in {n["status"] for n in status}, status
        smtp.recorder.hold.clear()

        # Restart as a deployment does: schedule the ticks, start the worker.
        _run(env, "manage.py", "schedule_ticks")
        worker = _worker(env, log)
        try:

            def all_sent():
                rows = _run(env, "-m", "tests.worker_scenario", "status")["notifications"]
                return rows if {n["status"] for n in rows} == {"sent"} else None

            rows = _wait(all_sent, timeout=90, what="every alert to be sent")
            # The one caught mid-delivery was sent again (attempt 2), with the same id.
            assert max(n["attempts"] for n in rows) == 2
            ids = smtp.recorder.message_ids()
            assert len(set(ids)) == 2 and len(ids) >= 2

            # Nobody acknowledges; the web server is not running; the worker alone sends the
            # next round when it falls due.
            _run(env, "-m", "tests.worker_scenario", "due")

            def next_round():
                rows = _run(env, "-m", "tests.worker_scenario", "status")["notifications"]
                done = [n for n in rows if ":round:1:" in n["key"] and n["status"] == "sent"]
                return done if len(done) == 2 else None

            _wait(next_round, timeout=60, what="the second round of alerts")
            assert len(set(smtp.recorder.message_ids())) == 4
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
