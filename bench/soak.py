"""Crash soak: writes under load while the web server and the worker are killed with SIGKILL,
again and again; afterwards nothing acknowledged is missing, nothing is there twice, the
database and the audit chain are intact, and every escalation raised and every offer of a
request to a supporter was delivered.

    .venv/bin/python bench/soak.py [--kills 100] [--clients 4] [--no-write]
    BENCH_DATABASE_URL=postgres:///postgres .venv/bin/python bench/soak.py   # PostgreSQL

A fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards) gets the demo
department. gunicorn (2 workers, as `make run`) and one `db_worker` run in their own process
groups; a local SMTP server receives the alerts. Client threads write over HTTP, as browsers do:

- public support requests (no account; each form carries its own submission token, so a
  request whose answer was lost is sent again with the same token and must be refused as a
  duplicate if the first one got through); each is offered to a supporter at once, whose
  e-mail alert must arrive however the worker was killed;
- escalations raised by a peer supporter from a request they hold (the answer's redirect names
  the escalation);
- contacts logged by the supporter;
- ballots in an advisory committee election in its voting window: each of a roll of active
  supporters (made in the set-up, each with their own session) votes once, for one or two of
  four standing candidates;
- training attendance: a whole day of a past session recorded for the five people enrolled
  (by the coordinator, or by the supporter persona for the sessions they teach), or a day
  recorded before corrected for one or two people, with a reason.

Between kills the load runs for a random 0.2-1.2 s; then the web server, the worker or both get
SIGKILL and are started again. At the end the worker runs until the outbox is empty, and a
checker (its own process) compares the database with what the clients saw. The results go
to bench/RESULTS-soak.md (not with --no-write); progress goes to stderr.
"""

import argparse
import base64
import http.client
import http.cookiejar
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS-soak.md"
sys.path.insert(0, str(ROOT))

SETUP = """
import json
from peersupport.accounts.agencies import work_for_default_agency
work_for_default_agency()  # the rows made here are the default agency's (issue 23)
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from peersupport.accounts.models import User
from peersupport.support.models import SupportRequest
from tests.matrix.support_supporter import held_request
user = User.objects.get(email="supporter@demo.peersupport.test")
req = SupportRequest.objects.filter(assigned_supporter=user, status="accepted").first()
if req is None:
    req = held_request(user)
s = SessionStore()
s[SESSION_KEY] = str(user.pk)
s[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
s[HASH_SESSION_KEY] = user.get_session_auth_hash()
s.set_expiry(24 * 3600)
s.create()
from peersupport.confidentiality.models import Escalation
from peersupport.support.models import Contact


def session_for(person):
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.set_expiry(24 * 3600)
    store.create()
    return store.session_key


# Ballots: an election in its voting window, two seats to fill, four standing candidates, and
# a roll of active supporters (each with an authenticator, as every supporter must have) who
# vote once each, every one from their own session.
from django.test import override_settings
from django.utils import timezone
from peersupport.accounts.models import Unit
from peersupport.committee.models import Candidate
from peersupport.training.models import Enrolment
from tests.factories import EmployeeFactory, UserFactory, enable_totp
from tests.matrix.committee import active_supporter, open_election
from tests.matrix.training import make_session
election = open_election(phase="voting", seats_to_fill=2)
unit = Unit.objects.order_by("pk").first()
voters = []
# Nobody signs in with these passwords (the sessions are made here): the fast hasher the test
# suite uses keeps the set-up to a second.
with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
    for n in range(VOTERS):
        person = UserFactory(email=f"soak.voter{n}@pd.example.org")
        EmployeeFactory(user=person, work_email=person.email, unit=unit)
        active_supporter(person)
        enable_totp(person)
        voters.append(person)
candidates = [
    Candidate.objects.create(election=election, user=p, status="standing",
                             answered_at=timezone.now()).pk
    for p in voters[:4]
]
# Attendance: past sessions of two days, five supporters enrolled on each; half taught by the
# supporter persona (who records their own sessions' days), half recorded by the coordinator.
coordinator = User.objects.get(email="coordinator@demo.peersupport.test")
days = []
for n in range(SESSIONS):
    instructor = user if n % 2 else None
    session = make_session(days_from_now=-10 - n % 20, days=2, instructor=instructor)
    people = [voters[(5 * n + i) % len(voters)] for i in range(5)]
    for person in people:
        Enrolment.objects.create(session=session, user=person, status="enrolled")
    for day in session.days.all():
        days.append({"id": day.pk, "hours": str(day.hours), "people": [p.pk for p in people],
                     "by": "supporter" if instructor else "coordinator"})
print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "session": s.session_key,
                  "request": req.pk, "escalations_before": Escalation.objects.count(),
                  "contacts_before": Contact.objects.filter(supporter=user).count(),
                  "coordinator": session_for(coordinator),
                  "election": election.pk, "seats": election.seats, "candidates": candidates,
                  "count_code": election.count_code,
                  "voters": [{"user": p.pk, "session": session_for(p)} for p in voters],
                  "days": days}))
"""

CHECK = """
import json, os
from peersupport.accounts.agencies import work_for_default_agency
work_for_default_agency()  # reads the default agency's rows (issue 23)
from django.db import connection
from peersupport.confidentiality.models import Escalation
from peersupport.notifications.channels import message_id
from peersupport.notifications.models import Notification
from peersupport.support.models import Contact, SupportRequest
from peersupport.support.services import submission_key
from peersupport.committee import ballotbox
from peersupport.committee.models import Ballot, Voter
from peersupport.training.models import Attendance, AttendanceCorrection
seen = json.load(open(os.environ["SOAK_SEEN"]))
found = {}
for token in seen["tokens"]:
    found[token] = SupportRequest.objects.filter(submission_key=submission_key(token)).count()
escalations = {str(p): Escalation.objects.filter(public_id=p).count() for p in seen["escalations"]}
integrity = "n/a"
if connection.vendor == "sqlite":
    with connection.cursor() as c:
        integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
# The escalations' alerts queued while the load ran. An escalation nobody acknowledges alerts
# again every few minutes for as long as it stays open, so the outbox never empties; re-alerts
# queued after the load are not part of what the clients saw and are left out.
from datetime import datetime
ended = datetime.fromisoformat(seen["load_ended"])
notes = list(Notification.objects.filter(
    topic__startswith="escalation:", created_at__lte=ended
).values_list("key", "status", "channel"))
# Every offer of an acknowledged request alerts its supporter (an urgent kind: at once, alone).
from peersupport.support.models import Offer
offers = list(Offer.objects.filter(
    request__submission_key__in=[submission_key(t) for t in seen["tokens"]]
).values_list("pk", "supporter_id"))
offer_keys = [f"support:offered:{pk}:{supporter}:email" for pk, supporter in offers]
offer_rows = dict(Notification.objects.filter(key__in=offer_keys).values_list("key", "status"))
# Ballots and voters share nothing but the election: the roll and the box are read apart.
voters = list(Voter.objects.filter(election_id=seen["election"]).values_list("user_id", flat=True))
# The box is sealed: opened with the count code, as the count opens it.
sealed = Ballot.objects.filter(election_id=seen["election"]).values_list("sealed", flat=True)
box = ballotbox.open_box(ballotbox.parse_code(seen["count_code"]), [bytes(b) for b in sealed])
attendance = {}
for day_id, user_id, hours in Attendance.objects.filter(day_id__in=seen["days"]).values_list(
    "day_id", "user_id", "hours"
):
    attendance.setdefault(str(day_id), []).append([user_id, str(hours)])
corrections = {}
for day_id, user_id, before, after in AttendanceCorrection.objects.filter(
    attendance__day_id__in=seen["days"]
).values_list("attendance__day_id", "attendance__user_id", "hours_before", "hours_after"):
    corrections.setdefault(str(day_id), []).append([user_id, str(before), str(after)])
print(json.dumps({
    "voters": voters,
    "ballots": box,
    "attendance": attendance,
    "corrections": corrections,
    "requests": found,
    "escalations": escalations,
    "escalations_total": Escalation.objects.count(),
    "contacts": Contact.objects.filter(supporter__email="supporter@demo.peersupport.test").count(),
    "integrity": integrity,
    "notifications": [[k, s, message_id(k, "localhost")] for k, s, ch in notes if ch == "email"],
    "offers": len(offers),
    "offer_alerts": [[k, offer_rows.get(k, "missing"), message_id(k, "localhost")]
                     for k in offer_keys],
}))
"""


T0 = time.monotonic()


def say(what: str) -> None:
    """Progress on stderr."""
    print(f"[soak {time.monotonic() - T0:7.1f}s] {what}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Seen:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: list[str] = field(default_factory=list)  # acknowledged (first answer or duplicate)
    escalations: list[str] = field(default_factory=list)
    contacts_acked: int = 0
    contacts_unknown: int = 0
    escalations_unknown: int = 0
    duplicates_refused: int = 0
    votes: list = field(default_factory=list)  # [voter's user id, choices]: acknowledged
    votes_unknown: list = field(default_factory=list)  # the same, the answer lost
    # Day id -> its attendance saves in order: {"kind", "values" (user id -> hours), "acked"}.
    # A day is one client's at a time; after a save whose answer was lost it is left alone.
    days: dict = field(default_factory=dict)
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)

    def every_kind(self) -> bool:
        with self.lock:
            return bool(
                self.tokens
                and self.escalations
                and self.contacts_acked
                and self.votes
                and any(s["acked"] for saves in self.days.values() for s in saves)
            )

    def error(self, what: str) -> None:
        with self.lock:
            self.errors += 1
            self.error_kinds[what] = self.error_kinds.get(what, 0) + 1


@dataclass
class Work:
    """What the clients share out: voters yet to vote, days yet to be recorded, and days
    recorded (every save acknowledged) that nobody is correcting just now."""

    lock: threading.Lock
    voters: list
    fresh_days: list
    idle_days: list = field(default_factory=list)


class Server:
    def __init__(self, env: dict, port: int, log: Path):
        self.env, self.port, self.log = env, port, log
        self.web = self.worker = None

    def _spawn(self, args):
        return subprocess.Popen(
            args,
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_web(self):
        self.web = self._spawn(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "peersupport.wsgi:application",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--log-level",
                "warning",
            ]
        )

    def start_worker(self):
        self.worker = self._spawn(
            [sys.executable, "manage.py", "db_worker", "--queue-name", "*", "--interval", "0.25"]
        )

    @staticmethod
    def kill(proc):
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def wait_up(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(  # noqa: S310 (our own server)
                    f"http://127.0.0.1:{self.port}/healthz", timeout=2
                ) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the web server did not come up: see " + str(self.log))


HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)"')


class Client(threading.Thread):
    """One browser's writes. With several web servers (``bases``), each request goes to one
    of them at random, as behind a load balancer: a form fetched from one server is often
    posted to another, so nothing may live in one server's memory."""

    def __init__(self, bases: list[str], setup: dict, work: Work, seen: Seen, stop, rng):
        super().__init__(daemon=True)
        self.bases, self.setup, self.work, self.seen, self.stop, self.rng = (
            bases,
            setup,
            work,
            seen,
            stop,
            rng,
        )
        self.held = setup["request"]
        self.days = {str(d["id"]): d for d in setup["days"]}

    def opener(self, signed_in: bool | str):
        """A browser without cookies; ``signed_in``: the supporter persona's session (True) or
        the given session key."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
        if signed_in:
            key = self.setup["session"] if signed_in is True else signed_in
            jar.set_cookie(
                http.cookiejar.Cookie(
                    0,
                    self.setup["cookie"],
                    key,
                    None,
                    False,
                    "127.0.0.1",
                    False,
                    False,
                    "/",
                    True,
                    False,
                    None,
                    False,
                    None,
                    None,
                    {},
                )
            )
        return opener

    @property
    def base(self) -> str:
        return self.bases[0] if len(self.bases) == 1 else self.rng.choice(self.bases)

    @staticmethod
    def read(response) -> str:
        """The body; a server killed while sending it is an answer lost, as a reset is."""
        try:
            return response.read().decode(errors="replace")
        except http.client.HTTPException as exc:  # IncompleteRead
            raise ConnectionResetError(f"answer cut short: {exc!r}") from exc

    def form(self, opener, path) -> dict:
        with opener.open(self.base + path, timeout=10) as r:
            html = self.read(r)
        return dict(HIDDEN.findall(html))

    def post(self, opener, path, data: dict):
        body = urllib.parse.urlencode(data, doseq=True).encode()
        base = self.base
        req = urllib.request.Request(  # noqa: S310 (our own server on 127.0.0.1)
            base + path, data=body, headers={"Referer": base + path}
        )
        try:
            with opener.open(req, timeout=10) as r:
                return r.status, r.headers, self.read(r)
        except urllib.error.HTTPError as e:
            return e.code, e.headers, self.read(e)

    def run(self):
        kinds = ["request", "request", "escalation", "contact", "ballot", "attendance"]
        while not self.stop.is_set():
            kind = self.rng.choice(kinds)
            try:
                getattr(self, kind)()
            except urllib.error.HTTPError as exc:  # the form itself was refused: a real error
                self.seen.error(f"{kind} form {exc.code}")
            except (ConnectionRefusedError, urllib.error.URLError, OSError):
                time.sleep(0.1)  # the server was down while the form was fetched: nothing sent
            except Exception as exc:  # noqa: BLE001 (count it, keep the load going)
                self.seen.error(f"{kind} {type(exc).__name__}: {exc}"[:120])

    def request(self):
        opener = self.opener(signed_in=False)
        hidden = self.form(opener, "/support/public/ask/")
        data = {
            **hidden,
            "kind": "family",
            "name": "Soak Test",
            "contact_method": "phone",
            "contact_detail": "555 0100",
            "best_times": "any",
            "limits_read": "on",
        }
        token = hidden["token"]
        while not self.stop.is_set():
            try:
                status, headers, body = self.post(opener, "/support/public/ask/", data)
            except OSError:
                time.sleep(0.2)  # lost answer: send the same form (same token) again
                continue
            # Sent: the answer leads to the page that shows the codename (post/redirect/get;
            # a resend of a form that got through leads there too, never to a second request).
            if status == 302 and headers.get("Location", "").endswith("/support/public/codename/"):
                with self.seen.lock:
                    self.seen.tokens.append(token)
                return
            if status == 409:
                with self.seen.lock:
                    self.seen.tokens.append(token)
                    self.seen.duplicates_refused += 1
                return
            self.seen.error(f"request {status} {body[:0]}")
            return

    def escalation(self):
        opener = self.opener(signed_in=True)
        path = f"/confidentiality/raise/request/{self.held}/"
        hidden = self.form(opener, path)
        data = {**hidden, "category": self.category(opener, path), "note": "soak"}
        try:
            status, headers, _ = self.post(opener, path, data)
        except OSError:
            with self.seen.lock:
                self.seen.escalations_unknown += 1
            return
        if status == 302:
            public_id = headers["Location"].rstrip("/").rsplit("/", 1)[-1]
            with self.seen.lock:
                self.seen.escalations.append(public_id)
        else:
            self.seen.error(f"escalation {status}")

    _category = None

    def category(self, opener, path):
        if Client._category is None:
            with opener.open(self.base + path, timeout=10) as r:
                html = self.read(r)
            Client._category = re.findall(r'name="category" value="(\d+)"', html)[1]
        return Client._category

    def contact(self):
        opener = self.opener(signed_in=True)
        path = "/support/contacts/new/"
        hidden = self.form(opener, path)
        data = {
            **hidden,
            # Yesterday in UTC is never in the future wherever the department is.
            "date": (datetime.now(UTC) - timedelta(days=1)).date().isoformat(),
            "duration_minutes": "20",
            "mode": "phone",
            "requester_type": "sworn",
            "topics": ["work_stress"],
            "limits_explained": "on",
        }
        try:
            status, _, _ = self.post(opener, path, data)
        except OSError:
            with self.seen.lock:
                self.seen.contacts_unknown += 1
            return
        if status == 302:
            with self.seen.lock:
                self.seen.contacts_acked += 1
        else:
            self.seen.error(f"contact {status}")

    def ballot(self):
        """One active supporter votes, once, for one or two of the standing candidates."""
        with self.work.lock:
            if not self.work.voters:
                return  # everyone has voted
            voter = self.work.voters.pop()
        opener = self.opener(signed_in=voter["session"])
        path = f"/committee/elections/{self.setup['election']}/vote/"
        try:
            hidden = self.form(opener, path)
        except OSError:
            with self.work.lock:
                self.work.voters.append(voter)  # nothing was sent: they vote later
            raise
        choices = sorted(
            self.rng.sample(self.setup["candidates"], self.rng.randint(1, self.setup["seats"]))
        )
        data = {**hidden, "choices": [str(c) for c in choices]}
        try:
            status, _, _ = self.post(opener, path, data)
        except OSError:
            with self.seen.lock:
                self.seen.votes_unknown.append([voter["user"], choices])
            return
        if status == 302:
            with self.seen.lock:
                self.seen.votes.append([voter["user"], choices])
        else:
            self.seen.error(f"ballot {status}")

    HOURS = ("0", "2", "4", "6.5", "7.75", "8")

    def attendance(self):
        """Record a day's attendance for everyone enrolled (the coordinator, or the supporter
        persona for the sessions they teach), or correct one or two people's hours on a day
        recorded before, with a reason."""
        with self.work.lock:
            correct = bool(self.work.idle_days) and (
                not self.work.fresh_days or self.rng.random() < 0.5
            )
            if correct:
                pool = self.work.idle_days
                day_id = pool.pop(self.rng.randrange(len(pool)))
            elif self.work.fresh_days:
                pool = self.work.fresh_days
                day_id = pool.pop()
            else:
                return
        day = self.days[day_id]
        by = self.setup["coordinator"] if day["by"] == "coordinator" else True
        opener = self.opener(signed_in=by)
        path = f"/training/days/{day_id}/attendance/"
        try:
            hidden = self.form(opener, path)
        except OSError:
            with self.work.lock:
                pool.append(day_id)
            raise
        with self.seen.lock:
            saves = self.seen.days.setdefault(day_id, [])
        if correct:
            values = dict(saves[-1]["values"])
            for person in self.rng.sample(sorted(values), self.rng.randint(1, 2)):
                values[person] = self.rng.choice([h for h in self.HOURS if h != values[person]])
            reason = "Sign-in sheet checked again"
        else:
            values = {str(p): self.rng.choice(self.HOURS) for p in day["people"]}
            reason = ""
        data = {**hidden, **{f"hours_{p}": h for p, h in values.items()}, "reason": reason}
        save = {"kind": "correction" if correct else "record", "values": values}
        try:
            status, _, _ = self.post(opener, path, data)
        except OSError:
            with self.seen.lock:
                saves.append({**save, "acked": False})
            return  # the day is left as it is: either value may be stored
        if status == 302:
            with self.seen.lock:
                saves.append({**save, "acked": True})
            with self.work.lock:
                self.work.idle_days.append(day_id)
        else:
            self.seen.error(f"attendance {save['kind']} {status}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run(engine: str, kills: int, clients: int, seed: int, servers: int = 1) -> dict:
    """One soak on ``engine``. ``servers``: how many web servers (gunicorn, 2 workers each) and
    how many ``db_worker`` processes run side by side on the one database, as a deployment
    for scale runs them (docs/operations.md); each kill takes one of them at random."""
    from tests.servers import SMTPServer

    tmp = Path(tempfile.mkdtemp(prefix="peersupport-soak-"))
    if engine == "sqlite":
        url, drop = f"sqlite:///{tmp / 'soak.sqlite3'}", (lambda: None)
    else:
        name = f"peersupport_soak_{secrets.token_hex(4)}"
        parts = urllib.parse.urlsplit(os.environ["BENCH_DATABASE_URL"])
        url = parts._replace(path=f"/{name}").geturl()
        subprocess.run(["createdb", name], check=True)
        drop = lambda: subprocess.run(["dropdb", "--force", name], check=False)  # noqa: E731
    rng = random.Random(seed)
    ports = [free_port() for _ in range(servers)]
    with SMTPServer() as smtp:
        env = {
            **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
            "PEERSUPPORT_ENV": "development",
            "DJANGO_SETTINGS_MODULE": "peersupport.settings",
            "DATABASE_URL": url,
            "PEERSUPPORT_VAR_DIR": str(tmp),
            "SECRET_KEY": secrets.token_urlsafe(60),
            "AUDIT_HMAC_KEY": secrets.token_urlsafe(40),
            "ENCRYPTION_KEYS": "s1:" + base64.b64encode(os.urandom(32)).decode(),
            "EMAIL_URL": smtp.email_url,
            "NOTIFY_LEASE_SECONDS": "3",
            "ESCALATION_TICK_SECONDS": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONWARNINGS": "ignore",
            "PYTHONPATH": str(ROOT),
        }
        manage = [sys.executable, "manage.py"]

        def django(*args, **kw):
            done = subprocess.run(
                [*manage, *args], cwd=ROOT, env=env, capture_output=True, text=True, **kw
            )
            if done.returncode != 0:
                raise SystemExit(done.stderr[-3000:])
            return done.stdout

        say("migrate")
        django("migrate", "--no-input", "-v", "0")
        django("collectstatic", "--no-input", "-v", "0")
        say("demo department")
        django("demo_department", "--employees", "200")
        django("schedule_ticks")
        # Enough voters and days for the run: about one write in six is a ballot, one in six
        # an attendance save (half of them corrections); a 100-kill run makes some 300 of each.
        sizes = f"VOTERS = {30 + 5 * kills}\nSESSIONS = {5 + 2 * kills}\n"
        say("set-up")
        setup = json.loads(django("shell", "-c", sizes + SETUP).strip().splitlines()[-1])
        say("servers")
        log = tmp / "servers.log"
        fleet = [Server(env, port, log) for port in ports]
        for server in fleet:
            server.start_web()
            server.start_worker()
        for server in fleet:
            server.wait_up()
        seen, stop = Seen(), threading.Event()
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        work = Work(
            lock=threading.Lock(),
            voters=list(setup["voters"]),
            fresh_days=[str(d["id"]) for d in reversed(setup["days"])],
        )
        threads = [
            Client(bases, setup, work, seen, stop, random.Random(seed + i)) for i in range(clients)
        ]
        for t in threads:
            t.start()
        started = time.monotonic()
        say("load")
        victims = {"web": 0, "worker": 0, "both": 0}
        try:
            for n in range(kills):
                if n and n % 10 == 0:
                    say(f"{n} kills")
                time.sleep(rng.uniform(0.2, 1.2))
                victim = rng.choice(["web", "worker", "both"])
                server = fleet[0] if servers == 1 else rng.choice(fleet)
                victims[victim] += 1
                if victim in ("web", "both"):
                    server.kill(server.web)
                if victim in ("worker", "both"):
                    server.kill(server.worker)
                if victim in ("web", "both"):
                    server.start_web()
                if victim in ("worker", "both"):
                    server.start_worker()
                    django("schedule_ticks")  # as every deployment's start script does
                server.wait_up()
            # A short run on a busy machine may end before every kind of write got through:
            # the load goes on (no more kills) until each has been acknowledged once.
            time.sleep(1.0)
            settle = time.monotonic() + 60
            while not seen.every_kind() and time.monotonic() < settle:
                time.sleep(0.2)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        load_seconds = time.monotonic() - started
        say("check")
        for server in fleet:
            server.kill(server.web)
        # Let the worker empty the outbox (the sweeper takes back what a killed worker held).
        state_file = tmp / "seen.json"
        state_file.write_text(
            json.dumps(
                {
                    "tokens": seen.tokens,
                    "escalations": seen.escalations,
                    "election": setup["election"],
                    "count_code": setup["count_code"],
                    "days": [d["id"] for d in setup["days"]],
                    "load_ended": datetime.now(UTC).isoformat(),
                }
            )
        )
        env["SOAK_SEEN"] = str(state_file)
        # Three minutes, and as long again after each check that finds fewer waiting: a long
        # run on a busy machine leaves thousands of alerts (escalations re-alert until someone
        # acknowledges them), which the workers send slower than that but surely; an outbox
        # that stops going down is what fails the check.
        deadline, fewest = time.monotonic() + 180, None
        while True:
            report = json.loads(django("shell", "-c", CHECK).strip().splitlines()[-1])
            pending = [
                n for n in report["notifications"] + report["offer_alerts"] if n[1] != "sent"
            ]
            if not pending:
                break
            if fewest is None or len(pending) < fewest:
                fewest = len(pending)
                deadline = max(deadline, time.monotonic() + 180)
            if time.monotonic() > deadline:
                break
            time.sleep(1)
        for server in fleet:
            server.kill(server.worker)
        say("verify_audit")
        audit = subprocess.run(
            [*manage, "verify_audit"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        received = set(smtp.recorder.message_ids())
        raw_received = len(smtp.recorder.messages)
    drop()
    mail_ids = [n[2] for n in report["notifications"]]
    result = {
        "engine": "SQLite" if engine == "sqlite" else "PostgreSQL",
        "kills": kills,
        "servers": servers,
        "victims": victims,
        "clients": clients,
        "load_seconds": round(load_seconds, 1),
        "requests_acked": len(seen.tokens),
        "requests_missing": sum(1 for c in report["requests"].values() if c == 0),
        "requests_twice": sum(1 for c in report["requests"].values() if c > 1),
        "duplicates_refused": seen.duplicates_refused,
        "escalations_acked": len(seen.escalations),
        "escalations_missing": sum(1 for c in report["escalations"].values() if c == 0),
        "escalations_unknown": seen.escalations_unknown,
        "escalations_new": report["escalations_total"] - setup["escalations_before"],
        "contacts_acked": seen.contacts_acked,
        "contacts_unknown": seen.contacts_unknown,
        "contacts_new": report["contacts"] - setup["contacts_before"],
        **check_ballots(seen, report),
        **check_attendance(seen, report, setup["days"]),
        "client_errors": seen.errors,
        "error_kinds": seen.error_kinds,
        "integrity": report["integrity"],
        "audit_ok": audit.returncode == 0 and "intact" in audit.stdout,
        "audit": audit.stdout.strip() or audit.stderr.strip()[-300:],
        "alerts": len(mail_ids),
        "alerts_not_sent": sum(1 for n in report["notifications"] if n[1] != "sent"),
        "alerts_not_received": sum(1 for m in mail_ids if m not in received),
        "offers": report["offers"],
        "offer_alerts_missing": sum(1 for n in report["offer_alerts"] if n[1] == "missing"),
        "offer_alerts_not_sent": sum(1 for n in report["offer_alerts"] if n[1] != "sent"),
        "offer_alerts_not_received": sum(1 for n in report["offer_alerts"] if n[2] not in received),
        "mails_received": raw_received,
    }
    result["ok"] = ok(result)
    if result["ok"]:
        shutil.rmtree(tmp, ignore_errors=True)
    else:  # kept for whoever looks into it: the database and servers.log
        result["kept"] = str(tmp)
    return result


def check_ballots(seen: Seen, report: dict) -> dict:
    """Every acknowledged vote is on the roll once and its choices are in the box; the box
    holds one ballot per voter on the roll, and nothing beyond the votes sent."""
    roll = Counter(report["voters"])
    acked = {user for user, _ in seen.votes}
    sent = acked | {user for user, _ in seen.votes_unknown}
    box = Counter(tuple(sorted(c)) for c in report["ballots"])
    acked_choices = Counter(tuple(c) for _, c in seen.votes)
    sent_choices = acked_choices + Counter(tuple(c) for _, c in seen.votes_unknown)
    return {
        "votes_acked": len(seen.votes),
        "votes_unknown": len(seen.votes_unknown),
        "voters_recorded": len(roll),
        "ballots_stored": sum(box.values()),
        "votes_missing": len(acked - set(roll)),
        "voters_twice": sum(1 for n in roll.values() if n > 1),
        "voters_not_sent": len(set(roll) - sent),
        # Ballots whose choices no acknowledged vote accounts for beyond the unknown ones, or
        # acknowledged choices missing from the box.
        "ballots_unaccounted": sum((box - sent_choices).values()),
        "ballots_missing": sum((acked_choices - box).values()),
    }


def _corrections(saves: list[dict]) -> Counter:
    """The correction rows a sequence of saves makes: (user, before, after) for each change."""
    rows, before = Counter(), {}
    for save in saves:
        if save["kind"] == "correction":
            for user, hours in save["values"].items():
                if Decimal(hours) != Decimal(before[user]):
                    rows[(user, Decimal(before[user]), Decimal(hours))] += 1
        before = save["values"]
    return rows


def check_attendance(seen: Seen, report: dict, days: list[dict]) -> dict:
    """Each day holds exactly what its last acknowledged save sent (or, when the answer to the
    save after it was lost, exactly that save's values: never a part of one), one row per
    person, and the corrections those saves made."""
    wrong = twice = torn = corrections_wrong = 0
    for day in days:
        day_id = str(day["id"])
        saves = seen.days.get(day_id, [])
        rows = report["attendance"].get(day_id, [])
        people = [str(user) for user, _ in rows]
        twice += len(people) - len(set(people))
        stored = {str(user): Decimal(hours) for user, hours in rows}
        acked = [s for s in saves if s["acked"]]
        lost = [s for s in saves if not s["acked"]]
        known = {u: Decimal(h) for u, h in acked[-1]["values"].items()} if acked else {}
        maybe = {u: Decimal(h) for u, h in lost[0]["values"].items()} if lost else None
        applied = lost and stored == maybe and stored != known
        if stored != known and not applied:
            if acked:
                wrong += 1  # what was acknowledged is not there as sent
            else:
                torn += 1  # a part of a save whose answer was lost, or values nobody sent
        made = Counter(
            (str(u), Decimal(b), Decimal(a)) for u, b, a in report["corrections"].get(day_id, [])
        )
        if made != _corrections(acked + (lost if applied else [])):
            corrections_wrong += 1
    saves = [s for day in seen.days.values() for s in day]

    def count(kind, acked):
        return sum(1 for s in saves if s["kind"] == kind and s["acked"] is acked)

    return {
        "records_acked": count("record", True),
        "records_unknown": count("record", False),
        "days_stored": len(report["attendance"]),
        "corrections_acked": count("correction", True),
        "corrections_unknown": count("correction", False),
        "correction_rows": sum(len(c) for c in report["corrections"].values()),
        "attendance_wrong": wrong,
        "attendance_torn": torn,
        "attendance_twice": twice,
        "corrections_wrong": corrections_wrong,
    }


def ok(r: dict) -> bool:
    return (
        r["requests_missing"] == 0
        and r["requests_twice"] == 0
        and r["escalations_missing"] == 0
        and r["escalations_acked"] <= r["escalations_new"]
        and r["escalations_new"] <= r["escalations_acked"] + r["escalations_unknown"]
        and r["contacts_acked"] <= r["contacts_new"]
        and r["contacts_new"] <= r["contacts_acked"] + r["contacts_unknown"]
        and r["votes_missing"] == 0
        and r["voters_twice"] == 0
        and r["voters_not_sent"] == 0
        and r["ballots_stored"] == r["voters_recorded"]
        and r["ballots_unaccounted"] == 0
        and r["ballots_missing"] == 0
        and r["votes_acked"] <= r["voters_recorded"] <= r["votes_acked"] + r["votes_unknown"]
        and r["attendance_wrong"] == 0
        and r["attendance_torn"] == 0
        and r["attendance_twice"] == 0
        and r["corrections_wrong"] == 0
        and r["records_acked"] <= r["days_stored"]
        and r["days_stored"] <= r["records_acked"] + r["records_unknown"]
        and r["integrity"] in ("ok", "n/a")
        and r["audit_ok"]
        and r["alerts_not_sent"] == 0
        and r["alerts_not_received"] == 0
        and r["offers"] > 0
        and r["offer_alerts_not_sent"] == 0
        and r["offer_alerts_not_received"] == 0
    )


def table(results: list[dict]) -> str:
    lines = [
        "# Crash soak",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/soak.py` on "
        f"{os.cpu_count()} cores. Client threads write over HTTP while the web server and the "
        "worker are killed with SIGKILL and restarted; then the database is compared with what "
        "the clients saw."
        + (
            f" {results[0]['servers']} web servers (gunicorn, 2 workers each) and "
            f"{results[0]['servers']} `db_worker` processes run side by side on the one "
            "database; each request goes to one of the web servers at random, as behind a load "
            "balancer (a form is often posted to another server than the one that gave it), and "
            "each kill takes one server's web process, worker or both."
            if results and results[0].get("servers", 1) > 1
            else ""
        ),
        "",
        "| | " + " | ".join(r["engine"] for r in results) + " |",
        "|---|" + "---|" * len(results),
    ]
    rows = [
        (
            "kills (web / worker / both)",
            lambda r: "{web} / {worker} / {both}".format(**r["victims"]),
        ),
        ("seconds under load", lambda r: r["load_seconds"]),
        ("support requests acknowledged", lambda r: r["requests_acked"]),
        (
            "... missing / stored twice",
            lambda r: f"{r['requests_missing']} / {r['requests_twice']}",
        ),
        ("... resent after a lost answer, refused as duplicate", lambda r: r["duplicates_refused"]),
        (
            "escalations acknowledged / answer lost",
            lambda r: f"{r['escalations_acked']} / {r['escalations_unknown']}",
        ),
        ("... acknowledged but missing", lambda r: r["escalations_missing"]),
        ("... stored in all", lambda r: r["escalations_new"]),
        (
            "escalation e-mails queued / not sent / not received",
            lambda r: f"{r['alerts']} / {r['alerts_not_sent']} / {r['alerts_not_received']}",
        ),
        (
            "offers made / their e-mails not sent / not received",
            lambda r: (
                f"{r['offers']} / {r['offer_alerts_not_sent']} / {r['offer_alerts_not_received']}"
            ),
        ),
        ("e-mails received (with repeats)", lambda r: r["mails_received"]),
        (
            "contacts acknowledged / answer lost / stored",
            lambda r: f"{r['contacts_acked']} / {r['contacts_unknown']} / {r['contacts_new']}",
        ),
        (
            "votes acknowledged / answer lost",
            lambda r: f"{r['votes_acked']} / {r['votes_unknown']}",
        ),
        (
            "... voters recorded / ballots in the box",
            lambda r: f"{r['voters_recorded']} / {r['ballots_stored']}",
        ),
        (
            "... acknowledged but not recorded / voted twice / recorded but never sent",
            lambda r: f"{r['votes_missing']} / {r['voters_twice']} / {r['voters_not_sent']}",
        ),
        (
            "... acknowledged choices missing from the box / ballots nobody sent",
            lambda r: f"{r['ballots_missing']} / {r['ballots_unaccounted']}",
        ),
        (
            "attendance days recorded: acknowledged / answer lost / stored",
            lambda r: f"{r['records_acked']} / {r['records_unknown']} / {r['days_stored']}",
        ),
        (
            "attendance corrections: acknowledged / answer lost / correction rows stored",
            lambda r: (
                f"{r['corrections_acked']} / {r['corrections_unknown']} / {r['correction_rows']}"
            ),
        ),
        (
            "... days not as acknowledged / stored in part / a person twice",
            lambda r: f"{r['attendance_wrong']} / {r['attendance_torn']} / {r['attendance_twice']}",
        ),
        ("... days whose correction rows differ from the saves", lambda r: r["corrections_wrong"]),
        (
            "database integrity check (SQLite's `PRAGMA integrity_check`; PostgreSQL has none "
            "built in)",
            lambda r: r["integrity"],
        ),
        ("audit chain", lambda r: "intact" if r["audit_ok"] else "BROKEN"),
        (
            "client errors (any answer but the expected one, forms included)",
            lambda r: r["client_errors"],
        ),
        ("result", lambda r: "nothing lost" if r["ok"] else "FAILED"),
    ]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(str(get(r)) for r in results) + " |")
    for r in results:
        if r["error_kinds"]:
            kinds = ", ".join(f"{k}: {n}" for k, n in sorted(r["error_kinds"].items()))
            lines += ["", f"Client errors on {r['engine']}: {kinds}."]
    lines += [
        "",
        "Contacts carry no idempotency key (they hold nothing to tell two apart), so a contact "
        "whose answer was lost may or may not be stored; the check is that every acknowledged "
        "one is, and no more than were sent. The same holds for escalations (a supporter who "
        "lost the answer looks at their escalations before raising again).",
        "",
        "Ballots are secret: nothing links a ballot to its voter, so the check compares the roll "
        "and the box separately. Every acknowledged voter is on the roll, once; nobody is on it "
        "who never sent a ballot; the box holds exactly one ballot per voter on the roll; the "
        "choices of every acknowledged vote are in the box, and no ballot in it is beyond the "
        "votes sent (as multisets of choices). A vote whose answer was lost may or may not be "
        "counted, but then its voter and its ballot both are, or neither.",
        "",
        "Attendance is saved for a whole day at once (everyone enrolled) and corrected with a "
        "reason. A day is one client's at a time; after a save whose answer was lost nobody "
        "touches it again. Each day must hold exactly the values of its last acknowledged save, "
        "or of the lost save after it, never a mixture, one row per person, and exactly the "
        "correction rows (person, before, after) those saves made.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"])
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="web servers and workers side by side on the one database (results go to "
        "RESULTS-soak-multi.md when more than one)",
    )
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    engines = (
        [args.engine]
        if args.engine
        else (["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else []))
    )
    results = [
        run(engine, args.kills, args.clients, args.seed, max(1, args.servers)) for engine in engines
    ]
    text = table(results)
    print(text)
    print(json.dumps(results))
    if not args.no_write:
        (RESULTS if args.servers <= 1 else RESULTS.with_name("RESULTS-soak-multi.md")).write_text(
            text
        )
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
