"""Fixtures and helpers of the content tests: posts with channels, the OpenAI
path pointed at the local test server (`openai_llm`, `llm_server`), and running
a generation in-process."""

from __future__ import annotations

from typing import Any

import pytest

from campaigns.models import Post
from content import services
from content.models import Generation
from tests.factories import ChannelAccountFactory, PostFactory
from tests.llm_server import LLMServer, llm_server  # noqa: F401 (a fixture here)


def post_with_channels(workspace: Any, *networks: str, **fields: Any) -> Post:
    accounts = [
        ChannelAccountFactory(workspace=workspace, network=network)
        for network in networks or ("mastodon",)
    ]
    return PostFactory(
        campaign__workspace=workspace,
        accounts=accounts,
        link="https://example.test/espresso",
        **fields,
    )


def run(generation: Generation) -> Generation:
    """What the worker does, in-process (the integration test runs the worker)."""
    services.run_generation(generation.pk)
    generation.refresh_from_db()
    return generation


@pytest.fixture
def openai_llm(settings: Any, llm_server: LLMServer) -> LLMServer:  # noqa: F811
    """The server's provider is the OpenAI-compatible one, on the local server."""
    settings.LLM_PROVIDER = "openai"
    settings.LLM_MODEL = "test-model"
    settings.OPENAI_BASE_URL = llm_server.base_url
    settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
    settings.LLM_PRICES = {"test-model": {"in": 1.0, "out": 2.0}}
    settings.LLM_BACKOFF_SECONDS = 0.01
    settings.LLM_RETRY_DEADLINE_SECONDS = 5.0
    settings.LLM_TIMEOUT_SECONDS = 2.0
    return llm_server
