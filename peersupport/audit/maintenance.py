"""The audit table refuses UPDATE, DELETE and TRUNCATE unless the connection is in maintenance.

Nothing in the application turns maintenance on. The test suite does, around Django's ``flush``
(which empties every table between transactional tests). On PostgreSQL the switch works only
for the role that owns the audit table (migration 0005): an application role with plain DML
rights sets it in vain. The owner, or someone with the database files, can still remove rows;
that is what the HMAC chain, the checkpoints outside the database (``checkpoints``) and
``verify_audit`` are for.
"""

from contextlib import contextmanager

from django.db.backends.signals import connection_created
from django.dispatch import receiver

SQLITE_FUNCTION = "peersupport_audit_maintenance"
PG_SETTING = "peersupport.audit_maintenance"


@receiver(connection_created)
def _register_sqlite_function(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FUNCTION, 0, lambda: int(getattr(connection, "audit_maintenance", False))
        )


@contextmanager
def audit_maintenance(connection):
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"SET {PG_SETTING} = 'on'")
    connection.audit_maintenance = True
    try:
        yield
    finally:
        connection.audit_maintenance = False
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute(f"RESET {PG_SETTING}")
