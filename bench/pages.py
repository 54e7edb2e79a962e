"""Pages under load: gunicorn as `scripts/run` starts it, loaded by wrk from another process.

    .venv/bin/python bench/pages.py [--sizes demo,large] [--duration 10] [--no-write]
    BENCH_DATABASE_URL=postgres:///postgres .venv/bin/python bench/pages.py

For each engine and size, in its own process: a fresh database (a SQLite file, or a new
PostgreSQL database dropped afterwards) is migrated and loaded with the demo department
(`demo` size), or with 20,000 employees, 400 supporters and one million contacts over three
years (`large` size; the contacts are bulk-inserted here, the rest is the product's own demo
loader). Sessions for the employee, supporter and coordinator personas are made server-side.
Then gunicorn (bench/benchwsgi.py, which is the production application plus a bench-only
``/__bench_hello__``) and one `db_worker` start exactly as in scripts/run, and wrk loads each
page in turn. The baselines, in the same run and the same server: the minimal Django view
(no middleware) and /healthz (every middleware, one `SELECT 1`). Resident memory of each web
worker and of the background worker is read after the load. Writes bench/RESULTS-pages.md.
"""

import argparse
import base64
import json
import os
import platform
import random
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "RESULTS-pages.md"
VENV_BIN = Path(sys.executable).parent
# As scripts/run starts gunicorn (workers, access log) and the worker.
WEB_WORKERS = "2"
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
WORKER_INTERVAL = "0.25"
# The large department: 20,000 employees.
LARGE = {"employees": 20_000, "supporters": 400, "contacts": 1_000_000}
PERSONAS = {
    "employee": "employee@demo.peersupport.test",
    "supporter": "supporter@demo.peersupport.test",
    "coordinator": "coordinator@demo.peersupport.test",
}
# The wrong codename POSTed to the check page: seven words, so it is hashed and looked up.
WRONG_CODENAME = "correct horse battery staple mosaic lantern quiver"
sys.path.insert(0, str(ROOT))


def _database(tmp: Path, engine: str):
    if engine == "sqlite":
        return f"sqlite:///{tmp / 'bench.sqlite3'}", lambda: None
    name = f"peersupport_bench_pages_{secrets.token_hex(4)}"
    parts = urlsplit(os.environ["BENCH_DATABASE_URL"])
    url = parts._replace(path=f"/{name}").geturl()
    subprocess.run(["createdb", name], check=True)
    return url, lambda: subprocess.run(["dropdb", "--force", name], check=False)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="demo,large", help="demo, large or both")
    parser.add_argument("--duration", type=int, default=10, help="seconds of each wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--servers",
        type=int,
        default=1,
        help="web servers and workers side by side on the one database, each loaded by its own "
        "wrk (results go to RESULTS-pages-multi.md when more than one)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument(
        "--sweep-only",
        action="store_true",
        help="only the in-process sweep of every page (bench/sweep.py), no gunicorn or wrk",
    )
    parser.add_argument(
        "--engines",
        default=None,
        help="sqlite,postgresql (default: sqlite, and postgresql when BENCH_DATABASE_URL is set)",
    )
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--size", choices=["demo", "large"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.sweep_only and not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    load = {
        "duration": args.duration,
        "connections": args.connections,
        "threads": args.threads,
        "sweep_only": args.sweep_only,
        "servers": max(1, args.servers),
    }
    results_file = RESULTS if load["servers"] == 1 else BENCH / "RESULTS-pages-multi.md"
    if args.engine:
        # One engine and size, in its own process (Django is set up once per process).
        print("BENCH " + json.dumps(_run_engine(args.engine, args.size, load)))
        return
    engines = (
        args.engines.split(",")
        if args.engines
        else ["sqlite"] + (["postgresql"] if os.environ.get("BENCH_DATABASE_URL") else [])
    )
    sections = []
    for engine in engines:
        for size in args.sizes.split(","):
            started = time.time()
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--engine",
                    engine,
                    "--size",
                    size,
                    "--duration",
                    str(args.duration),
                    "--connections",
                    str(args.connections),
                    "--threads",
                    str(args.threads),
                    "--servers",
                    str(load["servers"]),
                    *(["--sweep-only"] if args.sweep_only else []),
                ],
                stdout=subprocess.PIPE,
                text=True,
                check=True,
            )
            line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("BENCH "))
            figures = json.loads(line.removeprefix("BENCH "))
            figures["wall_seconds"] = time.time() - started
            sections.append(_section(engine, size, figures))
            print(sections[-1], flush=True)
            if not args.no_write:
                # After each engine and size, so that an interrupted run keeps what it measured.
                results_file.write_text(_header(load) + "\n".join(sections) + _footer())


def _log(message: str) -> None:
    print(f"[pages {datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- One engine and size, in its own process -------------------------------------------------


def _run_engine(engine: str, size: str, load: dict) -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="peersupport-bench-pages-"))
    database_url, drop = _database(tmp, engine)
    os.environ.update(
        PEERSUPPORT_ENV="development",
        DJANGO_SETTINGS_MODULE="peersupport.settings",
        DATABASE_URL=database_url,
        PEERSUPPORT_VAR_DIR=str(tmp),
        SECRET_KEY=secrets.token_urlsafe(60),
        AUDIT_HMAC_KEY=secrets.token_urlsafe(40),
        ENCRYPTION_KEYS="b1:" + base64.b64encode(os.urandom(32)).decode(),
        EMAIL_URL="consolemail://",
        # The check page limits wrong codenames per client and for the whole site; the
        # benchmark sends thousands from one address, so it lifts both limits (otherwise it
        # would measure the 429 page).
        CODENAME_CHECKS_PER_MINUTE="100000000",
        CODENAME_CHECKS_PER_CLIENT="100000000",
        PYTHONWARNINGS="ignore",
    )
    manage = [sys.executable, str(ROOT / "manage.py")]
    quiet = {"check": True, "cwd": ROOT, "stdout": subprocess.DEVNULL}
    try:
        started = time.time()
        subprocess.run([*manage, "migrate", "--no-input", "-v", "0"], **quiet)
        subprocess.run([*manage, "collectstatic", "--no-input", "-v", "0"], **quiet)
        employees = LARGE["employees"] if size == "large" else None
        if size == "large":
            # The product's loader with more supporters than the command's default (40); the
            # command then finds the department loaded and adds the rest of the demo data
            # (every supporter's directory entry, resources, a year of support activity...).
            subprocess.run(
                [
                    *manage,
                    "shell",
                    "-c",
                    "from demo.accounts import demo_department_load; "
                    f"demo_department_load(employees={employees}, "
                    f"supporters={LARGE['supporters']})",
                ],
                **quiet,
            )
        command = [*manage, "demo_department"]
        if employees:
            command += ["--employees", str(employees)]
        subprocess.run(command, **quiet)
        import django

        django.setup()
        from peersupport.accounts.agencies import work_for_default_agency

        work_for_default_agency()  # what this run reads and writes is the default agency's
        contacts_seconds = 0.0
        if size == "large":
            before = time.time()
            _insert_contacts(LARGE["contacts"])
            contacts_seconds = time.time() - before
        data = _data_figures()
        # The worker builds the report figures after writes (reports/builds.py); build them
        # here, as the worker would have by the time anyone reads them.
        from peersupport.reports import builds

        builds.rebuild(force=True)
        sessions = _sessions()
        from django.db import connections

        connections.close_all()
        setup_seconds = time.time() - started
        _log(f"{engine}/{size}: data ready in {setup_seconds:.0f} s: {data}")
        figures = {} if load["sweep_only"] else _serve_and_load(tmp, sessions, load)
        # After the load, so that wrk measured the demo data untouched (the sweep makes the
        # objects its pages need through the authorization matrix).
        from bench import sweep

        figures["sweep"] = sweep.run(log=_log)
        figures.update(data=data, setup_seconds=setup_seconds)
        figures["contacts_seconds"] = contacts_seconds
        figures["database"] = _database_size(engine, tmp)
        return figures
    finally:
        from django.db import connections

        connections.close_all()
        drop()
        shutil.rmtree(tmp, ignore_errors=True)


def _insert_contacts(count: int) -> None:
    """One million de-identified contacts over three years, spread unevenly over the active
    supporters (some are much busier than others, as in any program), plus a follow-up for the
    third of them that planned one (done, except for the last few weeks). Raw bulk inserts: the
    product's own code is not what this measures."""
    from django.db import connection, transaction
    from django.utils import timezone

    from peersupport.governance.notice import current_notice
    from peersupport.roster.models import SupporterProfile
    from peersupport.support.models import Contact, FollowUp
    from peersupport.tenancy import current_agency_id

    rng = random.Random(11)  # noqa: S311  (repeatable bench data, not a secret)
    supporters = list(
        SupporterProfile.objects.filter(status=SupporterProfile.Status.ACTIVE)
        .order_by("pk")
        .values_list("user_id", flat=True)
    )
    weights = [rng.paretovariate(2.0) for _ in supporters]
    today = timezone.localdate()
    version = current_notice().version
    topics = list(Contact.Topic.values)
    modes = ["in_person"] * 4 + ["phone"] * 3 + ["video", "text"]
    types = ["sworn"] * 6 + ["civilian"] * 3 + ["corrections"] * 2 + ["family"] * 2
    types += ["retiree", "unknown"]
    durations = [10, 15, 20, 30, 30, 45, 60, 90]
    topic_sets = [
        json.dumps(sorted(set(rng.sample(topics, k=rng.choice([1, 1, 2, 3]))))) for _ in range(500)
    ]
    days = 3 * 365
    columns = [
        "supporter_id",
        "date",
        "duration_minutes",
        "mode",
        "requester_type",
        "topics",
        "limits_explained",
        "notice_version",
        "follow_up_planned",
        "created_at",
        "agency_id",
    ]
    agency_id = current_agency_id()
    table = Contact._meta.db_table
    batch = 50_000
    with transaction.atomic():
        first_id = (Contact.objects.order_by("-pk").values_list("pk", flat=True).first()) or 0
        for start in range(0, count, batch):
            chosen = rng.choices(supporters, weights=weights, k=min(batch, count - start))
            rows = []
            for supporter_id in chosen:
                day = today - timedelta(days=int(rng.triangular(0, days, 0)))
                at = datetime(day.year, day.month, day.day, rng.randint(7, 22), tzinfo=UTC)
                at += timedelta(minutes=rng.randint(0, 59))
                rows.append(
                    (
                        supporter_id,
                        day,
                        rng.choice(durations),
                        rng.choice(modes),
                        rng.choice(types),
                        rng.choice(topic_sets),
                        True,
                        version,
                        rng.random() < 0.35,
                        at,
                        agency_id,
                    )
                )
            _bulk_insert(connection, table, columns, rows)
        followups = FollowUp._meta.db_table
        if connection.vendor == "postgresql":
            due = "c.date + 7"
            done = f"CASE WHEN c.date + 7 < DATE '{today - timedelta(days=21)}' THEN c.created_at"
        else:
            due = "date(c.date, '+7 days')"
            done = (
                f"CASE WHEN date(c.date, '+7 days') < '{today - timedelta(days=21)}' "
                "THEN c.created_at"
            )
        with connection.cursor() as cursor:
            # Bench data only: the SQL is built from this function's own constants.
            cursor.execute(
                f"INSERT INTO {followups} "  # noqa: S608
                "(agency_id, supporter_id, contact_id, due, done_at, created_at) "
                f"SELECT c.agency_id, c.supporter_id, c.id, {due}, {done} ELSE NULL END, "
                "c.created_at "
                f"FROM {table} c WHERE c.follow_up_planned AND c.id > %s",
                [first_id],
            )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}; ANALYZE {followups}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def _bulk_insert(connection, table: str, columns: list[str], rows: list[tuple]) -> None:
    if connection.vendor == "postgresql":
        copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            [(*r[:5], r[5], int(r[6]), r[7], int(r[8]), r[9].isoformat(" "), r[10]) for r in rows],
        )


def _data_figures() -> dict:
    from peersupport.accounts.models import Employee
    from peersupport.roster.models import SupporterProfile
    from peersupport.support.models import Contact, FollowUp

    return {
        "employees": Employee.objects.count(),
        "supporters": SupporterProfile.objects.filter(
            status=SupporterProfile.Status.ACTIVE
        ).count(),
        "contacts": Contact.objects.count(),
        "followups": FollowUp.objects.count(),
    }


def _sessions() -> dict:
    """A signed-in session per persona, made as sign-in makes it (django.contrib.auth.login on
    a request with a database session), and CSRF cookie and token pairs for the POSTs. The MFA
    middleware asks only that the account has an authenticator, which the demo personas do."""
    from django.conf import settings
    from django.contrib.auth import login
    from django.middleware.csrf import get_token
    from django.test import RequestFactory
    from django.utils import timezone
    from django.utils.module_loading import import_string

    from peersupport.accounts.middleware import SESSION_STARTED_KEY
    from peersupport.accounts.models import User

    store = import_string(settings.SESSION_ENGINE + ".SessionStore")
    out = {}
    for name, email in [*PERSONAS.items(), ("anonymous", None)]:
        request = RequestFactory().get("/")
        request.session = store()
        cookies = []
        if email:
            user = User.objects.get(email=email)
            login(request, user, backend="allauth.account.auth_backends.AuthenticationBackend")
            request.session[SESSION_STARTED_KEY] = timezone.now().timestamp()
            request.session.save()
            cookies.append(f"{settings.SESSION_COOKIE_NAME}={request.session.session_key}")
        token = get_token(request)
        cookies.append(f"{settings.CSRF_COOKIE_NAME}={request.META['CSRF_COOKIE']}")
        out[name] = {"cookie": "; ".join(cookies), "csrf": token}
    from peersupport.governance.notice import current_notice

    out["notice_version"] = current_notice().version
    # A request the supporter holds, asked for and accepted as the matrix's tests make one.
    from tests.matrix.support_supporter import held_request

    out["held"] = held_request(User.objects.get(email=PERSONAS["supporter"])).pk
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _targets(sessions: dict) -> list[dict]:
    """What wrk loads, in order: the two baselines, then the pages measured."""
    from django.utils import timezone

    # The department's date: in UTC it is already tomorrow for some hours of the evening,
    # and a contact dated tomorrow is refused (400).
    today = timezone.localdate().isoformat()
    contact = {
        "date": today,
        "duration_minutes": "30",
        "mode": "phone",
        "requester_type": "sworn",
        "topics": "work_stress",
        "limits_explained": "on",
        "notice_version": sessions["notice_version"],
        "csrfmiddlewaretoken": sessions["supporter"]["csrf"],
    }
    check = {"codename": WRONG_CODENAME, "csrfmiddlewaretoken": sessions["anonymous"]["csrf"]}
    return [
        {"key": "hello", "label": "baseline: minimal Django view, no middleware",
         "path": "/__bench_hello__", "status": 200},
        {"key": "healthz", "label": "baseline: /healthz, every middleware",
         "path": "/healthz", "status": 200},
        {"key": "home", "label": "floor: signed-in home page (supporter)",
         "path": "/", "status": 200, "as": "supporter"},
        {"key": "directory", "label": "supporter directory (employee)",
         "path": "/supporters/", "status": 200, "as": "employee"},
        {"key": "inbox", "label": "supporter inbox (supporter)",
         "path": "/support/inbox/", "status": 200, "as": "supporter"},
        {"key": "held", "label": "a held request, who asked (supporter)",
         "path": f"/support/held/{sessions['held']}/", "status": 200, "as": "supporter"},
        {"key": "contact_form", "label": "log a contact, the form (supporter)",
         "path": "/support/contacts/new/", "status": 200, "as": "supporter"},
        {"key": "contact", "label": "log a contact, POST (supporter)",
         "path": "/support/contacts/new/", "status": 302, "as": "supporter", "post": contact},
        {"key": "check", "label": "codename check page (public)",
         "path": "/support/public/check/", "status": 200},
        {"key": "check_post", "label": "wrong codename, POST (public)",
         "path": "/support/public/check/", "status": 400, "as": "anonymous", "post": check},
        {"key": "overview", "label": "coordinator dashboard (coordinator)",
         "path": "/support/overview/", "status": 200, "as": "coordinator"},
    ]  # fmt: skip


def _serve_and_load(tmp: Path, sessions: dict, load: dict) -> dict:
    """Start ``load["servers"]`` gunicorns and as many workers on the one database, as a
    deployment for scale runs them, and load each page on all of them at once: one wrk per
    server, the connections shared out, the answers added up."""
    env = {**os.environ, "PYTHONPATH": str(BENCH)}
    webs, workers, bases = [], [], []
    for _ in range(load.get("servers", 1)):
        port = _free_port()
        bases.append(f"http://127.0.0.1:{port}")
        webs.append(
            subprocess.Popen(
                [
                    str(VENV_BIN / "gunicorn"),
                    "benchwsgi:application",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    WEB_WORKERS,
                    "--access-logfile",
                    "-",
                    "--access-logformat",
                    ACCESS_LOG_FORMAT,
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / "manage.py"),
                    "db_worker",
                    "--queue-name",
                    "*",
                    "--interval",
                    WORKER_INTERVAL,
                ],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        )
    try:
        for base in bases:
            _wait_for(base + "/healthz")
        results = {}
        for target in _targets(sessions):
            session = sessions.get(target.get("as"), {})
            for base in bases:
                _check_once(base, target, session)
            script = _lua(tmp, target, session)
            urls = [base + target["path"] for base in bases]
            _wrk_all(urls, script, load, seconds=2)  # warm-up, not counted
            results[target["key"]] = {"label": target["label"]} | _wrk_all(
                urls, script, load, seconds=load["duration"]
            )
            _log(f"{target['key']}: {results[target['key']]}")
            for base in bases:
                _drain(base)
        memory = {
            "web": [_rss(pid) for web in webs for pid in _children(web.pid)],
            "master": [_rss(web.pid) for web in webs],
            "worker": [_rss(worker.pid) for worker in workers],
        }
        return {"pages": results, "memory": memory}
    finally:
        for process in (*webs, *workers):
            process.terminate()
        for process in (*webs, *workers):
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(url: str) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:  # refused while starting, or slow to answer on a busy machine
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz within 60 s")


def _drain(base: str) -> None:
    """Let the server finish what wrk left queued when it stopped (slow pages leave up to one
    request per connection), so that the next page is not measured behind them: sync workers
    take connections in turn, so a few sequential answers mean the queue is empty."""
    for _ in range(2 * int(WEB_WORKERS)):
        with urllib.request.urlopen(base + "/__bench_hello__", timeout=120) as response:  # noqa: S310
            response.read()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _check_once(base: str, target: dict, session: dict) -> None:
    """One request before the load: the page must answer as expected (a redirect to sign in
    or a 403 would be fast, and meaningless)."""
    body = urlencode(target["post"], doseq=True).encode() if "post" in target else None
    request = urllib.request.Request(base + target["path"], data=body)  # noqa: S310
    if session:
        request.add_header("Cookie", session["cookie"])
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            status, location = response.status, response.headers.get("Location", "")
    except urllib.error.HTTPError as exc:
        status, location = exc.code, exc.headers.get("Location", "")
    if status != target["status"] or (status == 302 and "login" in location):
        raise SystemExit(
            f"{target['path']} answered {status} {location}, expected {target['status']}"
        )


def _lua(tmp: Path, target: dict, session: dict) -> Path:
    """A wrk script: the method, body and cookie of the target, and a count of answers with
    another status than the expected one (wrk itself counts only 4xx/5xx)."""
    lines = []
    if "post" in target:
        body = urlencode(target["post"], doseq=True)
        lines += [
            'wrk.method = "POST"',
            f"wrk.body = {json.dumps(body)}",
            'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"',
        ]
    if session:
        lines.append(f'wrk.headers["Cookie"] = {json.dumps(session["cookie"])}')
    lines += [
        "local threads = {}",
        "function setup(thread) table.insert(threads, thread) end",
        "function init(args) unexpected = 0 end",
        "function response(status, headers, body)",
        f"  if status ~= {target['status']} then unexpected = unexpected + 1 end",
        "end",
        "function done(summary, latency, requests)",
        "  local unexpected = 0",
        '  for _, t in ipairs(threads) do unexpected = unexpected + t:get("unexpected") end',
        "  local e = summary.errors",
        '  io.write(string.format(\'BENCH {"requests": %d, "duration_us": %d, '
        '"p50_us": %d, "p99_us": %d, "unexpected": %d, "socket_errors": %d}\\n\', '
        "summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), "
        "unexpected, e.connect + e.read + e.write + e.timeout))",
        "end",
    ]
    path = tmp / f"{target['key']}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def _wrk(url: str, script: Path, load: dict, *, seconds: int) -> dict:
    return _wrk_all([url], script, load, seconds=seconds)


def _wrk_all(urls: list[str], script: Path, load: dict, *, seconds: int) -> dict:
    """Load every URL at once, one wrk each, the connections shared out among them. The
    answers are added up; p50 is the mean of the wrks' (weighted by answers), p99 the worst."""
    share = max(1, load["connections"] // len(urls))
    threads = max(1, min(load["threads"], share))
    runs = [
        subprocess.Popen(
            [
                "wrk",
                "--threads",
                str(threads),
                "--connections",
                str(share),
                "--duration",
                f"{seconds}s",
                "--timeout",
                "30s",
                "--script",
                str(script),
                url,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for url in urls
    ]
    raws = []
    for run in runs:
        out, err = run.communicate()
        if run.returncode:
            raise SystemExit(f"wrk failed: {err[-500:]}")
        line = next(x for x in out.splitlines() if x.startswith("BENCH "))
        raws.append(json.loads(line.removeprefix("BENCH ")))
    requests = sum(r["requests"] for r in raws)
    return {
        "requests": requests,
        "rps": sum(r["requests"] / (r["duration_us"] / 1e6) for r in raws),
        "p50_ms": sum(r["p50_us"] * r["requests"] for r in raws) / max(1, requests) / 1000,
        "p99_ms": max(r["p99_us"] for r in raws) / 1000,
        "unexpected": sum(r["unexpected"] for r in raws),
        "socket_errors": sum(r["socket_errors"] for r in raws),
    }


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line
            )
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return sorted(found)


def _rss(pid: int) -> float:
    """Resident memory in MiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _database_size(engine: str, tmp: Path) -> str:
    if engine == "sqlite":
        size = sum(p.stat().st_size for p in tmp.glob("bench.sqlite3*"))
        return f"{size / 2**20:.0f} MiB"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_database_size(current_database())")
        return f"{cursor.fetchone()[0] / 2**20:.0f} MiB"


# --- The report ---------------------------------------------------------------------------------


def _header(load: dict) -> str:
    return "\n".join(
        [
            "# Pages under load",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `bench/pages.py` on "
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
            + (
                f"gunicorn as `scripts/run` starts it ({WEB_WORKERS} sync workers, access log on), "
                "plus one `db_worker`; loaded by wrk on 127.0.0.1 from another process "
                if load.get("servers", 1) == 1
                else f"{load['servers']} gunicorns as `scripts/run` starts one ({WEB_WORKERS} "
                f"sync workers each, access log on) and {load['servers']} `db_worker`s side by "
                "side on the one database, as a deployment for scale runs them "
                "(docs/operations.md); each page loaded on all the servers at once, one wrk "
                "each on 127.0.0.1 sharing the connections out, the answers added up "
            )
            + f"({load['threads']} threads, {load['connections']} connections, "
            f"{load['duration']} s per page after a 2 s warm-up). `PEERSUPPORT_ENV=development` "
            "(plain HTTP on 127.0.0.1, as `make run`; production adds only HTTPS headers), and "
            "`CODENAME_CHECKS_PER_MINUTE` and `CODENAME_CHECKS_PER_CLIENT` lifted so that the "
            "wrong-codename POST measures the check, not the rate limit's 429.",
            "",
            "Ratios are to the baselines measured in the same run by the same server: *hello* "
            "is a minimal Django `HttpResponse` answered before any middleware "
            "(bench/benchwsgi.py), *healthz* is `/healthz` through every middleware. The *floor* "
            "is the home page of a signed-in supporter: what every signed-in page pays (the "
            "session, the account and its roles, the navigation, the escalation banner's check) "
            "with almost nothing of its own. Absolute "
            "figures depend on the machine and on what else runs on it; the ratios are what "
            "carries over.",
            "",
            "",
        ]
    )


def _section(engine: str, size: str, f: dict) -> str:
    from bench import sweep

    pages = f.get("pages")
    d = f["data"]
    name = "SQLite" if engine == "sqlite" else "PostgreSQL"
    lines = [
        f"## {name}, {'demo department' if size == 'demo' else 'large department'}",
        "",
        f"{d['employees']:,} employees, {d['supporters']:,} active supporters, "
        f"{d['contacts']:,} contacts, {d['followups']:,} follow-ups; database "
        f"{f['database']}. Set-up {f['setup_seconds']:.0f} s"
        + (
            f" (of which the contacts' bulk insert {f['contacts_seconds']:.0f} s)"
            if f["contacts_seconds"]
            else ""
        )
        + f", whole run {f.get('wall_seconds', 0):.0f} s.",
        "",
    ]
    if pages:
        lines += _load_table(f)
    lines += [sweep.section(f["sweep"])]
    return "\n".join(lines)


def _load_table(f: dict) -> list[str]:
    pages = f["pages"]
    hello, healthz = pages["hello"], pages["healthz"]
    lines = [
        "| page | requests | req/s | p50 | p99 | req/s ÷ hello | req/s ÷ healthz "
        "| p50 ÷ hello | p99 ÷ hello | not as expected |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for page in pages.values():
        odd = page["unexpected"] + page["socket_errors"]
        lines.append(
            f"| {page['label']} | {page['requests']:,} | {page['rps']:.0f} | "
            f"{page['p50_ms']:.1f} ms | {page['p99_ms']:.1f} ms | "
            f"{page['rps'] / hello['rps']:.2f} | {page['rps'] / healthz['rps']:.2f} | "
            f"{page['p50_ms'] / hello['p50_ms']:.1f}x | {page['p99_ms'] / hello['p99_ms']:.1f}x | "
            f"{odd} |"
        )
    memory = f["memory"]

    def mib(values) -> str:
        values = values if isinstance(values, list) else [values]
        return ", ".join(f"{m:.0f}" for m in values)

    lines += [
        "",
        f"Resident memory after the load (VmRSS): web workers {mib(memory['web'])} MiB; gunicorn "
        f"master {mib(memory['master'])} MiB; background worker (`db_worker`) "
        f"{mib(memory['worker'])} MiB.",
        "",
    ]
    return lines


def _footer() -> str:
    return (
        "\n*not as expected*: answers with another status than the page's normal one (200; 302 "
        "after logging a contact; 400 for a wrong codename) plus socket errors; it should be 0. "
        "What bounds each page is in bench/README.md.\n"
    )


if __name__ == "__main__":
    main()
