"""`/api/v1/api-keys/`: machine credentials, managed by people only.

Every route needs manage_api_keys, which no key holds: a leaked key cannot mint
a successor or outlive its revocation. The secret appears in exactly one
response, the one answering the create (marked no-store); afterwards only its
public prefix is shown. Revoking keeps the row for the audit trail and is
`POST …/{id}/revoke/`; there is no DELETE.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.cache import add_never_cache_headers
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.common import StrictSerializer
from core.api.docs import RETRY_AFTER, errors
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import (
    WorkspaceField,
    WorkspaceFilter,
    find_workspace,
)
from workspaces.api.workspaces import VisibleOrganizationField
from workspaces.models import ApiKey, ApiKeyScope
from workspaces.permissions import (
    Action,
    can,
    can_in_organization,
    can_manage_api_key,
    visible_workspaces,
    workspaces_where,
)
from workspaces.services.api_keys import api_key_create, api_key_revoke

FORBIDDEN = "Managing API keys needs an owner or admin role; keys cannot manage keys."


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    created_by = serializers.EmailField(
        source="created_by.email", read_only=True, allow_null=True
    )

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "scope",
            "organization",
            "workspace",
            "created_by",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="`Authorization: Bearer <secret>`. Shown in this response "
        "only; store it now.",
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "secret"]
        read_only_fields = fields


class ApiKeyCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    scope = serializers.ChoiceField(choices=ApiKeyScope.choices)
    workspace = WorkspaceField(
        required=False, help_text="The one workspace the key reaches: its id or slug."
    )
    organization = VisibleOrganizationField(
        required=False,
        help_text="Instead of `workspace`: the key reaches every workspace of "
        "the organization (needs an organization-wide owner or admin).",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("workspace" in attrs) == ("organization" in attrs):
            raise serializers.ValidationError(
                {"workspace": ["Give either a workspace or an organization."]}
            )
        return attrs


class ApiKeyFilter(filters.FilterSet):
    workspace = WorkspaceFilter(
        method="filter_workspace",
        help_text="A workspace id or slug: its keys and its organization's.",
    )
    scope = filters.ChoiceFilter(choices=ApiKeyScope.choices)
    active = filters.BooleanFilter(field_name="revoked_at", lookup_expr="isnull")

    class Meta:
        model = ApiKey
        fields = ["workspace", "scope", "active"]

    def filter_workspace(
        self, queryset: QuerySet[ApiKey], name: str, value: str
    ) -> QuerySet[ApiKey]:
        workspace = find_workspace(value, visible_workspaces(self.request.user))
        if workspace is None:
            return queryset.none()
        return queryset.filter(
            Q(workspace=workspace)
            | Q(workspace__isnull=True, organization_id=workspace.organization_id)
        )


def _reaching(workspaces: QuerySet[Any]) -> Q:
    """Keys of these workspaces, and organization-wide keys that reach them."""
    return Q(workspace__in=workspaces) | Q(
        workspace__isnull=True, organization_id__in=workspaces.values("organization_id")
    )


@extend_schema(tags=["api-keys"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List API keys",
        description="Keys reaching the workspaces where the caller manages keys, "
        "revoked ones included. Never the secret.",
        responses={200: ApiKeySerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get an API key",
        description="Its public prefix and use, never the secret.",
        responses={200: ApiKeySerializer, **errors(403, 404)},
        examples=[
            OpenApiExample(
                "A read-only workspace key",
                value={
                    "id": 3,
                    "name": "Looker",
                    "prefix": "9f2c1a7b",
                    "scope": "read",
                    "organization": 1,
                    "workspace": 1,
                    "created_by": "owner@northwind.example",
                    "created_at": "2025-01-01T09:00:00Z",
                    "last_used_at": "2025-01-02T10:30:00Z",
                    "revoked_at": None,
                },
                response_only=True,
            )
        ],
    ),
)
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.MANAGE_API_KEYS
    serializer_class = ApiKeySerializer
    filterset_class = ApiKeyFilter
    queryset = ApiKey.objects.none()  # schema only; see get_queryset

    def _manageable(self) -> QuerySet[ApiKey]:
        workspaces = workspaces_where(self.principal(), Action.MANAGE_API_KEYS)
        return ApiKey.objects.filter(_reaching(workspaces))

    def get_queryset(self) -> QuerySet[ApiKey]:
        # As for invitations: lists show what the caller may manage; a single
        # key of a visible workspace answers 403 when not manageable, and a key
        # of another tenant 404.
        if self.action == "list":
            queryset = self._manageable()
        else:
            queryset = ApiKey.objects.filter(
                _reaching(visible_workspaces(self.principal()))
            )
        return queryset.select_related("created_by", "organization", "workspace")

    def get_object(self) -> ApiKey:
        key: ApiKey = super().get_object()
        if not self._manageable().filter(pk=key.pk).exists():
            raise exceptions.PermissionDenied(FORBIDDEN)
        return key

    @extend_schema(
        summary="Create an API key",
        description="Needs manage_api_keys in the workspace (or organization-wide "
        "for an organization key). The response holds the only copy of the "
        "secret.",
        request=ApiKeyCreateSerializer,
        responses={201: ApiKeyCreatedSerializer, **errors(400, 403, 413, 415)},
        examples=[
            OpenApiExample(
                "A read-only key for a dashboard",
                value={"name": "Looker", "scope": "read", "workspace": 1},
                request_only=True,
            ),
            OpenApiExample(
                "An organization-wide write key",
                value={"name": "Agency CRM", "scope": "write", "organization": 1},
                request_only=True,
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        data = ApiKeyCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        workspace = data.validated_data.get("workspace")
        organization = (
            workspace.organization if workspace else data.validated_data["organization"]
        )
        allowed = (
            can(self.principal(), Action.MANAGE_API_KEYS, workspace)
            if workspace
            else can_in_organization(
                self.principal(), Action.MANAGE_API_KEYS, organization
            )
        )
        if not allowed:
            raise exceptions.PermissionDenied(FORBIDDEN)
        issued = api_key_create(
            organization=organization,
            workspace=workspace,
            name=data.validated_data["name"],
            scope=data.validated_data["scope"],
            created_by=self.principal(),
        )
        body = ApiKeyCreatedSerializer(issued.api_key).data
        response = Response({**body, "secret": issued.secret}, status.HTTP_201_CREATED)
        add_never_cache_headers(response)
        return response

    @extend_schema(
        summary="Revoke an API key",
        operation_id="v1_api_keys_revoke",
        description="The key answers 401 from now on. Revoking twice is harmless. "
        "An organization-wide key needs an organization-wide owner or admin.",
        request=None,
        responses={200: ApiKeySerializer, **errors(403, 404)},
        examples=[
            OpenApiExample(
                "Revoked",
                value={
                    "id": 3,
                    "prefix": "9f2c1a7b",
                    "revoked_at": "2025-01-01T00:00:00Z",
                },
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        key = self.get_object()
        if not can_manage_api_key(self.principal(), key):
            raise exceptions.PermissionDenied(
                "This key reaches the whole organization; its owners and admins "
                "revoke it."
            )
        return Response(ApiKeySerializer(api_key_revoke(api_key=key)).data)
