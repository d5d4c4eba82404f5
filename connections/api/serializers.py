"""What `/api/v1/channels/` answers with (and its legacy alias
`/api/v1/channel-accounts/`, `ChannelAccountSerializer`), and the small inputs
that are not a connection's credentials (those are `connections.api.connect`).

Credentials never appear here: an account says only whether it has some
(`connected`).
"""

from __future__ import annotations

from typing import Any

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from connections import accounts
from connections.api.channel_accounts import named_choice
from connections.audience import audience_counts
from connections.models import AccountStatus, ChannelAccount, Network
from core.api.common import ModelSerializer, StrictSerializer
from networks import limits as copy_limits
from networks.textrules import rules_for
from workspaces.api.workspace_refs import WorkspaceFilter


class CapabilitiesSerializer(serializers.Serializer[Any]):
    text_limit = serializers.IntegerField(allow_null=True)
    max_images = serializers.IntegerField()
    max_image_bytes = serializers.IntegerField(allow_null=True)
    threads = serializers.BooleanField()
    first_comment = serializers.BooleanField()
    link_cards = serializers.BooleanField()


class AccountLimitsSerializer(serializers.Serializer[Any]):
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
        counts = audience_counts([account.pk])
        return None if counts is None else counts[account.pk]


class ChannelUpdateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=200, required=False)
    enabled = serializers.BooleanField(
        required=False, help_text="false disables publishing; true enables it again."
    )


class AuthorizeSerializer(serializers.Serializer[Any]):
    authorize_url = serializers.URLField(
        help_text="Send the person here; the network returns them to AdLoop's "
        "callback, which creates (or reconnects) the account."
    )


class CheckSerializer(serializers.Serializer[Any]):
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


# The shape `/api/v1/channel-accounts/` has always answered with (that alias
# keeps it; `ChannelSerializer` is the full one). A comment: a docstring would
# become the schema component's description.
class ChannelAccountSerializer(serializers.ModelSerializer[ChannelAccount]):
    status = named_choice("ChannelAccountStatus", AccountStatus.choices, read_only=True)

    class Meta:
        model = ChannelAccount
        fields = ["id", "workspace", "network", "name", "handle", "status"]
        read_only_fields = fields
