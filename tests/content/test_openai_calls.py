"""The one retry policy of OpenAI-protocol calls (content/openai_calls.py), proved
through both of its callers, the copy provider and the remote image provider,
with the real `openai` client against the local server (tests/llm_server.py)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from itertools import pairwise
from typing import Any

import httpx2
import openai
import pytest

from content.image_providers.remote import RemoteImageProvider
from content.images import ImageError, ImageRequest, get_image_provider
from content.llm import OpenAICompatibleProvider, get_provider
from content.openai_calls import BACKOFF_CAP_SECONDS, RetryPolicy, retry_after
from networks.copy_types import (
    BrandFacts,
    ChannelSpec,
    CopyTask,
    LLMError,
    RenderedPrompt,
)
from tests.llm_server import LLMServer, Recorded

TASK = CopyTask(
    brand=BrandFacts(name="AdLoop"),
    objective="signups",
    brief="A planner that writes a week of posts.",
    topic="Spring release",
    angle="save five hours a week",
    link="https://adloop.example/spring",
    language="en",
    channels=(ChannelSpec("x", None, 280),),
    count=1,
    prompt=RenderedPrompt("copy", "1", "You write social posts.", "Write them."),
)


@dataclass
class Caller:
    """One user of the policy: how to build it, call it and see its requests."""

    make: Callable[..., OpenAICompatibleProvider | RemoteImageProvider]
    call: Callable[[Any], object]
    requests: Callable[[], list[Recorded]]
    error: type[Exception]


@pytest.fixture(params=["copy", "image"])
def caller(
    request: pytest.FixtureRequest, settings: Any, llm_server: LLMServer
) -> Caller:
    """The copy provider or the remote image provider, on the local server, with
    the same timeout, deadline, attempts and backoff."""

    def configure(timeout: float, deadline: float, attempts: int) -> None:
        settings.OPENAI_BASE_URL = llm_server.base_url
        settings.OPENAI_API_KEY = "sk-test-not-a-real-key"
        settings.LLM_MAX_ATTEMPTS = attempts
        settings.LLM_BACKOFF_SECONDS = 0.2
        settings.LLM_TIMEOUT_SECONDS = settings.IMAGE_TIMEOUT_SECONDS = timeout
        settings.LLM_RETRY_DEADLINE_SECONDS = deadline
        settings.IMAGE_RETRY_DEADLINE_SECONDS = deadline

    def make_copy(
        timeout: float = 2.0, deadline: float = 10.0, attempts: int = 3
    ) -> OpenAICompatibleProvider:
        configure(timeout, deadline, attempts)
        provider = get_provider("openai", "test-model")
        assert isinstance(provider, OpenAICompatibleProvider)
        return provider

    def make_image(
        timeout: float = 2.0, deadline: float = 10.0, attempts: int = 3
    ) -> RemoteImageProvider:
        configure(timeout, deadline, attempts)
        settings.IMAGE_REMOTE_BASE_URL = ""
        settings.IMAGE_REMOTE_API_KEY = ""
        provider = get_image_provider("openai", "test-image-model")
        assert isinstance(provider, RemoteImageProvider)
        return provider

    if request.param == "copy":
        return Caller(
            make_copy, lambda p: p.write(TASK), llm_server.chat_requests, LLMError
        )
    return Caller(
        make_image,
        lambda p: p.generate(ImageRequest("a latte")),
        llm_server.image_requests,
        ImageError,
    )


def test_both_callers_hold_the_one_policy(caller: Caller) -> None:
    provider = caller.make(timeout=1.5, deadline=7.0, attempts=5)

    assert isinstance(provider.retry, RetryPolicy)
    assert (provider.retry.timeout, provider.retry.deadline) == (1.5, 7.0)
    assert provider.retry.max_attempts == 5


def test_a_429_is_retried_after_its_retry_after(
    caller: Caller, llm_server: LLMServer
) -> None:
    llm_server.enqueue("rate_limit", retry_after=0.6)

    caller.call(caller.make())

    first, second = caller.requests()
    assert (first.behaviour, second.behaviour) == ("rate_limit", "ok")
    assert second.at - first.at >= 0.6


def test_a_retry_after_past_the_deadline_gives_up_at_once_saying_it(
    caller: Caller, llm_server: LLMServer
) -> None:
    llm_server.enqueue("rate_limit", retry_after=30)
    provider = caller.make(deadline=10.0)
    started = time.monotonic()

    with pytest.raises(caller.error) as info:
        caller.call(provider)

    assert time.monotonic() - started < 2  # no sleep that cannot help
    err: Any = info.value
    assert not err.permanent
    assert (err.code, err.retry_after) == ("rate_limited", 30)
    assert "gave up after 1 attempt." in str(err)
    assert len(caller.requests()) == 1


def test_an_attempt_is_cut_to_what_is_left_of_the_deadline(
    caller: Caller, llm_server: LLMServer
) -> None:
    llm_server.enqueue("hang", count=3, hang_seconds=5)
    provider = caller.make(timeout=3.0, deadline=0.6, attempts=3)
    started = time.monotonic()

    with pytest.raises(caller.error) as info:
        caller.call(provider)

    assert time.monotonic() - started < 1.5  # not the 3 s timeout, nor 3 tries
    err: Any = info.value
    assert not err.permanent and err.code == "timeout"
    assert len(caller.requests()) == 1


def test_server_errors_stop_at_the_deadline_before_the_attempts(
    caller: Caller, llm_server: LLMServer
) -> None:
    llm_server.enqueue("server_error", count=20)
    provider = caller.make(deadline=1.0, attempts=20)
    started = time.monotonic()

    with pytest.raises(caller.error) as info:
        caller.call(provider)

    assert time.monotonic() - started < 1.3  # no wait begun past the deadline
    err: Any = info.value
    assert not err.permanent and err.code == "server_error"
    assert 2 <= len(caller.requests()) < 20  # backoff 0.2 s, doubling
    times = [r.at for r in caller.requests()]
    gaps = [b - a for a, b in pairwise(times)]
    assert all(gap >= 0.1 for gap in gaps)  # at least half the step each time


# -- the policy's parts ---------------------------------------------------------


def _rate_limited(**headers: str) -> openai.RateLimitError:
    request = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx2.Response(429, headers=headers, request=request)
    return openai.RateLimitError("slow down", response=response, body=None)


def test_retry_after_reads_milliseconds_seconds_and_dates_clamped_to_a_day() -> None:
    when = datetime.now(UTC) + timedelta(seconds=20)

    assert retry_after(_rate_limited(**{"retry-after-ms": "1500"})) == 1.5
    assert retry_after(_rate_limited(**{"retry-after": "7"})) == 7.0
    in_date = retry_after(_rate_limited(**{"retry-after": format_datetime(when)}))
    assert in_date is not None and 17 <= in_date <= 20
    assert retry_after(_rate_limited(**{"retry-after": "soon"})) is None
    assert retry_after(_rate_limited(**{"retry-after": "999999999"})) == 24 * 3600
    assert retry_after(_rate_limited()) is None
    assert retry_after(ValueError("no response")) is None


def test_the_backoff_doubles_with_jitter_up_to_its_cap() -> None:
    policy = RetryPolicy(timeout=1, deadline=60, max_attempts=10, backoff=1.0)

    for attempt, step in ((1, 1.0), (2, 2.0), (3, 4.0), (9, BACKOFF_CAP_SECONDS)):
        waits = {policy.wait(attempt) for _ in range(20)}
        assert all(step / 2 <= w <= step for w in waits)
        assert len(waits) > 1  # jittered


def test_only_transient_errors_are_retried() -> None:
    calls: list[float] = []

    def refused(timeout: float) -> None:
        calls.append(timeout)
        raise ValueError("not an API error")

    with pytest.raises(ValueError, match="not an API error"):
        RetryPolicy(timeout=1, deadline=5, max_attempts=3).call(refused)
    assert calls == [1]
