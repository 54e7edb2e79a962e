"""On PostgreSQL, only the role that owns the audit table may switch its triggers off.

``SET peersupport.audit_maintenance = 'on'`` is a setting any session may set; before this, any
role with plain DML rights on the table could set it and then UPDATE, DELETE or TRUNCATE the
log. Now the trigger function also checks that the current role is the table's owner (or a
member of it, which could ALTER the table and drop the triggers anyway): an application role
with SELECT/INSERT/UPDATE/DELETE only cannot (docs/operations.md, "A least-privilege database
role"). SQLite has no roles: its switch is a function only this process registers.
"""

from django.db import migrations

OWNER_ONLY = """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
   BEGIN
     IF coalesce(current_setting('peersupport.audit_maintenance', true), '') = 'on'
        AND pg_has_role(
          current_user,
          (SELECT relowner FROM pg_catalog.pg_class WHERE oid = TG_RELID),
          'MEMBER'
        ) THEN
       RETURN coalesce(NEW, OLD);
     END IF;
     RAISE EXCEPTION 'the audit log is append-only';
   END $$ LANGUAGE plpgsql SET search_path = pg_catalog"""

ANY_ROLE = """CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
   BEGIN
     IF coalesce(current_setting('peersupport.audit_maintenance', true), '') = 'on' THEN
       RETURN coalesce(NEW, OLD);
     END IF;
     RAISE EXCEPTION 'the audit log is append-only';
   END $$ LANGUAGE plpgsql"""


def _run(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_data_version")]

    operations = [migrations.RunPython(_run(OWNER_ONLY), _run(ANY_ROLE))]
