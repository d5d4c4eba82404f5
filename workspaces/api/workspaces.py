"""`/api/v1/workspaces/`: the tenants. Create, list, read and change settings.

A workspace is addressed by its id or its slug (`/workspaces/12/` or
`/workspaces/acme/`), as everywhere in the API (`workspaces.api.workspace_refs`).

There is no DELETE (405): deleting a workspace cascades to every campaign,
post, asset and metric in it, and no service owns that yet. It will come with
a soft-delete and a grace period, for owners only.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.common import StrictSerializer
from core.api.docs import RETRY_AFTER, errors
from workspaces.api.base import ApiViewSet, id_or_slug
from workspaces.api.workspace_refs import WORKSPACE_PATH, visible_workspace_or_404
from workspaces.models import Organization, Workspace
from workspaces.permissions import (
    APPROVAL_POLICY_FORBIDDEN,
    Action,
    can,
    can_in_organization,
    is_api_key,
    visible_organizations,
    visible_workspaces,
)
from workspaces.services.tenancy import workspace_create, workspace_update


class WorkspaceSerializer(serializers.ModelSerializer[Workspace]):
    class Meta:
        model = Workspace
        fields = [
            "id",
            "organization",
            "name",
            "slug",
            "time_zone",
            "approval_required",
            "created_at",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class VisibleOrganizationField(serializers.PrimaryKeyRelatedField[Organization]):
    """An organization id, resolved only among those the caller may see.

    An id of someone else's organization reads exactly like one that does not
    exist, so the answer reveals nothing.
    """

    def get_queryset(self) -> QuerySet[Organization]:
        return visible_organizations(self.context["request"].user)


class WorkspaceCreateSerializer(StrictSerializer):
    organization = VisibleOrganizationField()
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=60, required=False, help_text="Made from the name when omitted."
    )
    time_zone = serializers.CharField(
        max_length=64, required=False, help_text="IANA name, e.g. Europe/Berlin."
    )
    approval_required = serializers.BooleanField(required=False)


class WorkspaceUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    time_zone = serializers.CharField(max_length=64, required=False)
    approval_required = serializers.BooleanField(required=False)


class WorkspaceFilter(filters.FilterSet):
    organization = filters.CharFilter(
        method="filter_organization", help_text="An organization id or slug."
    )

    class Meta:
        model = Workspace
        fields = ["organization"]

    def filter_organization(
        self, queryset: QuerySet[Workspace], name: str, value: str
    ) -> QuerySet[Workspace]:
        return queryset.filter(id_or_slug(value, "organization__"))


@extend_schema(tags=["workspaces"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List workspaces",
        description="Every workspace the caller can see.",
        responses={200: WorkspaceSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a workspace",
        description="By id or slug: `/workspaces/12/` or `/workspaces/acme/`.",
        parameters=[WORKSPACE_PATH],
        responses={200: WorkspaceSerializer, **errors(404)},
        examples=[
            OpenApiExample(
                "A client workspace",
                value={
                    "id": 1,
                    "organization": 1,
                    "name": "Contoso Coffee",
                    "slug": "contoso-coffee",
                    "time_zone": "Europe/Berlin",
                    "approval_required": True,
                    "created_at": "2025-01-01T09:00:00Z",
                },
                response_only=True,
            )
        ],
    ),
)
class WorkspaceViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.CREATE_WORKSPACE
    serializer_class = WorkspaceSerializer
    filterset_class = WorkspaceFilter
    queryset = Workspace.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[Workspace]:
        return visible_workspaces(self.principal()).order_by("pk")

    def get_object(self) -> Workspace:
        """The workspace the URL names by id or slug; 404 when not visible."""
        return visible_workspace_or_404(self.principal(), self.kwargs["pk"])

    @extend_schema(
        summary="Create a workspace",
        description="Needs an organization-wide owner or admin role, or an "
        "organization-wide write key (create_workspace).",
        request=WorkspaceCreateSerializer,
        responses={201: WorkspaceSerializer, **errors(400, 403, 413, 415)},
        examples=[
            OpenApiExample(
                "A client workspace",
                value={
                    "organization": 1,
                    "name": "Contoso Coffee",
                    "time_zone": "Europe/Berlin",
                    "approval_required": True,
                },
                request_only=True,
            )
        ],
    )
    def create(self, request: Request) -> Response:
        data = WorkspaceCreateSerializer(
            data=request.data, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        organization = data.validated_data["organization"]
        if not can_in_organization(
            self.principal(), Action.CREATE_WORKSPACE, organization
        ):
            raise exceptions.PermissionDenied(
                "Creating workspaces needs an organization-wide owner or admin role."
            )
        if (
            is_api_key(self.principal())
            and data.validated_data.get("approval_required") is False
        ):
            raise exceptions.PermissionDenied(APPROVAL_POLICY_FORBIDDEN)
        workspace = workspace_create(**data.validated_data)
        return Response(WorkspaceSerializer(workspace).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a workspace's settings",
        description="Needs manage_workspace (owner, admin, or a write key). "
        "Switching `approval_required` takes a signed-in owner or admin (an API "
        "key gets 403) and is recorded. By id or slug, as the read.",
        parameters=[WORKSPACE_PATH],
        request=WorkspaceUpdateSerializer,
        responses={200: WorkspaceSerializer, **errors(400, 403, 404, 413, 415)},
        examples=[
            OpenApiExample(
                "Publish without review",
                value={"approval_required": False},
                request_only=True,
            ),
            OpenApiExample(
                "Rename and move",
                value={"name": "Contoso", "time_zone": "America/New_York"},
                request_only=True,
            ),
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        workspace = self.get_object()
        if not can(self.principal(), Action.MANAGE_WORKSPACE, workspace):
            raise exceptions.PermissionDenied(
                "Changing this workspace needs an owner, an admin or a write key."
            )
        data = WorkspaceUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        workspace = workspace_update(
            workspace=workspace, by=self.principal(), **data.validated_data
        )
        return Response(WorkspaceSerializer(workspace).data)
