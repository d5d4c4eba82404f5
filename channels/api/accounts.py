"""`/api/v1/channels/`: connect, rename, disable, test and disconnect channel
accounts.

Credentials are write-only: they go in on create and reconnect, are stored
encrypted, and never come back in any answer (the schema marks them
`writeOnly`). The rules live in `channels.accounts`. The older read-only
`/api/v1/channel-accounts/` (campaigns issue) keeps working beside this.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response

from campaigns.api.base import ApiViewSet
from campaigns.api.channel_accounts import named_choice
from campaigns.api.common import ModelSerializer, StrictSerializer
from campaigns.api.docs import RETRY_AFTER, errors
from campaigns.api.workspace_refs import WorkspaceField, WorkspaceFilter
from campaigns.permissions import Action, is_api_key, visible_workspaces
from channels import accounts, newsletter
from channels.models import (
    AccountStatus,
    ChannelAccount,
    Network,
    Subscriber,
    SubscriberStatus,
)
from channels.outbound_urls import url_problem
from content import copy_limits
from content.channel_rules import rules_for

SECURITY_CHOICES = [("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None")]


class CapabilitiesSerializer(serializers.Serializer):
    text_limit = serializers.IntegerField(allow_null=True)
    max_images = serializers.IntegerField()
    max_image_bytes = serializers.IntegerField(allow_null=True)
    threads = serializers.BooleanField()
    first_comment = serializers.BooleanField()
    link_cards = serializers.BooleanField()


class AccountLimitsSerializer(serializers.Serializer):
    max_length = serializers.IntegerField(
        allow_null=True, help_text="Text length in `unit`; null: no limit."
    )
    unit = serializers.CharField(
        help_text="weighted chars (X), graphemes or chars (UTF-16 units)."
    )
    max_images = serializers.IntegerField(allow_null=True)
    max_image_bytes = serializers.IntegerField(allow_null=True)
    own = serializers.ListField(child=serializers.CharField())


class ChannelSerializer(ModelSerializer):
    network = named_choice("Network", Network.choices, read_only=True)
    status = named_choice("ChannelAccountStatus", AccountStatus.choices, read_only=True)
    connected = serializers.SerializerMethodField(
        help_text="Whether credentials are stored (never the credentials)."
    )
    capabilities = serializers.SerializerMethodField(
        help_text="What the network accepts; null while it has no connector."
    )
    audience = serializers.SerializerMethodField(
        help_text="Email newsletters: subscribers per status (pending, confirmed, "
        "unsubscribed, bounced); null for other networks."
    )
    limits = serializers.SerializerMethodField(
        help_text="The limits copy for this account must meet before it can be "
        "chosen, approved or scheduled: the network's, or the account's own where "
        "it sets them (a Mastodon instance's, read by 'Test connection'; `own` "
        "names those)."
    )

    class Meta:
        model = ChannelAccount
        fields = [
            "id",
            "workspace",
            "network",
            "name",
            "handle",
            "avatar_url",
            "status",
            "connected",
            "last_error",
            "last_checked_at",
            "connected_at",
            "token_expires_at",
            "created_at",
            "capabilities",
            "audience",
            "limits",
        ]
        read_only_fields = fields

    def get_connected(self, account: ChannelAccount) -> bool:
        return bool(account.credentials)

    @extend_schema_field(CapabilitiesSerializer(allow_null=True))
    def get_capabilities(self, account: ChannelAccount) -> dict[str, Any] | None:
        return accounts.capabilities_for(account.network)

    @extend_schema_field(AccountLimitsSerializer)
    def get_limits(self, account: ChannelAccount) -> dict[str, Any]:
        limits = copy_limits.limits_for(account.network, account.limits)
        return {
            "max_length": limits.max_length,
            "unit": rules_for(account.network).unit,
            "max_images": limits.max_images,
            "max_image_bytes": limits.max_image_bytes,
            "own": sorted(limits.own),
        }

    @extend_schema_field(
        serializers.DictField(child=serializers.IntegerField(), allow_null=True)
    )
    def get_audience(self, account: ChannelAccount) -> dict[str, int] | None:
        if account.network != Network.EMAIL:
            return None
        return newsletter.audience_counts([account.pk])[account.pk]


class SubscriberSerializer(serializers.ModelSerializer):
    status = named_choice("SubscriberStatus", SubscriberStatus.choices, read_only=True)

    class Meta:
        model = Subscriber
        fields = [
            "id",
            "email",
            "status",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
        ]
        read_only_fields = fields


class SubscriberCreateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=254)


def _secret(**kw: Any) -> serializers.CharField:
    return serializers.CharField(
        write_only=True, required=False, trim_whitespace=False, max_length=500, **kw
    )


# Which input fields each network uses; the others are refused for it.
NETWORK_FIELDS: dict[str, tuple[str, ...]] = {
    Network.WEBHOOK: ("url", "secret"),
    Network.BLUESKY: ("handle", "app_password", "service"),
    Network.EMAIL: (
        "host",
        "port",
        "security",
        "username",
        "password",
        "from_email",
        "from_name",
    ),
    Network.WORDPRESS: ("site_url", "username", "app_password"),
    Network.MASTODON: ("instance_url",),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    Network.WEBHOOK: ("url", "secret"),
    Network.BLUESKY: ("handle", "app_password"),
    Network.EMAIL: ("host", "port", "from_email"),
    Network.WORDPRESS: ("site_url", "username", "app_password"),
    Network.MASTODON: ("instance_url",),
}
ALL_FIELDS = {name for names in NETWORK_FIELDS.values() for name in names}


def _check_url(value: str, field: str) -> dict[str, list[str]]:
    problem = url_problem(value)
    return {field: [problem]} if problem else {}


class ChannelReconnectSerializer(StrictSerializer):
    """The network's own settings; `network` comes from the body on create and
    from the account on reconnect (`context["network"]`)."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    url = serializers.URLField(
        required=False, max_length=255, help_text="webhook: where to POST."
    )
    secret = _secret(
        min_length=16, help_text="webhook: the HMAC signing secret (16+ characters)."
    )
    handle = serializers.CharField(
        required=False, max_length=253, help_text="bluesky: e.g. roastery.bsky.social"
    )
    app_password = _secret(help_text="bluesky and wordpress: an app password.")
    service = serializers.URLField(
        required=False, help_text="bluesky: the PDS (default https://bsky.social)."
    )
    host = serializers.CharField(required=False, max_length=253, help_text="email")
    port = serializers.IntegerField(
        required=False, min_value=1, max_value=65535, help_text="email: 587 or 465"
    )
    security = serializers.ChoiceField(
        choices=SECURITY_CHOICES, required=False, help_text="email; default starttls"
    )
    username = serializers.CharField(
        required=False, max_length=254, help_text="email (SMTP) and wordpress"
    )
    password = _secret(help_text="email: the SMTP password.")
    from_email = serializers.EmailField(required=False, help_text="email: sender")
    from_name = serializers.CharField(required=False, max_length=200)
    site_url = serializers.URLField(required=False, help_text="wordpress: the site")
    instance_url = serializers.CharField(
        required=False, max_length=255, help_text="mastodon: e.g. mastodon.social"
    )

    def network(self, attrs: dict[str, Any]) -> str:
        return str(self.context.get("network") or attrs.get("network"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        network = self.network(attrs)
        label = Network(network).label
        used = NETWORK_FIELDS.get(network, ())
        problems: dict[str, list[str]] = {}
        for name in sorted(ALL_FIELDS & set(attrs) - set(used)):
            problems[name] = [f"Not used when connecting {label}."]
        for name in REQUIRED.get(network, ()):
            if attrs.get(name) in (None, ""):
                problems[name] = [f"Required to connect {label}."]
        for name in ("url", "site_url", "service"):
            if attrs.get(name):
                problems.update(_check_url(attrs[name], name))
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def credentials(self) -> tuple[dict[str, Any], str]:
        """(the credentials object to store encrypted, the webhook URL)."""
        data = self.validated_data
        network = self.network(data)
        if network == Network.WEBHOOK:
            return {"secret": data["secret"]}, data["url"]
        if network == Network.BLUESKY:
            return {
                "handle": data["handle"].strip().lstrip("@"),
                "app_password": data["app_password"],
                "service": (data.get("service") or "https://bsky.social").rstrip("/"),
            }, ""
        if network == Network.EMAIL:
            return {
                "host": data["host"].strip(),
                "port": data["port"],
                "security": data.get("security") or "starttls",
                "username": data.get("username", ""),
                "password": data.get("password", ""),
                "from_email": data["from_email"],
                "from_name": data.get("from_name", ""),
            }, ""
        if network == Network.WORDPRESS:
            return {
                "site_url": data["site_url"].rstrip("/"),
                "username": data["username"],
                "app_password": data["app_password"],
            }, ""
        return {}, ""


class ChannelCreateSerializer(ChannelReconnectSerializer):
    workspace = WorkspaceField()
    network = named_choice("Network", Network.choices)


class ChannelUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(
        required=False, help_text="false disables publishing; true enables it again."
    )


class AuthorizeSerializer(serializers.Serializer):
    authorize_url = serializers.URLField(
        help_text="Send the person here; the network returns them to AdLoop's "
        "callback, which creates (or reconnects) the account."
    )


class CheckSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    message = serializers.CharField()
    account = ChannelSerializer()


class ChannelFilter(filters.FilterSet):
    workspace = WorkspaceFilter()
    network = filters.ChoiceFilter(choices=Network.choices)
    status = filters.ChoiceFilter(choices=AccountStatus.choices)

    class Meta:
        model = ChannelAccount
        fields = ["workspace", "network", "status"]


CONNECT_EXAMPLES = [
    OpenApiExample(
        "Webhook",
        value={
            "workspace": 1,
            "network": "webhook",
            "name": "Zapier",
            "url": "https://hooks.example.com/adloop",
            "secret": "a-long-random-signing-secret",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Bluesky",
        value={
            "workspace": 1,
            "network": "bluesky",
            "handle": "roastery.bsky.social",
            "app_password": "abcd-efgh-ijkl-mnop",
        },
        request_only=True,
    ),
    OpenApiExample(
        "Mastodon (OAuth)",
        value={
            "workspace": 1,
            "network": "mastodon",
            "instance_url": "mastodon.social",
        },
        request_only=True,
    ),
]
CONNECT_RESPONSES = {
    201: ChannelSerializer,
    200: OpenApiResponse(
        AuthorizeSerializer,
        description="OAuth networks (mastodon, x, linkedin, facebook, instagram): "
        "where to send the person; needs a signed-in person, not a key (403).",
    ),
    **errors(400, 403, 404, 409),
}


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
class ChannelViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    create_permission = Action.MANAGE_CHANNELS
    serializer_class = ChannelSerializer
    filterset_class = ChannelFilter
    queryset = ChannelAccount.objects.none()  # schema only; see get_queryset

    action_permissions = {
        "partial_update": Action.MANAGE_CHANNELS,
        "destroy": Action.MANAGE_CHANNELS,
        "reconnect": Action.MANAGE_CHANNELS,
        "test": Action.MANAGE_CHANNELS,
        "subscribers": Action.MANAGE_CHANNELS,
        "subscriber": Action.MANAGE_CHANNELS,
    }

    def get_queryset(self) -> QuerySet[ChannelAccount]:
        return ChannelAccount.objects.filter(
            workspace__in=visible_workspaces(self.principal())
        ).order_by("workspace_id", "network", "name", "pk")

    def _unfiltered(self, pk: str) -> ChannelAccount:
        """The account by id, without the list's filters: the subscriber
        endpoints' `status` and `search` are about subscribers, not channels."""
        account = get_object_or_404(self.get_queryset(), pk=pk)
        self.check_object_permissions(self.request, account)
        return account

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

    @extend_schema(
        methods=["GET"],
        summary="A newsletter's subscribers",
        description="Newest first; filter with `status` and `search` (part of "
        "the address). Addresses are personal data: only keys and people who may "
        "manage channels see them (403 otherwise). 400 for a channel that is not "
        "an email newsletter.",
        parameters=[
            OpenApiParameter("status", str, enum=SubscriberStatus.values),
            OpenApiParameter("search", str),
        ],
        responses={200: SubscriberSerializer(many=True), **errors(400, 403, 404)},
    )
    @extend_schema(
        methods=["POST"],
        summary="Add a subscriber (double opt-in)",
        description="The address is `pending` and receives a confirmation link "
        "through the newsletter's own SMTP server; nothing else is sent to it "
        "before its owner confirms. Adding a confirmed address changes nothing "
        "(200); a new or returning one answers 201.",
        request=SubscriberCreateSerializer,
        responses={
            200: SubscriberSerializer,
            201: SubscriberSerializer,
            **errors(400, 403, 404),
        },
        examples=[
            OpenApiExample(
                "Add", value={"email": "reader@example.com"}, request_only=True
            )
        ],
    )
    @action(detail=True, methods=["get", "post"])
    def subscribers(self, request: Request, pk: str) -> Response:
        account = self._unfiltered(pk)
        if request.method == "GET":
            rows = newsletter.subscribers_for(
                account,
                by=self.principal(),
                status=request.query_params.get("status", ""),
                search=request.query_params.get("search", ""),
            )
            page = self.paginate_queryset(rows)
            data = SubscriberSerializer(page, many=True).data
            return self.get_paginated_response(data)
        data = SubscriberCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscriber = newsletter.subscriber_add(
            account=account, email=data.validated_data["email"], by=self.principal()
        )
        # Adding leaves a confirmed address as it is and makes any other pending.
        confirmed = subscriber.status == SubscriberStatus.CONFIRMED
        code = status.HTTP_200_OK if confirmed else status.HTTP_201_CREATED
        return Response(SubscriberSerializer(subscriber).data, status=code)

    @extend_schema(
        summary="Unsubscribe a subscriber",
        description="On the owner's request: the address stops receiving the "
        "newsletter at once and the row stays (so it is never mailed again by "
        "mistake). Idempotent.",
        request=None,
        responses={200: SubscriberSerializer, **errors(403, 404)},
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"subscribers/(?P<subscriber_id>\d+)",
        url_name="subscriber",
    )
    def subscriber(self, request: Request, pk: str, subscriber_id: str) -> Response:
        account = self._unfiltered(pk)
        subscriber = get_object_or_404(
            Subscriber.objects.filter(account=account), pk=subscriber_id
        )
        subscriber = newsletter.subscriber_remove(
            subscriber=subscriber, by=self.principal()
        )
        return Response(SubscriberSerializer(subscriber).data)
