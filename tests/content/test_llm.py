"""The OpenAI-compatible provider through the real `openai` client against a real
local server speaking the protocol (tests/llm_server.py): nothing is mocked."""

from __future__ import annotations

import json
import time

import pytest

from content.llm import (
    ANGLES_SCHEMA,
    COPY_SCHEMA,
    CopyProvider,
    OpenAICompatibleProvider,
    get_provider,
)
from content.offline_writer import OfflineWriter
from networks.copy_types import (
    AngleTask,
    BrandFacts,
    ChannelSpec,
    CopyResult,
    CopyTask,
    LLMError,
    RenderedPrompt,
)
from tests.llm_server import LLMServer

KEY = "sk-test-0123456789abcdef-secret"
BRAND = BrandFacts(name="AdLoop", default_cta="Try it free", required_hashtags=("#ad",))


def _task(networks: tuple[str, ...] = ("x", "linkedin"), count: int = 2) -> CopyTask:
    return CopyTask(
        brand=BRAND,
        objective="signups",
        brief="A planner that writes a week of posts.",
        topic="Spring release",
        angle="save five hours a week",
        link="https://adloop.example/spring",
        language="en",
        channels=tuple(ChannelSpec(n, None, 280) for n in networks),
        count=count,
        prompt=RenderedPrompt("copy", "1", "You write social posts.", "Write them."),
    )


@pytest.fixture
def provider(settings, llm_server: LLMServer):
    """A factory: the configured provider pointed at the local server."""

    def make(**overrides: object) -> OpenAICompatibleProvider:
        settings.LLM_PROVIDER = "openai"
        settings.LLM_MODEL = "test-model"
        settings.OPENAI_BASE_URL = llm_server.base_url
        settings.OPENAI_API_KEY = KEY
        settings.LLM_TIMEOUT_SECONDS = 2.0
        settings.LLM_RETRY_DEADLINE_SECONDS = 10.0
        settings.LLM_MAX_ATTEMPTS = 3
        settings.LLM_BACKOFF_SECONDS = 0.01
        settings.LLM_PRICES = {"test-model": {"in": 1.0, "out": 2.0}}
        settings.LLM_STRUCTURED = "auto"
        settings.LLM_MODERATION = False
        for name, value in overrides.items():
            setattr(settings, name, value)
        p = get_provider("openai")
        assert isinstance(p, OpenAICompatibleProvider)
        return p

    return make


def test_write_returns_a_text_per_channel_through_strict_json_schema(
    provider, llm_server: LLMServer
) -> None:
    result = provider().write(_task())

    assert isinstance(result, CopyResult)
    assert (result.provider, result.model) == ("openai", "test-model")
    assert [v.label for v in result.variants] == ["A", "B"]
    assert set(result.variants[0].texts) == {"x", "linkedin"}
    assert result.variants[0].hashtags == ("#test",)
    assert result.raw["variants"][0]["rationale"] == "from the test server"
    (req,) = llm_server.chat_requests()
    rf = req.body["response_format"]
    assert rf["type"] == "json_schema"
    assert rf["json_schema"]["name"] == "adloop_copy"
    assert rf["json_schema"]["strict"] is True
    texts = rf["json_schema"]["schema"]["properties"]["variants"]["items"]
    assert texts["properties"]["texts"]["required"] == ["x", "linkedin"]
    assert KEY not in json.dumps(req.headers)


def test_every_request_caps_the_answer_the_budget_estimates_with(
    provider, llm_server: LLMServer, settings
) -> None:
    settings.LLM_MAX_OUTPUT_TOKENS = 321
    provider().write(_task())
    (req,) = llm_server.chat_requests()
    assert req.body["max_tokens"] == 321


def test_usage_cost_and_latency_are_measured(provider, llm_server: LLMServer) -> None:
    llm_server.latency = 0.05
    llm_server.usage = (1000, 500)

    usage = provider().write(_task()).usage

    assert (usage.tokens_in, usage.tokens_out) == (1000, 500)
    assert usage.cost == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)
    assert usage.latency_ms >= 50


def test_unpriced_model_costs_nothing(provider, llm_server: LLMServer) -> None:
    assert provider(LLM_PRICES={}).write(_task()).usage.cost == 0.0


def test_stream_yields_deltas_before_the_end_then_the_parsed_result(
    provider, llm_server: LLMServer
) -> None:
    llm_server.chunk_delay = 0.02
    seen: list[tuple[float, str | CopyResult]] = []
    for item in provider().stream(_task()):
        seen.append((time.monotonic(), item))

    *deltas, (end, result) = seen
    assert isinstance(result, CopyResult)
    assert all(isinstance(d, str) for _, d in deltas)
    assert len(deltas) > 5
    assert end - deltas[0][0] >= 0.1  # the first text came well before the end
    assert json.loads("".join(d for _, d in deltas)) == result.raw
    assert (result.usage.tokens_in, result.usage.tokens_out) == (120, 80)
    (req,) = llm_server.chat_requests()
    assert req.body["stream"] is True
    assert req.body["stream_options"] == {"include_usage": True}


def test_stream_works_with_a_server_that_rejects_stream_options(
    provider, llm_server: LLMServer
) -> None:
    llm_server.accepts_stream_options = False

    *_, result = provider().stream(_task())

    assert isinstance(result, CopyResult)
    first, second = llm_server.chat_requests()
    assert "stream_options" in first.body
    assert "stream_options" not in second.body


def test_falls_back_to_json_object_when_the_server_rejects_json_schema(
    provider, llm_server: LLMServer
) -> None:
    llm_server.supports_json_schema = False
    p = provider()

    result = p.write(_task(("x", "bluesky")))

    assert set(result.variants[0].texts) == {"x", "bluesky"}
    first, second = llm_server.chat_requests()
    assert first.body["response_format"]["type"] == "json_schema"
    assert second.body["response_format"] == {"type": "json_object"}
    assert '"variants"' in second.body["messages"][0]["content"]  # schema in prompt
    # Remembered: the next call goes straight to json_object.
    p.write(_task())
    assert llm_server.chat_requests()[2].body["response_format"]["type"] == (
        "json_object"
    )


def test_json_object_setting_never_asks_for_json_schema(
    provider, llm_server: LLMServer
) -> None:
    provider(LLM_STRUCTURED="json_object").write(_task())

    (req,) = llm_server.chat_requests()
    assert req.body["response_format"] == {"type": "json_object"}


def test_json_schema_setting_fails_at_once_on_a_server_without_it(
    provider, llm_server: LLMServer
) -> None:
    llm_server.supports_json_schema = False

    with pytest.raises(LLMError) as info:
        provider(LLM_STRUCTURED="json_schema").write(_task())

    assert info.value.permanent and info.value.code == "bad_request"
    assert "LLM_STRUCTURED" in str(info.value)
    assert len(llm_server.chat_requests()) == 1


def test_429_is_retried_after_its_retry_after(provider, llm_server: LLMServer) -> None:
    llm_server.enqueue("rate_limit", retry_after=0.6)

    result = provider().write(_task())

    assert len(result.variants) == 2
    first, second = llm_server.chat_requests()
    assert second.at - first.at >= 0.6
    assert first.behaviour == "rate_limit"


def test_429_waiting_past_the_deadline_gives_up_at_once_with_retry_after(
    provider, llm_server: LLMServer
) -> None:
    llm_server.enqueue("rate_limit", retry_after=30)
    started = time.monotonic()

    with pytest.raises(LLMError) as info:
        provider().write(_task())

    assert time.monotonic() - started < 2
    assert not info.value.permanent
    assert (info.value.code, info.value.retry_after) == ("rate_limited", 30)
    assert len(llm_server.chat_requests()) == 1


def test_500_until_attempts_are_exhausted_is_a_transient_error(
    provider, llm_server: LLMServer
) -> None:
    llm_server.enqueue("server_error", count=5)

    with pytest.raises(LLMError) as info:
        provider(LLM_MAX_ATTEMPTS=3).write(_task())

    assert not info.value.permanent
    assert info.value.code == "server_error"
    assert "3 attempts" in str(info.value)
    assert len(llm_server.chat_requests()) == 3


def test_500_then_success(provider, llm_server: LLMServer) -> None:
    llm_server.enqueue("server_error")

    assert len(provider().write(_task()).variants) == 2
    assert len(llm_server.chat_requests()) == 2


def test_a_hanging_server_times_out_and_is_retried(
    provider, llm_server: LLMServer
) -> None:
    llm_server.enqueue("hang", hang_seconds=3)
    started = time.monotonic()

    result = provider(LLM_TIMEOUT_SECONDS=0.3).write(_task())

    assert len(result.variants) == 2
    assert time.monotonic() - started < 2
    assert len(llm_server.chat_requests()) == 2


def test_timeouts_until_attempts_are_exhausted_are_transient(
    provider, llm_server: LLMServer
) -> None:
    llm_server.enqueue("hang", count=2, hang_seconds=3)

    with pytest.raises(LLMError) as info:
        provider(LLM_TIMEOUT_SECONDS=0.3, LLM_MAX_ATTEMPTS=2).write(_task())

    assert not info.value.permanent
    assert info.value.code == "timeout"


def test_an_unreachable_server_is_transient(provider) -> None:
    with pytest.raises(LLMError) as info:
        provider(OPENAI_BASE_URL="http://127.0.0.1:9/v1", LLM_MAX_ATTEMPTS=2).write(
            _task()
        )

    assert not info.value.permanent
    assert info.value.code == "unreachable"


def test_malformed_json_is_retried_once_with_the_error_named(
    provider, llm_server: LLMServer
) -> None:
    llm_server.enqueue("malformed")

    result = provider().write(_task())

    assert len(result.variants) == 2
    _first, second = llm_server.chat_requests()
    assert "not valid" in second.body["messages"][-1]["content"]
    assert result.usage.tokens_in == 240  # both answers are paid for


@pytest.mark.parametrize(
    "content",
    [
        '{"variants": [ {"label": "A",',  # not JSON
        {"variants": [{"label": "A", "texts": {"x": "hi"}}]},  # breaks the schema
    ],
)
def test_malformed_twice_is_a_permanent_error(
    provider, llm_server: LLMServer, content: object
) -> None:
    llm_server.enqueue("malformed", count=2, content=content)

    with pytest.raises(LLMError) as info:
        provider().write(_task())

    assert info.value.permanent
    assert info.value.code == "malformed_output"
    assert len(llm_server.chat_requests()) == 2


def test_malformed_stream_is_retried_once_without_streaming(
    provider, llm_server: LLMServer
) -> None:
    llm_server.enqueue("malformed")

    *_, result = provider().stream(_task())

    assert isinstance(result, CopyResult)
    first, second = llm_server.chat_requests()
    assert first.body.get("stream") is True
    assert not second.body.get("stream")


@pytest.mark.parametrize("stream", [False, True])
def test_a_refusal_fails_at_once(provider, llm_server: LLMServer, stream) -> None:
    llm_server.enqueue("refusal")
    p = provider()

    with pytest.raises(LLMError) as info:
        list(p.stream(_task())) if stream else p.write(_task())

    assert info.value.permanent
    assert info.value.code == "refused"
    assert "can't help" in str(info.value)
    assert len(llm_server.chat_requests()) == 1


def test_a_bad_key_fails_at_once_naming_the_variable_never_the_key(
    provider, llm_server: LLMServer
) -> None:
    llm_server.enqueue("bad_key")  # the server echoes the key in its message

    with pytest.raises(LLMError) as info:
        provider().write(_task())

    err = info.value
    assert err.permanent and err.code == "bad_key"
    assert "OPENAI_API_KEY" in str(err)
    assert KEY not in str(err) and KEY not in repr(err)
    assert err.__cause__ is None and err.__suppress_context__
    assert len(llm_server.chat_requests()) == 1


def test_an_unknown_model_fails_at_once(provider, llm_server: LLMServer) -> None:
    with pytest.raises(LLMError) as info:
        provider(LLM_MODEL="gpt-nope").write(_task())

    assert info.value.permanent
    assert info.value.code == "unknown_model"
    assert "'gpt-nope'" in str(info.value) and "LLM_MODEL" in str(info.value)
    assert len(llm_server.chat_requests()) == 1


def test_propose_angles_through_the_server(provider, llm_server: LLMServer) -> None:
    task = AngleTask(
        brand=BRAND,
        objective="awareness",
        brief="Small shops plan a month of posts.",
        pillar="Education",
        count=3,
        language="en",
    )

    angles = provider().propose_angles(task)

    assert [a.topic for a in angles] == ["Topic 1", "Topic 2", "Topic 3"]
    (req,) = llm_server.chat_requests()
    assert req.body["response_format"]["json_schema"]["name"] == "adloop_angles"


def test_moderation_calls_the_endpoint_when_enabled(
    provider, llm_server: LLMServer
) -> None:
    p = provider(LLM_MODERATION=True)

    flagged = p.moderate("We will attack the competition")
    clean = p.moderate("Spring is here")

    assert flagged is not None and flagged.flagged
    assert flagged.categories == ("violence",)
    assert clean is not None and not clean.flagged
    req = llm_server.requests[0]
    assert req.path == "/v1/moderations"
    assert req.body["model"] == "omni-moderation-latest"


def test_moderation_is_none_when_off(provider, llm_server: LLMServer) -> None:
    assert provider().moderate("anything") is None
    assert llm_server.requests == []


def test_get_provider_defaults_to_the_offline_writer(settings) -> None:
    settings.LLM_PROVIDER = "offline"

    p = get_provider()

    assert isinstance(p, OfflineWriter) and isinstance(p, CopyProvider)
    assert (p.name, p.model) == ("offline", "offline-draft-v1")


def test_get_provider_honours_a_workspace_override(provider) -> None:
    provider(LLM_PROVIDER="offline")

    p = get_provider("openai", model="llama3.1")

    assert isinstance(p, OpenAICompatibleProvider) and p.model == "llama3.1"
    assert KEY not in repr(p)


def test_get_provider_refuses_an_unknown_name() -> None:
    with pytest.raises(LLMError) as info:
        get_provider("claude-direct")
    assert info.value.permanent and info.value.code == "unknown_provider"


def test_the_published_schemas_are_objects_with_their_lists() -> None:
    assert COPY_SCHEMA["required"] == ["variants"]
    item = COPY_SCHEMA["properties"]["variants"]["items"]
    assert set(item["required"]) == {
        "label",
        "texts",
        "hashtags",
        "link_placement",
        "alt_text",
        "image_prompt",
        "rationale",
    }
    assert ANGLES_SCHEMA["required"] == ["angles"]
