"""Every encrypted value of accounts bound to its row as well (crypto.fields.RowBound, v2):
family members' names, and the reasons of role grants and of requests for them."""

from django.db import migrations

from peersupport.crypto.migration_ops import bind_to_rows


class Migration(migrations.Migration):
    dependencies = [
        ("crypto", "0001_key_fingerprints"),
        ("accounts", "0006_lock_counts_by_tag"),
    ]

    operations = [
        *bind_to_rows("accounts", "familymember", ["name"]),
        *bind_to_rows("accounts", "rolegrant", ["reason", "revoke_reason"]),
        *bind_to_rows("accounts", "rolegrantrequest", ["reason"]),
    ]
