"""Checkpoints of the chain head outside the database: a rolled-back, truncated, replaced or
wiped audit log is named by verify_audit, whoever holds the database (issue 18).

Each test checkpoints to a file of its own (tests/audit/conftest.py). ``record`` checkpoints
after the commit, so the tests run the on-commit callbacks (``django_capture_on_commit_callbacks``
with ``execute=True``) as a committed write would.
"""

import hashlib
import hmac
import importlib
import json
import logging
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from peersupport.audit import checkpoints
from peersupport.audit.maintenance import audit_maintenance
from peersupport.audit.models import AuditAction, AuditChainHead, AuditEvent
from tests.servers import WebhookServer

from .helpers import drop_triggers, fill, verify

ROOT = Path(__file__).resolve().parents[2]
# The trigger function as it was before migration 0005 (any role could use the switch).
ANY_ROLE = importlib.import_module(
    "peersupport.audit.migrations.0005_maintenance_owner_only"
).ANY_ROLE


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Audited writes as committed ones: their checkpoints are written."""

    def write(n: int):
        with django_capture_on_commit_callbacks(execute=True):
            written = fill(n)
        checkpoints.flush()  # the writer thread's lines, as they are moments after the commits
        return written

    return write


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# --- normal operation ---------------------------------------------------------------------


@pytest.mark.django_db
def test_fresh_install_verifies_clean(checkpoint_file):
    out = verify()
    assert out.splitlines()[0] == "audit log intact: 0 entries verified"
    assert "no checkpoints yet" in out
    assert not checkpoint_file.exists()


@pytest.mark.django_db
def test_every_committed_write_is_checkpointed_signed_chained_private(committed, checkpoint_file):
    events = committed(3)
    lines = _lines(checkpoint_file)
    assert [(x["n"], x["seq"], x["mac"]) for x in lines] == [
        (i + 1, e.seq, e.mac) for i, e in enumerate(events)
    ]
    assert lines[0]["prev"] == "0" * 64
    assert [x["prev"] for x in lines[1:]] == [x["sig"] for x in lines[:-1]]
    for line in lines:
        assert line["sig"] == checkpoints.sign(line)
    assert stat.S_IMODE(checkpoint_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(checkpoint_file.parent.stat().st_mode) == 0o700
    out = verify()
    assert out.splitlines()[0] == "audit log intact: 3 entries verified"
    assert "checkpoints agree (the latest: #3)" in out


def _wait_for_lines(path: Path, n: int) -> list[dict]:
    """The file's lines once it has ``n``, read without ``flush`` (which would write them
    in this thread): what the writer thread wrote by itself."""
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and len(lines := _lines(path)) >= n:
            return lines
        time.sleep(0.01)
    raise AssertionError(f"the writer thread wrote no {n} lines in 10 s")


@pytest.mark.django_db
def test_the_request_does_not_wait_for_the_file_and_heads_handed_over_together_share_a_fsync(
    django_capture_on_commit_callbacks, checkpoint_file, monkeypatch
):
    """The commit's own thread never writes or fsyncs the checkpoint file: the process's writer
    thread does, moments later, and the heads handed over while it could not write (here: held
    by the lock it waits on) go out as their own lines, in order, under one fsync."""
    import threading

    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        synced.append(threading.get_ident())
        return real_fsync(fd)

    monkeypatch.setattr(checkpoints.os, "fsync", fsync)
    with checkpoints._cond:  # the writer cannot take anything until this is released
        with django_capture_on_commit_callbacks(execute=True):
            events = fill(3)
        assert not checkpoint_file.exists() and not synced  # handed over, nothing written
    lines = _wait_for_lines(checkpoint_file, 3)
    assert [(x["n"], x["seq"], x["mac"]) for x in lines] == [
        (i + 1, e.seq, e.mac) for i, e in enumerate(events)
    ]
    assert synced and threading.get_ident() not in synced
    # The file's three lines once (and, the first time, its new directory entry once).
    assert 1 <= len(synced) <= 2
    out = verify()
    assert "checkpoints agree (the latest: #3)" in out


@pytest.mark.django_db
def test_a_process_that_exits_writes_what_it_still_holds(checkpoint_file, tmp_path):
    """Heads handed over just before a normal exit are written on the way out (``atexit``)."""
    code = (
        "import django, os\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'peersupport.settings')\n"
        "django.setup()\n"
        "from peersupport.audit import checkpoints\n"
        # No writer thread in this process: only the exit can write them.
        "checkpoints._writer_pid = os.getpid()\n"
        "for seq in (1, 2):\n"
        "    checkpoints.after_commit(seq, f'{seq:064x}')\n"
        "assert not checkpoints.path().exists()\n"
    )
    env = {
        **os.environ,
        "PEERSUPPORT_ENV": "test",
        "AUDIT_CHECKPOINT_FILE": str(checkpoint_file),
        "PEERSUPPORT_VAR_DIR": str(tmp_path),
    }
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True, timeout=120)
    assert [(x["seq"], x["mac"]) for x in _lines(checkpoint_file)] == [
        (1, f"{1:064x}"),
        (2, f"{2:064x}"),
    ]


@pytest.mark.django_db
def test_a_write_that_rolls_back_checkpoints_nothing(committed, checkpoint_file):
    committed(2)
    with pytest.raises(RuntimeError), transaction.atomic():
        fill(1)
        raise RuntimeError("the change failed")
    assert [x["seq"] for x in _lines(checkpoint_file)] == [1, 2]
    assert "intact: 2 entries" in verify()


@pytest.mark.django_db
def test_the_key_is_derived_from_the_audit_key_or_its_own(settings):
    line = {"n": 1, "seq": 1, "mac": "m"}
    derived = checkpoints.sign(line)
    plain = hmac.new(
        settings.AUDIT_HMAC_KEY.encode(), checkpoints._canonical(line), hashlib.sha256
    ).hexdigest()
    assert derived != plain  # never the chain's own key
    settings.AUDIT_CHECKPOINT_KEY = "another-checkpoint-key-0123456789abcdef"
    assert checkpoints.sign(line) != derived


@pytest.mark.django_db
def test_an_older_head_committed_late_is_not_written_after_a_newer_one(checkpoint_file):
    checkpoint_file.parent.mkdir()
    checkpoint_file.touch()
    checkpoint_file.chmod(0o644)  # made loose by hand: tightened at the next checkpoint
    assert checkpoints.append(5, "e" * 64)["n"] == 1
    assert stat.S_IMODE(checkpoint_file.stat().st_mode) == 0o600
    assert checkpoints.append(4, "d" * 64) is None  # another writer's later commit came first
    assert checkpoints.append(6, "f" * 64)["n"] == 2
    assert [x["seq"] for x in _lines(checkpoint_file)] == [5, 6]


def test_writers_appending_at_once_keep_the_file_whole(checkpoint_file):
    """Every writer takes the file lock (one open file each, as separate processes have), so
    lines never interleave and the file's own chain holds."""
    import threading

    start = threading.Barrier(4)

    def writer(k: int) -> None:
        start.wait()
        for i in range(30):
            checkpoints.append(i * 4 + k + 1, f"{k:064x}")

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cps = checkpoints.read(checkpoint_file)
    assert not cps.damaged and not cps.torn_tail
    seqs = [line.seq for line in cps.lines]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 120


@pytest.mark.django_db
def test_a_checkpoint_that_cannot_be_written_never_blocks_the_write(
    settings, tmp_path, django_capture_on_commit_callbacks, caplog
):
    (tmp_path / "a-file").write_text("")
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "a-file" / "audit-checkpoints.log")
    with caplog.at_level(logging.ERROR, "peersupport.audit"):
        with django_capture_on_commit_callbacks(execute=True):
            event = fill(1)[0]
        checkpoints.flush()  # the writer thread's attempt (or this thread's) is over
    assert AuditEvent.objects.get(seq=1).mac == event.mac
    assert "audit checkpoint #1 not written" in caplog.text


# --- the attacks --------------------------------------------------------------------------


@pytest.mark.django_db
def test_entries_deleted_and_an_older_head_written_back_is_a_rollback(committed):
    """The DBA's rollback: delete the last entries, put back the head as it was at #3. The
    chain in the database is a good chain; only the checkpoints know it was longer."""
    committed(3)
    old_head = AuditChainHead.objects.values("seq", "last_mac", "head_mac").get()
    committed(3)
    drop_triggers()
    AuditEvent.objects.filter(seq__gt=3).delete()
    AuditChainHead.objects.update(**old_head)
    assert "intact: 3 entries" in verify("--no-checkpoints")  # what it said before
    with pytest.raises(CommandError, match=r"ROLLED BACK: the log ends at #3, .*recorded #6"):
        verify()


@pytest.mark.django_db
def test_every_entry_and_the_head_deleted_is_a_wipe(committed):
    committed(4)
    with audit_maintenance(connection):  # or dropped triggers: the same rows go
        AuditEvent.objects.all().delete()
    AuditChainHead.objects.all().delete()
    assert "intact: 0 entries" in verify("--no-checkpoints")  # what it said before
    with pytest.raises(CommandError, match=r"WIPED: the audit log is empty, but .* #4"):
        verify()


@pytest.mark.django_db
def test_a_wipe_followed_by_a_new_chain_is_named(committed, django_capture_on_commit_callbacks):
    """Wipe, then let the service write a new chain longer than the old one: the entries at
    the checkpointed numbers are not the ones checkpointed."""
    committed(3)
    with audit_maintenance(connection):
        AuditEvent.objects.all().delete()
    AuditChainHead.objects.all().delete()
    committed(5)  # later checkpoints of the new chain are skipped until it passes #3
    with pytest.raises(CommandError, match=r"ROLLED BACK: entry #1 is not the one"):
        verify()


@pytest.mark.django_db
def test_cut_from_the_end_without_fixing_the_head_names_both(committed):
    committed(5)
    drop_triggers()
    AuditEvent.objects.filter(seq__gte=4).delete()
    with pytest.raises(CommandError) as caught:
        verify()
    assert "removed from the end" in str(caught.value)
    assert "ROLLED BACK: the log ends at #3" in str(caught.value)


@pytest.mark.django_db
def test_a_line_removed_from_the_middle_of_the_file_is_named(committed, checkpoint_file):
    committed(4)
    lines = checkpoint_file.read_text().splitlines(keepends=True)
    checkpoint_file.write_text("".join(lines[:1] + lines[2:]))
    with pytest.raises(CommandError, match=r"checkpoint file .* is damaged: line 2"):
        verify()


@pytest.mark.django_db
def test_a_line_rewritten_without_the_key_is_named(committed, checkpoint_file):
    committed(3)
    lines = _lines(checkpoint_file)
    lines[-1]["seq"] = 2
    checkpoint_file.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with pytest.raises(CommandError, match=r"line 3 is not a checkpoint this key signed"):
        verify()


@pytest.mark.django_db
def test_a_line_cut_short_by_a_crash_is_ignored_then_replaced(committed, checkpoint_file):
    committed(2)
    with checkpoint_file.open("a") as f:
        f.write('{"n":3,"kind":"head","se')
    out = verify()
    assert "intact: 2 entries" in out and "cut short" in out
    committed(1)
    assert [x["n"] for x in _lines(checkpoint_file)] == [1, 2, 3]
    assert "cut short" not in verify()


# --- a restored backup --------------------------------------------------------------------


@pytest.mark.django_db
def test_a_restore_is_named_until_acknowledged_and_the_acknowledgement_is_audited(
    committed, checkpoint_file
):
    committed(3)
    backup = list(AuditEvent.objects.values())
    backup_head = AuditChainHead.objects.values().get()
    committed(4)
    # "Restore" the backup taken at #3.
    with audit_maintenance(connection):
        AuditEvent.objects.all().delete()
    AuditEvent.objects.bulk_create([AuditEvent(**row) for row in backup])
    AuditChainHead.objects.update(**backup_head)
    with pytest.raises(CommandError, match="ROLLED BACK"):
        verify()

    with pytest.raises(CommandError, match="reason"):
        call_command("acknowledge_restore", reason="ok")
    out = StringIO()
    reason = "restored last night's backup after the disk failed"
    call_command("acknowledge_restore", reason=reason, stdout=out)
    assert "the log was at #7 and now continues from #4" in out.getvalue()
    event = AuditEvent.objects.get(seq=4)
    assert event.action == AuditAction.AUDIT_RESTORE_ACKNOWLEDGED
    assert event.details == {"restored_to_seq": 3, "checkpointed_seq": 7}
    last = _lines(checkpoint_file)[-1]
    assert (last["kind"], last["seq"], last["mac"]) == ("restore", 4, event.mac)
    assert last["reason"] == reason

    out = verify()
    assert "intact: 4 entries" in out and "restore acknowledged at checkpoint line" in out
    committed(1)
    assert "checkpoints agree (the latest: #5)" in verify()
    # Nothing more to acknowledge.
    with pytest.raises(CommandError, match="nothing to acknowledge"):
        call_command("acknowledge_restore", reason="restored again, for no reason at all")


@pytest.mark.django_db
def test_acknowledging_refuses_a_chain_that_is_itself_broken(committed):
    committed(4)
    drop_triggers()
    AuditEvent.objects.filter(seq=2).update(outcome="denied")
    AuditEvent.objects.filter(seq=4).delete()
    with pytest.raises(CommandError, match="itself is broken"):
        call_command("acknowledge_restore", reason="restored last night's backup after a crash")


# --- copies elsewhere ---------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_checkpoint_sends_the_signed_line_by_mail_and_webhook(settings, committed):
    committed(2)
    with WebhookServer() as hook:
        settings.AUDIT_CHECKPOINT_EMAIL = ["audit-anchor@county.example"]
        settings.AUDIT_CHECKPOINT_WEBHOOK_URL = hook.url
        out = StringIO()
        call_command("audit_checkpoint", stdout=out)
    assert "#2" in out.getvalue() and "sent" in out.getvalue()
    (request,) = hook.requests
    assert request["json"]["seq"] == 2
    assert request["json"]["sig"] == checkpoints.sign(request["json"])
    expected = hmac.new(checkpoints._key(), request["body"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Peersupport-Signature"] == expected
    (message,) = mail.outbox
    assert message.to == ["audit-anchor@county.example"]
    assert request["body"].decode() in message.body


@pytest.mark.django_db
def test_a_remote_copy_that_fails_never_blocks_the_write(
    settings, django_capture_on_commit_callbacks, checkpoint_file
):
    from tests.servers import free_port

    settings.AUDIT_CHECKPOINT_WEBHOOK_URL = f"http://127.0.0.1:{free_port()}/nobody"
    settings.AUDIT_CHECKPOINT_REMOTE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        fill(1)
    checkpoints.flush()
    assert AuditEvent.objects.count() == 1 and len(_lines(checkpoint_file)) == 1
    with pytest.raises(CommandError, match="checkpoint not sent: webhook"):
        call_command("audit_checkpoint", stdout=StringIO())


@pytest.mark.django_db
def test_copies_name_a_rollback_hidden_by_truncating_the_file_too(
    committed, checkpoint_file, tmp_path
):
    """Someone with both the database and the application host rolls back the log and cuts
    the file's last lines to match: the file agrees, the copies sent away do not."""
    committed(3)
    old_head = AuditChainHead.objects.values("seq", "last_mac", "head_mac").get()
    committed(2)
    lines = checkpoint_file.read_text().splitlines(keepends=True)
    copies = tmp_path / "copies.jsonl"
    copies.write_text(lines[4] + lines[1])  # as the webhook kept them: some, in any order
    drop_triggers()
    AuditEvent.objects.filter(seq__gt=3).delete()
    AuditChainHead.objects.update(**old_head)
    checkpoint_file.write_text("".join(lines[:3]))
    assert "checkpoints agree (the latest: #3)" in verify()
    with pytest.raises(CommandError, match=r"ROLLED BACK: the log ends at #3, .*recorded #5"):
        verify("--copies", str(copies))
    forged = json.loads(lines[1])
    forged["seq"] = 1
    copies.write_text(json.dumps(forged) + "\n")
    with pytest.raises(CommandError, match="copy on line 1 is not a checkpoint this key signed"):
        verify("--copies", str(copies))
    with pytest.raises(CommandError, match="no such file"):
        verify("--copies", str(tmp_path / "none.jsonl"))


# --- the PostgreSQL switch ----------------------------------------------------------------


@pytest.mark.django_db
def test_postgres_maintenance_switch_is_the_table_owners_only():
    """A least-privilege application role (DML on every table, owns nothing) turns the switch
    on and still cannot delete; a non-superuser owner can. Roles are made in the test's
    transaction and disappear with it."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL roles")
    fill(2)
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE peersupport_test_app NOLOGIN")
        cursor.execute("CREATE ROLE peersupport_test_owner NOLOGIN")
        cursor.execute(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
            "TO peersupport_test_app, peersupport_test_owner"
        )
        cursor.execute("GRANT USAGE ON SCHEMA public TO peersupport_test_app")
        cursor.execute("SET ROLE peersupport_test_app")
        cursor.execute("SET peersupport.audit_maintenance = 'on'")
        for sql, refused in (
            ("DELETE FROM audit_auditevent WHERE seq = 2", "append-only"),
            ("UPDATE audit_auditevent SET outcome = 'denied'", "append-only"),
            ("TRUNCATE audit_auditevent", "permission denied"),  # not granted at all
            ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", "must be owner"),
            ("DROP TRIGGER audit_auditevent_no_change ON audit_auditevent", "must be owner"),
            (
                "CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$ BEGIN "
                "RETURN OLD; END $$ LANGUAGE plpgsql",
                "must be owner|permission denied",
            ),
        ):
            cursor.execute("SAVEPOINT attempt")
            with pytest.raises(DatabaseError, match=refused):
                cursor.execute(sql)
            cursor.execute("ROLLBACK TO SAVEPOINT attempt")
        cursor.execute("RESET ROLE")
        # Before migration 0005 (any role's switch) the same DELETE went through.
        cursor.execute("SAVEPOINT before_0005")
        cursor.execute(ANY_ROLE)
        cursor.execute("SET ROLE peersupport_test_app")
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 2")
        cursor.execute("RESET ROLE")
        cursor.execute("ROLLBACK TO SAVEPOINT before_0005")
        cursor.execute("ALTER TABLE audit_auditevent OWNER TO peersupport_test_owner")
        cursor.execute("SET ROLE peersupport_test_owner")
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 2")
        cursor.execute("RESET ROLE")
        cursor.execute("RESET peersupport.audit_maintenance")
    assert AuditEvent.objects.count() == 1


# --- the whole story, as an operator runs it ----------------------------------------------


def test_a_copied_back_database_file_is_named_then_acknowledged(tmp_path):
    """Processes of their own on an SQLite file: every write checkpoints; someone copies an
    older database file back (a rollback by whoever holds the disk, or a restore); verify_audit
    exits 1 naming it, acknowledge_restore records it, and verify_audit exits 0 again."""
    db = tmp_path / "live.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "PEERSUPPORT_ENV": "test",
        "DATABASE_URL": f"sqlite:///{db}",
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "var" / "audit-checkpoints.log"),
    }

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    writes = (
        "from peersupport.audit.services import record\n"
        "from peersupport.audit.models import AuditAction\n"
        "for i in range({n}): record(actor=None, action=AuditAction.UNIT_UPDATED, details={{}})\n"
    )
    assert manage("migrate", "-v0").returncode == 0
    assert manage("shell", "-c", writes.format(n=4)).returncode == 0
    copy = tmp_path / "copy.sqlite3"
    raw = sqlite3.connect(db)
    raw.execute(f"VACUUM INTO '{copy}'")
    raw.close()
    assert manage("shell", "-c", writes.format(n=3)).returncode == 0
    intact = manage("verify_audit")
    assert intact.returncode == 0, intact.stderr
    assert "7 entries verified" in intact.stdout and "latest: #7" in intact.stdout

    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(copy, db)
    rolled = manage("verify_audit")
    assert rolled.returncode == 1
    assert "ROLLED BACK: the log ends at #4" in rolled.stderr

    acked = manage("acknowledge_restore", "--reason", "rehearsal: restored the copy taken at #4")
    assert acked.returncode == 0, acked.stderr
    again = manage("verify_audit")
    assert again.returncode == 0, again.stderr
    assert "restore acknowledged" in again.stdout


@pytest.mark.parametrize(
    ("name", "value"),
    [("AUDIT_CHECKPOINT_KEY", "short"), ("AUDIT_CHECKPOINT_WEBHOOK_URL", "ftp://x/y")],
)
def test_bad_checkpoint_settings_fail_loudly(name, value):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDIT_CHECKPOINT")}
    env.update(DJANGO_SETTINGS_MODULE="peersupport.settings", PEERSUPPORT_ENV="test")
    env[name] = value
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0 and name in done.stderr
