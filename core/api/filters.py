"""Query-string filters every list shares.

`IdFilter` is the one way a list filters by another object's id
(`?campaign=12`): a whole number a database id can hold, or a 400 naming the
parameter. django-filter's `NumberFilter` takes any decimal (`1e30`,
`99999999999999999999`), which overflows the id column on PostgreSQL and
SQLite alike (a 500); hand-parsed query parameters use `parse_id` for the
same rule.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

# BigAutoField's range (DEFAULT_AUTO_FIELD): the largest id the database holds.
MAX_ID = 2**63 - 1
ID_SCHEMA: dict[str, Any] = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


class IdField(forms.IntegerField):
    """A database id: digits only, 1 to MAX_ID."""

    default_error_messages = {"invalid": "Enter a whole number (an id)."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)


@extend_schema_field(ID_SCHEMA)
class IdFilter(filters.Filter):  # type: ignore[misc]  # django-filter is untyped
    """`?name=<id>`: the objects whose `field_name` is that id."""

    field_class = IdField


def parse_id(raw: str, name: str) -> int:
    """A query parameter that must be an id, or a 400 naming `name`."""
    field = IdField()
    try:
        value = field.clean(raw.strip())
    except forms.ValidationError as exc:
        raise exceptions.ValidationError({name: list(exc.messages)}) from None
    assert isinstance(value, int)
    return value
