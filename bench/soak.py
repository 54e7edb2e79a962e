"""Crash soak: writes under load while the web server and the worker are killed with SIGKILL,
again and again; afterwards nothing acknowledged is missing, nothing is there twice, the
database and the audit chain are intact, and every escalation raised was delivered.

    .venv/bin/python bench/soak.py [--kills 100] [--clients 4] [--no-write]
    BENCH_DATABASE_URL=postgres:///postgres .venv/bin/python bench/soak.py   # PostgreSQL

A fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards) gets the demo
department. gunicorn (2 workers, as `make run`) and one `db_worker` run in their own process
groups; a local SMTP server receives the alerts. Client threads write over HTTP, as browsers do:

- public support requests (no account; each form carries its own submission token, so a
  request whose answer was lost is sent again with the same token and must be refused as a
  duplicate if the first one got through);
- escalations raised by a peer supporter from a request they hold (the answer's redirect names
  the escalation);
- contacts logged by the supporter.

Between kills the load runs for a random 0.2-1.2 s; then the web server, the worker or both get
SIGKILL and are started again. At the end the worker runs until the outbox is empty, and a
checker (its own process) compares the database with what the clients saw. Writes to
results go to bench/RESULTS-soak.md.
"""

import argparse
import base64
import http.cookiejar
import json
import os
import random
import re
import secrets
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS-soak.md"
sys.path.insert(0, str(ROOT))

SETUP = """
import json
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
print(json.dumps({"cookie": settings.SESSION_COOKIE_NAME, "session": s.session_key,
                  "request": req.pk, "escalations_before": Escalation.objects.count(),
                  "contacts_before": Contact.objects.filter(supporter=user).count()}))
"""

CHECK = """
import json, os
from django.db import connection
from peersupport.confidentiality.models import Escalation
from peersupport.notifications.channels import message_id
from peersupport.notifications.models import Notification
from peersupport.support.models import Contact, SupportRequest
from peersupport.support.services import submission_key
seen = json.load(open(os.environ["SOAK_SEEN"]))
found = {}
for token in seen["tokens"]:
    found[token] = SupportRequest.objects.filter(submission_key=submission_key(token)).count()
escalations = {str(p): Escalation.objects.filter(public_id=p).count() for p in seen["escalations"]}
integrity = "n/a"
if connection.vendor == "sqlite":
    with connection.cursor() as c:
        integrity = c.execute("PRAGMA integrity_check").fetchone()[0]
notes = list(Notification.objects.filter(topic__startswith="escalation:").values_list(
    "key", "status", "channel"))
print(json.dumps({
    "requests": found,
    "escalations": escalations,
    "escalations_total": Escalation.objects.count(),
    "contacts": Contact.objects.filter(supporter__email="supporter@demo.peersupport.test").count(),
    "integrity": integrity,
    "notifications": [[k, s, message_id(k, "localhost")] for k, s, ch in notes if ch == "email"],
}))
"""


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
    errors: int = 0
    error_kinds: dict = field(default_factory=dict)

    def error(self, what: str) -> None:
        with self.lock:
            self.errors += 1
            self.error_kinds[what] = self.error_kinds.get(what, 0) + 1


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
    def __init__(self, base: str, session: tuple[str, str], held: int, seen: Seen, stop, rng):
        super().__init__(daemon=True)
        self.base, self.session, self.held, self.seen, self.stop, self.rng = (
            base,
            session,
            held,
            seen,
            stop,
            rng,
        )

    def opener(self, signed_in: bool):
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
        if signed_in:
            jar.set_cookie(
                http.cookiejar.Cookie(
                    0,
                    self.session[0],
                    self.session[1],
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

    def form(self, opener, path) -> dict:
        with opener.open(self.base + path, timeout=10) as r:
            html = r.read().decode()
        return dict(HIDDEN.findall(html))

    def post(self, opener, path, data: dict):
        body = urllib.parse.urlencode(data, doseq=True).encode()
        req = urllib.request.Request(  # noqa: S310 (our own server on 127.0.0.1)
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        try:
            with opener.open(req, timeout=10) as r:
                return r.status, r.headers, r.read().decode(errors="replace")
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode(errors="replace")

    def run(self):
        while not self.stop.is_set():
            kind = self.rng.choice(["request", "request", "escalation", "contact"])
            try:
                getattr(self, kind)()
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
                status, _, body = self.post(opener, "/support/public/ask/", data)
            except OSError:
                time.sleep(0.2)  # lost answer: send the same form (same token) again
                continue
            if status == 200 and "codename" in body.lower():
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
                html = r.read().decode()
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


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def run(engine: str, kills: int, clients: int, seed: int) -> dict:
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
    port = free_port()
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

        django("migrate", "--no-input", "-v", "0")
        django("collectstatic", "--no-input", "-v", "0")
        django("demo_department", "--employees", "200")
        django("schedule_ticks")
        setup = json.loads(django("shell", "-c", SETUP).strip().splitlines()[-1])
        log = tmp / "servers.log"
        server = Server(env, port, log)
        server.start_web()
        server.start_worker()
        server.wait_up()
        seen, stop = Seen(), threading.Event()
        base = f"http://127.0.0.1:{port}"
        threads = [
            Client(
                base,
                (setup["cookie"], setup["session"]),
                setup["request"],
                seen,
                stop,
                random.Random(seed + i),
            )
            for i in range(clients)
        ]
        for t in threads:
            t.start()
        started = time.monotonic()
        victims = {"web": 0, "worker": 0, "both": 0}
        try:
            for _ in range(kills):
                time.sleep(rng.uniform(0.2, 1.2))
                victim = rng.choice(["web", "worker", "both"])
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
            time.sleep(1.0)
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        load_seconds = time.monotonic() - started
        server.kill(server.web)
        # Let the worker empty the outbox (the sweeper takes back what a killed worker held).
        state_file = tmp / "seen.json"
        state_file.write_text(json.dumps({"tokens": seen.tokens, "escalations": seen.escalations}))
        env["SOAK_SEEN"] = str(state_file)
        deadline = time.monotonic() + 180
        while True:
            report = json.loads(django("shell", "-c", CHECK).strip().splitlines()[-1])
            pending = [n for n in report["notifications"] if n[1] != "sent"]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(1)
        server.kill(server.worker)
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
        "client_errors": seen.errors,
        "error_kinds": seen.error_kinds,
        "integrity": report["integrity"],
        "audit_ok": audit.returncode == 0 and "intact" in audit.stdout,
        "audit": audit.stdout.strip() or audit.stderr.strip()[-300:],
        "alerts": len(mail_ids),
        "alerts_not_sent": sum(1 for n in report["notifications"] if n[1] != "sent"),
        "alerts_not_received": sum(1 for m in mail_ids if m not in received),
        "mails_received": raw_received,
    }
    result["ok"] = ok(result)
    return result


def ok(r: dict) -> bool:
    return (
        r["requests_missing"] == 0
        and r["requests_twice"] == 0
        and r["escalations_missing"] == 0
        and r["escalations_acked"] <= r["escalations_new"]
        and r["escalations_new"] <= r["escalations_acked"] + r["escalations_unknown"]
        and r["contacts_acked"] <= r["contacts_new"]
        and r["contacts_new"] <= r["contacts_acked"] + r["contacts_unknown"]
        and r["integrity"] in ("ok", "n/a")
        and r["audit_ok"]
        and r["alerts_not_sent"] == 0
        and r["alerts_not_received"] == 0
    )


def table(results: list[dict]) -> str:
    lines = [
        "# Crash soak",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/soak.py` on "
        f"{os.cpu_count()} cores. Client threads write over HTTP while the web server and the "
        "worker are killed with SIGKILL and restarted; then the database is compared with what "
        "the clients saw.",
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
        ("e-mails received (with repeats)", lambda r: r["mails_received"]),
        (
            "contacts acknowledged / answer lost / stored",
            lambda r: f"{r['contacts_acked']} / {r['contacts_unknown']} / {r['contacts_new']}",
        ),
        ("database integrity check", lambda r: r["integrity"]),
        ("audit chain", lambda r: "intact" if r["audit_ok"] else "BROKEN"),
        ("result", lambda r: "nothing lost" if r["ok"] else "FAILED"),
    ]
    for label, get in rows:
        lines.append(f"| {label} | " + " | ".join(str(get(r)) for r in results) + " |")
    lines += [
        "",
        "Contacts carry no idempotency key (they hold nothing to tell two apart), so a contact "
        "whose answer was lost may or may not be stored; the check is that every acknowledged "
        "one is, and no more than were sent. The same holds for escalations (a supporter who "
        "lost the answer looks at their escalations before raising again).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    engines = (
        [args.engine]
        if args.engine
        else (["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else []))
    )
    results = [run(engine, args.kills, args.clients, args.seed) for engine in engines]
    text = table(results)
    print(text)
    print(json.dumps(results))
    if not args.no_write:
        RESULTS.write_text(text)
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
