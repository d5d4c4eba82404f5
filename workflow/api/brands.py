"""`/api/v1/brands/`: brand profiles (voice, audience, words, colours, logo).

Only the name is required to create one. Writes need edit_content in the brand's
workspace; the rules (list cleaning, unique names, a logo of the same workspace)
are `campaigns.services.brands`. Deleting a brand that campaigns use answers 409.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns import services
from campaigns.models import AIDisclosure, BrandProfile
from connections.api.channel_accounts import VisibleField
from content.models import Asset
from core.api.common import StrictSerializer
from core.api.docs import RETRY_AFTER, errors
from workspaces.api.base import ApiViewSet
from workspaces.api.workspace_refs import WorkspaceField, WorkspaceFilter
from workspaces.permissions import Action, visible_workspaces

LIST_HELP = "A list of texts."


class BrandSerializer(serializers.ModelSerializer[BrandProfile]):
    class Meta:
        model = BrandProfile
        fields = [
            "id",
            "workspace",
            "name",
            "description",
            "voice",
            "tone",
            "audience",
            "languages",
            "do_words",
            "dont_words",
            "required_hashtags",
            "required_mentions",
            "default_cta",
            "colours",
            "logo",
            "ai_disclosure",
            "ai_disclosure_networks",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


def _texts(**kw: Any) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, **kw
    )


class BrandUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(allow_blank=True, required=False)
    voice = serializers.CharField(allow_blank=True, required=False)
    tone = _texts(help_text="e.g. friendly, expert")
    audience = serializers.CharField(allow_blank=True, required=False)
    languages = _texts(help_text="BCP 47 codes: en, de-CH")
    do_words = _texts()
    dont_words = _texts()
    required_hashtags = _texts()
    required_mentions = _texts()
    default_cta = serializers.CharField(
        max_length=200, allow_blank=True, required=False
    )
    colours = _texts(help_text="#rrggbb values")
    logo = VisibleField(Asset, allow_null=True, required=False, label_text="asset")
    ai_disclosure = serializers.ChoiceField(
        choices=AIDisclosure.choices, required=False
    )
    ai_disclosure_networks = _texts(help_text="Networks that label AI content.")


class BrandCreateSerializer(BrandUpdateSerializer):
    workspace = WorkspaceField()
    name = serializers.CharField(max_length=200)


class BrandFilter(filters.FilterSet):
    workspace = WorkspaceFilter()

    class Meta:
        model = BrandProfile
        fields = ["workspace"]


BRAND_EXAMPLE = {
    "workspace": 1,
    "name": "Contoso Coffee",
    "voice": "Warm, plain-spoken, a little nerdy about beans.",
    "tone": ["friendly", "expert"],
    "languages": ["en", "de"],
    "required_hashtags": ["#contoso"],
    "colours": ["#3b2314"],
    "ai_disclosure": "always",
}


@extend_schema(tags=["brands"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List brand profiles",
        description="Brands of every visible workspace, by name; `?workspace=` "
        "(id or slug) narrows to one.",
        responses={200: BrandSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a brand profile",
        description="Voice, audience, words, hashtags, colours and the "
        "AI-disclosure policy the copy and image generators follow.",
        responses={200: BrandSerializer, **errors(404)},
    ),
)
class BrandViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.EDIT_CONTENT
    serializer_class = BrandSerializer
    filterset_class = BrandFilter
    queryset = BrandProfile.objects.none()  # schema only; see get_queryset

    action_permissions = {
        "partial_update": Action.EDIT_CONTENT,
        "destroy": Action.EDIT_CONTENT,
    }

    def get_queryset(self) -> QuerySet[BrandProfile]:
        return BrandProfile.objects.filter(
            workspace__in=visible_workspaces(self.principal())
        ).order_by("name", "pk")

    @extend_schema(
        summary="Create a brand profile",
        description="Only `workspace` and `name` are required. Needs edit_content.",
        request=BrandCreateSerializer,
        responses={201: BrandSerializer, **errors(400, 403, 413, 415)},
        examples=[OpenApiExample("A brand", value=BRAND_EXAMPLE, request_only=True)],
    )
    def create(self, request: Request) -> Response:
        data = BrandCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        workspace = fields.pop("workspace")
        brand = services.brands.brand_create(
            workspace=workspace, by=self.principal(), data=fields
        )
        return Response(BrandSerializer(brand).data, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change a brand profile",
        description="Lists are replaced whole. Needs edit_content.",
        request=BrandUpdateSerializer,
        responses={200: BrandSerializer, **errors(400, 403, 404, 413, 415)},
        examples=[
            OpenApiExample(
                "New words",
                value={"do_words": ["roast", "origin"], "dont_words": ["cheap"]},
                request_only=True,
            )
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        brand = self.get_object()
        data = BrandUpdateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        brand = services.brands.brand_update(
            brand=brand, by=self.principal(), data=dict(data.validated_data)
        )
        return Response(BrandSerializer(brand).data)

    @extend_schema(
        summary="Delete a brand profile",
        description="A brand that campaigns use answers 409 (`in_use`).",
        request=None,
        responses={204: None, **errors(403, 404, 409)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        services.brands.brand_delete(brand=self.get_object(), by=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)
