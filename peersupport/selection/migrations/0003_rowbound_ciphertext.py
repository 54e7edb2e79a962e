"""Every encrypted value of selection bound to its row as well (crypto.fields.RowBound, v2)."""

from django.db import migrations

from peersupport.crypto.migration_ops import bind_to_rows


class Migration(migrations.Migration):
    dependencies = [
        ("crypto", "0001_key_fingerprints"),
        ("selection", "0002_fields_encrypted"),
    ]

    operations = [
        *bind_to_rows("selection", "candidacy", ["motivation", "experience", "availability_note"]),
        *bind_to_rows("selection", "nomination", ["reason"]),
        *bind_to_rows("selection", "interview", ["decision_reason"]),
        *bind_to_rows("selection", "panelscore", ["notes"]),
        *bind_to_rows("selection", "chainstep", ["comment", "override_reason"]),
        *bind_to_rows("selection", "candidacyevent", ["reason"]),
    ]
