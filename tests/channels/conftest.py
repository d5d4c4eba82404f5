"""Channel fixtures: local servers for the networks' APIs (session scoped; each
test starts from a clean state)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.x import FakeX


@pytest.fixture
def x_api(settings) -> Iterator[FakeX]:  # type: ignore[no-untyped-def]
    """A local X API v2 server (tests/fakes/x.py); the X connector calls it."""
    with FakeX() as server:
        settings.X_API_BASE_URL = server.base_url
        settings.OUTBOUND_ALLOW_PRIVATE = True
        yield server
