"""Every network's rules by network key, and the look-ups on them."""

from __future__ import annotations

from types import ModuleType

from networks import registry
from networks.copy_types import ChannelSpec
from networks.textrules.base import NetworkRules

_NETWORKS: tuple[ModuleType, ...] = tuple(
    module
    for key in registry.NETWORKS
    if (module := registry.part(key, "rules")) is not None
)

RULES: dict[str, NetworkRules] = {m.RULES.network: m.RULES for m in _NETWORKS}

_NETWORK_NAMES: dict[str, str] = {m.RULES.network: m.NAME for m in _NETWORKS}


def rules_for(network: str) -> NetworkRules:
    try:
        return RULES[network]
    except KeyError:
        raise ValueError(f"Unknown network {network!r}.") from None


def spec_for(network: str, max_length: int | None = None) -> ChannelSpec:
    """The ChannelSpec a copy task carries; `max_length` (an instance's or an
    account's live limit) replaces the default one."""
    rules = rules_for(network)
    return ChannelSpec(
        network=network,
        account_id=None,
        max_length=max_length if max_length is not None else rules.max_length,
        max_hashtags=rules.max_hashtags,
        notes=rules.notes,
    )


def network_name(network: str) -> str:
    return _NETWORK_NAMES.get(network, network)
