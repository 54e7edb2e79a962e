"""Every encrypted value of outreach bound to its row as well (crypto.fields.RowBound, v2)."""

from django.db import migrations

from peersupport.crypto.migration_ops import bind_to_rows


class Migration(migrations.Migration):
    dependencies = [
        ("crypto", "0001_key_fingerprints"),
        ("outreach", "0002_default_plans"),
    ]

    operations = [
        *bind_to_rows("outreach", "outreach", ["description", "summary"]),
        *bind_to_rows("outreach", "affectedperson", ["name", "how_to_reach"]),
    ]
