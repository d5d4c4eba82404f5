"""`/api/v1/audit-events/`: a workspace's audit log, newest first.

Who did what reads as a manager's business: a person needs an owner or admin
role in the workspace (the roles that manage who may act there); any active
API key may read its workspaces' log, a read key included (reading is all a
read key does). Another tenant's events are never listed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.docs import RETRY_AFTER, errors
from events.actions import ACTIONS
from events.models import AuditEvent
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import WorkspaceFilter
from workspaces.models import ApiKey, Workspace
from workspaces.permissions import Action, can_anywhere, workspaces_where

# Owners and admins: the roles that manage members are the ones that read the
# record of what members did.
READ_AUDIT = Action.MANAGE_MEMBERS
FORBIDDEN = "Reading the audit log needs an owner or admin role."
ACTION_CHOICES = [(action, action) for action in sorted(ACTIONS)]


class ActorSerializer(serializers.Serializer[AuditEvent]):
    kind = serializers.SerializerMethodField(
        help_text="`person` (signed in or through a personal access token), "
        "`api_key` or `system`."
    )
    person = serializers.IntegerField(
        source="actor_id", read_only=True, allow_null=True
    )
    api_key = serializers.IntegerField(
        source="actor_key_id", read_only=True, allow_null=True
    )
    token_name = serializers.CharField(
        source="actor_token_name",
        read_only=True,
        help_text="The personal access token's name when the person used one.",
    )
    name = serializers.CharField(
        source="actor_label",
        read_only=True,
        help_text="The person's email, the key's name or the system's name at "
        "the time (kept when the person or key is deleted).",
    )

    @extend_schema_field({"type": "string", "enum": ["person", "api_key", "system"]})
    def get_kind(self, event: AuditEvent) -> str:
        if event.actor_key_id is not None:
            return "api_key"
        if event.actor_id is not None or event.actor_token_name:
            return "person"
        return "system"


class TargetSerializer(serializers.Serializer[AuditEvent]):
    type = serializers.CharField(source="target_type", read_only=True)
    id = serializers.CharField(source="target_id", read_only=True)
    repr = serializers.CharField(source="target_repr", read_only=True)


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    actor = ActorSerializer(source="*", read_only=True)
    target = TargetSerializer(source="*", read_only=True)

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "workspace",
            "organization",
            "action",
            "actor",
            "target",
            "data",
            "created_at",
        ]
        read_only_fields = fields
        extra_kwargs = {"data": {"help_text": "What the act changed (never a secret)."}}


EXAMPLE = {
    "id": 7,
    "workspace": 1,
    "organization": 1,
    "action": "post.approved",
    "actor": {
        "kind": "person",
        "person": 3,
        "api_key": None,
        "token_name": "CI",
        "name": "reviewer@northwind.example",
    },
    "target": {"type": "post", "id": "42", "repr": "Spring launch"},
    "data": {"from": "in_review", "to": "approved", "reason": "", "history_id": 90},
    "created_at": "2026-03-02T09:00:00Z",
}


class AuditEventFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    action = filters.ChoiceFilter(
        choices=ACTION_CHOICES, help_text="One action, e.g. `post.approved`."
    )

    class Meta:
        model = AuditEvent
        fields = ["workspace", "action"]


def readable_workspaces(principal: Any) -> QuerySet[Workspace]:
    """The workspaces whose audit log the caller may read."""
    if isinstance(principal, ApiKey):
        return workspaces_where(principal, Action.VIEW)
    return workspaces_where(principal, READ_AUDIT)


@extend_schema(tags=["audit-events"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List audit events",
        description="What happened in the workspaces whose log the caller may "
        "read, newest first: post moves, approval-policy switches, and more. "
        "People need an owner or admin role (403 otherwise); any API key reads "
        "its workspaces' log. An unknown `action` answers 400.",
        responses={200: AuditEventSerializer(many=True), **errors(400, 403)},
        examples=[OpenApiExample("A post approved", value=[EXAMPLE])],
    ),
)
class AuditEventViewSet(mixins.ListModelMixin, ApiViewSet):
    serializer_class = AuditEventSerializer
    filterset_class = AuditEventFilter
    queryset = AuditEvent.objects.none()  # schema only; see get_queryset

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        principal = self.principal()
        if not isinstance(principal, ApiKey) and not can_anywhere(
            principal, READ_AUDIT
        ):
            raise exceptions.PermissionDenied(FORBIDDEN)
        return super().list(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[AuditEvent]:
        return AuditEvent.objects.filter(
            workspace__in=readable_workspaces(self.principal())
        ).order_by("-created_at", "-pk")
