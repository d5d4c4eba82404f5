"""Input fields that refuse values of the wrong JSON type instead of coercing."""

from __future__ import annotations

from rest_framework import serializers


class StrictBooleanField(serializers.BooleanField):
    """`true` or `false` only: 0, 1 and "yes" are type errors (400), not
    silently read as booleans."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data: object) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid")
        return data
