"""The program reports on a large department: a million contacts over three years, and the time
the dashboard takes to aggregate and protect them, against the same contact aggregation written
as one raw SQL query, in the same run.

    .venv/bin/python bench/report_dashboard.py [--contacts 1000000] [--repeat 3] [--no-write]
    BENCH_DATABASE_URL=postgres:///postgres .venv/bin/python bench/report_dashboard.py

A fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards) is migrated;
four bureaus with 60 supporters, the resource directory's ten kinds, then the contacts (a mode,
a requester type, one to three topics, a referral for one in five, a follow-up for one in
three) are bulk-inserted. Then, each ``--repeat`` times:

* **dashboard**: ``selectors.cube()`` and ``report.build()`` for a quarter, everything the
  dashboard page computes (every population, all periods, suppression) but the HTML. The
  first run also publishes every period over (reports/publishing.py); the later ones read
  the published months back and protect around their pinned cells, as the server does;
* **contacts, ORM**: only the contact aggregation of the dashboard (``selectors.contacts()``);
* **one raw SQL query**: the same contact aggregation (totals, hours, modes, requester types,
  follow-ups, per supporter, topics, referral kinds by month) as one UNION ALL statement.

Writes bench/RESULTS-reports.md.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS-reports.md"
sys.path.insert(0, str(ROOT))

# New contacts after the counts are sealed, for the steady-state build: a busy day's.
STEADY_NEW = 1_000

RAW = {
    "sqlite": """
SELECT 'mode', substr(date, 1, 7), mode, count(*), sum(duration_minutes)
  FROM support_contact GROUP BY 2, 3
UNION ALL SELECT 'type', substr(date, 1, 7), requester_type, count(*), NULL
  FROM support_contact GROUP BY 2, 3
UNION ALL SELECT 'follow_up', substr(date, 1, 7), '', count(*), NULL
  FROM support_contact WHERE follow_up_planned GROUP BY 2
UNION ALL SELECT 'supporter', substr(date, 1, 7), supporter_id, count(*), NULL
  FROM support_contact GROUP BY 2, 3
UNION ALL SELECT 'topic', substr(c.date, 1, 7), j.value, count(*), NULL
  FROM support_contact c, json_each(c.topics) j GROUP BY 2, 3
UNION ALL SELECT 'referral', substr(c.date, 1, 7), r.category, count(DISTINCT c.id), NULL
  FROM support_contact_referrals cr
  JOIN support_contact c ON c.id = cr.contact_id
  JOIN resources_resource r ON r.id = cr.resource_id GROUP BY 2, 3
""",
    "postgresql": """
SELECT 'mode', to_char(date, 'YYYY-MM'), mode, count(*), sum(duration_minutes)
  FROM support_contact GROUP BY 2, 3
UNION ALL SELECT 'type', to_char(date, 'YYYY-MM'), requester_type, count(*), NULL
  FROM support_contact GROUP BY 2, 3
UNION ALL SELECT 'follow_up', to_char(date, 'YYYY-MM'), '', count(*), NULL
  FROM support_contact WHERE follow_up_planned GROUP BY 2
UNION ALL SELECT 'supporter', to_char(date, 'YYYY-MM'), supporter_id::text, count(*), NULL
  FROM support_contact GROUP BY 2, 3
UNION ALL SELECT 'topic', to_char(c.date, 'YYYY-MM'), j.value, count(*), NULL
  FROM support_contact c, jsonb_array_elements_text(c.topics) j GROUP BY 2, 3
UNION ALL SELECT 'referral', to_char(c.date, 'YYYY-MM'), r.category, count(DISTINCT c.id), NULL
  FROM support_contact_referrals cr
  JOIN support_contact c ON c.id = cr.contact_id
  JOIN resources_resource r ON r.id = cr.resource_id GROUP BY 2, 3
""",
}


def _database(tmp: Path, engine: str):
    if engine == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    name = f"peersupport_bench_reports_{secrets.token_hex(4)}"
    parts = urlsplit(os.environ["BENCH_DATABASE_URL"])
    url = parts._replace(path=f"/{name}").geturl()
    subprocess.run(["createdb", name], check=True)
    return url, lambda: subprocess.run(["dropdb", "--force", name], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        print(json.dumps(_run_engine(args.engine, args.contacts, args.repeat)))
        return
    engines = ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else [])
    rows = []
    for engine in engines:
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                "--engine",
                engine,
                "--contacts",
                str(args.contacts),
                "--repeat",
                str(args.repeat),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(_row("SQLite" if engine == "sqlite" else "PostgreSQL", figures))
    text = _text(args, rows)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)


def _row(name: str, f: dict) -> str:
    return (
        f"| {name} | {f['contacts']:,} | {f['load_s']:.0f} s | {f['dashboard_s']:.2f} s "
        f"| {f['queries']} | {f['orm_s']:.2f} s | {f['raw_s']:.2f} s "
        f"| {f['dashboard_s'] / f['raw_s']:.1f}× | {f['orm_s'] / f['raw_s']:.1f}× "
        f"| {f['steady_s']:.2f} s | {f['steady_s'] / f['raw_s']:.2f}× |"
    )


def _text(args, rows: list[str]) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "# Program reports on a large department\n\n"
        f"`bench/report_dashboard.py --contacts {args.contacts} --repeat {args.repeat}`, "
        f"{now}, Python {platform.python_version()} on {platform.machine()} "
        f"({os.cpu_count()} CPUs). Medians of {args.repeat} runs.\n\n"
        "**First build** is a build with no counts kept yet: every contact is read (after an "
        "upgrade that changes what is counted, or on a new install's first day). **Steady "
        f"build** is every build after that: the counts up to an hour ago are kept (sealed), "
        f"{STEADY_NEW:,} contacts have arrived since, and only those are read. The worker "
        "makes both; no page ever waits for either.\n\n"
        "| engine | contacts | load | first build (all measures, suppression) | queries "
        "| contacts, ORM | one raw SQL query | first build ÷ raw | ORM ÷ raw "
        "| steady build | steady ÷ raw |\n"
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + "\n".join(rows) + "\n"
    )


def _run_engine(engine: str, contacts: int, repeat: int) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="peersupport-bench-"))
    database_url, drop = _database(tmp, engine)
    try:
        os.environ.update(
            PEERSUPPORT_ENV="development",
            DJANGO_SETTINGS_MODULE="peersupport.settings",
            DATABASE_URL=database_url,
            PEERSUPPORT_VAR_DIR=str(tmp),
            SECRET_KEY=secrets.token_urlsafe(60),
            AUDIT_HMAC_KEY=secrets.token_urlsafe(40),
            ENCRYPTION_KEYS="b1:" + base64.b64encode(os.urandom(32)).decode(),
            PYTHONWARNINGS="ignore",
        )
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "migrate", "--no-input", "-v", "0"],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        import django

        django.setup()
        from peersupport.accounts.agencies import work_for_default_agency

        work_for_default_agency()  # every row this run writes is the default agency's
        started = time.perf_counter()
        _load(contacts)
        load_s = time.perf_counter() - started
        return {"contacts": contacts, "load_s": load_s, **_measure(engine, repeat)}
    finally:
        from django.db import connections

        connections.close_all()
        drop()


def _load(count: int) -> None:
    from django.db import transaction

    from peersupport.accounts.models import Employee, Unit, User
    from peersupport.resources.models import Category, Resource
    from peersupport.roster.models import SupporterProfile

    rng = random.Random(9)
    with transaction.atomic():
        hq = Unit.objects.create(name="Bench PD", kind=Unit.Kind.DEPARTMENT)
        bureaus = [
            Unit.objects.create(name=f"Bureau {i}", kind=Unit.Kind.BUREAU, parent=hq)
            for i in range(4)
        ]
        supporters = []
        for i in range(60):
            user = User.objects.create(email=f"s{i}@bench.test", display_name=f"S{i}")
            Employee.objects.create(
                user=user,
                employee_number=f"B{i:05d}",
                first_name="S",
                last_name=str(i),
                employee_type="sworn",
                rank_title="Officer",
                unit=bureaus[i % 4],
            )
            SupporterProfile.objects.create(user=user, status=SupporterProfile.Status.ACTIVE)
            supporters.append(user.pk)
        resources = [
            Resource.objects.create(name=f"R {c}", category=c, description="x", phone="555 0100")
            for c in Category.values
        ]
    _insert_contacts(rng, supporters, [r.pk for r in resources], count, days=3 * 365)


def _insert_contacts(rng, supporters: list[int], resources: list[int], count: int, *, days: int):
    """``count`` contacts over the ``days`` days before this month, bulk-inserted."""
    from django.db import transaction
    from django.utils import timezone

    from peersupport.support.models import Contact
    from peersupport.tenancy import current_agency_id

    modes = [m for m, _ in Contact.Mode.choices]
    kinds = [k for k, _ in Contact.RequesterType.choices]
    topics = [t for t, _ in Contact.Topic.choices]
    first = timezone.localdate().replace(day=1) - timedelta(days=days)
    through = Contact.referrals.through
    agency_id = current_agency_id()
    batch = 20_000
    for start in range(0, count, batch):
        with transaction.atomic():
            rows = [
                Contact(
                    agency_id=agency_id,  # bulk_create skips save(), which would fill it
                    supporter_id=rng.choice(supporters),
                    date=first + timedelta(days=rng.randrange(days)),
                    duration_minutes=rng.randint(10, 120),
                    mode=rng.choice(modes),
                    requester_type=rng.choices(kinds, weights=[60, 20, 10, 5, 3, 2])[0],
                    topics=rng.sample(topics, rng.randint(1, 3)),
                    limits_explained=True,
                    notice_version="v1",
                    follow_up_planned=rng.random() < 0.33,
                )
                for _ in range(min(batch, count - start))
            ]
            Contact.objects.bulk_create(rows)
            through.objects.bulk_create(
                through(contact_id=c.pk, resource_id=rng.choice(resources))
                for c in rows
                if rng.random() < 0.2
            )


def _measure(engine: str, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from peersupport.reports import periods, report, selectors

    period = periods.latest_over(periods.QUARTER, timezone.localdate())
    dashboard, orm, raw, queries = [], [], [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as ctx:
            report.build(selectors.cube(), period, report.STAFF)
        dashboard.append(time.perf_counter() - started)
        queries = len(ctx.captured_queries)
        started = time.perf_counter()
        selectors.contacts()
        orm.append(time.perf_counter() - started)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(RAW[engine])
            cursor.fetchall()
        raw.append(time.perf_counter() - started)
    # The steady state. The first build noted the newest contact as the one to seal up to; a
    # build SEAL_AFTER (an hour) later adds every contact through it to the kept counts
    # (reports/sealed.py). The note is aged as that hour would age it, one build seals, a busy
    # day's contacts arrive, and then each build reads only the contacts after the sealed one.
    from peersupport.accounts.models import User
    from peersupport.reports import sealed
    from peersupport.reports.models import SealedCounts
    from peersupport.resources.models import Resource

    SealedCounts.objects.filter(population="contacts").update(
        candidate_at=timezone.now() - sealed.SEAL_AFTER - timedelta(minutes=1)
    )
    report.build(selectors.cube(), period, report.STAFF)
    supporters = list(
        User.objects.filter(email__endswith="@bench.test").values_list("pk", flat=True)
    )
    resources = list(Resource.objects.values_list("pk", flat=True))
    _insert_contacts(random.Random(10), supporters, resources, STEADY_NEW, days=28)
    steady = []
    for _ in range(repeat):
        started = time.perf_counter()
        report.build(selectors.cube(), period, report.STAFF)
        steady.append(time.perf_counter() - started)
    return {
        "steady_s": statistics.median(steady),
        "dashboard_s": statistics.median(dashboard),
        "orm_s": statistics.median(orm),
        "raw_s": statistics.median(raw),
        "queries": queries,
    }


if __name__ == "__main__":
    main()
