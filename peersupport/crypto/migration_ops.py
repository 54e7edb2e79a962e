"""Operations for the migrations of other apps: encrypt a column's existing values in place.

Raw SQL on the column, so the values are read exactly as stored (plain text before, after the
AlterField that made the field encrypted) whatever the ORM would make of them.
"""

import uuid

from django.db import migrations, models

from .fields import decrypt, encrypt


def _checked_now(schema_editor) -> None:
    """On PostgreSQL, updating rows queues the deferred foreign-key checks until the commit, and
    an ALTER TABLE later in the same migration is then refused ("pending trigger events"):
    check them as each UPDATE runs instead."""
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _deferred_again(schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


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
        _checked_now(schema_editor)
        for table, pk, column, aad in _columns(apps, schema_editor, app_label, model_name, fields):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                for row_pk, value in cursor.fetchall():
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [str(encrypt(value, aad=aad)), row_pk],
                    )
        _deferred_again(schema_editor)

    def backward(apps, schema_editor):
        _checked_now(schema_editor)
        for table, pk, column, aad in _columns(apps, schema_editor, app_label, model_name, fields):
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {column} FROM {table} WHERE {column} IS NOT NULL")  # noqa: S608
                for row_pk, value in cursor.fetchall():
                    plain = decrypt(value, aad=aad, where=f"{table}.{column} of row {row_pk}")
                    cursor.execute(
                        f"UPDATE {table} SET {column} = %s WHERE {pk} = %s",  # noqa: S608
                        [plain, row_pk],
                    )
        _deferred_again(schema_editor)

    return migrations.RunPython(forward, backward, elidable=False)


def bind_to_rows(app_label: str, model_name: str, fields: list[str]) -> list:
    """Make a model row-bound (``fields.RowBound``): add ``row_id``, give every existing row a
    random one, re-encrypt the values of ``fields`` as ``v2`` bound to it, then make the column
    unique and required. Backwards, the values go back to ``v1`` and the column goes."""

    def rebind(apps, schema_editor, *, forward: bool):
        model = apps.get_model(app_label, model_name)
        qn = schema_editor.connection.ops.quote_name
        table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
        row_column = qn(model._meta.get_field("row_id").column)
        columns = [(qn(model._meta.get_field(n).column), n) for n in fields]
        _checked_now(schema_editor)
        with schema_editor.connection.cursor() as cursor:
            select = ", ".join(c for c, _ in columns)
            cursor.execute(f"SELECT {pk}, {row_column}, {select} FROM {table}")  # noqa: S608
            for row_pk, row, *values in cursor.fetchall():
                row = uuid.UUID(str(row)) if row else uuid.uuid4()
                sealed = []
                for (_, name), value in zip(columns, values, strict=True):
                    aad = f"{app_label}.{model_name}.{name}".lower().encode()
                    where = f"{app_label}.{model_name}.{name} of row {row_pk}"
                    if value is None:
                        sealed.append(None)
                    elif forward:
                        plain = decrypt(value, aad=aad, where=where)
                        sealed.append(str(encrypt(plain, aad=aad, row=row)))
                    else:
                        plain = decrypt(value, aad=aad, where=where, row=row)
                        sealed.append(str(encrypt(plain, aad=aad)))
                assignments = ", ".join(f"{c} = %s" for c, _ in columns)
                cursor.execute(
                    f"UPDATE {table} SET {row_column} = %s, {assignments} "  # noqa: S608
                    f"WHERE {pk} = %s",
                    [row.hex if schema_editor.connection.vendor == "sqlite" else row]
                    + sealed
                    + [row_pk],
                )
        _deferred_again(schema_editor)

    return [
        migrations.AddField(
            model_name=model_name,
            name="row_id",
            field=models.UUIDField(null=True, editable=False),
        ),
        migrations.RunPython(
            lambda apps, editor: rebind(apps, editor, forward=True),
            lambda apps, editor: rebind(apps, editor, forward=False),
            elidable=False,
        ),
        migrations.AlterField(
            model_name=model_name,
            name="row_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
    ]
