"""Checkpoints of the audit chain head, kept outside the database.

The HMAC chain shows a row changed or cut from the middle. It cannot show a chain that was
rolled back (the last rows deleted and an older head written back, or an older copy of the
database put in place) or wiped: an older chain is a perfectly good chain. The checkpoints can.

After every audited write commits, its ``seq`` and ``mac`` are appended to
``AUDIT_CHECKPOINT_FILE`` (by default ``var/audit-checkpoints.log``) by the process's writer
thread, moments later and without keeping the request waiting (below: one fsync for all the
commits handed over while it wrote the last): one JSON line each, written under an exclusive
file lock (several processes share the file), fsynced, the file 0600. Each
line is signed (HMAC-SHA256 under a key derived from ``AUDIT_HMAC_KEY``, or
``AUDIT_CHECKPOINT_KEY``) and names the signature of the line before it, so a line removed or
changed in the middle of the file breaks the file's own chain. ``verify_audit`` then names a
database whose chain ends before a checkpoint, differs at a checkpointed entry, or is empty
after a checkpoint was ever written.

``AUDIT_CHECKPOINT_EMAIL`` and ``AUDIT_CHECKPOINT_WEBHOOK_URL`` send a copy of a checkpoint to
somewhere the people who hold the database and the application host do not control (at most
every ``AUDIT_CHECKPOINT_REMOTE_SECONDS``, and from ``manage.py audit_checkpoint`` run by cron).

Writing a checkpoint never blocks or undoes a write: it runs after the commit, and a failure is
logged, never raised. A write whose checkpoint was lost (a crash between the commit and the
line) is still in the database; the next checkpoint covers it.

A restored backup is an intended rollback: ``manage.py acknowledge_restore`` records it as an
audit event and a signed ``restore`` line, after which the earlier checkpoints no longer count.
"""

import atexit
import fcntl
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .chain import GENESIS, _canonical

log = logging.getLogger("peersupport.audit")

HEAD = "head"
RESTORE = "restore"
_TAIL_BYTES = 8192


def path() -> Path | None:
    configured = getattr(settings, "AUDIT_CHECKPOINT_FILE", "")
    return Path(configured) if configured else None


def _key() -> bytes:
    own = getattr(settings, "AUDIT_CHECKPOINT_KEY", "")
    if own:
        return own.encode()
    # Derived, so that a checkpoint signature can never be taken for a row's MAC or vice versa.
    return hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), b"peersupport audit checkpoints v1", hashlib.sha256
    ).digest()


def sign(fields: dict) -> str:
    body = {k: v for k, v in fields.items() if k != "sig"}
    return hmac.new(_key(), _canonical(body), hashlib.sha256).hexdigest()


@dataclass
class Line:
    number: int  # 1-based line of the file
    fields: dict

    @property
    def seq(self) -> int:
        return self.fields["seq"]

    @property
    def mac(self) -> str:
        return self.fields["mac"]

    @property
    def kind(self) -> str:
        return self.fields["kind"]

    def describe(self) -> str:
        return f"checkpoint line {self.number} ({self.fields['at']})"


@dataclass
class Checkpoints:
    """What the file says: its lines, and the first thing wrong with the file itself."""

    path: Path | None
    exists: bool = False
    lines: list[Line] = field(default_factory=list)
    damaged: str = ""
    torn_tail: bool = False

    @property
    def current(self) -> list[Line]:
        """The lines that count: from the last acknowledged restore on."""
        for i in range(len(self.lines) - 1, -1, -1):
            if self.lines[i].kind == RESTORE:
                return self.lines[i:]
        return self.lines

    @property
    def last_restore(self) -> Line | None:
        current = self.current
        return current[0] if current and current[0].kind == RESTORE else None


def read(at: Path | None = None) -> Checkpoints:
    """Read and check the whole file: every line signed, numbered and chained to the one
    before it. A last line without its newline (a crash mid-write) is reported, not counted.
    What this process committed is written first (``flush``)."""
    flush()
    at = at or path()
    result = Checkpoints(path=at)
    if at is None or not at.exists():
        return result
    result.exists = True
    raw = at.read_bytes()
    if raw and not raw.endswith(b"\n"):
        result.torn_tail = True
        raw = raw[: raw.rfind(b"\n") + 1]
    prev = GENESIS
    for number, text in enumerate(raw.decode("utf-8", "replace").splitlines(), start=1):
        try:
            fields = json.loads(text)
            ok = (
                isinstance(fields, dict)
                and hmac.compare_digest(str(fields.get("sig", "")), sign(fields))
                and fields.get("n") == number
                and isinstance(fields.get("seq"), int)
                and isinstance(fields.get("mac"), str)
                and fields.get("kind") in (HEAD, RESTORE)
            )
        except ValueError:
            ok = False
        if not ok:
            result.damaged = f"line {number} is not a checkpoint this key signed"
            return result
        if not hmac.compare_digest(str(fields.get("prev", "")), prev):
            result.damaged = (
                f"line {number} does not follow line {number - 1}: lines were removed, "
                "reordered or added"
            )
            return result
        prev = fields["sig"]
        result.lines.append(Line(number, fields))
    return result


def read_copies(at: Path) -> Checkpoints:
    """Copies collected from the e-mail or the webhook, one JSON line each, in any order and
    with gaps (each copy is one line of the file, so they do not chain): every one must be
    signed; ordered by their line number, they count from the last ``restore`` among them."""
    result = Checkpoints(path=at, exists=at.exists())
    if not result.exists:
        result.damaged = "no such file"
        return result
    lines = []
    for number, text in enumerate(at.read_text("utf-8", "replace").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            fields = json.loads(text)
            ok = (
                isinstance(fields, dict)
                and hmac.compare_digest(str(fields.get("sig", "")), sign(fields))
                and isinstance(fields.get("n"), int)
                and isinstance(fields.get("seq"), int)
                and isinstance(fields.get("mac"), str)
                and fields.get("kind") in (HEAD, RESTORE)
            )
        except ValueError:
            ok = False
        if not ok:
            result.damaged = f"copy on line {number} is not a checkpoint this key signed"
            return result
        lines.append(Line(fields["n"], fields))
    result.lines = sorted(lines, key=lambda line: line.number)
    return result


def _tail(fd: int) -> tuple[int, int, str, int]:
    """(size to keep, last line number, last signature, last seq) read from the end of the
    file. A torn last line (no newline) is cut off."""
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return 0, 0, GENESIS, 0
    start = max(0, size - _TAIL_BYTES)
    data = os.pread(fd, size - start, start)
    keep = size
    if not data.endswith(b"\n"):
        cut = data.rfind(b"\n")
        keep = start + cut + 1
        data = data[: cut + 1]
        if cut < 0 and start == 0:
            return 0, 0, GENESIS, 0
    lines = data.rstrip(b"\n").split(b"\n")
    last = json.loads(lines[-1])
    return keep, last["n"], last["sig"], last["seq"]


def append(seq: int, mac: str, *, kind: str = HEAD, at: Path | None = None, **extra) -> dict | None:
    """Append a checkpoint of ``seq``/``mac`` (under the file lock, fsynced). A ``head`` line
    older than the file's last line is skipped (two writers committed out of order, or the
    database is behind the file: the later line already says more). Returns the line written,
    or None. ``at``: the file (default ``AUDIT_CHECKPOINT_FILE``)."""
    at = at or path()
    if at is None:
        return None
    written = _append_lines(at, [(kind, seq, mac, extra)])
    return written[0] if written else None


def _append_lines(at: Path, wanted: list[tuple[str, int, str, dict]]) -> list[dict]:
    """Append a line for each (kind, seq, mac, extra) in order, under one lock and one fsync;
    a ``head`` not after the file's last line is skipped. Returns the lines written."""
    at.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    created = not at.exists()
    fd = os.open(at, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    written = []
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        info = os.fstat(fd)
        if info.st_mode & 0o077 and info.st_uid == os.getuid():
            os.fchmod(fd, 0o600)  # an older, looser file of ours
        keep, number, prev, last_seq = _tail(fd)
        if keep < os.fstat(fd).st_size:
            os.ftruncate(fd, keep)
        for kind, seq, mac, extra in wanted:
            if kind == HEAD and number and seq <= last_seq:
                continue
            fields = {
                "n": number + 1,
                "kind": kind,
                "seq": seq,
                "mac": mac,
                "at": timezone.now().isoformat(timespec="seconds"),
                "prev": prev,
                **extra,
            }
            fields["sig"] = sign(fields)
            line = json.dumps(fields, sort_keys=True, separators=(",", ":")) + "\n"
            os.write(fd, line.encode())
            written.append(fields)
            number, prev, last_seq = number + 1, fields["sig"], max(last_seq, seq)
        if written:
            os.fsync(fd)
        if created:
            dir_fd = os.open(at.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        return written
    finally:
        os.close(fd)  # releases the lock


# --- written in the background, one fsync for many commits ---------------------------------
#
# ``record()`` hands each committed head to this process's writer thread and returns: the
# request that wrote it does not wait for a second fsync (the database's commit is the one that
# keeps the write), and under load the lines of every commit handed over while the last ones
# were being written share one fsync. What it gives up is bounded, and was already true of a
# crash between a commit and its line: heads handed over but not yet written when the process
# dies are covered by the next checkpoint (any later write, the kernel tick's, ``manage.py
# audit_checkpoint``). The process writes what it holds when it exits normally (``atexit``),
# and anything in this process that reads the file (``read``) writes it first.

_cond = threading.Condition()
_pending: dict[Path, list[tuple[int, str]]] = {}  # per file (tests change it), heads in order
# Held while heads are taken and written, so that the batches of one process reach the file in
# the order they were handed over (a later batch written first would make the earlier skipped).
_write_lock = threading.Lock()
_writer_pid = 0


def after_commit(seq: int, mac: str) -> None:
    """``record()``'s on-commit hook: hand the head it committed to the writer. Never raises
    and never waits for the file."""
    global _writer_pid
    try:
        at = path()
        if at is None:
            return
        with _cond:
            _pending.setdefault(at, []).append((seq, mac))
            if _writer_pid != os.getpid():
                _writer_pid = os.getpid()
                threading.Thread(target=_writer, name="audit-checkpoints", daemon=True).start()
            _cond.notify_all()
    except Exception:
        log.exception("audit checkpoint #%s not handed to the writer", seq)


def _take() -> list[tuple[Path, list[tuple[int, str]]]]:
    taken = list(_pending.items())
    _pending.clear()
    return taken


def _write(taken: list[tuple[Path, list[tuple[int, str]]]]) -> None:
    for at, heads in taken:
        try:
            # Commits may be handed over out of order (two threads): the file's lines rise.
            lines = _append_lines(at, [(HEAD, seq, mac, {}) for seq, mac in sorted(heads)])
        except Exception:
            log.exception("audit checkpoint #%s not written to %s", max(heads)[0], at)
            continue
        if lines and _remote_due():
            threading.Thread(target=send_remote, args=(lines[-1],), daemon=True).start()


def _writer() -> None:
    while True:
        with _cond:
            while not _pending:
                _cond.wait()
        _take_and_write()


def _take_and_write(timeout: float = -1) -> None:
    if not _write_lock.acquire(timeout=timeout):
        log.warning("audit checkpoints still being written after %s s", timeout)
        return
    try:
        with _cond:
            taken = _take()
        _write(taken)
    finally:
        _write_lock.release()


def flush(timeout: float = 10.0) -> None:
    """Write now, in this thread, every head this process still holds, after the writer's
    batch under way: what ``read``, the management commands and the tests see is then
    everything this process committed."""
    _take_and_write(timeout)


@atexit.register
def _at_exit() -> None:
    flush(timeout=5.0)


def _after_fork() -> None:
    # A child (a gunicorn worker forked after an audited write) starts its own writer; the
    # parent's locks may have been held at the fork.
    global _cond, _write_lock
    _cond = threading.Condition()
    _write_lock = threading.Lock()
    _pending.clear()


os.register_at_fork(after_in_child=_after_fork)


# --- copies somewhere else ------------------------------------------------------------------

_last_sent = 0.0
_sent_lock = threading.Lock()


def remote_configured() -> bool:
    return bool(
        getattr(settings, "AUDIT_CHECKPOINT_EMAIL", None)
        or getattr(settings, "AUDIT_CHECKPOINT_WEBHOOK_URL", "")
    )


def _remote_due() -> bool:
    """At most one remote copy per AUDIT_CHECKPOINT_REMOTE_SECONDS from this process."""
    global _last_sent
    if not remote_configured():
        return False
    with _sent_lock:
        now = time.monotonic()
        if _last_sent and now - _last_sent < settings.AUDIT_CHECKPOINT_REMOTE_SECONDS:
            return False
        _last_sent = now
        return True


def send_remote(line: dict) -> list[str]:
    """Send one signed checkpoint line by e-mail and/or to the webhook. Returns the failures
    (also logged); never raises. The line holds a sequence number, MACs and a time: nothing
    about anyone."""
    from django.core.mail import send_mail

    failures: list[str] = []
    body = json.dumps(line, sort_keys=True, separators=(",", ":"))
    recipients = list(getattr(settings, "AUDIT_CHECKPOINT_EMAIL", None) or [])
    if recipients:
        try:
            send_mail(
                f"Peer support audit checkpoint #{line['seq']}",
                "A checkpoint of the peer support audit log. Keep this message: "
                "`manage.py verify_audit` can be checked against it.\n\n" + body + "\n",
                None,
                recipients,
            )
        except Exception as exc:
            log.warning("audit checkpoint #%s not e-mailed: %s", line["seq"], exc)
            failures.append(f"e-mail: {exc}")
    url = getattr(settings, "AUDIT_CHECKPOINT_WEBHOOK_URL", "")
    if url:
        data = body.encode()
        request = urllib.request.Request(  # noqa: S310  (an operator-set https URL)
            url,
            data=data,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Peersupport-Signature": hmac.new(_key(), data, hashlib.sha256).hexdigest(),
            },
        )
        try:
            with urllib.request.urlopen(  # noqa: S310
                request, timeout=settings.AUDIT_CHECKPOINT_WEBHOOK_TIMEOUT_SECONDS
            ) as answer:
                if not 200 <= answer.status < 300:
                    raise OSError(f"HTTP {answer.status}")
        except Exception as exc:
            log.warning("audit checkpoint #%s not posted: %s", line["seq"], exc)
            failures.append(f"webhook: {exc}")
    return failures


# --- comparing the database with the checkpoints --------------------------------------------


@dataclass
class Comparison:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class MacsAt:
    """Passes the events through to ``chain.verify`` and keeps the MACs at the checkpointed
    sequence numbers on the way, so the log is read once."""

    def __init__(self, events, wanted: set[int]):
        self.events, self.wanted, self.macs = events, wanted, {}

    def __iter__(self):
        for event in self.events:
            if event.seq in self.wanted:
                self.macs[event.seq] = event.mac
            yield event


def compare(
    cps: Checkpoints, *, last_seq: int, macs: dict[int, str], read_to: int | None = None
) -> Comparison:
    """Name a wipe, a rollback or a replaced chain: ``last_seq`` is the last entry in the
    database, ``macs`` the database's MACs at the checkpointed sequence numbers up to
    ``read_to`` (where the chain walk stopped; all of them by default)."""
    read_to = last_seq if read_to is None else read_to
    result = Comparison()
    if cps.path is None:
        result.notes.append("no checkpoint file configured (AUDIT_CHECKPOINT_FILE)")
        return result
    if cps.damaged:
        result.problems.append(f"the checkpoint file {cps.path} is damaged: {cps.damaged}")
        return result
    if not cps.exists:
        result.notes.append(f"no checkpoints yet at {cps.path}")
        return result
    if cps.torn_tail:
        result.notes.append("the checkpoint file's last line was cut short (a crash); ignored")
    restore = cps.last_restore
    if restore is not None:
        result.notes.append(
            f"restore acknowledged at {restore.describe()}: the log was at "
            f"#{restore.fields.get('replaced_seq')} and continues from #{restore.seq}"
        )
    current = cps.current
    if not current:
        return result
    highest = max(current, key=lambda line: line.seq)
    if last_seq == 0 and highest.seq > 0:
        result.problems.append(
            f"WIPED: the audit log is empty, but {highest.describe()} recorded entry #{highest.seq}"
        )
        return result
    if last_seq < highest.seq:
        result.problems.append(
            f"ROLLED BACK: the log ends at #{last_seq}, but {highest.describe()} recorded "
            f"#{highest.seq}: entries #{last_seq + 1}-#{highest.seq} were cut from the end "
            "(truncated) or an older copy of the log was put back"
        )
    for line in current:
        if line.seq > min(last_seq, read_to):
            continue
        if not hmac.compare_digest(macs.get(line.seq, ""), line.mac):
            result.problems.append(
                f"ROLLED BACK: entry #{line.seq} is not the one {line.describe()} recorded: "
                f"the chain was replaced from #{line.seq} or earlier"
            )
            break
    if result.ok:
        result.notes.append(f"checkpoints agree (the latest: #{highest.seq})")
    return result
