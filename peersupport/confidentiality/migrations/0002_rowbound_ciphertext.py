"""Every encrypted value of confidentiality bound to its row as well (crypto.fields.RowBound, v2)."""

from django.db import migrations

from peersupport.crypto.migration_ops import bind_to_rows


class Migration(migrations.Migration):
    dependencies = [
        ("crypto", "0001_key_fingerprints"),
        ("confidentiality", "0001_initial"),
    ]

    operations = [
        *bind_to_rows("confidentiality", "escalation", ["note", "resolution"]),
    ]
