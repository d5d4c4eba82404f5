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
from networks.registry import profiles

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

# Network key → the connector's dotted path, from each package's profile
# (`networks.registry`); a dict tests may patch.
REGISTRY: dict[str, str] = {key: p.connector for key, p in profiles().items()}


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
