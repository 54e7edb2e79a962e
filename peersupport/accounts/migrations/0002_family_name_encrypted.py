from django.db import migrations

import peersupport.crypto.fields


def encrypt_existing_names(apps, schema_editor):
    """Names written before the field was encrypted are encrypted in place."""
    from peersupport.crypto.fields import PREFIX, encrypt

    aad = b"accounts.familymember.name"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, name FROM accounts_familymember")
        plain = [(pk, name) for pk, name in cursor.fetchall() if name and not name.startswith(f"{PREFIX}:")]
        for pk, name in plain:
            cursor.execute(
                "UPDATE accounts_familymember SET name = %s WHERE id = %s",
                [str(encrypt(name, aad=aad)), pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="familymember",
            name="name",
            field=peersupport.crypto.fields.EncryptedTextField(),
        ),
        migrations.RunPython(encrypt_existing_names, migrations.RunPython.noop),
    ]
