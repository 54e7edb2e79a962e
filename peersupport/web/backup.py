"""Encrypted, consistent online backups and their restore (``manage.py backup`` / ``restore``).

A backup is taken while the service runs: SQLite's online backup API copies a consistent
snapshot page by page; on PostgreSQL ``pg_dump`` reads one transaction snapshot. The copy is
compressed and encrypted with AES-256-GCM under BACKUP_KEY (32 random bytes, base64, from the
environment or BACKUP_KEY_FILE), streamed in chunks so a large database never sits in memory.

File format: a magic line ``PSBACKUP1``, one line of JSON metadata (engine, when, the row count
of every table, the audit chain head), then a 12-byte nonce, the ciphertext and the 16-byte GCM
tag. The metadata is authenticated as associated data: changing it breaks the tag. The metadata
holds no protected value (counts and the head's sequence number and MAC only).
"""

import base64
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.apps import apps
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from peersupport.audit.models import AuditChainHead, AuditEvent

MAGIC = b"PSBACKUP1\n"
CHUNK = 1 << 20
TAG_BYTES = 16


class BackupError(Exception):
    pass


def backup_key() -> bytes:
    raw = (os.environ.get("BACKUP_KEY") or "").strip()
    path = os.environ.get("BACKUP_KEY_FILE")
    if not raw and path:
        raw = Path(path).read_text().strip()
    if not raw:
        raise BackupError(
            "BACKUP_KEY (or BACKUP_KEY_FILE) must hold 32 random bytes in base64: make one with "
            "`python manage.py generate_key` and keep it apart from the backups."
        )
    try:
        key = base64.b64decode(raw.split(":", 1)[-1], validate=True)
    except ValueError as exc:
        raise BackupError("BACKUP_KEY is not valid base64.") from exc
    if len(key) != 32:
        raise BackupError("BACKUP_KEY must decode to 32 bytes (AES-256).")
    return key


def snapshot() -> dict:
    """Row counts of every table and the audit chain head, as recorded in the backup."""

    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            counts[model._meta.db_table] = model._base_manager.count()
    head = AuditChainHead.objects.filter(pk=1).values("seq", "last_mac").first() or {}
    return {"counts": counts, "audit_head": head}


def _engine() -> str:
    return "sqlite" if connection.vendor == "sqlite" else "postgresql"


def _pg_env(db: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER")):
        if db.get(key):
            env[var] = str(db[key])
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (PostgreSQL's client programs are needed).")
    return found


def _plain_copy(workdir: Path) -> Path:
    """A consistent copy of the live database, taken while it is in use."""
    db = settings.DATABASES["default"]
    if _engine() == "sqlite":
        target = workdir / "snapshot.sqlite3"
        source = sqlite3.connect(db["NAME"], timeout=30)
        dest = sqlite3.connect(target)
        try:
            source.backup(dest, pages=1024)
        finally:
            dest.close()
            source.close()
        return target
    target = workdir / "snapshot.pgdump"
    with target.open("wb") as out:
        done = subprocess.run(  # noqa: S603 (arguments from settings, not from a user)
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", db["NAME"]],
            stdout=out,
            stderr=subprocess.PIPE,
            env=_pg_env(db),
            check=False,
        )
    if done.returncode != 0:
        raise BackupError(f"pg_dump failed: {done.stderr.decode()[-500:]}")
    return target


def _private_open(path: Path):
    """``path`` opened for writing (made, or emptied), readable by its owner only (0600),
    whatever the process's umask: a backup or a restored database holds everything."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a file left over from an earlier attempt keeps its mode otherwise
    return os.fdopen(fd, "wb")


@dataclass
class Written:
    path: Path
    bytes: int
    meta: dict


def backup(path: Path) -> Written:
    key = backup_key()
    with tempfile.TemporaryDirectory(prefix="peersupport-backup-") as tmp:
        workdir = Path(tmp)
        # The counts are read just before the copy; rows written in between are in the copy but
        # not counted, so the restore check is "at least", per table.
        meta = {
            "engine": _engine(),
            "created": timezone.now().isoformat(),
            **snapshot(),
        }
        plain = _plain_copy(workdir)
        header = json.dumps(meta, sort_keys=True).encode()
        nonce = os.urandom(12)
        encryptor = Cipher(algorithms.AES(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(MAGIC + header)
        partial = path.with_name(path.name + ".partial")
        with _private_open(partial) as out:
            out.write(MAGIC + header + b"\n" + nonce)
            compressed = workdir / "snapshot.gz"
            with plain.open("rb") as src, gzip.open(compressed, "wb", compresslevel=6) as gz:
                shutil.copyfileobj(src, gz, CHUNK)
            with compressed.open("rb") as src:
                while chunk := src.read(CHUNK):
                    out.write(encryptor.update(chunk))
            out.write(encryptor.finalize() + encryptor.tag)
            out.flush()
            os.fsync(out.fileno())
        partial.replace(path)
    return Written(path=path, bytes=path.stat().st_size, meta=meta)


def read_meta(path: Path) -> dict:
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{path} is not a peersupport backup.")
        return json.loads(f.readline())


def _decrypt_to(path: Path, target: Path) -> dict:
    key = backup_key()
    size = path.stat().st_size
    with path.open("rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise BackupError(f"{path} is not a peersupport backup.")
        header_line = f.readline()
        header = header_line.rstrip(b"\n")
        nonce = f.read(12)
        body_start = f.tell()
        body_len = size - body_start - TAG_BYTES
        if body_len < 0:
            raise BackupError("The backup is truncated.")
        f.seek(size - TAG_BYTES)
        tag = f.read(TAG_BYTES)
        f.seek(body_start)
        decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, tag)).decryptor()
        decryptor.authenticate_additional_data(MAGIC + header)
        compressed = target.with_suffix(".gz")
        with compressed.open("wb") as out:
            remaining = body_len
            while remaining:
                chunk = f.read(min(CHUNK, remaining))
                if not chunk:
                    raise BackupError("The backup is truncated.")
                remaining -= len(chunk)
                out.write(decryptor.update(chunk))
            try:
                out.write(decryptor.finalize())
            except Exception as exc:  # cryptography's InvalidTag
                raise BackupError(
                    "The backup does not decrypt: wrong BACKUP_KEY, or the file was changed."
                ) from exc
    with gzip.open(compressed, "rb") as src, target.open("wb") as out:
        shutil.copyfileobj(src, out, CHUNK)
    compressed.unlink()
    return json.loads(header)


def restore(path: Path, *, replace: bool = False) -> dict:
    """Rebuild the configured database from a backup. Refuses a database that holds data
    unless ``replace``. Returns the backup's metadata."""
    meta = read_meta(path)
    if meta["engine"] != _engine():
        raise BackupError(
            f"This backup is of a {meta['engine']} database; DATABASE_URL is {_engine()}."
        )
    if not replace and _has_data():
        raise BackupError(
            "The target database already holds data: restore into an empty database, or pass "
            "--replace to overwrite it."
        )
    db = settings.DATABASES["default"]
    with tempfile.TemporaryDirectory(prefix="peersupport-restore-") as tmp:
        plain = Path(tmp) / "restored"
        meta = _decrypt_to(path, plain)
        connections.close_all()
        if meta["engine"] == "sqlite":
            check = sqlite3.connect(plain)
            try:
                if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                    raise BackupError("The backed-up SQLite database fails its integrity check.")
            finally:
                check.close()
            target = Path(db["NAME"])
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            staged = target.with_name(target.name + ".restoring")
            with plain.open("rb") as src, _private_open(staged) as out:
                shutil.copyfileobj(src, out, CHUNK)
            staged.replace(target)
        else:
            done = subprocess.run(  # noqa: S603 (arguments from settings and the backup's path)
                [
                    _tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--no-privileges",
                    "--single-transaction",
                    "--dbname",
                    db["NAME"],
                    str(plain),
                ],
                capture_output=True,
                env=_pg_env(db),
                check=False,
            )
            if done.returncode != 0:
                raise BackupError(f"pg_restore failed: {done.stderr.decode()[-800:]}")
    return meta


def _has_data() -> bool:
    from django.db.utils import DatabaseError

    try:
        return AuditEvent.objects.exists()
    except DatabaseError:
        return False  # no tables yet: a fresh, empty database


def compare(meta: dict) -> list[str]:
    """What differs between the restored database and the backup's metadata (empty: same)."""
    now = snapshot()
    problems = []
    for table, count in meta["counts"].items():
        restored = now["counts"].get(table)
        if restored is None:
            problems.append(f"{table}: missing")
        elif restored < count:
            problems.append(f"{table}: {restored} rows, the backup counted {count}")
    if meta.get("audit_head") and now["audit_head"].get("seq", 0) < meta["audit_head"]["seq"]:
        problems.append("the audit chain is shorter than when the backup was taken")
    return problems
