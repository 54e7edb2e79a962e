"""The audit log is append-only and tamper-evident, on SQLite and on PostgreSQL."""

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction

from peersupport.audit.maintenance import audit_maintenance
from peersupport.audit.models import AuditAction, AuditChainHead, AuditEvent
from peersupport.audit.services import record

from .helpers import drop_triggers, fill, verify

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_events_form_a_chain():
    events = fill(5)
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert events[0].prev_mac == "0" * 64
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_mac == before.mac
    head = AuditChainHead.objects.get()
    assert (head.seq, head.last_mac) == (5, events[-1].mac)
    assert verify().splitlines()[0] == "audit log intact: 5 entries verified"


@pytest.mark.django_db
def test_details_round_trip_through_the_database():
    from datetime import date

    record(actor=None, action=AuditAction.ROLE_GRANTED, details={"until": date(2030, 1, 2)})
    assert "1 entries verified" in verify()


@pytest.mark.django_db
def test_rows_before_agencies_and_rows_of_an_agency_verify_together():
    """Issue 23: an event takes the current agency, and the MAC covers it only when set, so the
    rows written before agencies (none) keep their MACs and verify with the ones after."""
    from peersupport.accounts.agencies import default_agency_id
    from peersupport.audit.chain import event_mac
    from peersupport.tenancy import all_agencies, using_agency

    with all_agencies("a row as written before agencies"):
        (before,) = fill(1)
    (after,) = fill(1)  # tests/conftest.py works for the default agency
    with using_agency(default_agency_id()):
        named = record(actor=None, action=AuditAction.UNIT_UPDATED, agency_id=7)
    assert [before.agency_id, after.agency_id, named.agency_id] == [None, default_agency_id(), 7]
    assert AuditEvent.objects.get(seq=1).agency_id is None
    # A row without an agency has the MAC it had before the column existed.
    assert before.mac == event_mac(before, prev_mac=before.prev_mac)
    after.agency_id = None
    assert event_mac(after, prev_mac=after.prev_mac) != AuditEvent.objects.get(seq=2).mac
    assert verify().splitlines()[0] == "audit log intact: 3 entries verified"


@pytest.mark.django_db
def test_an_event_moved_to_another_agency_breaks_the_chain():
    fill(3)
    drop_triggers()
    AuditEvent.objects.filter(seq=2).update(agency_id=12345)
    with pytest.raises(CommandError, match=r"first broken entry: #2 .*altered"):
        verify()


@pytest.mark.django_db
def test_database_refuses_update_and_delete():
    fill(2)
    for sql in (
        "UPDATE audit_auditevent SET action = 'x'",
        "DELETE FROM audit_auditevent",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    # Through the ORM too.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(outcome="denied")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).delete()
    assert AuditEvent.objects.count() == 2


@pytest.mark.django_db
def test_postgres_refuses_truncate():
    if connection.vendor != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    fill(1)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("TRUNCATE audit_auditevent")


@pytest.mark.django_db
def test_altered_row_is_named():
    fill(6)
    drop_triggers()
    AuditEvent.objects.filter(seq=4).update(outcome="denied")
    with pytest.raises(CommandError, match=r"first broken entry: #4 .*altered"):
        verify()


@pytest.mark.django_db
def test_altered_row_with_recomputed_mac_without_the_key_is_named():
    fill(4)
    drop_triggers()
    # The attacker can recompute a plain hash, not the HMAC without the key.
    import hashlib

    AuditEvent.objects.filter(seq=2).update(
        details={"i": 99}, mac=hashlib.sha256(b"forged").hexdigest()
    )
    with pytest.raises(CommandError, match=r"#2"):
        verify()


@pytest.mark.django_db
def test_deleted_row_is_named():
    fill(6)
    drop_triggers()
    AuditEvent.objects.filter(seq=3).delete()
    with pytest.raises(CommandError, match=r"first broken entry: #3 .*missing"):
        verify()


@pytest.mark.django_db
def test_rows_cut_from_the_end_are_noticed():
    fill(5)
    drop_triggers()
    AuditEvent.objects.filter(seq__gte=4).delete()
    with pytest.raises(CommandError, match=r"#4.*removed from the end"):
        verify()


@pytest.mark.django_db
def test_rows_swapped_out_of_order_are_named():
    events = fill(5)
    drop_triggers()
    # Give rows 2 and 3 each other's place (seq is unique: move through a free number).
    AuditEvent.objects.filter(pk=events[1].pk).update(seq=1000)
    AuditEvent.objects.filter(pk=events[2].pk).update(seq=2)
    AuditEvent.objects.filter(pk=events[1].pk).update(seq=3)
    with pytest.raises(CommandError, match=r"first broken entry: #2"):
        verify()


@pytest.mark.django_db
def test_forged_head_is_noticed():
    fill(3)
    AuditChainHead.objects.update(seq=2)
    with pytest.raises(CommandError, match="chain head was altered"):
        verify()


@pytest.mark.django_db
def test_maintenance_is_off_by_default_and_scoped():
    fill(1)
    with audit_maintenance(connection), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(outcome="denied")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(seq=1).update(outcome="success")


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    """Writers on separate connections (PostgreSQL: real concurrency; SQLite: serialised by
    IMMEDIATE transactions) all land in one unbroken chain."""
    if connection.vendor != "postgresql":
        pytest.skip("needs a server database for parallel connections")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(k: int) -> None:
        try:
            start.wait()
            for i in range(25):
                with transaction.atomic():
                    record(actor=None, action=AuditAction.UNIT_UPDATED, details={"w": k, "i": i})
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == list(range(1, 101))
    assert "100 entries verified" in verify()


def test_verify_audit_command_on_a_stolen_database_file(tmp_path):
    """The whole story as an operator sees it: an intact log verifies with exit 0; after an
    attacker with the SQLite file drops the triggers and edits a row, exit 1 names the row."""
    db = tmp_path / "audit.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL",)},
        "DJANGO_SETTINGS_MODULE": "peersupport.settings",
        "PEERSUPPORT_ENV": "test",
        "DATABASE_URL": f"sqlite:///{db}",
    }

    def manage(*args, code=None):
        cmd = [sys.executable, "manage.py", *args] if code is None else [sys.executable, "-c", code]
        return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)

    assert manage("migrate", "-v0").returncode == 0
    fill = (
        "import django; django.setup();"
        "from peersupport.audit.services import record;"
        "from peersupport.audit.models import AuditAction;"
        "[record(actor=None, action=AuditAction.UNIT_UPDATED, details={'i': i}) for i in range(7)]"
    )
    assert manage(code=fill).returncode == 0
    intact = manage("verify_audit")
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout.splitlines()[0] == "audit log intact: 7 entries verified"

    raw = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError):
        raw.execute("UPDATE audit_auditevent SET outcome = 'denied' WHERE seq = 5")
    raw.execute("DROP TRIGGER audit_auditevent_no_update")
    raw.execute("UPDATE audit_auditevent SET outcome = 'denied' WHERE seq = 5")
    raw.commit()
    raw.close()

    broken = manage("verify_audit")
    assert broken.returncode == 1
    assert "first broken entry: #5" in broken.stderr
