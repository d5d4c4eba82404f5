"""`/api/v1/channels/`: connect, rename, disable, test and disconnect channel
accounts; and `/api/v1/channel-accounts/`, its deprecated read-only alias.

Credentials are write-only: they go in on create and reconnect, are stored
encrypted, and never come back in any answer (the schema marks them
`writeOnly`). The rules live in `connections.accounts`.

Both resources are one implementation (`ChannelAccountsBase`: the same
accounts, scoped the same way, filtered and ordered the same way). The alias
keeps the narrow answer it has always given (`ChannelAccountSerializer`) so
its clients keep working, and says on every answer that it is deprecated
(RFC 9745 `Deprecation`, with a `Link` to `/api/v1/channels/`, RFC 8594).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from connections import accounts
from connections.api.connect import (
    CONNECT_EXAMPLES,
    CONNECT_RESPONSES,
    ChannelCreateSerializer,
    ChannelReconnectSerializer,
)
from connections.api.serializers import (
    ChannelAccountSerializer,
    ChannelFilter,
    ChannelSerializer,
    ChannelUpdateSerializer,
    CheckSerializer,
)
from connections.models import ChannelAccount
from core.api.docs import RETRY_AFTER, errors
from workspaces.api.base import ApiViewSet
from workspaces.permissions import Action, is_api_key, visible_workspaces


# The accounts of every workspace the caller can see, filtered and ordered
# one way: the channels resources here and the newsletter's subscriber actions
# on `/api/v1/channels/{id}/` (publishing.api.channel_subscribers). (A comment,
# not a docstring: drf-spectacular would show a docstring as the description of
# every operation that has none of its own.)
class ChannelScope(ApiViewSet):
    filterset_class = ChannelFilter
    queryset = ChannelAccount.objects.none()  # schema only; see get_queryset

    def get_queryset(self) -> QuerySet[ChannelAccount]:
        return ChannelAccount.objects.filter(
            workspace__in=visible_workspaces(self.principal())
        ).order_by("workspace_id", "network", "name", "pk")


# Listing and reading them.
class ChannelAccountsBase(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, ChannelScope
):
    pass


@extend_schema(tags=["channels"], parameters=[RETRY_AFTER])
@extend_schema_view(
    list=extend_schema(
        summary="List channels",
        description="Every visible workspace's channel accounts with their "
        "status, last error and the network's capabilities.",
        responses={200: ChannelSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a channel",
        description="Credentials are never returned.",
        responses={200: ChannelSerializer, **errors(404)},
    ),
)
class ChannelViewSet(ChannelAccountsBase):
    create_permission = Action.MANAGE_CHANNELS
    serializer_class = ChannelSerializer

    action_permissions = {
        "partial_update": Action.MANAGE_CHANNELS,
        "destroy": Action.MANAGE_CHANNELS,
        "reconnect": Action.MANAGE_CHANNELS,
        "test": Action.MANAGE_CHANNELS,
    }

    def _connect(
        self,
        data: ChannelReconnectSerializer,
        *,
        workspace: Any,
        network: str,
        account: ChannelAccount | None = None,
    ) -> Response:
        if network in accounts.OAUTH_NETWORKS:
            if is_api_key(self.principal()):
                raise exceptions.PermissionDenied(
                    "Connecting by signing in needs a person, not an API key."
                )
            url = accounts.account_oauth_start(
                workspace=workspace,
                network=network,
                by=self.principal(),
                instance_url=data.validated_data.get("instance_url", ""),
                account=account,
            )
            return Response({"authorize_url": url})
        credentials, url = data.credentials()
        code = status.HTTP_201_CREATED if account is None else status.HTTP_200_OK
        account = accounts.account_connect(
            workspace=workspace,
            network=network,
            name=data.validated_data.get("name", ""),
            credentials=credentials,
            url=url,
            by=self.principal(),
            account=account,
        )
        return Response(ChannelSerializer(account).data, status=code)

    @extend_schema(
        summary="Connect a channel",
        description="Credential-based networks (webhook, bluesky, email, "
        "wordpress) are stored at once (201; try them with `test`). OAuth "
        "networks answer 200 with the authorization URL. Needs manage_channels.",
        request=ChannelCreateSerializer,
        responses=CONNECT_RESPONSES,
        examples=CONNECT_EXAMPLES,
    )
    def create(self, request: Request) -> Response:
        data = ChannelCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        return self._connect(
            data,
            workspace=data.validated_data["workspace"],
            network=data.validated_data["network"],
        )

    @extend_schema(
        summary="Reconnect a channel",
        description="New credentials for the same network (200 with the "
        "account), or the authorization URL for an OAuth network.",
        request=ChannelReconnectSerializer,
        responses={
            200: ChannelSerializer,
            **{k: v for k, v in CONNECT_RESPONSES.items() if k not in (200, 201)},
        },
    )
    @action(detail=True, methods=["post"])
    def reconnect(self, request: Request, pk: str) -> Response:
        account = self.get_object()
        data = ChannelReconnectSerializer(
            data=request.data,
            context={"request": request, "network": account.network},
        )
        data.is_valid(raise_exception=True)
        return self._connect(
            data, workspace=account.workspace, network=account.network, account=account
        )

    @extend_schema(
        summary="Rename, disable or enable a channel",
        request=ChannelUpdateSerializer,
        responses={200: ChannelSerializer, **errors(400, 403, 404, 409)},
        examples=[
            OpenApiExample("Disable", value={"enabled": False}, request_only=True)
        ],
    )
    def partial_update(self, request: Request, pk: str) -> Response:
        account = self.get_object()
        data = ChannelUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = accounts.account_update(
            account, by=self.principal(), **data.validated_data
        )
        return Response(ChannelSerializer(account).data)

    @extend_schema(
        summary="Disconnect a channel",
        description="Wipes the credentials, disables the account and cancels "
        "its scheduled publications (their error says why). The account stays "
        "listed, with its publishing history.",
        request=None,
        responses={204: None, **errors(403, 404)},
    )
    def destroy(self, request: Request, pk: str) -> Response:
        accounts.account_disconnect(self.get_object(), by=self.principal())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Test a channel's connection",
        description="Runs the connector's check (one cheap read with the stored "
        "credentials) and records `last_checked_at`, `last_error` and, when the "
        "network refuses the credentials, `needs_reconnect`. It answers within "
        "OUTBOUND_CHECK_TIMEOUT_SECONDS (10 s) however slowly the network "
        "answers: a slow or oversized answer is `ok: false` with the reason in "
        "`message`. 409 when the network has no connector (or no check) yet.",
        request=None,
        responses={200: CheckSerializer, **errors(403, 404, 409)},
    )
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        outcome = accounts.account_check(self.get_object(), by=self.principal())
        return Response(
            {
                "ok": outcome.ok,
                "message": outcome.message,
                "account": ChannelSerializer(outcome.account).data,
            }
        )


# When `/api/v1/channel-accounts/` became an alias (2026-12-07T00:00:00Z), as
# RFC 9745's structured date: `@` and the Unix time.
DEPRECATED_SINCE = "@1796601600"
DEPRECATION_HEADERS = [
    OpenApiParameter(
        "Deprecation",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description="When this resource was deprecated (RFC 9745): use "
        "`/api/v1/channels/`.",
    ),
    OpenApiParameter(
        "Link",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=True,
        description='The successor, `rel="successor-version"` (RFC 5829).',
    ),
]


@extend_schema(
    tags=["channel accounts"],
    parameters=[RETRY_AFTER, *DEPRECATION_HEADERS],
    deprecated=True,
)
@extend_schema_view(
    list=extend_schema(
        summary="List channel accounts",
        description="Deprecated alias of `GET /api/v1/channels/` with fewer "
        "fields. The accounts of every visible workspace; their ids go into "
        "a campaign's `channels` and a post's `accounts`.",
        responses={200: ChannelAccountSerializer(many=True), **errors(400)},
    ),
    retrieve=extend_schema(
        summary="Get a channel account",
        description="Deprecated alias of `GET /api/v1/channels/{id}/`. One "
        "account: its network, display name, handle and connection status. "
        "Credentials are never returned.",
        responses={200: ChannelAccountSerializer, **errors(404)},
    ),
)
class ChannelAccountViewSet(ChannelAccountsBase):
    """`/api/v1/channel-accounts/`: the channels list and detail, read-only,
    in the shape this older resource has always had."""

    serializer_class = ChannelAccountSerializer

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        successor = "/api/v1/channels/"
        pk = str(self.kwargs.get("pk", ""))
        if pk.isdigit() and response.status_code < 400:  # the account exists
            successor = f"{successor}{pk}/"
        response["Deprecation"] = DEPRECATED_SINCE
        response["Link"] = f'<{successor}>; rel="successor-version"'
        return response
