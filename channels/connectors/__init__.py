"""The connector registry: network key → dotted path, imported on first use.

Importing this package imports no network client; `get_connector("webhook")`
imports `channels.connectors.webhook` the first time it is asked for. A network
without a connector yet raises `ConnectorNotAvailable`, which the publish task
turns into a permanent failure with a readable message.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from channels.connectors.base import (
    Capabilities,
    Connector,
    ConnectorError,
    PublishRequest,
    PublishResult,
    SupportsCheck,
    SupportsLookup,
)

__all__ = [
    "REGISTRY",
    "Capabilities",
    "Connector",
    "ConnectorError",
    "ConnectorNotAvailable",
    "PublishRequest",
    "PublishResult",
    "SupportsCheck",
    "SupportsLookup",
    "get_connector",
]

REGISTRY: dict[str, str] = {
    "webhook": "channels.connectors.webhook.WebhookConnector",
    "email": "channels.connectors.email.EmailConnector",
    "wordpress": "channels.connectors.wordpress.WordPressConnector",
    "mastodon": "channels.connectors.mastodon.MastodonConnector",
    "bluesky": "channels.connectors.bluesky.BlueskyConnector",
    "x": "channels.connectors.x.XConnector",
    "linkedin": "channels.connectors.linkedin.LinkedInConnector",
    "facebook": "channels.connectors.facebook.FacebookConnector",
    "instagram": "channels.connectors.instagram.InstagramConnector",
}


class ConnectorNotAvailable(LookupError):
    """No connector is registered for this network (yet)."""


@cache
def get_connector(key: str) -> Connector:
    """The (stateless, shared) connector instance for a network key."""
    path = REGISTRY.get(key)
    if path is None:
        raise ConnectorNotAvailable(key)
    module_name, _, class_name = path.rpartition(".")
    cls = getattr(import_module(module_name), class_name)
    connector: Connector = cls()
    return connector
