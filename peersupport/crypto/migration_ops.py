"""Operations for the migrations of other apps: encrypt a column's existing values in place.

Raw SQL on the column, so the values are read exactly as stored (plain text before, after the
AlterField that made the field encrypted) whatever the ORM would make of them.
"""

from django.db import migrations

from .fields import decrypt, encrypt


def _columns(apps, schema_editor, app_label: str, model_name: str, fields: list[str]):
    model = apps.get_model(app_label, model_name)
    qn = schema_editor.connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    for name in fields:
        field = model._meta.get_field(name)
        yield table, pk, qn(field.column), f"{app_label}.{model_name}.{name}".lower().encode()


def encrypt_existing(app_label: str, model_name: str, fields: list[str]) -> migrations.RunPython:
    """Encrypt every value of ``fields`` (empty ones too: an encrypted field holds only
    ciphertext); backwards, decrypt them again."""

    def forward(apps, schema_editor):
        for table, pk, column, aad in _columns(apps, schema_editor, app_label, model_name, fields):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                for row_pk, value in cursor.fetchall():
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [str(encrypt(value, aad=aad)), row_pk],
                    )

    def backward(apps, schema_editor):
        for table, pk, column, aad in _columns(apps, schema_editor, app_label, model_name, fields):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                for row_pk, value in cursor.fetchall():
                    plain = decrypt(value, aad=aad, where=f"{table}.{column} of row {row_pk}")
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [plain, row_pk],
                    )

    return migrations.RunPython(forward, backward, elidable=False)
