"""How AdLoop calls an OpenAI-protocol server: one client per endpoint, one retry
policy, one reading of its errors.

The copy provider (`content.llm`) and the remote image provider
(`content.image_providers.remote`) talk to the same kind of server through the
same `openai` client, so they share this module rather than each keeping a copy.

The client's own retries are off (`max_retries=0`): they count attempts but know
no total deadline, and they would sleep through a Retry-After of up to two
minutes. `RetryPolicy.call` retries instead, and only transient errors (429,
5xx, timeouts, connection errors): after the server's Retry-After when it sent
one, otherwise with exponential backoff and jitter; each attempt's timeout is
cut to what is left of the deadline, and a wait that would end past it is not
begun. Then `GaveUp` says why, with the server's Retry-After, so that a task can
schedule its next try; every other error reaches the caller as the client
raised it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar
from urllib.parse import urlsplit

import openai

from core.retry_after import MAX_SECONDS, retry_after_seconds

logger = logging.getLogger(__name__)

T = TypeVar("T")
E = TypeVar("E", bound=Exception)

TRANSIENT = (
    openai.RateLimitError,
    openai.InternalServerError,
    openai.APITimeoutError,
    openai.APIConnectionError,
)
BACKOFF_CAP_SECONDS = 30.0


@lru_cache(maxsize=32)
def client(base_url: str | None, api_key: str, timeout: float) -> openai.OpenAI:
    """One client (one connection pool) per endpoint and key, shared by threads."""
    return openai.OpenAI(
        base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0
    )


def host_of(base_url: str | None) -> str:
    """The host a person knows the server by (OpenAI's without a base URL)."""
    return urlsplit(base_url or "https://api.openai.com/v1").netloc


class GaveUp(Exception):
    """Transient failures until the attempts or the deadline ran out.

    `code` is one of rate_limited, timeout, unreachable, server_error; `what`
    completes "The server at HOST ..." for a person.
    """

    def __init__(
        self,
        error: Exception,
        *,
        attempts: int,
        retry_after: float | None,
        timeout: float,
    ) -> None:
        self.error = error
        self.attempts = attempts
        self.retry_after = retry_after
        if isinstance(error, openai.RateLimitError):
            self.code, self.what = "rate_limited", "rate-limited us (429)"
        elif isinstance(error, openai.APITimeoutError):
            self.code, self.what = "timeout", f"did not answer within {timeout:g}s"
        elif isinstance(error, openai.APIConnectionError):
            self.code, self.what = "unreachable", "could not be reached"
        else:
            status = getattr(error, "status_code", "5xx")
            self.code, self.what = "server_error", f"failed ({status})"
        super().__init__(self.what)

    def as_error(self, kind: Callable[..., E], server: str) -> E:
        """The caller's transient error (`LLMError`, `ImageError`) for a person;
        `server` starts the sentence ("The LLM server at HOST")."""
        plural = "s" if self.attempts > 1 else ""
        return kind(
            f"{server} {self.what}; gave up after {self.attempts} attempt{plural}.",
            permanent=False,
            code=self.code,
            retry_after=self.retry_after,
        )


class RetryPolicy:
    """Attempts of at most `timeout` seconds, all within `deadline` seconds."""

    def __init__(
        self,
        *,
        timeout: float,
        deadline: float,
        max_attempts: int = 4,
        backoff: float = 1.0,
    ) -> None:
        self.timeout = timeout
        self.deadline = deadline
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff

    def call(
        self,
        request: Callable[[float], T],
        *,
        deadline_at: float | None = None,
        host: str = "",
    ) -> T:
        """`request(timeout)` until it succeeds, fails for good or time runs out.

        `deadline_at` (a `time.monotonic()` value) defaults to `deadline` from
        now; several calls of one job can share one. Raises `GaveUp` from the
        last transient error; any other error as `request` raised it.
        """
        if deadline_at is None:
            deadline_at = time.monotonic() + self.deadline
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline_at - time.monotonic()
            try:
                return request(max(0.1, min(self.timeout, remaining)))
            except TRANSIENT as exc:
                waited = retry_after(exc)
                wait = self.wait(attempt) if waited is None else waited
                remaining = deadline_at - time.monotonic()
                if attempt >= self.max_attempts or wait >= remaining:
                    raise GaveUp(
                        exc, attempts=attempt, retry_after=waited, timeout=self.timeout
                    ) from exc
                logger.info(
                    "openai: %s from %s, attempt %d/%d, retrying in %.2fs",
                    type(exc).__name__,
                    host,
                    attempt,
                    self.max_attempts,
                    wait,
                )
                time.sleep(wait)

    def wait(self, attempt: int) -> float:
        """The backoff after failed attempt `attempt` (from 1): half fixed, half
        random, so that clients failing together do not retry together."""
        step = min(BACKOFF_CAP_SECONDS, self.backoff * 2 ** (attempt - 1))
        return step / 2 + random.uniform(0, step / 2)  # noqa: S311 (not crypto)


def retry_after(exc: Exception) -> float | None:
    """Seconds from the error's `retry-after-ms` (OpenAI's, in milliseconds) or
    `Retry-After` header, read by `core.retry_after` (clamped to a day)."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    ms = retry_after_seconds(headers.get("retry-after-ms"), ceiling=MAX_SECONDS * 1000)
    if ms is not None:
        return ms / 1000
    return retry_after_seconds(headers.get("retry-after"))


def redact(text: str, api_key: str) -> str:
    """`text` without the key (a short or empty key is not worth replacing)."""
    if api_key and len(api_key) >= 4:
        text = text.replace(api_key, "***")
    return text


def server_message(exc: openai.APIError, api_key: str) -> str:
    """The server's own error message, redacted and cut to 500 characters."""
    body = exc.body
    message: Any = None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            message = err.get("message")
        elif isinstance(err, str):
            message = err
    return redact(str(message or exc.message), api_key)[:500]
