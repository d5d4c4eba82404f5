"""Copywriting providers: one protocol, an OpenAI-compatible client and the
offline writer, chosen by settings (`LLM_PROVIDER`, overridable per workspace).

A provider turns a `CopyTask` into a `CopyResult` (structured JSON: a text per
channel, hashtags, link placement, alt text, image prompt, rationale) and an
`AngleTask` into `Angle`s. Every failure reaching a caller is an `LLMError`:
transient errors (429 honouring Retry-After, 5xx, timeouts, connection) have
already been retried, within `LLM_MAX_ATTEMPTS` and `LLM_RETRY_DEADLINE_SECONDS`
(`content.openai_calls`, the one retry policy of OpenAI-protocol calls); a bad
key, an unknown model, a bad request, a refusal and output that stays malformed
after one retry are permanent at once.

The package: `schemas` (what an answer must match), `messages` (what is sent
and how the answer is read), `openai_provider` (the client, its fallbacks) and
`errors` (the server's refusals for a person). The offline writer lives in
`content.offline_writer`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable

from django.conf import settings

from content.llm.openai_provider import OpenAICompatibleProvider, cost_of
from content.llm.schemas import (
    ANGLES_SCHEMA,
    ANGLES_SCHEMA_NAME,
    COPY_SCHEMA,
    COPY_SCHEMA_NAME,
    LINK_PLACEMENTS,
    copy_schema,
)
from networks.copy_types import (
    Angle,
    AngleTask,
    CopyResult,
    CopyTask,
    LLMError,
    ModerationResult,
)

__all__ = [
    "ANGLES_SCHEMA",
    "ANGLES_SCHEMA_NAME",
    "COPY_SCHEMA",
    "COPY_SCHEMA_NAME",
    "LINK_PLACEMENTS",
    "CopyProvider",
    "OpenAICompatibleProvider",
    "copy_schema",
    "cost_of",
    "get_provider",
]


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
