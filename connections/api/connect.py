"""The input of connecting and reconnecting a channel: which settings each
credential-based network takes, which it requires, and the credentials object
stored (encrypted) from them; plus the schema's examples and responses for it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework import serializers

from connections.api.channel_accounts import named_choice
from connections.api.serializers import AuthorizeSerializer, ChannelSerializer
from connections.models import Network
from core.api.common import StrictSerializer
from core.api.docs import errors
from core.outbound_urls import url_problem
from workspaces.api.workspace_refs import WorkspaceField

SECURITY_CHOICES = [("starttls", "STARTTLS"), ("ssl", "SSL/TLS"), ("none", "None")]


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

    def network_of(self, attrs: dict[str, Any]) -> str:
        # Not `network`: the create serializer declares a field of that name.
        return str(self.context.get("network") or attrs.get("network"))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        network = self.network_of(attrs)
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
        network = self.network_of(data)
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
