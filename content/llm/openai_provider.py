"""`OpenAICompatibleProvider`: copy and angles through the official `openai` client.

It serves OpenAI, Azure OpenAI (v1 API) and local servers that speak the
protocol (Ollama, vLLM, llama.cpp server, LM Studio). It asks for
`response_format: json_schema` (strict) and, when a server rejects that, falls
back to `json_object` with the schema in the prompt; in both modes the answer is
validated here, since not every server enforces the schema. Transient errors are
retried by `content.openai_calls.RetryPolicy` (the one policy of every
OpenAI-protocol call) within `LLM_MAX_ATTEMPTS` and `LLM_RETRY_DEADLINE_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import httpx2 as _http  # the openai client's transport (openai 3.x)
import openai
from django.conf import settings

from content.llm.errors import cause, check_refusal, mentions, permanent_error
from content.llm.messages import (
    Malformed,
    angle_messages,
    angles_from,
    completion_arguments,
    copy_messages,
    malformed_feedback,
    parse_json,
    variants_from,
)
from content.llm.schemas import (
    ANGLES_SCHEMA,
    ANGLES_SCHEMA_NAME,
    COPY_SCHEMA_NAME,
    copy_schema,
)
from content.openai_calls import GaveUp, RetryPolicy, client, host_of, redact
from networks.copy_types import (
    Angle,
    AngleTask,
    CopyResult,
    CopyTask,
    DraftVariant,
    LLMError,
    ModerationResult,
    Usage,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Servers (base URL, model) that answered 400 to json_schema: ask them for
# json_object from then on instead of paying a failed request each time.
_NO_JSON_SCHEMA: set[tuple[str, str]] = set()
_NO_STREAM_OPTIONS: set[str] = set()
_cache_lock = threading.Lock()


class OpenAICompatibleProvider:
    """Chat completions with structured output through the official client."""

    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 60.0,
        deadline: float = 180.0,
        max_attempts: int = 4,
        backoff: float = 1.0,
        prices: dict[str, dict[str, float]] | None = None,
        structured: str = "auto",
        moderation: bool = False,
        moderation_model: str = "omni-moderation-latest",
    ) -> None:
        if not model:
            raise LLMError(
                "No LLM model configured: set LLM_MODEL (for Azure OpenAI, the "
                "deployment name).",
                permanent=True,
                code="no_model",
            )
        self.model = model
        self.base_url = base_url or None
        # The client refuses to start without a key; local servers ignore it and
        # OpenAI answers 401, which we turn into a message naming the variable.
        self._api_key = api_key or ""
        self.retry = RetryPolicy(
            timeout=timeout,
            deadline=deadline,
            max_attempts=max_attempts,
            backoff=backoff,
        )
        self.prices = prices or {}
        self.structured = structured
        self.moderation = moderation
        self.moderation_model = moderation_model
        self._client = client(self.base_url, self._api_key or "unset", timeout)

    @classmethod
    def from_settings(cls, model: str | None = None) -> OpenAICompatibleProvider:
        return cls(
            model=model or settings.LLM_MODEL,
            base_url=settings.OPENAI_BASE_URL,
            api_key=settings.OPENAI_API_KEY,
            timeout=float(settings.LLM_TIMEOUT_SECONDS),
            deadline=float(settings.LLM_RETRY_DEADLINE_SECONDS),
            max_attempts=int(settings.LLM_MAX_ATTEMPTS),
            backoff=float(settings.LLM_BACKOFF_SECONDS),
            prices=settings.LLM_PRICES,
            structured=settings.LLM_STRUCTURED,
            moderation=settings.LLM_MODERATION,
            moderation_model=settings.LLM_MODERATION_MODEL,
        )

    def __repr__(self) -> str:  # never the key
        return f"<OpenAICompatibleProvider {self.host} model={self.model}>"

    @property
    def host(self) -> str:
        return host_of(self.base_url)

    # -- public API ------------------------------------------------------
    def write(self, task: CopyTask) -> CopyResult:
        started = time.monotonic()
        networks = [c.network for c in task.channels]
        messages = copy_messages(task)
        raw, variants, tokens = self._complete_parsed(
            messages,
            COPY_SCHEMA_NAME,
            copy_schema(networks),
            lambda data: variants_from(data, task),
            started,
        )
        return self._result(raw, variants, tokens, started)

    def stream(self, task: CopyTask) -> Iterator[str | CopyResult]:
        started = time.monotonic()
        deadline_at = started + self.retry.deadline
        networks = [c.network for c in task.channels]
        schema = copy_schema(networks)
        messages = copy_messages(task)
        stream_obj = self._create(
            messages, COPY_SCHEMA_NAME, schema, deadline_at, stream=True
        )
        parts: list[str] = []
        refusal: list[str] = []
        finish = None
        tokens = (0, 0)
        try:
            for chunk in stream_obj:
                if chunk.usage is not None:
                    tokens = (
                        chunk.usage.prompt_tokens or 0,
                        chunk.usage.completion_tokens or 0,
                    )
                for choice in chunk.choices:
                    delta = choice.delta
                    if delta.content:
                        parts.append(delta.content)
                        yield delta.content
                    if getattr(delta, "refusal", None):
                        refusal.append(delta.refusal)
                    finish = choice.finish_reason or finish
        except (openai.APIError, _http.HTTPError) as exc:
            said = redact(str(exc), self._api_key)
            raise LLMError(
                f"The stream from {self.host} broke off: {said}",
                permanent=False,
                code="stream_interrupted",
            ) from exc
        finally:
            stream_obj.close()
        check_refusal("".join(refusal) or None, finish)
        try:
            raw = parse_json("".join(parts), schema, finish)
            variants = variants_from(raw, task)
        except Malformed as exc:
            # The deltas were only a preview; retry once without streaming.
            logger.warning("llm: malformed streamed answer, retrying once: %s", exc)
            retry = [*messages, *malformed_feedback("".join(parts), exc)]
            raw, variants, more = self._complete_parsed(
                retry,
                COPY_SCHEMA_NAME,
                schema,
                lambda data: variants_from(data, task),
                started,
                attempts=1,
            )
            tokens = (tokens[0] + more[0], tokens[1] + more[1])
        yield self._result(raw, variants, tokens, started)

    def propose_angles(self, task: AngleTask) -> list[Angle]:
        started = time.monotonic()
        _raw, angles, _tokens = self._complete_parsed(
            angle_messages(task),
            ANGLES_SCHEMA_NAME,
            ANGLES_SCHEMA,
            lambda data: angles_from(data, task.count),
            started,
        )
        return angles

    def moderate(self, text: str) -> ModerationResult | None:
        if not self.moderation:
            return None
        deadline_at = time.monotonic() + self.retry.deadline
        try:
            response = self._retrying(
                lambda timeout: self._client.moderations.create(
                    model=self.moderation_model, input=text, timeout=timeout
                ),
                deadline_at,
            )
        except openai.NotFoundError:
            logger.warning("llm: %s has no moderation endpoint; skipped", self.host)
            return None
        except openai.APIStatusError as exc:
            raise self._permanent(exc) from cause(exc)
        if not response.results:
            return None
        result = response.results[0]
        categories = result.categories.to_dict()
        flagged_categories = tuple(sorted(k for k, v in categories.items() if v))
        return ModerationResult(
            flagged=bool(result.flagged), categories=flagged_categories
        )

    # -- the request, its retries and its fallbacks -------------------------
    def _complete_parsed(
        self,
        messages: list[dict[str, str]],
        schema_name: str,
        schema: dict[str, Any],
        build: Callable[[dict[str, Any]], T],
        started: float,
        *,
        attempts: int = 2,
    ) -> tuple[dict[str, Any], T, tuple[int, int]]:
        """Ask, parse and validate; a malformed answer gets one more try."""
        deadline_at = started + self.retry.deadline
        tokens_in = tokens_out = 0
        for attempt in range(1, attempts + 1):
            completion = self._create(messages, schema_name, schema, deadline_at)
            if completion.usage is not None:
                tokens_in += completion.usage.prompt_tokens or 0
                tokens_out += completion.usage.completion_tokens or 0
            if not completion.choices:
                error: Malformed = Malformed("the answer had no choices")
                content = ""
            else:
                choice = completion.choices[0]
                check_refusal(
                    getattr(choice.message, "refusal", None), choice.finish_reason
                )
                content = choice.message.content or ""
                try:
                    data = parse_json(content, schema, choice.finish_reason)
                    return data, build(data), (tokens_in, tokens_out)
                except Malformed as exc:
                    error = exc
            logger.warning(
                "llm: malformed answer from %s (attempt %d): %s",
                self.host,
                attempt,
                error,
            )
            messages = [*messages, *malformed_feedback(content, error)]
        raise LLMError(
            f"The model {self.model!r} at {self.host} did not answer in the "
            f"expected JSON after {attempts} tries: {error}",
            permanent=True,
            code="malformed_output",
        )

    def _mode(self) -> str:
        if self.structured == "json_object":
            return "json_object"
        if self.structured == "auto" and (self.base_url or "", self.model) in (
            _NO_JSON_SCHEMA
        ):
            return "json_object"
        return "json_schema"

    def _create(
        self,
        messages: list[dict[str, str]],
        schema_name: str,
        schema: dict[str, Any],
        deadline_at: float,
        *,
        stream: bool = False,
    ) -> Any:
        """One chat completion (retried while transient), with the fallbacks."""
        mode = self._mode()
        stream_options = stream and (self.base_url or "") not in _NO_STREAM_OPTIONS
        while True:
            # The cap the budget's estimate assumes (content.services.budget):
            # without it a runaway answer could spend past the refusal point.
            kwargs = completion_arguments(
                self.model,
                messages,
                schema_name,
                schema,
                mode=mode,
                max_tokens=settings.LLM_MAX_OUTPUT_TOKENS,
            )
            if stream:
                kwargs["stream"] = True
                if stream_options:
                    kwargs["stream_options"] = {"include_usage": True}

            def create(timeout: float, kw: dict[str, Any] = kwargs) -> Any:
                return self._client.chat.completions.create(**kw, timeout=timeout)

            try:
                return self._retrying(create, deadline_at)
            except openai.BadRequestError as exc:
                if (
                    mode == "json_schema"
                    and self.structured == "auto"
                    and mentions(exc, "response_format", "json_schema")
                ):
                    logger.info(
                        "llm: %s rejects json_schema; using json_object", self.host
                    )
                    with _cache_lock:
                        _NO_JSON_SCHEMA.add((self.base_url or "", self.model))
                    mode = "json_object"
                    continue
                if stream_options and mentions(exc, "stream_options"):
                    with _cache_lock:
                        _NO_STREAM_OPTIONS.add(self.base_url or "")
                    stream_options = False
                    continue
                raise self._permanent(exc) from cause(exc)
            except openai.APIStatusError as exc:
                raise self._permanent(exc) from cause(exc)

    def _retrying(self, request: Callable[[float], T], deadline_at: float) -> T:
        """`request(timeout)` under the one retry policy; giving up is an LLMError."""
        try:
            return self.retry.call(request, deadline_at=deadline_at, host=self.host)
        except GaveUp as gave_up:
            server = f"The LLM server at {self.host}"
            raise gave_up.as_error(LLMError, server) from gave_up.error

    def _permanent(self, exc: openai.APIStatusError) -> LLMError:
        return permanent_error(
            exc, host=self.host, model=self.model, api_key=self._api_key
        )

    def _result(
        self,
        raw: dict[str, Any],
        variants: tuple[DraftVariant, ...],
        tokens: tuple[int, int],
        started: float,
    ) -> CopyResult:
        return CopyResult(
            variants=variants,
            provider=self.name,
            model=self.model,
            usage=Usage(
                tokens_in=tokens[0],
                tokens_out=tokens[1],
                cost=cost_of(self.model, tokens[0], tokens[1], self.prices),
                latency_ms=round((time.monotonic() - started) * 1000),
            ),
            raw=raw,
        )


def cost_of(
    model: str, tokens_in: int, tokens_out: int, prices: dict[str, Any]
) -> float:
    """The cost from `LLM_PRICES` ($ per 1M tokens); 0 for an unpriced model."""
    price = prices.get(model)
    if not price:
        return 0.0
    return (tokens_in * float(price["in"]) + tokens_out * float(price["out"])) / 1e6
