"""Bluesky's transport: one XRPC call through `apicall.call`, and the
`ConnectorError` for an answer that is not a success (rate limit and 5xx
transient, the rest permanent with the PDS's reason)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from core import http, outbound_urls
from core.retry_after import retry_after_seconds
from networks import apicall
from networks.base import ConnectorError

USER_AGENT = "AdLoop-Bluesky/1"
DEFAULT_SERVICE = "https://bsky.social"
# Errors that mean "this token no longer works" (the PDS answers 400 or 401).
TOKEN_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthenticationRequired"})


def retry_after(headers: Any) -> float | None:
    """`Retry-After`, else the PDS's `RateLimit-Reset` (Unix seconds)."""
    wait = retry_after_seconds(headers.get("retry-after"))
    if wait is None:
        wait = apicall.until_epoch(headers.get("ratelimit-reset"))
    return wait


def error_of(answer: http.Response) -> tuple[str, str]:
    """XRPC's error body: (`error`, `message`)."""
    try:
        data = answer.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        return str(data.get("error") or ""), str(data.get("message") or "")[:300]
    return "", ""


class XrpcClient:
    """The layer every other part of the connector calls the PDS through."""

    # --- transport ----------------------------------------------------------------

    def _xrpc(
        self,
        method: str,
        base: str,
        nsid: str,
        *,
        params: dict[str, str] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        content_type: str = "",
        token: str = "",
        secrets: tuple[str, ...] = (),
        posting: bool = False,
    ) -> http.Response:
        url = f"{base.rstrip('/')}/xrpc/{nsid}"
        if params:
            url += "?" + urlencode(params)
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        content = raw
        if body is not None:
            content = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        elif content_type:
            headers["Content-Type"] = content_type
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return apicall.call(
            method,
            url,
            network="Bluesky",
            content=content,
            headers=headers,
            secrets_=(token, *secrets),
            creates_post=posting,
            refused=outbound_urls.refused("The Bluesky server address"),
        )

    def _error(self, answer: http.Response, doing: str) -> ConnectorError:
        status = answer.status
        code, message = error_of(answer)
        detail = answer.body[:500].decode(errors="replace")
        said = message or code
        if status == 429:
            return ConnectorError(
                "Bluesky's rate limit was reached; trying again after it resets.",
                kind="transient",
                retry_after=retry_after(answer.headers),
                http_status=status,
                detail=detail,
            )
        if status >= 500 or status in (408, 425):
            return ConnectorError(
                f"Bluesky is temporarily unavailable (HTTP {status}); trying again.",
                kind="transient",
                retry_after=retry_after(answer.headers),
                http_status=status,
                detail=detail,
            )
        if status == 413 or code == "BlobTooLarge":
            return ConnectorError(
                "Bluesky refused the image: it is larger than allowed.",
                kind="permanent",
                http_status=status,
                detail=detail,
            )
        return ConnectorError(
            f"Bluesky refused to {doing}" + (f": {said}." if said else "."),
            kind="permanent",
            http_status=status,
            detail=detail,
        )
