"""How long the HR roster import takes (docs/hr-import.md): 2,000 and 20,000 rows.

For each size: a fresh database with the demo department of that size, its roster written out
as a CSV file (what the department's HR system would send), then changed as a month of HR
changes would (5 % promoted, 2 % moved, 1 % hired, 1 % missing from a full import). Timed:
reading the file, the dry run (the plan), the import, and the same import again (which must
change nothing). The plan's queries are counted too: they must not grow with the rows.

    .venv/bin/python bench/roster_import.py                      # SQLite, 2,000 and 20,000
    .venv/bin/python bench/roster_import.py --database-url postgres:///bench_roster

A PostgreSQL database named in --database-url is emptied first (its public schema dropped).
"""

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _setup(url: str) -> None:
    os.environ["PEERSUPPORT_ENV"] = "development"
    os.environ["DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peersupport.settings")
    import django

    django.setup()
    from peersupport.accounts.agencies import work_for_default_agency

    work_for_default_agency()  # every row this run writes is the default agency's


def _month_of_changes(rows):
    changed = list(rows)
    n = len(rows)
    for i in range(0, n, 20):
        changed[i] = dataclasses.replace(changed[i], rank_title="Sergeant")
    for i in range(7, n, 50):
        changed[i] = dataclasses.replace(changed[i], unit=rows[(i * 7919) % n].unit)
    new = [
        dataclasses.replace(rows[i], employee_number=f"NEW{i:06d}", work_email=f"new{i}@x.test")
        for i in range(3, n, 100)
    ]
    kept = [r for i, r in enumerate(changed) if i % 100 != 5]
    return kept + new


def run(size: int) -> dict:
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from demo.accounts import demo_department_load
    from peersupport.accounts.roster_sync import (
        parse_roster,
        roster_apply,
        roster_csv,
        roster_plan,
        roster_rows_on_record,
    )

    call_command("migrate", verbosity=0)
    demo_department_load(employees=size)
    data = roster_csv(_month_of_changes(roster_rows_on_record())).encode()
    result = {"rows": data.count(b"\n") - 1, "bytes": len(data)}
    started = time.perf_counter()
    rows, errors = parse_roster(data)
    result["parse"] = time.perf_counter() - started
    assert not errors, errors[:3]
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as ctx:
        plan = roster_plan(rows, full=True)
    result["plan"] = time.perf_counter() - started
    result["plan_queries"] = len(ctx.captured_queries)
    assert not plan.errors, plan.errors[:3]
    result["counts"] = plan.counts
    started = time.perf_counter()
    roster_apply(rows, actor=None, full=True)
    result["apply"] = time.perf_counter() - started
    started = time.perf_counter()
    again = roster_apply(rows, actor=None, full=True)
    result["again"] = time.perf_counter() - started
    assert again.changes_nothing, again.counts
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    size = int(os.environ.get("ROSTER_BENCH_SIZE", "0"))
    if size:  # one size in this process (a fresh Django for each)
        url = os.environ["DATABASE_URL"]
        if url.startswith("postgres"):
            import psycopg

            with psycopg.connect(url.replace("postgres:///", "dbname="), autocommit=True) as c:
                c.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        _setup(url)
        r = run(size)
        print(
            f"| {r['rows']:,} | {r['bytes'] / 1e6:.1f} MB | {r['parse']:.2f} | {r['plan']:.2f} "
            f"({r['plan_queries']} queries) | {r['apply']:.2f} | {r['again']:.2f} | "
            f"{r['counts']['added']:,} added, {r['counts']['changed']:,} changed, "
            f"{r['counts']['moved']:,} moved, {r['counts']['separated']:,} separated |"
        )
        return
    import subprocess

    print("| rows | file | parse s | dry run s | import s | again s | changes |")
    print("|---|---|---|---|---|---|---|")
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            url = args.database_url or f"sqlite:///{tmp}/bench.sqlite3"
            env = os.environ | {
                "ROSTER_BENCH_SIZE": str(size),
                "DATABASE_URL": url,
                "PEERSUPPORT_VAR_DIR": tmp,
                "PEERSUPPORT_ENV": "development",
            }
            out = subprocess.run(
                [sys.executable, __file__], env=env, capture_output=True, text=True, check=False
            )
            print(out.stdout.strip() or out.stderr[-2000:], flush=True)


if __name__ == "__main__":
    main()
