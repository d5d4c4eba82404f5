"""Mastodon's transport and limits: one call to the account's instance
through `apicall.call`, the `ConnectorError` for an answer that is not a
success, and the instance's own limits (cached a few minutes per instance)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core import http, outbound_urls
from core.retry_after import retry_after_seconds
from networks import apicall
from networks.base import ConnectorError, credentials_of
from networks.textrules import MENTION_RE, SCHEME_URL_RE, graphemes

USER_AGENT = "AdLoop-Mastodon/1"
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_URL_CHARACTERS = 23
# How long an instance's limits are trusted; admins rarely change them.
INSTANCE_CACHE_SECONDS = 300.0


@dataclass(frozen=True)
class InstanceLimits:
    max_characters: int = DEFAULT_MAX_CHARACTERS
    max_media_attachments: int = DEFAULT_MAX_MEDIA
    characters_reserved_per_url: int = DEFAULT_URL_CHARACTERS
    image_size_limit: int | None = None


_limits_cache: dict[str, tuple[float, InstanceLimits]] = {}
_limits_lock = threading.Lock()


def clear_instance_cache() -> None:
    """Forget every cached instance limit (tests; an admin who changed one)."""
    with _limits_lock:
        _limits_cache.clear()


def status_length(text: str, *, url_characters: int = DEFAULT_URL_CHARACTERS) -> int:
    """The length Mastodon's StatusLengthValidator gives `text`."""
    text = SCHEME_URL_RE.sub("x" * url_characters, text)
    text = MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    return len(graphemes(text))


def instance_and_token(account: Any) -> tuple[str, str]:
    """(instance URL without a trailing slash, access token); "" when unset."""
    credentials = credentials_of(account)
    instance = str(credentials.get("instance_url") or "").rstrip("/")
    return instance, str(credentials.get("access_token") or "")


def _retry_after(headers: Any) -> float | None:
    """Seconds to wait: `Retry-After`, else Mastodon's `X-RateLimit-Reset` (an
    ISO 8601 time)."""
    wait = retry_after_seconds(headers.get("retry-after"))
    if wait is not None:
        return wait
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            when = datetime.fromisoformat(reset.replace("Z", "+00:00"))
        except ValueError:
            return None
        return max(0.0, when.timestamp() - time.time())
    return None


def _reason(answer: http.Response) -> str:
    """Mastodon's own words (`{"error": ...}`), short and without markup."""
    try:
        data = answer.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])[:300]
    return ""


class MastodonClient:
    """The layer the connector calls its instance through."""

    # --- transport ------------------------------------------------------------

    def _call(
        self,
        method: str,
        instance: str,
        path: str,
        *,
        token: str = "",
        body: bytes | None = None,
        content_type: str = "",
        extra_headers: dict[str, str] | None = None,
        posting: bool = False,
    ) -> http.Response:
        headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        headers.update(extra_headers or {})
        return apicall.call(
            method,
            instance + path,
            network="Mastodon",
            content=body,
            headers=headers,
            secrets_=[token],
            creates_post=posting,  # an upload alone publishes nothing
            refused=outbound_urls.refused("The Mastodon instance address"),
        )

    def _error(self, answer: http.Response, doing: str) -> ConnectorError:
        """The ConnectorError for a non-2xx answer (see the module docstring)."""
        status = answer.status
        reason = _reason(answer)
        detail = answer.body[:500].decode(errors="replace")
        said = f": {reason}" if reason else ""
        if status == 401:
            return ConnectorError(
                "Mastodon no longer accepts AdLoop's access to this account "
                f"({reason or 'invalid token'}); reconnect the account.",
                kind="permanent",
                http_status=status,
                detail=detail,
                reconnect=True,
            )
        if status == 429:
            return ConnectorError(
                "Mastodon's rate limit was reached; trying again after it resets.",
                kind="transient",
                retry_after=_retry_after(answer.headers),
                http_status=status,
                detail=detail,
            )
        if status >= 500 or status in (408, 425):
            return ConnectorError(
                f"The Mastodon instance is temporarily unavailable (HTTP {status}); "
                "trying again.",
                kind="transient",
                retry_after=_retry_after(answer.headers),
                http_status=status,
                detail=detail,
            )
        if status == 403:
            message = f"Mastodon refused to {doing}{said or ' (forbidden)'}."
        elif status == 404:
            message = f"Mastodon could not {doing}: not found{said}."
        elif status == 422:
            message = f"Mastodon rejected the post{said}."
        elif status == 413:
            message = "Mastodon refused the image: the file is too large."
        else:
            message = f"Mastodon refused to {doing} (HTTP {status}){said}."
        return ConnectorError(
            message, kind="permanent", http_status=status, detail=detail
        )

    def _json(self, answer: http.Response, doing: str) -> dict[str, Any]:
        if not 200 <= answer.status < 300:
            raise self._error(answer, doing)
        try:
            data = answer.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ConnectorError(
                f"Mastodon gave an unreadable answer when asked to {doing}.",
                kind="ambiguous" if answer.status in (200, 201, 202) else "transient",
                http_status=answer.status,
            )
        return data

    # --- limits -----------------------------------------------------------------

    def limits(self, account: Any) -> InstanceLimits:
        """The account's instance limits (cached; the defaults when the instance
        does not say, or cannot be asked right now)."""
        instance, _ = instance_and_token(account)
        if not instance:
            return InstanceLimits()
        now = time.monotonic()
        with _limits_lock:
            cached = _limits_cache.get(instance)
        if cached and cached[0] > now:
            return cached[1]
        try:
            answer = self._call("GET", instance, "/api/v2/instance")
        except ConnectorError:
            return InstanceLimits()  # not cached: ask again next time
        if answer.status != 200:
            return InstanceLimits()
        try:
            data: Any = answer.json()  # read with .get as Mastodon documents it
        except ValueError:
            return InstanceLimits()
        configuration = (data or {}).get("configuration") or {}
        statuses = configuration.get("statuses") or {}
        media = configuration.get("media_attachments") or {}

        def number(value: Any, default: int | None) -> int | None:
            return value if isinstance(value, int) and value > 0 else default

        limits = InstanceLimits(
            max_characters=number(statuses.get("max_characters"), 500) or 500,
            max_media_attachments=number(statuses.get("max_media_attachments"), 4) or 4,
            characters_reserved_per_url=number(
                statuses.get("characters_reserved_per_url"), 23
            )
            or 23,
            image_size_limit=number(media.get("image_size_limit"), None),
        )
        with _limits_lock:
            _limits_cache[instance] = (now + INSTANCE_CACHE_SECONDS, limits)
        return limits


def account_limits(limits: InstanceLimits) -> dict[str, int]:
    """An instance's limits as an account stores them (`ChannelAccount.limits`,
    read by `networks.limits` before anything is sent)."""
    out = {
        "max_length": limits.max_characters,
        "max_images": limits.max_media_attachments,
    }
    if limits.image_size_limit:
        out["max_image_bytes"] = limits.image_size_limit
    return out
