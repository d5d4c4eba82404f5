"""The LLM server's permanent refusals as `LLMError`s a person can act on.

Each names the setting to fix (OPENAI_API_KEY, LLM_MODEL, LLM_STRUCTURED) and
never the key: a 401's body may quote it, so neither its message nor the
exception itself (`cause`) goes into the error, a traceback or a log. Transient
failures are `content.openai_calls.GaveUp`, turned into an `LLMError` by the
provider.
"""

from __future__ import annotations

import openai

from content.openai_calls import server_message
from networks.copy_types import LLMError


def permanent_error(
    exc: openai.APIStatusError, *, host: str, model: str, api_key: str
) -> LLMError:
    """The error for a status that no retry will change (400, 401, 403, 404)."""
    if isinstance(exc, openai.AuthenticationError):
        # The server's own message may quote the key: leave it out entirely.
        hint = "OPENAI_API_KEY is not set" if not api_key else "check it"
        return LLMError(
            f"The LLM server at {host} rejected the API key (401): {hint} "
            f"(OPENAI_API_KEY).",
            permanent=True,
            code="bad_key",
        )
    if isinstance(exc, openai.NotFoundError):
        return LLMError(
            f"The model {model!r} does not exist at {host} (404). Check "
            "LLM_MODEL: for Azure OpenAI the deployment name, for Ollama a "
            "model you have pulled.",
            permanent=True,
            code="unknown_model",
        )
    if isinstance(exc, openai.PermissionDeniedError):
        return LLMError(
            f"The API key may not use {model!r} at {host} (403): "
            f"{server_message(exc, api_key)}",
            permanent=True,
            code="permission_denied",
        )
    hint = ""
    if mentions(exc, "response_format", "json_schema"):
        hint = (
            " This server does not support json_schema output: set "
            "LLM_STRUCTURED=auto or json_object."
        )
    return LLMError(
        f"The LLM server at {host} refused the request ({exc.status_code}): "
        f"{server_message(exc, api_key)}.{hint}",
        permanent=True,
        code="bad_request",
    )


def check_refusal(refusal: str | None, finish_reason: str | None) -> None:
    """Raise when the model refused or the provider's filter stopped it."""
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


def cause(exc: openai.APIStatusError) -> BaseException | None:
    """What to chain a permanent error to: nothing for a 401."""
    # A 401's body may quote the key (some servers echo it): do not chain it
    # into tracebacks and logs.
    return None if isinstance(exc, openai.AuthenticationError) else exc


def mentions(exc: openai.APIError, *words: str) -> bool:
    """Whether the server's error speaks of any of `words` (lower case)."""
    text = f"{exc.message} {exc.body} {getattr(exc, 'param', '')}".lower()
    return any(w in text for w in words)
