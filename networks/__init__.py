"""The connector registry: network key → dotted path, imported on first use.

Importing this package imports no network client; `get_connector("webhook")`
imports `networks.webhook.connector` the first time it is asked for. A network
without a connector yet raises `ConnectorNotAvailable`, which the publish task
turns into a permanent failure with a readable message.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module

from networks.base import (
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
    "webhook": "networks.webhook.connector.WebhookConnector",
    "email": "networks.email.connector.EmailConnector",
    "wordpress": "networks.wordpress.connector.WordPressConnector",
    "mastodon": "networks.mastodon.connector.MastodonConnector",
    "bluesky": "networks.bluesky.connector.BlueskyConnector",
    "x": "networks.x.connector.XConnector",
    "linkedin": "networks.linkedin.connector.LinkedInConnector",
    "facebook": "networks.facebook.connector.FacebookConnector",
    "instagram": "networks.instagram.connector.InstagramConnector",
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
