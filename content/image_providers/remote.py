"""A remote image API through the official `openai` client (`images.generate`).

For users without a GPU: OpenAI itself, Azure OpenAI, or any server speaking
the same protocol. The error policy is the copy provider's (content/llm.py):
429 (after its Retry-After), 5xx, timeouts and connection errors are retried
here with exponential backoff and jitter within `LLM_MAX_ATTEMPTS` and
`IMAGE_RETRY_DEADLINE_SECONDS`; 400 (a refused prompt), 401, 403 and 404 are
permanent at once. The connection pool is the copy provider's (`_client`).
"""

from __future__ import annotations

import base64
import binascii
import io
import logging
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import openai
from django.conf import settings

from content.images import (
    GeneratedImage,
    ImageError,
    ImageRequest,
    Progress,
    style_prompt,
)
from content.llm import _BACKOFF_CAP_SECONDS, _TRANSIENT, _client, _retry_after

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The sizes OpenAI's models accept; other servers get the requested size as is.
_SIZES = {
    "dall-e-2": ((256, 256), (512, 512), (1024, 1024)),
    "dall-e-3": ((1024, 1024), (1792, 1024), (1024, 1792)),
    "gpt-image": ((1024, 1024), (1536, 1024), (1024, 1536)),
}


def remote_size(model: str, width: int, height: int) -> str:
    """The `size` to ask for: the model's accepted size nearest in aspect ratio."""
    width, height = width or 1024, height or 1024
    for prefix, sizes in _SIZES.items():
        if model.startswith(prefix):
            aspect = width / height
            w, h = min(
                sizes, key=lambda s: (abs(s[0] / s[1] - aspect), abs(s[0] - width))
            )
            return f"{w}x{h}"
    return f"{width}x{height}"


class RemoteImageProvider:
    """`images.generate` on an OpenAI-compatible server; one image per call."""

    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        base_url: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        deadline: float = 300.0,
        max_attempts: int = 4,
        backoff: float = 1.0,
    ) -> None:
        if not model:
            raise ImageError(
                "No remote image model configured: set IMAGE_REMOTE_MODEL "
                "(e.g. gpt-image-1, dall-e-3).",
                permanent=True,
                code="no_model",
            )
        self.model = model
        self.base_url = base_url or None
        self._api_key = api_key or ""
        self.timeout = timeout
        self.deadline = deadline
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self._client = _client(self.base_url, self._api_key or "unset", timeout)

    @classmethod
    def from_settings(cls, model: str | None = None) -> RemoteImageProvider:
        return cls(
            model=model or settings.IMAGE_REMOTE_MODEL,
            base_url=settings.IMAGE_REMOTE_BASE_URL or settings.OPENAI_BASE_URL,
            api_key=settings.IMAGE_REMOTE_API_KEY or settings.OPENAI_API_KEY,
            timeout=float(settings.IMAGE_TIMEOUT_SECONDS),
            deadline=float(settings.IMAGE_RETRY_DEADLINE_SECONDS),
            max_attempts=int(settings.LLM_MAX_ATTEMPTS),
            backoff=float(settings.LLM_BACKOFF_SECONDS),
        )

    def __repr__(self) -> str:  # never the key
        return f"<RemoteImageProvider {self.host} model={self.model}>"

    @property
    def host(self) -> str:
        return urlsplit(self.base_url or "https://api.openai.com/v1").netloc

    def generate(
        self, request: ImageRequest, *, progress: Progress | None = None
    ) -> GeneratedImage:
        from PIL import Image

        started = time.monotonic()
        prompt, negative = style_prompt(
            request.prompt, request.style, request.negative_prompt
        )
        # The API has no negative prompt: say it in words.
        sent = f"{prompt} Avoid: {negative}." if negative else prompt
        size = remote_size(self.model, request.width, request.height)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "prompt": sent,
            "n": 1,
            "size": size,
        }
        if not self.model.startswith("gpt-image"):  # those always answer base64
            kwargs["response_format"] = "b64_json"
        try:
            response = self._retrying(
                lambda timeout: self._client.images.generate(**kwargs, timeout=timeout),
                started + self.deadline,
            )
        except openai.APIStatusError as exc:
            raise self._permanent(exc) from None  # the body may echo the key
        item = response.data[0] if response.data else None
        b64 = getattr(item, "b64_json", None)
        if not b64:
            raise ImageError(
                f"The image server at {self.host} answered without base64 image "
                "data (b64_json).",
                permanent=True,
                code="bad_response",
            )
        try:
            image = Image.open(io.BytesIO(base64.b64decode(b64)))
            image.load()
        except (binascii.Error, OSError, ValueError) as exc:
            raise ImageError(
                f"The image server at {self.host} sent data that is not an image.",
                permanent=True,
                code="bad_response",
            ) from exc
        if progress is not None:
            progress(1, 1)
        revised = getattr(item, "revised_prompt", None)
        return GeneratedImage(
            image=image,
            provider=self.name,
            model=self.model,
            final_prompt=sent,
            negative_prompt="",
            seed=None,
            steps=0,
            guidance=0.0,
            width=image.width,
            height=image.height,
            device="remote",
            dtype="",
            seconds=time.monotonic() - started,
            extra={"size": size, **({"revised_prompt": revised} if revised else {})},
        )

    def _retrying(self, call: Callable[[float], T], deadline_at: float) -> T:
        """`call(timeout)` until it succeeds, fails for good or time runs out.

        The same policy as `OpenAICompatibleProvider._retrying`, whose errors
        speak of the LLM server: only transient errors are retried.
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
                    "images: %s from %s, attempt %d/%d, retrying in %.2fs",
                    type(exc).__name__,
                    self.host,
                    attempt,
                    self.max_attempts,
                    wait,
                )
                time.sleep(wait)

    def _redact(self, text: str) -> str:
        if self._api_key and len(self._api_key) >= 4:
            text = text.replace(self._api_key, "***")
        return text

    def _permanent(self, exc: openai.APIStatusError) -> ImageError:
        where = self.host
        if isinstance(exc, openai.AuthenticationError):
            return ImageError(
                f"The image server at {where} rejected the API key (401): check "
                "IMAGE_REMOTE_API_KEY (or OPENAI_API_KEY).",
                permanent=True,
                code="bad_key",
            )
        if isinstance(exc, openai.NotFoundError):
            return ImageError(
                f"The image model {self.model!r} does not exist at {where} (404): "
                "check IMAGE_REMOTE_MODEL.",
                permanent=True,
                code="unknown_model",
            )
        body = exc.body
        message: Any = None
        if isinstance(body, dict):
            err = body.get("error", body)
            message = err.get("message") if isinstance(err, dict) else err
        text = self._redact(str(message or exc.message))[:500]
        return ImageError(
            f"The image server at {where} refused the request "
            f"({exc.status_code}): {text}",
            permanent=True,
            code="refused" if exc.status_code == 400 else "bad_request",
        )

    def _exhausted(
        self, exc: Exception, attempts: int, retry_after: float | None
    ) -> ImageError:
        if isinstance(exc, openai.RateLimitError):
            code, what = "rate_limited", "rate-limited us (429)"
        elif isinstance(exc, openai.APITimeoutError):
            code, what = "timeout", f"did not answer within {self.timeout:g}s"
        elif isinstance(exc, openai.APIConnectionError):
            code, what = "unreachable", "could not be reached"
        else:
            status = getattr(exc, "status_code", "5xx")
            code, what = "server_error", f"failed ({status})"
        return ImageError(
            f"The image server at {self.host} {what}; gave up after {attempts} "
            f"attempt{'s' if attempts > 1 else ''}.",
            permanent=False,
            code=code,
            retry_after=retry_after,
        )
