"""What is stored under which key: used by the start-up check, check_keys and rotate_keys.

Raw SQL on purpose: these look at ciphertext as stored, without decrypting anything.
"""

from collections import Counter

from django.db import connection

from .fields import PREFIX, ROW_PREFIX, Ciphertext, encrypted_fields, is_row_bound


def _table_column(model, field) -> tuple[str, str, str]:
    qn = connection.ops.quote_name
    return qn(model._meta.db_table), qn(field.column), qn(model._meta.pk.column)


def key_ids_in_use() -> dict[str, Counter]:
    """For each encrypted field (``app.Model.field``), how many values each key id holds."""
    usage: dict[str, Counter] = {}
    for model, field in encrypted_fields():
        table, column, _ = _table_column(model, field)
        counts: Counter = Counter()
        with connection.cursor() as cursor:
            # The key id sits between the first and second colon: v1:<id>:<token>.
            cursor.execute(
                f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL"  # noqa: S608
            )
            for (value,) in cursor.fetchall():
                counts[Ciphertext(value).key_id or "(not encrypted)"] += 1
        usage[f"{model._meta.label}.{field.name}"] = counts
    return usage


def rows_not_under(current_id: str, model, field, *, after_pk, batch: int) -> list[tuple]:
    """The next ``batch`` rows ``(pk, value, row id)`` (after ``after_pk``) whose value is not
    encrypted under ``current_id`` in the field's format (``v2`` where the model is row-bound,
    so ``v1`` values there are picked up and rebound; the row id is None elsewhere).

    The prefix is compared exactly, not with LIKE: ``_`` (allowed in key ids) is a LIKE
    wildcard, so ``k_1:%`` would also match values under ``kx1``, and SQLite's LIKE ignores
    case, so ``K1`` would match ``k1``; either way those values would never be re-encrypted.
    """
    table, column, pk = _table_column(model, field)
    bound = is_row_bound(model)
    prefix = f"{ROW_PREFIX if bound else PREFIX}:{current_id}:"
    row = connection.ops.quote_name(model._meta.get_field("row_id").column) if bound else "NULL"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {pk}, {column}, {row} FROM {table} "  # noqa: S608
            f"WHERE {column} IS NOT NULL AND SUBSTR({column}, 1, %s) <> %s AND {pk} > %s "
            f"ORDER BY {pk} LIMIT %s",
            [len(prefix), prefix, after_pk, batch],
        )
        return cursor.fetchall()


def replace_value(model, field, *, pk, old: str, new: str) -> bool:
    """Compare-and-set, so a value written meanwhile by the application is never clobbered."""
    table, column, pk_column = _table_column(model, field)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {column} = %s WHERE {pk_column} = %s AND {column} = %s",  # noqa: S608
            [new, pk, old],
        )
        return cursor.rowcount == 1
