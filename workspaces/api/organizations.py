"""`/api/v1/organizations/`: the organizations the caller belongs to.

Anyone signed in may create an organization and becomes its owner. API keys
cannot: a key belongs to one organization already, and letting a leaked key
spawn new tenants would turn a leak into a foothold.
"""

from __future__ import annotations

from django.db.models import QuerySet
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
from core.api.strict_fields import StrictBooleanField
from workspaces import twofactor
from workspaces.api.base import ApiViewSet
from workspaces.models import Organization
from workspaces.permissions import is_api_key, visible_organizations
from workspaces.services.tenancy import organization_create


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "require_two_factor", "created_at"]
        read_only_fields = fields


class OrganizationCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(
        max_length=60, required=False, help_text="Made from the name when omitted."
    )


class OrganizationRuleSerializer(StrictSerializer):
    require_two_factor = StrictBooleanField(
        help_text="Every member must use two-factor sign-in."
    )


@extend_schema(tags=["organizations"])
@extend_schema_view(
    list=extend_schema(
        summary="List organizations",
        description="The organizations the caller belongs to (a key: its own).",
        responses={200: OrganizationSerializer(many=True), **errors()},
        parameters=[RETRY_AFTER],
    ),
    retrieve=extend_schema(
        summary="Get an organization",
        responses={200: OrganizationSerializer, **errors(404)},
        parameters=[RETRY_AFTER],
        examples=[
            OpenApiExample(
                "An agency",
                value={
                    "id": 1,
                    "name": "Northwind Agency",
                    "slug": "northwind",
                    "created_at": "2025-01-01T09:00:00Z",
                },
                response_only=True,
            )
        ],
    ),
)
class OrganizationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = OrganizationSerializer
    queryset = Organization.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[Organization]:
        return visible_organizations(self.principal()).order_by("name", "pk")

    @extend_schema(
        summary="Create an organization",
        description="The signed-in person becomes its owner. API keys get 403.",
        request=OrganizationCreateSerializer,
        responses={201: OrganizationSerializer, **errors(400, 403, 413, 415)},
        parameters=[RETRY_AFTER],
        examples=[
            OpenApiExample(
                "New agency", value={"name": "Northwind Agency"}, request_only=True
            ),
            OpenApiExample(
                "With a chosen slug",
                value={"name": "Northwind Agency", "slug": "northwind"},
                request_only=True,
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        if is_api_key(self.principal()):
            raise exceptions.PermissionDenied(
                "API keys cannot create organizations; sign in as a person."
            )
        data = OrganizationCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organization = organization_create(
            owner=self.principal(), **data.validated_data
        )
        return Response(
            OrganizationSerializer(organization).data, status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change an organization's two-factor rule",
        description="`require_two_factor`: every member must set up two-factor "
        "sign-in before using AdLoop (members without it reach only the set-up "
        "page; their personal access tokens answer 401). Organization-wide "
        "owners and admins, signed in; API keys get 403. Turning it on needs "
        "two-factor sign-in on your own account first (400).",
        request=OrganizationRuleSerializer,
        responses={200: OrganizationSerializer, **errors(400, 403, 404, 413, 415)},
        parameters=[RETRY_AFTER],
        examples=[
            OpenApiExample(
                "Require two-factor sign-in",
                value={"require_two_factor": True},
                request_only=True,
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        organization = self.get_object()
        if not twofactor.may_set_requirement(self.principal(), organization):
            raise exceptions.PermissionDenied(
                "Only the organization's owners and admins, signed in, can "
                "change its two-factor rule."
            )
        data = OrganizationRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        twofactor.organization_set_requirement(
            organization=organization,
            required=data.validated_data["require_two_factor"],
            by=self.principal(),
        )
        return Response(OrganizationSerializer(organization).data)
