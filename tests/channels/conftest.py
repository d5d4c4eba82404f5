"""Channel fixtures: local servers for the networks' APIs (session scoped; each
test starts from a clean state)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.graph import FakeGraph
from tests.fakes.linkedin import FakeLinkedIn
from tests.fakes.mastodon import FakeMastodon
from tests.fakes.x import FakeX
from tests.peers.pds import pds  # noqa: F401 (the real Bluesky PDS, session)
from tests.peers.wordpress import wordpress  # noqa: F401 (a real WordPress)


@pytest.fixture(scope="session")
def _mastodon_server() -> Iterator[FakeMastodon]:
    server = FakeMastodon().start()
    yield server
    server.stop()


@pytest.fixture
def mastodon_server(_mastodon_server: FakeMastodon, settings) -> Iterator[FakeMastodon]:
    """The fake Mastodon instance on 127.0.0.1, reset, with local targets allowed."""
    from networks.mastodon import client as mastodon

    settings.OUTBOUND_ALLOW_PRIVATE = True
    _mastodon_server.reset()
    mastodon.clear_instance_cache()
    yield _mastodon_server
    mastodon.clear_instance_cache()


@pytest.fixture
def x_api(settings) -> Iterator[FakeX]:
    """A local X API v2 server (tests/fakes/x.py); the X connector calls it."""
    with FakeX() as server:
        settings.X_API_BASE_URL = server.base_url
        settings.OUTBOUND_ALLOW_PRIVATE = True
        yield server


@pytest.fixture
def linkedin_api(settings) -> Iterator[FakeLinkedIn]:
    """A local LinkedIn API server (tests/fakes/linkedin.py) at a live version."""
    with FakeLinkedIn() as server:
        settings.LINKEDIN_API_BASE_URL = server.base_url
        settings.LINKEDIN_API_VERSION = "202510"
        settings.OUTBOUND_ALLOW_PRIVATE = True
        yield server


@pytest.fixture
def graph_api(settings, tmp_path) -> Iterator[FakeGraph]:
    """A local Graph API server (tests/fakes/graph.py) for Facebook Pages and
    Instagram. It also serves MEDIA_ROOT (a temporary folder) at SITE_URL, so
    Instagram's fetch of each image URL is a real HTTP request."""
    media_root = tmp_path / "media"
    media_root.mkdir()
    with FakeGraph(media_root=media_root) as server:
        settings.GRAPH_API_BASE_URL = server.base_url
        settings.GRAPH_API_VERSION = "v21.0"
        settings.MEDIA_ROOT = str(media_root)
        settings.MEDIA_URL = "/media/"
        settings.SITE_URL = server.base_url
        settings.INSTAGRAM_CONTAINER_POLL_SECONDS = 0.01
        settings.INSTAGRAM_CONTAINER_WAIT_SECONDS = 5.0
        settings.OUTBOUND_ALLOW_PRIVATE = True
        yield server
