"""Every encrypted value of releases bound to its row as well (crypto.fields.RowBound, v2)."""

from django.db import migrations

from peersupport.crypto.migration_ops import bind_to_rows


class Migration(migrations.Migration):
    dependencies = [
        ("crypto", "0001_key_fingerprints"),
        ("releases", "0001_initial"),
    ]

    operations = [
        *bind_to_rows("releases", "release", ["person_name", "items", "recipients", "purpose", "expiry_event", "signature"]),
        *bind_to_rows("releases", "disclosure", ["recipient", "items", "purpose"]),
    ]
