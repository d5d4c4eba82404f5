"""The input of connecting and reconnecting a channel: which settings each
credential-based network takes, which it requires, and the credentials object
stored (encrypted) from them, all read from the networks' declarations
(`networks/<key>/credentials.py`); plus the schema's examples and responses.
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
from networks import registry
from networks.credentials import (
    CHOICE,
    EMAIL,
    INTEGER,
    SECRET,
    URL,
    CredentialForm,
    Field,
)
from workspaces.api.workspace_refs import WorkspaceField


def api_field(field: Field) -> serializers.Field[Any, Any, Any, Any]:
    """The API's input for one declared credential field; every one is
    optional here: `validate` says which the account's network requires."""
    kw: dict[str, Any] = {"required": False}
    if field.api_help:
        kw["help_text"] = field.api_help
    # Only the bounds a field declares (an integer's min/max, a text's lengths).
    for name in ("max_length", "min_length", "min_value", "max_value"):
        if getattr(field, name) is not None:
            kw[name] = getattr(field, name)
    if field.kind == SECRET:
        return serializers.CharField(write_only=True, trim_whitespace=False, **kw)
    if field.kind == URL:
        return serializers.URLField(**kw)
    if field.kind == EMAIL:
        return serializers.EmailField(**kw)
    if field.kind == INTEGER:
        return serializers.IntegerField(**kw)
    if field.kind == CHOICE:
        return serializers.ChoiceField(choices=list(field.choices), **kw)
    return serializers.CharField(**kw)


# Each network's declared fields (`networks/<key>/credentials.py`), by key.
DECLARED: dict[str, CredentialForm] = registry.credential_forms()
# Which input fields each network uses; the others are refused for it.
NETWORK_FIELDS: dict[str, tuple[str, ...]] = {k: d.keys for k, d in DECLARED.items()}
REQUIRED: dict[str, tuple[str, ...]] = {k: d.required for k, d in DECLARED.items()}
# Every declared field once (the first network to declare a key describes it).
FIELDS: dict[str, Field] = {}
for _declared in DECLARED.values():
    for _field in _declared.fields:
        FIELDS.setdefault(_field.key, _field)
ALL_FIELDS = set(FIELDS)


def _check_url(value: str, field: str) -> dict[str, list[str]]:
    problem = url_problem(value)
    return {field: [problem]} if problem else {}


class ChannelReconnectSerializer(StrictSerializer):
    """The network's own settings; `network` comes from the body on create and
    from the account on reconnect (`context["network"]`)."""

    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    # The declared fields are added below, after `name`.

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
        for name, field in FIELDS.items():
            if field.public_url and attrs.get(name):
                problems.update(_check_url(attrs[name], name))
        if problems:
            raise serializers.ValidationError(problems)
        return attrs

    def credentials(self) -> tuple[dict[str, Any], str]:
        """(the credentials object to store encrypted, the webhook URL)."""
        data = self.validated_data
        declared = DECLARED.get(self.network_of(data))
        if declared is None or declared.build is None:
            return {}, ""
        return declared.build(data)


ChannelReconnectSerializer._declared_fields.update(
    (key, api_field(field)) for key, field in FIELDS.items()
)


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
        description=f"OAuth networks ({', '.join(registry.oauth_entries())}): "
        "where to send the person; needs a signed-in person, not a key (403).",
    ),
    **errors(400, 403, 404, 409),
}
