"""What the HTTP connectors share: one way to call an API through
`core.http` and turn "no answer" into the right `ConnectorError` kind, the
rule for a refused token, a reset-time header, a text fingerprint for lookups,
and a multipart body (`Retry-After` is `core.retry_after`'s).

The rule the publish task relies on: only the request that creates the post is
"ambiguous" when its answer is lost (the post may exist). An upload, a status
poll or a read that times out created nothing anyone can see, so it is
"transient" and safe to repeat.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import secrets
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from core import http
from networks.base import ConnectorError, MediaItem, credentials_of
from networks.textrules import ANY_URL_RE


def call(
    method: str,
    url: str,
    *,
    network: str,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    secrets_: Iterable[str] = (),
    creates_post: bool = False,
    timeout: float | None = None,
    refused: str = "",
) -> http.Response:
    """One request; `OutboundRefused`/`OutboundError` become `ConnectorError`.

    An answer too large is permanent (the network will send it again), or
    ambiguous where the request creates a post; a call past its total deadline
    is transient, or ambiguous where it creates a post.

    `creates_post`: a lost answer after sending means the post may exist
    ("ambiguous"); otherwise it is "transient". `refused` is what to tell the
    marketer when the address may not be called (a private network, a name that
    does not resolve); by default, to check the API base URL setting.
    """
    # One piece: one `except` per failure of `core.http`, subclasses
    # before their bases; each says what the publish task must do next.
    try:
        return http.request(
            method,
            url,
            content=content,
            headers=headers,
            secrets=secrets_,
            timeout=timeout,
        )
    except http.OutboundRefused as exc:
        raise ConnectorError(
            refused
            or f"AdLoop may not call {network}'s API address; check the "
            "API base URL setting.",
            kind="permanent",
            detail=str(exc),
        ) from exc
    except http.ResponseTooLarge as exc:
        # The request went out: where it creates a post, that post may exist.
        raise ConnectorError(
            f"{network} answered with more data than AdLoop accepts "
            f"({settings.OUTBOUND_MAX_RESPONSE_BYTES // 1024} KB at most)"
            + ("; the post may have been published." if creates_post else "."),
            kind="ambiguous" if creates_post else "permanent",
            detail=str(exc),
        ) from exc
    except http.DeadlineExceeded as exc:
        if exc.sent and creates_post:
            raise ConnectorError(
                f"{network} did not finish answering in time; the post may "
                "have been published.",
                kind="ambiguous",
                detail=str(exc),
            ) from exc
        raise ConnectorError(
            f"{network} did not finish answering within {exc.seconds:g} "
            "seconds; AdLoop stopped waiting (the server is slow or "
            "overloaded).",
            kind="transient",
            detail=str(exc),
        ) from exc
    except http.OutboundError as exc:
        if exc.sent and creates_post:
            raise ConnectorError(
                f"{network} did not answer in time; the post may have been published.",
                kind="ambiguous",
                detail=str(exc),
            ) from exc
        raise ConnectorError(
            f"Could not reach {network}; trying again.",
            kind="transient",
            detail=str(exc),
        ) from exc


def json_of(answer: http.Response) -> dict[str, Any]:
    """The answer's JSON object, or {} when it is not one."""
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def snippet(answer: http.Response, secrets_: Iterable[str] = ()) -> str:
    """What the network said, for the attempt row (redacted, short)."""
    return http.redact(answer.body[:500].decode(errors="replace"), secrets_)


def until_epoch(value: str | None) -> float | None:
    """Seconds until a reset time given as Unix epoch seconds (X's
    `x-rate-limit-reset`); None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value) - time.time())
    except ValueError:
        return None


def access_token(account: Any, *, network: str) -> str:
    """The account's OAuth `access_token`; without one, a permanent error that
    asks for the account to be connected again."""
    token = credentials_of(account).get("access_token")
    if not token:
        raise ConnectorError(
            f"This {network} account has no access token: connect it again.",
            kind="permanent",
            reconnect=True,
        )
    return str(token)


def token_expired(account: Any) -> bool:
    """The stored token is past its expiry: a refusal is the refresh job's
    business (it runs before expiry; this one is late), not a revocation."""
    expires = getattr(account, "token_expires_at", None)
    return isinstance(expires, datetime) and expires <= timezone.now()


def auth_refused(
    account: Any, *, network: str, status: int | None, detail: str
) -> ConnectorError:
    """The network refused the token. An expired token waits for the refresh
    (transient); any other refusal is definite: reconnect the account."""
    if token_expired(account):
        return ConnectorError(
            f"The {network} access token has expired; waiting for it to be refreshed.",
            kind="transient",
            retry_after=300.0,
            http_status=status,
            detail=detail,
        )
    return ConnectorError(
        f"{network} no longer accepts AdLoop's access to this account (it was "
        "revoked or the password changed): reconnect the account.",
        kind="permanent",
        http_status=status,
        detail=detail,
        reconnect=True,
    )


def with_link(text: str, link: str) -> str:
    """The text as posted where the network has no link field: the post's link
    is added at the end unless the copy already carries it."""
    text = text.strip()
    link = (link or "").strip()
    if not link or link in text:
        return text
    return f"{text}\n\n{link}" if text else link


def fingerprint(text: str) -> str:
    """A hash of what a person reads, for finding a post again: HTML entities
    undone, URLs dropped (networks shorten them or add their own, e.g. X's
    t.co media link), whitespace folded, case folded."""
    text = html.unescape(text or "")
    text = ANY_URL_RE.sub(" ", text)
    text = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(text.encode()).hexdigest()


def multipart(
    fields: Mapping[str, str], files: Iterable[tuple[str, str, str, bytes]] = ()
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type: the only place a
    connector builds one. `files`: (field name, file name, content type, bytes).
    Names are quoted as browsers do (WHATWG: `"`, CR and LF percent-encoded),
    so a file name cannot break out of its header."""
    boundary = "adloop-" + secrets.token_hex(16)
    out = bytearray()
    for name, value in fields.items():
        out += (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{_quoted(name)}"\r\n\r\n{value}\r\n'
        ).encode()
    for name, filename, content_type, data in files:
        out += (
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{_quoted(name)}"; filename="{_quoted(filename)}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        ).encode()
        out += data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def media_file(field: str, item: MediaItem) -> tuple[str, str, str, bytes]:
    """One image as a `multipart` file part: its stored file's name ("image"
    when it has none) and bytes, read now."""
    filename = os.path.basename(item.path) or "image"
    return field, filename, item.content_type, item.read()


def _quoted(name: str) -> str:
    return name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
