"""Every registered connector fits the protocols its callers narrow with: the
publish task calls `lookup` where `Capabilities.lookup` says so, "Test
connection" calls `check`."""

from __future__ import annotations

import pytest

from networks import (
    REGISTRY,
    Connector,
    SupportsCheck,
    SupportsLookup,
    get_connector,
)


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_registered_connector_fits_the_protocols_it_claims(key: str) -> None:
    connector = get_connector(key)
    assert isinstance(connector, Connector)
    assert connector.key == key
    assert isinstance(connector, SupportsCheck)
    assert isinstance(connector, SupportsLookup) is connector.capabilities.lookup
