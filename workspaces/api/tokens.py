"""`/api/v1/personal-access-tokens/`: a person manages their own tokens (the
authentication itself is `workspaces.api.token_auth`).

A token's requests carry the `User` as `request.user` (and the token as
`request.auth`), so every role and four-eyes rule of that person applies and
the post history names them, noting the token. Only people manage tokens, and
only their own: another person's token id answers 404. A token may list and
revoke tokens but not mint one, so a leaked token cannot outlive its
revocation through a successor (the same rule as for API keys).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.cache import add_never_cache_headers
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from core.api.common import StrictSerializer
from core.api.docs import RETRY_AFTER, errors
from workspaces.api.base import ApiViewSet
from workspaces.models import PersonalAccessToken, User
from workspaces.services import personal_tokens

FORBIDDEN = (
    "Personal access tokens belong to people: sign in, or use one of your own "
    "tokens (API keys cannot manage them)."
)
NO_MINTING = (
    "A personal access token cannot create tokens: create them signed in "
    "(Settings → Security) or with your session."
)


class PersonalAccessTokenSerializer(serializers.ModelSerializer[PersonalAccessToken]):
    active = serializers.BooleanField(
        source="is_active", read_only=True, help_text="Neither revoked nor expired."
    )

    class Meta:
        model = PersonalAccessToken
        fields = [
            "id",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "active",
        ]
        read_only_fields = fields


class PersonalAccessTokenCreatedSerializer(PersonalAccessTokenSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="`Authorization: Bearer <secret>`. Shown in this response "
        "only; store it now.",
    )

    class Meta(PersonalAccessTokenSerializer.Meta):
        fields = [*PersonalAccessTokenSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class PersonalAccessTokenCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    expires_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        help_text="When it stops working (ISO 8601); omitted or null: until revoked.",
    )


_EXAMPLE = {
    "id": 4,
    "name": "Review bot",
    "prefix": "5d1e9a02",
    "created_at": "2025-01-01T09:00:00Z",
    "expires_at": None,
    "last_used_at": "2025-01-02T10:30:00Z",
    "revoked_at": None,
    "active": True,
}


@extend_schema(tags=["personal-access-tokens"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List your personal access tokens",
        description="The caller's own tokens, revoked and expired ones included. "
        "Never the secret.",
        responses={200: PersonalAccessTokenSerializer(many=True), **errors(403)},
    ),
    retrieve=extend_schema(
        summary="Get one of your personal access tokens",
        responses={200: PersonalAccessTokenSerializer, **errors(403, 404)},
        examples=[OpenApiExample("A token", value=_EXAMPLE, response_only=True)],
    ),
)
class PersonalAccessTokenViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    serializer_class = PersonalAccessTokenSerializer
    queryset = PersonalAccessToken.objects.none()  # schema only; see get_queryset
    filterset_class = None

    def _person(self) -> User:
        principal = self.principal()
        if not isinstance(principal, User):
            raise exceptions.PermissionDenied(FORBIDDEN)
        return principal

    def get_queryset(self) -> QuerySet[PersonalAccessToken]:
        principal = self.principal()
        if not isinstance(principal, User):
            if self.action == "list":
                raise exceptions.PermissionDenied(FORBIDDEN)
            # A key has no tokens: any id is as absent as another person's.
            return PersonalAccessToken.objects.none()
        return personal_tokens.tokens_of(principal)

    @extend_schema(
        summary="Create a personal access token",
        description="Signed in only (not with a token or a key). Refused (400, "
        "code `invalid`) while an organization of yours requires two-factor "
        "sign-in and you have not set it up. The response holds the only copy "
        "of the secret.",
        request=PersonalAccessTokenCreateSerializer,
        responses={
            201: PersonalAccessTokenCreatedSerializer,
            **errors(400, 403, 413, 415),
        },
        examples=[
            OpenApiExample(
                "A token for a review bot",
                value={"name": "Review bot", "expires_at": "2026-01-01T00:00:00Z"},
                request_only=True,
            ),
        ],
    )
    def create(self, request: Request) -> Response:
        person = self._person()
        if request.auth is not None:
            raise exceptions.PermissionDenied(NO_MINTING)
        data = PersonalAccessTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            issued = personal_tokens.token_create(
                user=person,
                name=data.validated_data["name"],
                expires_at=data.validated_data.get("expires_at"),
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_fields(error)) from None
        body = PersonalAccessTokenCreatedSerializer(issued.token).data
        response = Response({**body, "secret": issued.secret}, status.HTTP_201_CREATED)
        add_never_cache_headers(response)
        return response

    @extend_schema(
        summary="Revoke one of your personal access tokens",
        operation_id="v1_personal_access_tokens_revoke",
        description="The token answers 401 from now on; the row stays so the "
        "history keeps its name. Revoking twice is harmless.",
        request=None,
        responses={200: PersonalAccessTokenSerializer, **errors(403, 404)},
        examples=[
            OpenApiExample(
                "Revoked",
                value={**_EXAMPLE, "revoked_at": "2025-01-03T00:00:00Z"},
                response_only=True,
            )
        ],
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        token = personal_tokens.token_revoke(token=self.get_object())
        return Response(PersonalAccessTokenSerializer(token).data)


def _fields(error: DjangoValidationError) -> dict[str, Any]:
    if hasattr(error, "error_dict"):
        return {k: [str(m) for m in v] for k, v in error.message_dict.items()}
    return {"non_field_errors": [str(m) for m in error.messages]}
