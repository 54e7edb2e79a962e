"""From a request for support to the offered supporter's alerts: the e-mail at a local SMTP
server and the push at a local push service, through the outbox and the background worker, as
`make run` runs them (issue 17: "a supporter is never told that a request was offered").

    .venv/bin/python bench/offer_latency.py [--count 100] [--no-write]
    BENCH_DATABASE_URL=postgres:///postgres .venv/bin/python bench/offer_latency.py

A fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards) is migrated;
one active peer supporter has added a device for push alerts. One `db_worker` process runs with
the poll interval of scripts/run. This process makes family requests one after another, as the
public page does (`support.services.request_create`: the request, its offer and the offer's
alerts in one commit), and times each alert from that commit to its arrival. The baselines,
measured in the same run: the same e-mail sent straight from this process to the same SMTP
server, and the same push (signed and encrypted) sent straight to the same push service.
Writes bench/RESULTS-offer.md.
"""

import argparse
import base64
import json
import os
import platform
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS-offer.md"
# The worker's poll interval in scripts/run.
WORKER_INTERVAL = "0.25"
sys.path.insert(0, str(ROOT))


def _database(tmp: Path, engine: str):
    if engine == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    name = f"peersupport_bench_offer_{secrets.token_hex(4)}"
    parts = urlsplit(os.environ["BENCH_DATABASE_URL"])
    url = parts._replace(path=f"/{name}").geturl()
    subprocess.run(["createdb", name], check=True)
    return url, lambda: subprocess.run(["dropdb", "--force", name], check=False)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _stats(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), _percentile(values, 0.99), max(values)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        # One engine, in its own process (Django is set up once per process).
        print(json.dumps(_run_engine(args.engine, args.count)))
        return
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else [])
    sections = []
    for engine in engines:
        done = subprocess.run(
            [sys.executable, __file__, "--engine", engine, "--count", str(args.count)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        sections.append(_table("SQLite" if engine == "sqlite" else "PostgreSQL", figures))
    text = _header(args.count) + "\n".join(sections) + _footer()
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)


def _run_engine(engine: str, count: int) -> dict:
    from peersupport.notifications.vapid import generate
    from tests.servers import PushServer, SMTPServer

    tmp = Path(tempfile.mkdtemp(prefix="peersupport-bench-"))
    database_url, drop = _database(tmp, engine)
    try:
        with SMTPServer() as smtp, PushServer() as pushes:
            os.environ.update(
                PEERSUPPORT_ENV="development",
                DJANGO_SETTINGS_MODULE="peersupport.settings",
                DATABASE_URL=database_url,
                PEERSUPPORT_VAR_DIR=str(tmp),
                SECRET_KEY=secrets.token_urlsafe(60),
                AUDIT_HMAC_KEY=secrets.token_urlsafe(40),
                ENCRYPTION_KEYS="b1:" + base64.b64encode(os.urandom(32)).decode(),
                VAPID_PRIVATE_KEY=generate(),
                VAPID_SUBJECT="mailto:bench@localhost",
                EMAIL_URL=smtp.email_url,
                PYTHONWARNINGS="ignore",
            )
            manage = [sys.executable, str(ROOT / "manage.py")]
            subprocess.run(
                [*manage, "migrate", "--no-input", "-v", "0"],
                check=True,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
            )
            worker = subprocess.Popen(
                [*manage, "db_worker", "--queue-name", "*", "--interval", WORKER_INTERVAL],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            try:
                return _measure(count, smtp, pushes)
            finally:
                worker.terminate()
                worker.wait(15)
                from django.db import connections

                connections.close_all()
    finally:
        drop()


def _measure(count: int, smtp, pushes) -> dict:
    import django

    django.setup()
    from peersupport.accounts.agencies import work_for_default_agency

    work_for_default_agency()  # every row this run writes is the default agency's
    from django.core.mail import EmailMessage

    from peersupport.accounts.models import Role, Unit
    from peersupport.governance.notice import current_notice
    from peersupport.notifications.channels import message_id, send_push
    from peersupport.notifications.models import AlertPreference, Channel, Notification
    from peersupport.support.models import ContactMethod, RequesterKind
    from peersupport.support.services import request_create, request_withdraw
    from tests.factories import EmployeeFactory, UserFactory, grant
    from tests.matrix.support_supporter import active_supporter
    from tests.notifications.helpers import Browser

    unit = Unit.objects.create(name="HQ", kind=Unit.Kind.DEPARTMENT)
    supporter = UserFactory(email="supporter@bench.example.org")
    EmployeeFactory(user=supporter, unit=unit, work_email=supporter.email)
    grant(supporter, Role.PEER_SUPPORTER)
    active_supporter(supporter)
    device = Browser(pushes.endpoint("supporter")).subscribe(supporter)
    # Withdrawing each request after it is measured tells the supporter; those alerts would
    # only add work to the worker between two measurements, so this supporter switched them off.
    AlertPreference.objects.create(
        user=supporter, kind="support/withdrawn", email=False, sms=False, push=False
    )
    notice = current_notice().version
    domain = "localhost"

    def arrived(mail_id: str, pushes_before: int, deadline: float) -> tuple[float, float]:
        while time.time() < deadline:
            mail = {r.message["Message-ID"]: r.at for r in smtp.recorder.messages}
            if mail_id in mail and len(pushes.requests) > pushes_before:
                return mail[mail_id], pushes.requests[pushes_before]["at"]
            time.sleep(0.002)
        raise SystemExit("alerts did not arrive within 60 s: is the worker running?")

    email_latency, push_latency, both = [], [], []
    rng = random.Random(7)
    for i in range(count + 3):  # three warm-up requests, not counted
        # A pause of random length, so that a request does not come just as the worker finishes
        # the previous one (it would find the new task without waiting for its next poll).
        time.sleep(rng.uniform(0.3, 0.8))
        pushes_before = len(pushes.requests)
        start = time.time()
        created = request_create(
            requester=None,
            kind=RequesterKind.FAMILY,
            name=f"Bench {i}",
            contact_method=ContactMethod.PHONE,
            contact_detail="555 0100",
            notice_version=notice,
        )
        offer = created.request.offers.get()
        email = Notification.objects.get(key=f"support:offered:{offer.pk}:{supporter.pk}:email")
        mail_at, push_at = arrived(message_id(email.key, domain), pushes_before, start + 60)
        request_withdraw(request=created.request)
        if i < 3:
            continue
        email_latency.append(mail_at - start)
        push_latency.append(push_at - start)
        both.append(max(mail_at, push_at) - start)

    baseline_mail, baseline_push = [], []
    for i in range(count):
        before = len(smtp.recorder.messages)
        start = time.time()
        EmailMessage(
            "baseline",
            "direct",
            to=[supporter.email],
            headers={"Message-ID": f"<baseline{i}@{domain}>"},
        ).send()
        while len(smtp.recorder.messages) == before:
            time.sleep(0.001)
        baseline_mail.append(smtp.recorder.messages[-1].at - start)
        before = len(pushes.requests)
        start = time.time()
        send_push(
            Notification(
                key=f"baseline:{i}",
                user=supporter,
                channel=Channel.PUSH,
                address=str(device.pk),
                subject="baseline",
                body=json.dumps({"title": "baseline", "path": "/"}),
                urgent=True,
            )
        )
        while len(pushes.requests) == before:
            time.sleep(0.001)
        baseline_push.append(pushes.requests[-1]["at"] - start)
    return {
        "email": email_latency,
        "push": push_latency,
        "all": both,
        "baseline_email": baseline_mail,
        "baseline_push": baseline_push,
    }


def _header(count: int) -> str:
    return "\n".join(
        [
            "# Offer alert latency",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/offer_latency.py` "
            f"on {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}. {count} family requests made one at a time at random "
            "moments, each offered to the one active supporter, who is alerted by e-mail and by "
            f"a push to one device; one `db_worker` polling every {WORKER_INTERVAL} s (as "
            "`scripts/run`). Times run from the commit of the request to arrival at the local "
            "server. Baselines, measured in the same run: the same e-mail sent straight from "
            "the benchmark to the same SMTP server, and a push signed and encrypted the same way "
            "sent straight to the same push service.",
            "",
        ]
    )


def _table(engine: str, f: dict) -> str:
    lines = [
        f"## {engine}",
        "",
        "| what | samples | median | p99 | worst | median / its bare send |",
        "|---|---|---|---|---|---|",
    ]
    for label, key, base in (
        ("e-mail at the SMTP server", "email", "baseline_email"),
        ("push at the push service", "push", "baseline_push"),
        ("both alerts of one offer", "all", "baseline_email"),
        ("bare send: the same e-mail", "baseline_email", "baseline_email"),
        ("bare send: the same push", "baseline_push", "baseline_push"),
    ):
        median, p99, worst = _stats(f[key])
        ratio = median / statistics.median(f[base])
        lines.append(
            f"| {label} | {len(f[key])} | {median * 1000:.0f} ms | {p99 * 1000:.0f} ms | "
            f"{worst * 1000:.0f} ms | {ratio:.1f}x |"
        )
    return "\n".join([*lines, ""])


def _footer() -> str:
    return (
        "\nThe difference from the bare sends is the worker's polling (on average half the "
        "interval, at most all of it), claiming the notification, and the task bookkeeping of "
        "django-tasks-db; an offer is urgent, so it is never held for quiet hours or gathered "
        "with other alerts, and its two alerts are two outbox rows sent one after the other.\n"
    )


if __name__ == "__main__":
    main()
