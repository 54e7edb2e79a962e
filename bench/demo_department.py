"""How long `manage.py demo_department` takes, next to baselines measured in the same run.

Each measurement gets a fresh database: a temporary SQLite file, and, when BENCH_DATABASE_URL
names a PostgreSQL server, a temporary database created there and dropped afterwards. Every
command runs in its own process, as `make run` runs it, so the figures include Python and Django
start-up; `manage.py check` on the same database measures that start-up alone.

    .venv/bin/python bench/demo_department.py [--sizes 2000,20000] [--repeat 3] [--no-write]

Writes a markdown table to stdout and to bench/RESULTS-demo.md (see bench/README.md).
"""

import argparse
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
RESULTS = Path(__file__).resolve().parent / "RESULTS-demo.md"


@dataclass
class Timing:
    engine: str
    employees: int
    migrate: float
    check: float
    load: float
    again: float  # the second, idempotent run
    units: int
    accounts: int
    db_bytes: int | None


def run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, str(MANAGE), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return seconds, proc.stdout


def environment(database_url: str, var_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PEERSUPPORT_ENV="development",
        DATABASE_URL=database_url,
        PEERSUPPORT_VAR_DIR=var_dir,
        # The development SECRET_KEY warning is expected here and only adds noise.
        PYTHONWARNINGS="ignore",
    )
    return env


def measure(engine: str, employees: int, database_url: str, var_dir: str) -> Timing:
    env = environment(database_url, var_dir)
    migrate, _ = run(["migrate", "--no-input", "-v", "0"], env)
    check, _ = run(["check"], env)
    load, out = run(["demo_department", "--employees", str(employees)], env)
    if f"{employees:,} employees" not in out or "Loaded" not in out:
        sys.exit(f"demo_department did not report loading {employees:,} employees:\n{out}")
    again, out_again = run(["demo_department", "--employees", str(employees)], env)
    if "nothing changed" not in out_again:
        sys.exit(f"the second demo_department run was not a no-op:\n{out_again}")
    units = int(re.search(r"([\d,]+) units", out).group(1).replace(",", ""))
    accounts = int(re.search(r"([\d,]+) accounts", out).group(1).replace(",", ""))
    db_bytes = None
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        db_bytes = sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    return Timing(engine, employees, migrate, check, load, again, units, accounts, db_bytes)


def sqlite_run(employees: int) -> Timing:
    with tempfile.TemporaryDirectory(prefix="peersupport-bench-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return measure("SQLite", employees, url, tmp)


def postgres_run(employees: int, server_url: str) -> Timing:
    """A fresh database on the server BENCH_DATABASE_URL names (its role needs CREATEDB)."""
    import psycopg

    name = f"peersupport_bench_{os.getpid()}_{employees}"
    parts = urlsplit(server_url)
    # Built by hand: urlunsplit drops the // of a socket URL with no host (postgres:///x).
    url = f"{parts.scheme}://{parts.netloc}/{name}"
    admin = f"postgresql://{parts.netloc}{parts.path}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="peersupport-bench-") as tmp:
            return measure("PostgreSQL", employees, url, tmp)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def median_timing(timings: list[Timing]) -> Timing:
    first = timings[0]
    return Timing(
        first.engine,
        first.employees,
        statistics.median(t.migrate for t in timings),
        statistics.median(t.check for t in timings),
        statistics.median(t.load for t in timings),
        statistics.median(t.again for t in timings),
        first.units,
        first.accounts,
        first.db_bytes,
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    memory = "unknown"
    try:
        info = Path("/proc/cpuinfo").read_text()
        model = re.search(r"^model name\s*:\s*(.+)$", info, re.MULTILINE)
        cpu = model.group(1).strip() if model else cpu
        meminfo = Path("/proc/meminfo").read_text()
        kib = int(re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE).group(1))
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, AttributeError):
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory} memory, {platform.system()} {platform.release()}"
    )


def versions(env: dict[str, str]) -> str:
    _, out = run(["shell", "-c", "import django; print(django.get_version())"], env)
    return (
        f"Python {platform.python_version()}, Django {out.strip().splitlines()[-1]}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def postgres_version(server_url: str) -> str:
    import psycopg

    parts = urlsplit(server_url)
    with psycopg.connect(f"postgresql://{parts.netloc}{parts.path}") as conn:
        return conn.execute("SHOW server_version").fetchone()[0].split()[0]


def report(timings: list[Timing], repeat: int, server: str) -> str:
    with tempfile.TemporaryDirectory(prefix="peersupport-bench-") as tmp:
        env = environment(f"sqlite:///{Path(tmp) / 'v.sqlite3'}", tmp)
        software = versions(env)
    if server:
        software += f", PostgreSQL {postgres_version(server)} (same machine)"
    lines = [
        "# Demo department benchmark",
        "",
        f"- date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- machine: {machine()}",
        f"- software: {software}",
        f"- command: `python bench/demo_department.py {' '.join(sys.argv[1:])}` "
        f"(median of {repeat} run{'s' if repeat > 1 else ''}, each on a fresh database)",
        "",
        "Every figure is the wall time of one `manage.py` process, start-up included. Baselines "
        "from the same run: `check` is Python and Django start-up alone, `migrate` builds the "
        "empty schema. *Net* is the load minus start-up (load − check).",
        "",
        "| database | employees | units | accounts | migrate (s) | check (s) "
        "| demo_department (s) | net (s) | employees/s (net) | × check | × migrate "
        "| second run (s) | size |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for t in timings:
        net = max(t.load - t.check, 1e-6)
        size = f"{t.db_bytes / 1024 / 1024:.1f} MiB" if t.db_bytes else "–"
        lines.append(
            f"| {t.engine} | {t.employees:,} | {t.units:,} | {t.accounts:,} | {t.migrate:.2f} "
            f"| {t.check:.2f} | **{t.load:.2f}** | {net:.2f} | {t.employees / net:,.0f} "
            f"| {t.load / t.check:.1f} | {t.load / t.migrate:.1f} | {t.again:.2f} | {size} |"
        )
    lines += [
        "",
        "*second run*: `demo_department` again on the loaded database, which must change nothing.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000", help="employee counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the median counts")
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS-demo.md")
    args = parser.parse_args()
    sizes = [int(size.replace("_", "")) for size in args.sizes.split(",")]
    server = os.environ.get("BENCH_DATABASE_URL", "")

    timings = []
    for employees in sizes:
        runs = [sqlite_run(employees) for _ in range(args.repeat)]
        timings.append(median_timing(runs))
        print(f"SQLite {employees:,}: {timings[-1].load:.2f} s", file=sys.stderr)
    if server:
        for employees in sizes:
            runs = [postgres_run(employees, server) for _ in range(args.repeat)]
            timings.append(median_timing(runs))
            print(f"PostgreSQL {employees:,}: {timings[-1].load:.2f} s", file=sys.stderr)

    text = report(timings, args.repeat, server)
    print(text)
    if not args.no_write:
        RESULTS.write_text(text)


if __name__ == "__main__":
    main()
