"""`bulk_set`: give many rows each their own values in one UPDATE.

Why not `QuerySet.bulk_update`: it builds a `CASE WHEN pk = … THEN …` expression
per field and row, and resolving those expressions was a quarter of a publishing
worker's CPU time at 250 publications/s (py-spy, bench/publishing.py). On
PostgreSQL one `UPDATE … FROM (VALUES …)` does the same with the values sent as
parameters, typed by the model's own column types; other databases keep
`bulk_update`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models


def bulk_set(
    model: type[models.Model], rows: Sequence[dict[str, Any]], fields: Sequence[str]
) -> int:
    """Set `fields` on each row (a dict with "pk" and those fields). Returns the
    number of rows updated."""
    if not rows or not fields:
        return 0
    meta = model._meta
    concrete = [_concrete_field(meta.get_field(name)) for name in fields]
    if connection.vendor != "postgresql":
        objects = [model(pk=row["pk"], **{f: row[f] for f in fields}) for row in rows]
        return model._default_manager.bulk_update(objects, list(fields))
    quote = connection.ops.quote_name
    pk = meta.pk
    assert pk is not None
    columns: list[models.Field[Any, Any]] = [pk, *concrete]
    # "serial"/"bigserial" are not cast targets; their values are integers.
    casts = {"serial": "integer", "bigserial": "bigint"}
    types = [_db_type(column, casts) for column in columns]
    tuple_sql = "(" + ", ".join(f"%s::{t}" for t in types) + ")"
    params: list[Any] = []
    for row in rows:
        params.append(pk.get_db_prep_value(row["pk"], connection))
        for field in concrete:
            params.append(field.get_db_prep_value(row[field.name], connection))
    names = ", ".join(quote(c.column) for c in columns)
    sets = ", ".join(f"{quote(c.column)} = v.{quote(c.column)}" for c in concrete)
    # Only quoted names from the model's own metadata are formatted in; every
    # value goes as a parameter.
    sql = (
        f"UPDATE {quote(meta.db_table)} AS t SET {sets} "  # noqa: S608
        f"FROM (VALUES {', '.join([tuple_sql] * len(rows))}) AS v({names}) "
        f"WHERE t.{quote(pk.column)} = v.{quote(pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        updated: int = cursor.rowcount
        return updated


def _concrete_field(field: object) -> models.Field[Any, Any]:
    # `get_field` may also return relations and generic keys; only columns can
    # be set here.
    if not isinstance(field, models.Field) or field.column is None:
        raise TypeError(f"{field!r} is not a concrete field")
    return field


def _db_type(field: models.Field[Any, Any], casts: dict[str, str]) -> str:
    db_type = field.db_type(connection)
    assert db_type is not None, f"{field!r} has no column type"
    return casts.get(db_type, db_type)
