"""What the campaigns app's forms share. They validate input shape only; rules
live in services (tenancy's forms are `workspaces.forms`)."""

from __future__ import annotations

from typing import Any

from django import forms


def choice_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's model-choice field `name`, to narrow its queryset per request
    (`form.fields` holds its values as plain `Field`s)."""
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    return field
