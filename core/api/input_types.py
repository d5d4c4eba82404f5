"""JSON types, checked before DRF's coercion.

DRF reads `0` as `false`, `1` as `"1"` and `"3"` as `3`; the README promises a
400 for wrongly typed fields, so every `StrictSerializer` (see
`core.api.common`) checks each JSON value against its field's type here
first. Form-encoded and multipart bodies carry only strings, so they are left
to the fields' own parsing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from django.http import QueryDict
from rest_framework import serializers

AnyField: TypeAlias = "serializers.Field[Any, Any, Any, Any]"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _message(field: AnyField, key: str, value: Any) -> str:
    """The field's own message (DRF's wording, or the field's override)."""
    return str(field.error_messages[key]).format(input_type=type(value).__name__)


def type_error(field: AnyField, value: Any) -> str | None:
    """Why `value` is the wrong JSON type for `field`, or None when it is not.

    Null is left to the field (its `allow_null`); fields of other kinds
    (choices, dates, ids, nested serializers) parse strictly themselves.
    """
    if value is None:
        return None
    if isinstance(field, serializers.BooleanField):
        return None if isinstance(value, bool) else _message(field, "invalid", value)
    if isinstance(field, serializers.CharField):
        return None if isinstance(value, str) else _message(field, "invalid", value)
    if isinstance(field, serializers.IntegerField):
        whole = _is_number(value) and float(value).is_integer()
        return None if whole else _message(field, "invalid", value)
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return None if _is_number(value) else _message(field, "invalid", value)
    if isinstance(field, serializers.ListField):
        if not isinstance(value, list):
            return _message(field, "not_a_list", value)
        for i, item in enumerate(value):
            if (error := type_error(field.child, item)) is not None:
                return f"Item {i + 1}: {error}"
        return None
    if isinstance(field, serializers.DictField):
        if not isinstance(value, dict):
            return _message(field, "not_a_dict", value)
        for key, item in value.items():
            if (error := type_error(field.child, item)) is not None:
                return f"{key}: {error}"
    return None


def type_errors(fields: Mapping[str, AnyField], data: Any) -> dict[str, list[str]]:
    """{field name: [message]} for each wrongly typed value of a JSON body."""
    if not isinstance(data, dict) or isinstance(data, QueryDict):
        return {}
    errors: dict[str, list[str]] = {}
    for name, value in data.items():
        field = fields.get(name)
        if field is None or field.read_only:
            continue
        if (error := type_error(field, value)) is not None:
            errors[name] = [error]
    return errors
