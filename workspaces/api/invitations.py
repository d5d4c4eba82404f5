"""`/api/v1/invitations/`: invite someone by email into a workspace.

Everything here needs manage_members (people only). The emailed link carries a
token that exists only in the email; no response ever shows it. Revoking keeps
the row (for the record) and is `POST …/{id}/revoke/`; there is no DELETE.
The API manages workspace invitations; organization-wide ones are the UI's.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.common import StrictSerializer
from core.api.docs import RETRY_AFTER, errors
from workspaces.api.base import ApiViewSet
from workspaces.api.members import ROLE_HELP
from workspaces.api.workspace_refs import WorkspaceField, WorkspaceFilter
from workspaces.models import Invitation, Role
from workspaces.permissions import (
    Action,
    can,
    visible_workspaces,
    workspaces_where,
)
from workspaces.services.invitations import invitation_create, invitation_revoke

STATUSES = ["pending", "accepted", "revoked", "expired"]
FORBIDDEN = "Managing invitations needs an owner or admin role in the workspace."


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    invited_by = serializers.EmailField(
        source="invited_by.email", read_only=True, allow_null=True
    )
    status = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = [
            "id",
            "organization",
            "workspace",
            "email",
            "role",
            "status",
            "invited_by",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        ]
        read_only_fields = fields

    def get_status(self, invitation: Invitation) -> str:
        if invitation.accepted_at is not None:
            return "accepted"
        if invitation.revoked_at is not None:
            return "revoked"
        return "pending" if invitation.is_pending else "expired"


class InvitationCreateSerializer(StrictSerializer):
    workspace = WorkspaceField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices, help_text=ROLE_HELP)


class InvitationFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    status = filters.ChoiceFilter(
        choices=[(s, s) for s in STATUSES], method="filter_status"
    )

    class Meta:
        model = Invitation
        fields = ["workspace", "status"]

    def filter_status(
        self, queryset: QuerySet[Invitation], name: str, value: str
    ) -> QuerySet[Invitation]:
        now = timezone.now()
        open_ = queryset.filter(accepted_at__isnull=True, revoked_at__isnull=True)
        return {
            "accepted": queryset.filter(accepted_at__isnull=False),
            "revoked": queryset.filter(
                accepted_at__isnull=True, revoked_at__isnull=False
            ),
            "pending": open_.filter(expires_at__gt=now),
            "expired": open_.filter(expires_at__lte=now),
        }[value]


@extend_schema(tags=["invitations"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List invitations",
        description="Invitations of the workspaces where the caller manages "
        "members, newest first.",
        responses={200: InvitationSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get an invitation",
        responses={200: InvitationSerializer, **errors(403, 404)},
        examples=[
            OpenApiExample(
                "A pending invitation",
                value={
                    "id": 7,
                    "organization": 1,
                    "workspace": 1,
                    "email": "cmo@contoso.com",
                    "role": "client",
                    "status": "pending",
                    "invited_by": "owner@northwind.example",
                    "created_at": "2025-01-01T09:00:00Z",
                    "expires_at": "2025-01-08T09:00:00Z",
                    "accepted_at": None,
                    "revoked_at": None,
                },
                response_only=True,
            )
        ],
    ),
)
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.MANAGE_MEMBERS
    serializer_class = InvitationSerializer
    filterset_class = InvitationFilter
    queryset = Invitation.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[Invitation]:
        # A list shows what the caller may manage. A single invitation is looked
        # up among every visible workspace, so that one the caller may not manage
        # answers 403 (get_object) and one of another tenant answers 404.
        principal = self.principal()
        workspaces = (
            workspaces_where(principal, Action.MANAGE_MEMBERS)
            if self.action == "list"
            else visible_workspaces(principal)
        )
        return Invitation.objects.filter(workspace__in=workspaces).select_related(
            "invited_by", "workspace"
        )

    def get_object(self) -> Invitation:
        invitation: Invitation = super().get_object()
        workspace = invitation.workspace  # the queryset lists workspace ones only
        if workspace is None or not can(
            self.principal(), Action.MANAGE_MEMBERS, workspace
        ):
            raise exceptions.PermissionDenied(FORBIDDEN)
        return invitation

    @extend_schema(
        summary="Invite someone",
        description="Emails a link (after the transaction commits) that makes its "
        "accepter a member with this role. Needs manage_members.",
        request=InvitationCreateSerializer,
        responses={201: InvitationSerializer, **errors(400, 403, 413, 415)},
        examples=[
            OpenApiExample(
                "Invite a client",
                value={"workspace": 1, "email": "cmo@contoso.com", "role": "client"},
                request_only=True,
            )
        ],
    )
    def create(self, request: Request) -> Response:
        data = InvitationCreateSerializer(
            data=request.data, context={"request": request}
        )
        data.is_valid(raise_exception=True)
        workspace = data.validated_data["workspace"]
        if not can(self.principal(), Action.MANAGE_MEMBERS, workspace):
            raise exceptions.PermissionDenied(FORBIDDEN)
        issued = invitation_create(
            organization=workspace.organization,
            workspace=workspace,
            email=data.validated_data["email"],
            role=data.validated_data["role"],
            invited_by=self.principal(),
        )
        return Response(
            InvitationSerializer(issued.invitation).data, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Revoke an invitation",
        operation_id="v1_invitations_revoke",
        description="Its link stops working. Revoking twice is harmless; an "
        "accepted invitation answers 409 (remove the member instead).",
        request=None,
        responses={200: InvitationSerializer, **errors(403, 404, 409)},
        examples=[
            OpenApiExample(
                "Revoked",
                value={"id": 7, "email": "cmo@contoso.com", "status": "revoked"},
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        invitation = invitation_revoke(invitation=self.get_object())
        return Response(InvitationSerializer(invitation).data)
