"""Copywriting providers: one protocol, an OpenAI-compatible client and the
offline writer, chosen by settings (`LLM_PROVIDER`, overridable per workspace).

A provider turns a `CopyTask` into a `CopyResult` (structured JSON: a text per
channel, hashtags, link placement, alt text, image prompt, rationale) and an
`AngleTask` into `Angle`s. Every failure reaching a caller is an `LLMError`:
transient errors (429 honouring Retry-After, 5xx, timeouts, connection) have
already been retried here, within `LLM_MAX_ATTEMPTS` and
`LLM_RETRY_DEADLINE_SECONDS`; a bad key, an unknown model, a bad request, a
refusal and output that stays malformed after one retry are permanent at once.

`OpenAICompatibleProvider` serves OpenAI, Azure OpenAI (v1 API) and local servers
that speak the protocol (Ollama, vLLM, llama.cpp server, LM Studio). It asks for
`response_format: json_schema` (strict) and, when a server rejects that, falls
back to `json_object` with the schema in the prompt; in both modes the answer is
validated here, since not every server enforces the schema.
"""

from __future__ import annotations

import json
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any, Protocol, TypeVar, runtime_checkable
from urllib.parse import urlsplit

import httpx2 as _http  # the openai client's transport (openai 3.x)
import jsonschema
import openai
from django.conf import settings

from content.copy_types import (
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

LINK_PLACEMENTS = ("end", "inline", "first_comment", "none")
COPY_SCHEMA_NAME = "adloop_copy"
ANGLES_SCHEMA_NAME = "adloop_angles"
_BACKOFF_CAP_SECONDS = 30.0


@runtime_checkable
class CopyProvider(Protocol):
    name: str
    model: str

    def write(self, task: CopyTask) -> CopyResult: ...

    def stream(self, task: CopyTask) -> Iterator[str | CopyResult]:
        """Text deltas as they arrive, then the parsed `CopyResult`, last.

        The deltas are a preview for the editor; the final result is what counts
        (after a malformed stream it comes from one non-streamed retry).
        """
        ...

    def propose_angles(self, task: AngleTask) -> list[Angle]: ...

    def moderate(self, text: str) -> ModerationResult | None:
        """The provider's moderation verdict; None when not configured/supported."""
        ...


# -- schemas --------------------------------------------------------------


def copy_schema(networks: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON schema of a copy answer.

    With `networks`, `texts` has exactly those keys, all required: the strict
    form OpenAI's structured outputs demand (every object closed, every property
    required). Without, `texts` is an open network -> text map (`COPY_SCHEMA`).
    """
    if networks:
        texts: dict[str, Any] = {
            "type": "object",
            "properties": {n: {"type": "string"} for n in networks},
            "required": list(networks),
            "additionalProperties": False,
        }
    else:
        texts = {"type": "object", "additionalProperties": {"type": "string"}}
    texts["description"] = (
        "The post text per network, ready to publish: hashtags and the link "
        "included where link_placement says so."
    )
    variant = {
        "type": "object",
        "properties": {
            "label": {"type": "string", "description": "A, B, C..."},
            "texts": texts,
            "hashtags": {
                "type": "array",
                "items": {"type": "string"},
                "description": "The hashtags used in the texts, with '#'.",
            },
            "link_placement": {"type": "string", "enum": list(LINK_PLACEMENTS)},
            "alt_text": {
                "type": "string",
                "description": "Alt text for the post's image.",
            },
            "image_prompt": {
                "type": "string",
                "description": "A prompt for an image generator, no text in it.",
            },
            "rationale": {
                "type": "string",
                "description": "One or two sentences: why this variant may work.",
            },
        },
        "required": [
            "label",
            "texts",
            "hashtags",
            "link_placement",
            "alt_text",
            "image_prompt",
            "rationale",
        ],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"variants": {"type": "array", "items": variant}},
        "required": ["variants"],
        "additionalProperties": False,
    }


COPY_SCHEMA: dict[str, Any] = copy_schema()

ANGLES_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "angles": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "topic": {"type": "string"},
                    "angle": {"type": "string"},
                    "rationale": {"type": "string"},
                },
                "required": ["topic", "angle", "rationale"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["angles"],
    "additionalProperties": False,
}


# -- registry -------------------------------------------------------------


def get_provider(name: str | None = None, model: str | None = None) -> CopyProvider:
    """The provider `name` (default `LLM_PROVIDER`) with `model` (`LLM_MODEL`)."""
    name = name or settings.LLM_PROVIDER
    if name == "offline":
        from content.offline_writer import OfflineWriter

        return OfflineWriter()
    if name == "openai":
        return OpenAICompatibleProvider.from_settings(model=model)
    raise LLMError(
        f"Unknown LLM provider {name!r}: use 'openai' or 'offline'.",
        permanent=True,
        code="unknown_provider",
    )


# -- the OpenAI-compatible provider ---------------------------------------


class _Malformed(Exception):
    """The answer is not JSON, or not JSON of the schema."""


_TRANSIENT = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)
# Servers (base URL, model) that answered 400 to json_schema: ask them for
# json_object from then on instead of paying a failed request each time.
_NO_JSON_SCHEMA: set[tuple[str, str]] = set()
_NO_STREAM_OPTIONS: set[str] = set()
_cache_lock = threading.Lock()


@lru_cache(maxsize=32)
def _client(base_url: str | None, api_key: str, timeout: float) -> openai.OpenAI:
    # One client (one connection pool) per endpoint and key, shared by threads.
    return openai.OpenAI(
        base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0
    )


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
        self.timeout = timeout
        self.deadline = deadline
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.prices = prices or {}
        self.structured = structured
        self.moderation = moderation
        self.moderation_model = moderation_model
        self._client = _client(self.base_url, self._api_key or "unset", timeout)

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
        return urlsplit(self.base_url or "https://api.openai.com/v1").netloc

    # -- public API ------------------------------------------------------
    def write(self, task: CopyTask) -> CopyResult:
        started = time.monotonic()
        networks = [c.network for c in task.channels]
        messages = _copy_messages(task)
        raw, variants, tokens = self._complete_parsed(
            messages,
            COPY_SCHEMA_NAME,
            copy_schema(networks),
            lambda data: _variants_from(data, task),
            started,
        )
        return self._result(raw, variants, tokens, started)

    def stream(self, task: CopyTask) -> Iterator[str | CopyResult]:
        started = time.monotonic()
        deadline_at = started + self.deadline
        networks = [c.network for c in task.channels]
        schema = copy_schema(networks)
        messages = _copy_messages(task)
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
            raise LLMError(
                f"The stream from {self.host} broke off: {self._redact(str(exc))}",
                permanent=False,
                code="stream_interrupted",
            ) from exc
        finally:
            stream_obj.close()
        self._check_refusal("".join(refusal) or None, finish)
        try:
            raw = _parse_json("".join(parts), schema, finish)
            variants = _variants_from(raw, task)
        except _Malformed as exc:
            # The deltas were only a preview; retry once without streaming.
            logger.warning("llm: malformed streamed answer, retrying once: %s", exc)
            retry = [*messages, *_malformed_feedback("".join(parts), exc)]
            raw, variants, more = self._complete_parsed(
                retry,
                COPY_SCHEMA_NAME,
                schema,
                lambda data: _variants_from(data, task),
                started,
                attempts=1,
            )
            tokens = (tokens[0] + more[0], tokens[1] + more[1])
        yield self._result(raw, variants, tokens, started)

    def propose_angles(self, task: AngleTask) -> list[Angle]:
        started = time.monotonic()
        _raw, angles, _tokens = self._complete_parsed(
            _angle_messages(task),
            ANGLES_SCHEMA_NAME,
            ANGLES_SCHEMA,
            lambda data: _angles_from(data, task.count),
            started,
        )
        return angles

    def moderate(self, text: str) -> ModerationResult | None:
        if not self.moderation:
            return None
        deadline_at = time.monotonic() + self.deadline
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
            raise self._permanent(exc) from _cause(exc)
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
        deadline_at = started + self.deadline
        tokens_in = tokens_out = 0
        for attempt in range(1, attempts + 1):
            completion = self._create(messages, schema_name, schema, deadline_at)
            if completion.usage is not None:
                tokens_in += completion.usage.prompt_tokens or 0
                tokens_out += completion.usage.completion_tokens or 0
            if not completion.choices:
                error: _Malformed = _Malformed("the answer had no choices")
                content = ""
            else:
                choice = completion.choices[0]
                self._check_refusal(
                    getattr(choice.message, "refusal", None), choice.finish_reason
                )
                content = choice.message.content or ""
                try:
                    data = _parse_json(content, schema, choice.finish_reason)
                    return data, build(data), (tokens_in, tokens_out)
                except _Malformed as exc:
                    error = exc
            logger.warning(
                "llm: malformed answer from %s (attempt %d): %s",
                self.host,
                attempt,
                error,
            )
            messages = [*messages, *_malformed_feedback(content, error)]
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
            kwargs: dict[str, Any] = {
                "model": self.model,
                "max_tokens": settings.LLM_MAX_OUTPUT_TOKENS,
            }
            if mode == "json_schema":
                kwargs["messages"] = messages
                kwargs["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {
                        "name": schema_name,
                        "schema": schema,
                        "strict": True,
                    },
                }
            else:
                kwargs["messages"] = _with_schema_in_prompt(messages, schema)
                kwargs["response_format"] = {"type": "json_object"}
            if stream:
                kwargs["stream"] = True
                if stream_options:
                    kwargs["stream_options"] = {"include_usage": True}
            try:
                return self._retrying(
                    lambda timeout, kw=kwargs: self._client.chat.completions.create(
                        **kw, timeout=timeout
                    ),
                    deadline_at,
                )
            except openai.BadRequestError as exc:
                if (
                    mode == "json_schema"
                    and self.structured == "auto"
                    and _mentions(exc, "response_format", "json_schema")
                ):
                    logger.info(
                        "llm: %s rejects json_schema; using json_object", self.host
                    )
                    with _cache_lock:
                        _NO_JSON_SCHEMA.add((self.base_url or "", self.model))
                    mode = "json_object"
                    continue
                if stream_options and _mentions(exc, "stream_options"):
                    with _cache_lock:
                        _NO_STREAM_OPTIONS.add(self.base_url or "")
                    stream_options = False
                    continue
                raise self._permanent(exc) from _cause(exc)
            except openai.APIStatusError as exc:
                raise self._permanent(exc) from _cause(exc)

    def _retrying(self, call: Callable[[float], T], deadline_at: float) -> T:
        """`call(timeout)` until it succeeds, fails for good or time runs out.

        Only transient errors are retried: 429 (after its Retry-After), 5xx,
        timeouts and connection errors, with exponential backoff and jitter.
        """
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline_at - time.monotonic()
            try:
                return call(max(0.1, min(self.timeout, remaining)))
            except _TRANSIENT as exc:
                retry_after = _retry_after(exc)
                if retry_after is not None:
                    wait = retry_after
                else:
                    step = min(_BACKOFF_CAP_SECONDS, self.backoff * 2 ** (attempt - 1))
                    wait = step / 2 + random.uniform(0, step / 2)  # noqa: S311
                remaining = deadline_at - time.monotonic()
                if attempt >= self.max_attempts or wait >= remaining:
                    raise self._exhausted(exc, attempt, retry_after) from exc
                logger.info(
                    "llm: %s from %s, attempt %d/%d, retrying in %.2fs",
                    type(exc).__name__,
                    self.host,
                    attempt,
                    self.max_attempts,
                    wait,
                )
                time.sleep(wait)

    # -- errors for a person -------------------------------------------------
    def _redact(self, text: str) -> str:
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "***")
        return text

    def _server_message(self, exc: openai.APIError) -> str:
        body = exc.body
        message = None
        if isinstance(body, dict):
            err = body.get("error", body)
            if isinstance(err, dict):
                message = err.get("message")
            elif isinstance(err, str):
                message = err
        return self._redact(str(message or exc.message))[:500]

    def _permanent(self, exc: openai.APIStatusError) -> LLMError:
        status = exc.status_code
        where = self.host
        if isinstance(exc, openai.AuthenticationError):
            # The server's own message may quote the key: leave it out entirely.
            hint = "OPENAI_API_KEY is not set" if not self._api_key else "check it"
            return LLMError(
                f"The LLM server at {where} rejected the API key (401): {hint} "
                f"(OPENAI_API_KEY).",
                permanent=True,
                code="bad_key",
            )
        if isinstance(exc, openai.NotFoundError):
            return LLMError(
                f"The model {self.model!r} does not exist at {where} (404). Check "
                "LLM_MODEL: for Azure OpenAI the deployment name, for Ollama a "
                "model you have pulled.",
                permanent=True,
                code="unknown_model",
            )
        if isinstance(exc, openai.PermissionDeniedError):
            return LLMError(
                f"The API key may not use {self.model!r} at {where} (403): "
                f"{self._server_message(exc)}",
                permanent=True,
                code="permission_denied",
            )
        message = self._server_message(exc)
        hint = ""
        if _mentions(exc, "response_format", "json_schema"):
            hint = (
                " This server does not support json_schema output: set "
                "LLM_STRUCTURED=auto or json_object."
            )
        return LLMError(
            f"The LLM server at {where} refused the request ({status}): "
            f"{message}.{hint}",
            permanent=True,
            code="bad_request",
        )

    def _exhausted(
        self, exc: Exception, attempts: int, retry_after: float | None
    ) -> LLMError:
        if isinstance(exc, openai.RateLimitError):
            code, what = "rate_limited", "rate-limited us (429)"
        elif isinstance(exc, openai.APITimeoutError):
            code, what = "timeout", f"did not answer within {self.timeout:g}s"
        elif isinstance(exc, openai.APIConnectionError):
            code, what = "unreachable", "could not be reached"
        else:
            status = getattr(exc, "status_code", "5xx")
            code, what = "server_error", f"failed ({status})"
        return LLMError(
            f"The LLM server at {self.host} {what}; gave up after {attempts} "
            f"attempt{'s' if attempts > 1 else ''}.",
            permanent=False,
            code=code,
            retry_after=retry_after,
        )

    def _check_refusal(self, refusal: str | None, finish_reason: str | None) -> None:
        if refusal:
            raise LLMError(
                f"The model refused the request: {refusal.strip()[:300]}",
                permanent=True,
                code="refused",
            )
        if finish_reason == "content_filter":
            raise LLMError(
                "The provider's content filter stopped the answer; rephrase the "
                "brief or angle.",
                permanent=True,
                code="refused",
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


# -- prompts and parsing -----------------------------------------------------


def _copy_contract(task: CopyTask) -> str:
    limits = "; ".join(
        f"{c.network}: at most {c.max_length} characters"
        + (f", at most {c.max_hashtags} hashtags" if c.max_hashtags is not None else "")
        for c in task.channels
        if c.max_length is not None or c.max_hashtags is not None
    )
    labels = ", ".join(chr(ord("A") + i) for i in range(min(task.count, 26)))
    networks = ", ".join(c.network for c in task.channels)
    lines = [
        f"Return JSON with {task.count} variants (labels {labels}). Each variant "
        f"has a text for each of these channels: {networks}.",
    ]
    if limits:
        lines.append(f"Limits: {limits}.")
    return "\n".join(lines)


def _copy_messages(task: CopyTask) -> list[dict[str, str]]:
    messages = [
        {
            "role": "system",
            "content": f"{task.prompt.system}\n\n{_copy_contract(task)}",
        },
        {"role": "user", "content": task.prompt.user},
    ]
    if task.feedback:
        messages.append(
            {
                "role": "user",
                "content": "Your previous variants broke these rules; fix them: "
                f"{task.feedback}",
            }
        )
    return messages


def _angle_messages(task: AngleTask) -> list[dict[str, str]]:
    contract = (
        f"Return JSON with {task.count} angles: a topic, the angle to take on "
        "it, and a one-sentence rationale each."
    )
    if task.prompt is not None:
        return [
            {"role": "system", "content": f"{task.prompt.system}\n\n{contract}"},
            {"role": "user", "content": task.prompt.user},
        ]
    brand = task.brand
    lines = [
        f"Brand: {brand.name}.",
        f"Voice: {brand.voice}." if brand.voice else "",
        f"Audience: {brand.audience}." if brand.audience else "",
        f"Campaign objective: {task.objective}.",
        f"Brief: {task.brief}",
        f"Content pillar: {task.pillar}.",
        f"Language: {task.language}.",
    ]
    if task.past_winners:
        lines.append("Posts that performed best so far:")
        lines.extend(f"- {w}" for w in task.past_winners)
    return [
        {
            "role": "system",
            "content": "You plan social media posts for a brand: distinct, "
            f"concrete topics, each with a clear angle.\n\n{contract}",
        },
        {"role": "user", "content": "\n".join(line for line in lines if line)},
    ]


def _with_schema_in_prompt(
    messages: list[dict[str, str]], schema: dict[str, Any]
) -> list[dict[str, str]]:
    instruction = (
        "Answer with one JSON object and nothing else. It must match this JSON "
        f"Schema:\n{json.dumps(schema, separators=(',', ':'))}"
    )
    first, *rest = messages
    return [{**first, "content": f"{first['content']}\n\n{instruction}"}, *rest]


def _malformed_feedback(content: str, error: Exception) -> list[dict[str, str]]:
    return [
        {"role": "assistant", "content": content[:4000]},
        {
            "role": "user",
            "content": f"That answer was not valid: {error}. Answer again with only "
            "the JSON object, matching the schema.",
        },
    ]


_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.S)


def _parse_json(
    content: str, schema: dict[str, Any], finish_reason: str | None = None
) -> dict[str, Any]:
    if finish_reason == "length":
        raise _Malformed("the answer was cut off at the token limit")
    text = content.strip()
    fenced = _FENCE.match(text)  # some local models wrap JSON in a code fence
    if fenced:
        text = fenced.group(1)
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _Malformed(f"not JSON ({exc})") from None
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "the top level"
        raise _Malformed(f"at {where}: {exc.message}") from None
    return data


def _hashtag(tag: str) -> str:
    tag = tag.strip()
    return tag if tag.startswith("#") else f"#{tag}"


def _variants_from(data: dict[str, Any], task: CopyTask) -> tuple[DraftVariant, ...]:
    items = data["variants"][: max(1, task.count)]
    if not items:
        raise _Malformed("no variants")
    networks = [c.network for c in task.channels]
    variants = []
    for i, item in enumerate(items):
        variants.append(
            DraftVariant(
                # Labels by position: the model's own may repeat or skip.
                label=chr(ord("A") + i) if i < 26 else f"V{i + 1}",
                texts={n: item["texts"][n].strip() for n in networks},
                hashtags=tuple(_hashtag(t) for t in item["hashtags"] if t.strip()),
                link_placement=item["link_placement"],
                alt_text=item["alt_text"].strip(),
                image_prompt=item["image_prompt"].strip(),
                rationale=item["rationale"].strip(),
            )
        )
    return tuple(variants)


def _angles_from(data: dict[str, Any], count: int) -> list[Angle]:
    angles = [
        Angle(
            topic=a["topic"].strip(),
            angle=a["angle"].strip(),
            rationale=a["rationale"].strip(),
        )
        for a in data["angles"]
        if a["topic"].strip()
    ][: max(1, count)]
    if not angles:
        raise _Malformed("no angles")
    return angles


def _cause(exc: openai.APIStatusError) -> BaseException | None:
    # A 401's body may quote the key (some servers echo it): do not chain it
    # into tracebacks and logs.
    return None if isinstance(exc, openai.AuthenticationError) else exc


def _mentions(exc: openai.APIError, *words: str) -> bool:
    text = f"{exc.message} {exc.body} {getattr(exc, 'param', '')}".lower()
    return any(w in text for w in words)


def _retry_after(exc: Exception) -> float | None:
    """Seconds from `retry-after-ms` / `Retry-After` (seconds or HTTP date)."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
