"""How the API names a workspace: by its id (`12`) or its slug (`acme`), the same
way everywhere: in a URL (`/api/v1/workspaces/acme/`), in a body's `workspace`
field and in a `?workspace=` filter.

Everything goes through `workspaces.selectors.find_workspace` (also used by
`manage.py create_api_key`), so every place resolves a name alike:
- digits are an id, anything else a slug (slugs made by AdLoop always contain a
  letter; an older all-digit slug is still found by its slug when no visible
  workspace has that id);
- only among the workspaces the caller may see: another tenant's id or slug
  reads exactly like one that does not exist (404 in a URL, "No such
  workspace." in a body field, an empty list in a filter), never a hint.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import serializers
from rest_framework.relations import PKOnlyObject

from workspaces.models import Workspace
from workspaces.permissions import visible_workspaces
from workspaces.selectors import find_workspace

HELP = "A workspace id (12) or slug (acme)."

# The `{id}` of `/workspaces/{id}/...`: drf-spectacular would say integer.
WORKSPACE_PATH = OpenApiParameter(
    "id", OpenApiTypes.STR, OpenApiParameter.PATH, description=HELP
)


def visible_workspace_or_404(principal: Any, value: Any) -> Workspace:
    """For URLs: the named workspace the caller may see, else 404."""
    workspace = find_workspace(value, visible_workspaces(principal))
    if workspace is None:
        raise Http404("No such workspace.")
    return workspace


@extend_schema_field(
    {
        "oneOf": [{"type": "integer"}, {"type": "string"}],
        "description": HELP,
        "example": 1,
    }
)
class WorkspaceField(serializers.RelatedField[Workspace, Workspace, int]):
    """A body's `workspace`: an id or a slug, among the workspaces the caller
    may see. Written back as the id."""

    default_error_messages = {
        "does_not_exist": "No such workspace.",
        "incorrect_type": "Give a workspace id or slug.",
    }

    def get_queryset(self) -> QuerySet[Workspace]:
        return visible_workspaces(self.context["request"].user)

    def to_internal_value(self, data: Any) -> Workspace:
        if isinstance(data, bool) or not isinstance(data, int | str):
            self.fail("incorrect_type")
        workspace = find_workspace(data, self.get_queryset())
        if workspace is None:
            self.fail("does_not_exist")
        return workspace

    def to_representation(self, value: Workspace | PKOnlyObject) -> int:
        return value.pk


class WorkspaceFilter(filters.CharFilter):
    """`?workspace=12` or `?workspace=acme`. `path` is the lookup from the
    listed model to its workspace ("workspace" by default).

    The name is resolved among the workspaces the caller may see (as the
    view's queryset is); an unknown or foreign one lists nothing.
    """

    def __init__(self, path: str = "workspace", **kwargs: Any) -> None:
        kwargs.setdefault("help_text", HELP)
        kwargs.setdefault("method", self._by_workspace)
        super().__init__(**kwargs)
        self.path = path

    def _by_workspace(self, queryset: QuerySet[Any], name: str, value: str) -> Any:
        if not value:
            return queryset
        workspace = find_workspace(value, visible_workspaces(self.parent.request.user))
        if workspace is None:
            return queryset.none()
        return queryset.filter(**{self.path: workspace})
