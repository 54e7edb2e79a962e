"""The acceptance test of issue 17: a family member's request reaches, through the live worker,
the supporter it was offered to as an e-mail that holds nothing the requester typed.

The request is written by its own process, as the web process writes it (the request, its
offer, the offer's outbox row and its delivery task in one commit); then the worker starts with
no tick scheduled, so only the task enqueued with the request can send the alert, on the
worker's first poll. A real SMTP server on 127.0.0.1 receives it.
"""

import time

from ..servers import SMTPServer
from .test_worker_durability import _env, _run, _wait, _worker
from .test_worker_durability import database as durability_database

# The durability test's own database: a SQLite file, or a fresh PostgreSQL database.
database = durability_database

NAME, DETAIL, TIMES = "Quentin Canaryfamily", "555 0199 4242", "after the canary shift"


def test_a_public_request_is_an_email_to_its_supporter_on_the_first_poll(database, tmp_path):
    log = tmp_path / "worker.log"
    with SMTPServer() as smtp:
        env = _env(database, smtp)
        _run(env, "manage.py", "migrate", "--no-input", "-v", "0")
        asked = _run(env, "-m", "tests.worker_scenario", "ask", NAME, DETAIL, TIMES)
        rows = _run(env, "-m", "tests.worker_scenario", "status")["notifications"]
        assert [(r["status"], r["attempts"]) for r in rows] == [("pending", 0)]
        assert rows[0]["key"].startswith("support:offered:")

        worker = _worker(env, log)
        try:
            started = time.monotonic()
            _wait(lambda: smtp.recorder.messages, timeout=90, what="the offer's e-mail")
            took = time.monotonic() - started
            rows = _run(env, "-m", "tests.worker_scenario", "status")["notifications"]
        finally:
            worker.terminate()
            worker.wait(15)
        [received] = smtp.recorder.messages
        message = received.message
        assert message["To"] == asked["offered_to"] == "supporter@offer.example.org"
        assert "A request for support is offered to you" in message["Subject"]
        text = message.as_string()
        assert "It lapses at " in text
        for typed in (NAME, DETAIL, TIMES, "Canary", "0199", "canary"):
            assert typed not in text
        assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)], log.read_text()
        # The worker's start (Django, the database) is most of this; one poll sends it.
        assert took < 60, took
