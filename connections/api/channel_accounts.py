"""Two field helpers every API module uses (the module is named after the
resource that first needed them; `/api/v1/channel-accounts/` itself is now an
alias served by `connections.api.accounts`):

- `VisibleField`: the id field every editorial input uses, which resolves an
  id only among the caller's workspaces.
- `named_choice`: a choice field whose enum has its own schema component name.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from workspaces.permissions import visible_workspaces


@extend_schema_field(OpenApiTypes.INT)
class VisibleField(serializers.PrimaryKeyRelatedField[Any]):
    """An id of `model`, resolved only in the workspaces the caller can see.

    Someone else's id reads exactly like one that does not exist ("No such …"),
    so the answer reveals nothing. Whether the object belongs to the *same*
    workspace as the rest of the request is the service's check.
    """

    def __init__(
        self, model: type[Model], workspace_path: str = "workspace", **kw: Any
    ):
        self.model, self.workspace_path = model, workspace_path
        label = kw.pop("label_text", model._meta.verbose_name)
        kw.setdefault(
            "error_messages",
            {
                "does_not_exist": f"No such {label}.",
                "incorrect_type": f"Give a {label} id (a number).",
            },
        )
        super().__init__(**kw)

    def get_queryset(self) -> QuerySet[Any]:
        principal = self.context["request"].user
        return self.model._default_manager.filter(
            **{f"{self.workspace_path}__in": visible_workspaces(principal)}
        )


_CHOICE_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def named_choice(
    name: str, choices: list[tuple[str, str]], **kw: Any
) -> serializers.ChoiceField:
    """A choice field whose enum is the schema component `name`.

    Several models have a `status` with different values; drf-spectacular
    would name them all after the field and warn about the collision (and the
    schema check fails on warnings). One class per name: the schema registry
    tells components apart by class.
    """
    if name not in _CHOICE_FIELDS:
        values = [value for value, _ in choices]
        _CHOICE_FIELDS[name] = extend_schema_field(
            {"type": "string", "enum": values}, component_name=name
        )(type(f"{name}Field", (serializers.ChoiceField,), {}))
    return _CHOICE_FIELDS[name](choices=choices, **kw)
