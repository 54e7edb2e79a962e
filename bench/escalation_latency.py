"""From raising an escalation to its alerts arriving: e-mail at a local SMTP server and text at a
local SMS webhook, through the outbox and the background worker, as `make run` runs them.

    .venv/bin/python bench/escalation_latency.py [--count 100] [--no-write]
    BENCH_DATABASE_URL=postgres:///postgres .venv/bin/python bench/escalation_latency.py

A fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards) is migrated;
the on-duty BHS manager and advocacy supervisor have phones, so every escalation makes two
e-mails and two texts. One `db_worker` process runs with the poll interval of scripts/run. This
process raises the escalations one after another and times each alert from the commit of the
raise to its arrival. The baseline, measured in the same run, is the same e-mail sent straight
from this process to the same SMTP server (what delivery costs without the outbox and the
worker). Writes bench/RESULTS-escalation.md.
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
RESULTS = Path(__file__).resolve().parent / "RESULTS-escalation.md"
# The worker's poll interval in scripts/run.
WORKER_INTERVAL = "0.25"
sys.path.insert(0, str(ROOT))


def _database(tmp: Path, engine: str):
    if engine == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    name = f"peersupport_bench_esc_{secrets.token_hex(4)}"
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
    from tests.servers import SMTPServer, WebhookServer

    tmp = Path(tempfile.mkdtemp(prefix="peersupport-bench-"))
    database_url, drop = _database(tmp, engine)
    try:
        with SMTPServer() as smtp, WebhookServer() as gateway:
            os.environ.update(
                PEERSUPPORT_ENV="development",
                DJANGO_SETTINGS_MODULE="peersupport.settings",
                DATABASE_URL=database_url,
                PEERSUPPORT_VAR_DIR=str(tmp),
                SECRET_KEY=secrets.token_urlsafe(60),
                AUDIT_HMAC_KEY=secrets.token_urlsafe(40),
                ENCRYPTION_KEYS="b1:" + base64.b64encode(os.urandom(32)).decode(),
                EMAIL_URL=smtp.email_url,
                SMS_WEBHOOK_URL=gateway.url,
                SMS_WEBHOOK_SECRET=secrets.token_urlsafe(24),
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
                return _measure(count, smtp, gateway)
            finally:
                worker.terminate()
                worker.wait(15)
                from django.db import connections

                connections.close_all()
    finally:
        drop()


def _measure(count: int, smtp, gateway) -> dict:
    import django

    django.setup()
    from peersupport.accounts.agencies import work_for_default_agency

    work_for_default_agency()  # every row this run writes is the default agency's
    from django.core.mail import EmailMessage

    from peersupport.accounts.models import Role, Unit
    from peersupport.confidentiality.services import duty_assign, escalation_raise
    from peersupport.governance.models import ExceptionCategory
    from peersupport.notifications.channels import message_id
    from peersupport.notifications.models import Notification
    from tests.factories import EmployeeFactory, UserFactory, grant
    from tests.matrix.support_supporter import held_request

    unit = Unit.objects.create(name="HQ", kind=Unit.Kind.DEPARTMENT)
    people = {}
    for name, role in (
        ("supporter", Role.PEER_SUPPORTER),
        ("bhs", Role.BHS_MANAGER),
        ("advocacy", Role.ADVOCACY_SUPERVISOR),
    ):
        user = UserFactory(email=f"{name}@bench.example.org")
        EmployeeFactory(user=user, unit=unit, work_email=user.email)
        grant(user, role)
        people[name] = user
    duty_assign(
        actor=people["bhs"], duty="bhs_manager", user=people["bhs"], rank=0, phone="+1 555 0100 001"
    )
    duty_assign(
        actor=people["bhs"],
        duty="advocacy_supervisor",
        user=people["advocacy"],
        rank=0,
        phone="+1 555 0100 002",
    )
    category = ExceptionCategory.objects.get(code="danger-to-others")
    req = held_request(people["supporter"])
    domain = "localhost"

    def arrivals(keys_mail: dict, keys_sms: set, deadline: float) -> tuple[dict, dict]:
        while time.time() < deadline:
            mail = {r.message["Message-ID"]: r.at for r in smtp.recorder.messages}
            sms = {h["json"]["id"]: h["at"] for h in gateway.requests}
            if all(mid in mail for mid in keys_mail) and keys_sms <= set(sms):
                return mail, sms
            time.sleep(0.002)
        raise SystemExit("alerts did not arrive within 60 s: is the worker running?")

    email_latency, sms_latency, worst_per_escalation = [], [], []
    rng = random.Random(7)
    for i in range(count + 3):  # three warm-up escalations, not counted
        # A pause of random length, so that a raise does not fall just as the worker finishes
        # the previous one (it would find the new tasks without waiting for its next poll).
        time.sleep(rng.uniform(0.3, 0.8))
        start = time.time()
        escalation = escalation_raise(
            actor=people["supporter"], category=category, note=f"bench {i}", request=req
        )
        rows = Notification.objects.filter(topic=f"escalation:{escalation.pk}")
        mail_ids = {message_id(n.key, domain): n for n in rows if n.channel == "email"}
        sms_keys = {n.key for n in rows if n.channel == "sms"}
        assert len(mail_ids) == 2 and len(sms_keys) == 2
        mail, sms = arrivals(mail_ids, sms_keys, start + 60)
        if i < 3:
            continue
        these = [mail[mid] - start for mid in mail_ids] + [sms[k] - start for k in sms_keys]
        email_latency += [mail[mid] - start for mid in mail_ids]
        sms_latency += [sms[k] - start for k in sms_keys]
        worst_per_escalation.append(max(these))

    baseline = []
    for i in range(count):
        before = len(smtp.recorder.messages)
        start = time.time()
        EmailMessage(
            "baseline",
            "direct",
            to=["bhs@bench.example.org"],
            headers={"Message-ID": f"<baseline{i}@{domain}>"},
        ).send()
        while len(smtp.recorder.messages) == before:
            time.sleep(0.001)
        baseline.append(smtp.recorder.messages[-1].at - start)
    return {
        "email": email_latency,
        "sms": sms_latency,
        "all": worst_per_escalation,
        "baseline": baseline,
    }


def _header(count: int) -> str:
    return "\n".join(
        [
            "# Escalation latency",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/escalation_latency.py` "
            f"on {platform.machine()}, {os.cpu_count()} cores, Python "
            f"{platform.python_version()}. {count} escalations raised one at a time at random "
            "moments, each alerting two people by e-mail and by text; one `db_worker` polling "
            f"every {WORKER_INTERVAL} s (as `scripts/run`). Times run from the commit of the raise "
            "to arrival at the local server. Baseline, measured in the same run: the same e-mail "
            "sent straight from the benchmark to the same SMTP server.",
            "",
        ]
    )


def _table(engine: str, f: dict) -> str:
    base = statistics.median(f["baseline"])
    lines = [
        f"## {engine}",
        "",
        "| what | samples | median | p99 | worst | median / baseline |",
        "|---|---|---|---|---|---|",
    ]
    for label, key in (
        ("e-mail at the SMTP server", "email"),
        ("text at the SMS webhook", "sms"),
        ("every alert of one escalation", "all"),
        ("baseline: the same e-mail sent directly", "baseline"),
    ):
        median, p99, worst = _stats(f[key])
        lines.append(
            f"| {label} | {len(f[key])} | {median * 1000:.0f} ms | {p99 * 1000:.0f} ms | "
            f"{worst * 1000:.0f} ms | {median / base:.1f}x |"
        )
    return "\n".join([*lines, ""])


def _footer() -> str:
    return (
        "\nThe difference from the baseline is the worker's polling (on average half the "
        "interval, at most all of it), claiming the notification, and the task bookkeeping of "
        "django-tasks-db; the alerts of one escalation are sent one after another by one worker.\n"
    )


if __name__ == "__main__":
    main()
