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
    concrete = [meta.get_field(name) for name in fields]
    if connection.vendor != "postgresql":
        objects = [model(pk=row["pk"], **{f: row[f] for f in fields}) for row in rows]
        return model.objects.bulk_update(objects, list(fields))
    quote = connection.ops.quote_name
    pk = meta.pk
    assert pk is not None
    columns = [pk, *concrete]
    types = [column.db_type(connection) for column in columns]
    # "serial"/"bigserial" are not cast targets; their values are integers.
    types = [{"serial": "integer", "bigserial": "bigint"}.get(t, t) for t in types]
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
        return cursor.rowcount
