"""A copy of the database alone reveals nothing protected.

A separate process writes canary strings into every encrypted field of a real database (a
SQLite file with its write-ahead log, or a PostgreSQL database read back with pg_dump) and
searches the raw bytes. A plaintext control in an unprotected column proves the search finds
what is there; a deleted plaintext value must not linger in SQLite's files (secure_delete).
"""

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
WRITER = ROOT / "tests" / "canary_writer.py"


def _run(database_url: str) -> dict:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "PEERSUPPORT_ENV": "test",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, str(WRITER)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def _assert_nothing_leaks(report: dict) -> None:
    assert report["canaries"], "no encrypted field had rows to write canaries into"
    assert not report["empty_fields"], (
        f"encrypted fields without rows in the demo department, so untested: "
        f"{report['empty_fields']} (make the demo create some)"
    )
    for where, found in report["found_while_running"].items():
        leaked = [c for c in found if c != report["control"]]
        assert not leaked, f"protected values in plain text in {where}: {leaked}"
    # The search works: the unprotected control is found.
    assert any(report["control"] in found for found in report["found_while_running"].values())


def test_sqlite_file_and_wal_hold_no_protected_value(tmp_path):
    report = _run(f"sqlite:///{tmp_path / 'canary.sqlite3'}")
    _assert_nothing_leaks(report)
    assert report["deleted_before"]["db"] == ["DELETEDVALUEQZX"]  # control: it was there
    assert report["deleted_after"] == {"db": [], "wal": []}  # secure_delete wiped it


def test_postgres_dump_holds_no_protected_value():
    if connection.vendor != "postgresql":
        pytest.skip("runs when the suite runs on PostgreSQL")
    import psycopg

    name = f"canary_{uuid.uuid4().hex[:10]}"
    params = connection.settings_dict
    admin = psycopg.connect(
        dbname="postgres",
        host=params["HOST"] or None,
        port=params["PORT"] or None,
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        autocommit=True,
    )
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
        report = _run(f"{base}/{name}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    _assert_nothing_leaks(report)
