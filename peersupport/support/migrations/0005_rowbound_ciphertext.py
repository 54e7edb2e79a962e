"""Every encrypted value of support bound to its row as well (crypto.fields.RowBound, v2)."""

from django.db import migrations

from peersupport.crypto.migration_ops import bind_to_rows


class Migration(migrations.Migration):
    dependencies = [
        ("crypto", "0001_key_fingerprints"),
        ("support", "0004_codename_lookup"),
    ]

    operations = [
        *bind_to_rows("support", "supportrequest", ["identity"]),
        *bind_to_rows("support", "message", ["body"]),
    ]
