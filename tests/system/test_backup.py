"""Backups taken while the service writes, encrypted, restored into a clean database with the
same rows and the same audit chain; a wrong key, a changed file or a non-empty target refused.

Each step is its own process against its own databases (SQLite files, or fresh PostgreSQL
databases when the suite runs on PostgreSQL), as an operator would run them.
"""

import base64
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KEY = base64.b64encode(b"k" * 32).decode()

COUNTS = """
import json
from peersupport.web.backup import snapshot
print(json.dumps(snapshot()))
"""
WRITER = """
import time
from peersupport.audit.models import AuditAction
from peersupport.audit.services import record
end = time.monotonic() + 4
n = 0
while time.monotonic() < end:
    record(actor=None, action=AuditAction.UNIT_UPDATED, details={"n": n})
    n += 1
print(n)
"""


@pytest.fixture
def databases(tmp_path):
    """Two database URLs: the live one and an empty one to restore into."""
    outer = os.environ.get("DATABASE_URL", "")
    if outer.startswith("postgres"):
        names = [f"peersupport_backup_{uuid.uuid4().hex[:8]}" for _ in range(2)]
        for name in names:
            subprocess.run(["createdb", name], check=True)
        yield [f"postgres:///{name}" for name in names]
        for name in names:
            subprocess.run(["dropdb", "--if-exists", "--force", name], check=False)
    else:
        yield [f"sqlite:///{tmp_path / 'live.sqlite3'}", f"sqlite:///{tmp_path / 'new.sqlite3'}"]


def _env(database: str, *, key: str = KEY) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "BACKUP_KEY")}
    env.update(PEERSUPPORT_ENV="test", DATABASE_URL=database, BACKUP_KEY=key)
    return env


def _manage(env, *args, check=True):
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check:
        assert done.returncode == 0, done.stderr[-3000:]
    return done


def _snapshot(env) -> dict:
    out = _manage(env, "shell", "-c", COUNTS).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_backup_while_writing_then_restore_into_a_clean_database(databases, tmp_path):
    live, fresh = (_env(url) for url in databases)
    _manage(live, "migrate", "--no-input", "-v", "0")
    _manage(live, "demo_department", "--employees", "100")
    path = tmp_path / "peersupport.backup"

    # The service keeps writing (audit events, the busiest table) while the backup runs.
    writer = subprocess.Popen(
        [sys.executable, "manage.py", "shell", "-c", WRITER],
        cwd=ROOT,
        env=live,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        done = _manage(live, "backup", str(path))
    finally:
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err[-2000:]
    assert int(out.strip().splitlines()[-1]) > 0
    assert "backup written to" in done.stdout

    raw = path.read_bytes()
    # Encrypted: nothing of the data in clear (the demo's persona e-mails are in every backup).
    assert b"demo.peersupport.test" not in raw and b"CREATE TABLE" not in raw
    meta = json.loads(raw.split(b"\n", 2)[1])
    assert meta["counts"]["accounts_employee"] >= 100

    restored = _manage(fresh, "restore", str(path))
    assert "audit log intact" in restored.stdout
    after = _snapshot(fresh)
    for table, count in meta["counts"].items():
        assert after["counts"][table] >= count, table
    assert after["audit_head"]["seq"] >= meta["audit_head"]["seq"]
    # The restored audit chain verifies on its own.
    assert "audit log intact" in _manage(fresh, "verify_audit").stdout

    # Restoring over a database that holds data needs --replace.
    again = _manage(fresh, "restore", str(path), check=False)
    assert again.returncode != 0 and "already holds data" in again.stderr
    assert _manage(fresh, "restore", str(path), "--replace").returncode == 0


def test_a_wrong_key_or_a_changed_file_is_refused(databases, tmp_path):
    live, fresh = (_env(url) for url in databases)
    _manage(live, "migrate", "--no-input", "-v", "0")
    path = tmp_path / "b.backup"
    _manage(live, "backup", str(path))
    other_key = base64.b64encode(b"x" * 32).decode()
    wrong = _manage(_env(databases[1], key=other_key), "restore", str(path), check=False)
    assert wrong.returncode != 0 and "does not decrypt" in wrong.stderr
    changed = tmp_path / "changed.backup"
    data = bytearray(path.read_bytes())
    data[-40] ^= 1
    changed.write_bytes(bytes(data))
    broken = _manage(fresh, "restore", str(changed), check=False)
    assert broken.returncode != 0 and "does not decrypt" in broken.stderr
    no_key = _manage(_env(databases[0], key=""), "backup", str(path), check=False)
    assert no_key.returncode != 0 and "BACKUP_KEY" in no_key.stderr


PERMISSIONS = """
import os, stat, sys
from django.conf import settings
from django.db import connection
name = settings.DATABASES["default"]["NAME"]
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS t (x text)")
    cursor.execute("INSERT INTO t VALUES ('a')")
    # Open: the -wal and -shm files exist until the last connection closes.
    for path in (name, name + "-wal", name + "-shm", os.path.dirname(name)):
        print(path, oct(stat.S_IMODE(os.stat(path).st_mode)))
"""


def _loose_umask():
    os.umask(0o022)  # what a shell usually gives: files 0644, directories 0755


def _modes(out: str) -> dict[str, str]:
    return dict(line.rsplit(" ", 1) for line in out.strip().splitlines() if " 0o" in line)


def test_a_new_sqlite_database_is_readable_by_its_owner_only(tmp_path):
    """Under a shell's usual umask (022), the database, its -wal and -shm and the folder the
    process makes for them are still not readable by the group or others."""
    name = tmp_path / "var" / "new" / "peersupport.sqlite3"
    env = _env(f"sqlite:///{name}")
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PERMISSIONS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_loose_umask,  # noqa: PLW1509 (a test's child process, no threads involved)
    )
    assert done.returncode == 0, done.stderr[-3000:]
    modes = _modes(done.stdout)
    assert modes == {
        str(name): "0o600",
        f"{name}-wal": "0o600",
        f"{name}-shm": "0o600",
        str(name.parent): "0o700",
    }


def test_backups_and_restored_databases_are_readable_by_their_owner_only(databases, tmp_path):
    live, fresh = (_env(url) for url in databases)
    _manage(live, "migrate", "--no-input", "-v", "0")
    path = tmp_path / "owner-only.backup"
    done = subprocess.run(
        [sys.executable, "manage.py", "backup", str(path)],
        cwd=ROOT,
        env=live,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_loose_umask,  # noqa: PLW1509
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    if databases[1].startswith("sqlite"):
        restored = subprocess.run(
            [sys.executable, "manage.py", "restore", str(path)],
            cwd=ROOT,
            env=fresh,
            capture_output=True,
            text=True,
            timeout=600,
            preexec_fn=_loose_umask,  # noqa: PLW1509
        )
        assert restored.returncode == 0, restored.stderr[-3000:]
        target = Path(databases[1].removeprefix("sqlite:///"))
        assert oct(target.stat().st_mode & 0o777) == "0o600"
