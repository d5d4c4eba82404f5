"""`/api/v1/members/`: who has which role in which workspace.

Everyone who sees a workspace sees who is in it (a row with no workspace is
organization-wide: an owner or an organization admin). Adding, changing and
removing need manage_members, which only people hold, so a key can never grant
itself or anyone else a role. Adding needs an existing account; anyone else
is invited through `/api/v1/invitations/`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.common import StrictSerializer
from core.api.docs import RETRY_AFTER, errors
from core.errors import ConflictError
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import (
    WorkspaceField,
    WorkspaceFilter,
    find_workspace,
)
from workspaces.models import Membership, Role, User
from workspaces.permissions import (
    Action,
    can,
    can_manage_membership,
    forget_cached_roles,
    visible_workspaces,
)
from workspaces.services.tenancy import membership_remove, membership_set

if TYPE_CHECKING:  # `Principal` exists only for type checkers.
    from workspaces.permissions import Principal

ROLE_HELP = "Owner is organization-wide only: a workspace answers 400 for it."


class MemberUserSerializer(serializers.ModelSerializer[User]):
    class Meta:
        model = User
        fields = ["id", "email", "first_name", "last_name"]
        read_only_fields = fields


class MembershipSerializer(serializers.ModelSerializer[Membership]):
    user = MemberUserSerializer()

    class Meta:
        model = Membership
        fields = ["id", "user", "organization", "workspace", "role", "created_at"]
        read_only_fields = fields
        extra_kwargs = {
            "workspace": {"help_text": "Empty: the role covers every workspace."}
        }


class MembershipCreateSerializer(StrictSerializer):
    workspace = WorkspaceField()
    email = serializers.EmailField(help_text="An existing AdLoop account.")
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)

    def validate_email(self, value: str) -> User:
        user = User.objects.filter(email__iexact=value.strip()).first()
        if user is None:
            raise serializers.ValidationError(
                "No AdLoop account uses this address; invite it with "
                "POST /api/v1/invitations/ instead."
            )
        return user


class MembershipUpdateSerializer(StrictSerializer):
    role = serializers.ChoiceField(choices=Role.choices)


class MembershipFilter(filters.FilterSet):
    workspace = WorkspaceFilter(
        method="filter_workspace",
        help_text="A workspace id or slug: its own members and the "
        "organization-wide ones.",
    )
    role = filters.ChoiceFilter(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ["workspace", "role"]

    def filter_workspace(
        self, queryset: QuerySet[Membership], name: str, value: str
    ) -> QuerySet[Membership]:
        workspace = find_workspace(value, visible_workspaces(self.request.user))
        if workspace is None:
            return queryset.none()
        return queryset.filter(
            Q(workspace=workspace)
            | Q(workspace__isnull=True, organization_id=workspace.organization_id)
        )


def visible_memberships(principal: Principal) -> QuerySet[Membership]:
    """Rows of visible workspaces, plus the organization-wide rows of their
    organizations (those people are members of the workspace too)."""
    workspaces = visible_workspaces(principal)
    return Membership.objects.filter(
        Q(workspace__in=workspaces)
        | Q(
            workspace__isnull=True,
            organization_id__in=workspaces.values("organization_id"),
        )
    ).select_related("user", "workspace", "organization")


MEMBERSHIP_EXAMPLE = OpenApiExample(
    "An editor of one workspace",
    value={
        "id": 12,
        "user": {
            "id": 5,
            "email": "sam@example.com",
            "first_name": "Sam",
            "last_name": "Lee",
        },
        "organization": 1,
        "workspace": 1,
        "role": "editor",
        "created_at": "2025-01-01T09:00:00Z",
    },
    response_only=True,
)

FORBIDDEN = (
    "Managing members needs an owner or admin role (organization-wide rows: "
    "the organization's owner)."
)


@extend_schema(tags=["members"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List members",
        description="Members of every workspace the caller can see, with the "
        "organization-wide owners and admins (`workspace` empty).",
        responses={200: MembershipSerializer(many=True), **errors(400)},
        examples=[MEMBERSHIP_EXAMPLE],
    ),
    retrieve=extend_schema(
        summary="Get a membership",
        responses={200: MembershipSerializer, **errors(404)},
        examples=[MEMBERSHIP_EXAMPLE],
    ),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.MANAGE_MEMBERS
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter
    queryset = Membership.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[Membership]:
        return visible_memberships(self.principal()).order_by("user__email", "pk")

    def _changeable(self) -> Membership:
        """The membership in the URL: 404 unless visible, 403 unless manageable."""
        membership = self.get_object()
        if not can_manage_membership(self.principal(), membership):
            raise exceptions.PermissionDenied(FORBIDDEN)
        return membership

    @extend_schema(
        summary="Add a member",
        description="Gives an existing account a role in a workspace (needs "
        "manage_members there). An address without an account answers 400: "
        "invite it instead. An existing member answers 409: change the role "
        "with PATCH.",
        request=MembershipCreateSerializer,
        responses={201: MembershipSerializer, **errors(400, 403, 409, 413, 415)},
        examples=[
            OpenApiExample(
                "Add an editor",
                value={"workspace": 1, "email": "sam@example.com", "role": "editor"},
                request_only=True,
            )
        ],
    )
    def create(self, request: Request) -> Response:
        data = MembershipCreateSerializer(
            data=request.data, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        workspace = data.validated_data["workspace"]
        if not can(self.principal(), Action.MANAGE_MEMBERS, workspace):
            raise exceptions.PermissionDenied(FORBIDDEN)
        user = data.validated_data["email"]
        # POST adds; it never silently changes an existing role (that is PATCH).
        if Membership.objects.filter(user=user, workspace=workspace).exists():
            raise ConflictError(f"{user.email} is already a member; PATCH the role.")
        membership = membership_set(
            user=user,
            organization=workspace.organization,
            workspace=workspace,
            role=data.validated_data["role"],
        )
        return Response(MembershipSerializer(membership).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a member's role",
        description="Workspace rows need manage_members; organization-wide rows "
        "need manage_organization. Demoting the last owner answers 409.",
        request=MembershipUpdateSerializer,
        responses={200: MembershipSerializer, **errors(400, 403, 404, 409, 413, 415)},
        examples=[
            OpenApiExample(
                "Make a reviewer", value={"role": "reviewer"}, request_only=True
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        membership = self._changeable()
        data = MembershipUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = membership_set(
            user=membership.user,
            organization=membership.organization,
            workspace=membership.workspace,
            role=data.validated_data["role"],
        )
        forget_cached_roles(self.principal())
        return Response(MembershipSerializer(membership).data)

    @extend_schema(
        summary="Remove a member",
        description="Removing the last owner answers 409.",
        request=None,
        responses={204: None, **errors(403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        membership_remove(membership=self._changeable())
        forget_cached_roles(self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)
