"""The supporter's status reason bound to its row as well (crypto.fields.RowBound, v2)."""

from django.db import migrations

from peersupport.crypto.migration_ops import bind_to_rows


class Migration(migrations.Migration):
    dependencies = [
        ("crypto", "0001_key_fingerprints"),
        ("roster", "0004_fields_encrypted"),
    ]

    operations = [
        *bind_to_rows("roster", "supporterprofile", ["status_reason"]),
    ]
