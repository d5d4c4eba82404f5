"""A remote image API through the official `openai` client (`images.generate`).

For users without a GPU: OpenAI itself, Azure OpenAI, or any server speaking
the same protocol. The client, its connection pool and the retry policy are the
copy provider's, from `content.openai_calls`: 429 (after its Retry-After), 5xx,
timeouts and connection errors are retried with exponential backoff and jitter
within `LLM_MAX_ATTEMPTS` and `IMAGE_RETRY_DEADLINE_SECONDS`; 400 (a refused
prompt), 401, 403 and 404 are permanent at once.
"""

from __future__ import annotations

import base64
import binascii
import io
import time
from typing import TYPE_CHECKING, Any

import openai
from django.conf import settings

from content.images import (
    GeneratedImage,
    ImageError,
    ImageRequest,
    Progress,
    style_prompt,
)
from content.openai_calls import GaveUp, RetryPolicy, client, host_of, server_message

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

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
        self.retry = RetryPolicy(
            timeout=timeout,
            deadline=deadline,
            max_attempts=max_attempts,
            backoff=backoff,
        )
        self._client = client(self.base_url, self._api_key or "unset", timeout)

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
        return host_of(self.base_url)

    def generate(
        self, request: ImageRequest, *, progress: Progress | None = None
    ) -> GeneratedImage:
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
            response = self.retry.call(
                lambda timeout: self._client.images.generate(**kwargs, timeout=timeout),
                deadline_at=started + self.retry.deadline,
                host=self.host,
            )
        except GaveUp as gave_up:
            server = f"The image server at {self.host}"
            raise gave_up.as_error(ImageError, server) from gave_up.error
        except openai.APIStatusError as exc:
            raise self._permanent(exc) from None  # the body may echo the key
        item = response.data[0] if response.data else None
        image = self._decode(getattr(item, "b64_json", None))
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

    def _decode(self, b64: str | None) -> PILImage:
        from PIL import Image

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
        return image

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
        text = server_message(exc, self._api_key)
        return ImageError(
            f"The image server at {where} refused the request "
            f"({exc.status_code}): {text}",
            permanent=True,
            code="refused" if exc.status_code == 400 else "bad_request",
        )
