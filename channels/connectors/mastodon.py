"""Mastodon: statuses on the account's own instance, through its REST API
(https://docs.joinmastodon.org/methods/statuses/).

Credentials (`account.credentials`, written by `channels.oauth` when the
account connects): `instance_url` (`https://host[:port]`) and `access_token`
(scopes `read:accounts write:statuses write:media`). `account.external_id` is
the Mastodon account id (from `verify_credentials`), used by `lookup`.

- Posting: `POST /api/v1/statuses` with an `Idempotency-Key` header. Mastodon
  keeps the key for an hour and answers a repeat with the status it already
  made, so a retry after a timeout or a dead worker cannot post twice
  (`dedupes=True`). The parts of a thread are replies to the part before
  (`in_reply_to_id`), each with its own key derived from the publication's.
- Images: `POST /api/v2/media` (alt text as `description`). A 202 means the
  instance is still processing: `GET /api/v1/media/:id` is polled until it
  answers 200, and only then is the id attached (an unprocessed id is refused).
- Limits: the instance's own, from `GET /api/v2/instance`
  (`configuration.statuses.max_characters`, `max_media_attachments`,
  `characters_reserved_per_url`), cached per instance for a few minutes. Length
  is counted as Mastodon's StatusLengthValidator does: grapheme clusters, each
  URL with a scheme as `characters_reserved_per_url`, `@user@domain` as `@user`.
- Errors: 401 (token invalid or revoked) → permanent and the account must be
  reconnected; 403/404/422 and other 4xx → permanent with Mastodon's reason;
  429 → transient after `X-RateLimit-Reset`; 5xx → transient; no answer after
  sending → ambiguous.
- `lookup`: the account's recent statuses, matched on the text (HTML stripped,
  whitespace folded) and created no earlier than shortly before the due time.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from channels import http, outbound_urls
from channels.connectors import apicall
from channels.connectors.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    MediaItem,
    PublishRequest,
    PublishResult,
    credentials_of,
)
from content.channel_rules import MENTION_RE, SCHEME_URL_RE, graphemes
from core.retry_after import retry_after_seconds

USER_AGENT = "AdLoop-Mastodon/1"
DEFAULT_MAX_CHARACTERS = 500
DEFAULT_MAX_MEDIA = 4
DEFAULT_URL_CHARACTERS = 23
# How long an instance's limits are trusted; admins rarely change them.
INSTANCE_CACHE_SECONDS = 300.0
# Media processing: poll every MEDIA_POLL_SECONDS (doubling, at most 5 s) for
# at most MEDIA_PROCESSING_SECONDS before giving up (a transient error).
MEDIA_POLL_SECONDS = 1.0
MEDIA_PROCESSING_SECONDS = 60.0
# A status older than this before the due time is not the one we are looking for.
LOOKUP_MARGIN = timedelta(hours=1)


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


def _credentials(account: Any) -> tuple[str, str]:
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


_TAG_RE = re.compile(r"<[^>]*>")
_BREAK_RE = re.compile(r"<br\s*/?>|</p>\s*<p[^>]*>", re.IGNORECASE)


def plain_text(value: str) -> str:
    """A text or a status's HTML `content` reduced to what `lookup` compares:
    tags removed (Mastodon splits a URL across spans but keeps all of it),
    entities decoded, remote mentions as `@user`, whitespace folded."""
    value = _BREAK_RE.sub(" ", value)
    value = html.unescape(_TAG_RE.sub("", value))
    value = MENTION_RE.sub(lambda m: "@" + m.group(1), value)
    return " ".join(value.split())


class MastodonConnector:
    key = "mastodon"
    capabilities = Capabilities(
        text_limit=DEFAULT_MAX_CHARACTERS,  # the default; `limits()` has the real one
        max_images=DEFAULT_MAX_MEDIA,
        max_image_bytes=16 * 1024 * 1024,
        threads=True,
        link_cards=True,  # the instance makes the preview card itself
        dedupes=True,
        lookup=True,
    )

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
        instance, _ = _credentials(account)
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
            data = answer.json()
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

    # --- the protocol -------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[str]:
        instance, token = _credentials(request.account)
        if not instance or not token:
            return ["The Mastodon account is not connected; connect it again."]
        limits = self.limits(request.account)
        problems = []
        parts = [request.text, *request.thread]
        for number, text in enumerate(parts, start=1):
            where = f"Part {number} of the thread" if len(parts) > 1 else "The post"
            if not text.strip() and not (number == 1 and request.media):
                problems.append(f"{where} is empty.")
                continue
            length = status_length(
                text, url_characters=limits.characters_reserved_per_url
            )
            if length > limits.max_characters:
                problems.append(
                    f"{where} is {length} characters; this Mastodon instance "
                    f"allows {limits.max_characters}."
                )
        if len(request.media) > limits.max_media_attachments:
            problems.append(
                f"Mastodon allows {limits.max_media_attachments} images per post; "
                f"this one has {len(request.media)}."
            )
        for media in request.media:
            if not media.content_type.startswith("image/"):
                problems.append(f"{media.content_type} is not an image type.")
        return problems

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        instance, token = _credentials(request.account)
        media_ids = [self._upload(instance, token, media) for media in request.media]
        first: PublishResult | None = None
        previous = ""
        for number, text in enumerate([request.text, *request.thread]):
            fields: dict[str, Any] = {"status": text, "visibility": "public"}
            if number == 0 and media_ids:
                fields["media_ids"] = media_ids
            if previous:
                fields["in_reply_to_id"] = previous
            key = request.idempotency_key + (f"-{number}" if number else "")
            try:
                result = self._status(instance, token, fields, key)
            except ConnectorError as exc:
                if first is None or exc.kind != "permanent":
                    raise  # a retry re-sends the parts made so far with their keys
                raise ConnectorError(
                    f"Part {number + 1} of the thread was refused after the first "
                    f"{number} were published: {exc.message}",
                    kind="permanent",
                    http_status=exc.http_status,
                    detail=exc.detail,
                ) from exc
            previous = result.external_id
            first = first or result
        assert first is not None
        return first

    def _status(
        self, instance: str, token: str, fields: dict[str, Any], key: str
    ) -> PublishResult:
        answer = self._call(
            "POST",
            instance,
            "/api/v1/statuses",
            token=token,
            body=json.dumps(fields).encode(),
            content_type="application/json",
            extra_headers={"Idempotency-Key": key},
            posting=True,
        )
        data = self._json(answer, "publish the post")
        if not data.get("id"):
            raise ConnectorError(
                "Mastodon answered without the new post's id.",
                kind="ambiguous",
                http_status=answer.status,
            )
        return PublishResult(
            external_id=str(data["id"]),
            url=str(data.get("url") or data.get("uri") or "")[:1000],
            http_status=answer.status,
        )

    def _upload(self, instance: str, token: str, media: MediaItem) -> str:
        body, content_type = apicall.multipart(
            {"description": media.alt_text[:1500]} if media.alt_text else {},
            [apicall.media_file("file", media)],
        )
        answer = self._call(
            "POST",
            instance,
            "/api/v2/media",
            token=token,
            body=body,
            content_type=content_type,
        )
        data = self._json(answer, "upload the image")
        media_id = str(data.get("id") or "")
        if not media_id:
            raise ConnectorError(
                "Mastodon answered the upload without an id.", kind="transient"
            )
        if answer.status == 202 or not data.get("url"):
            self._wait_processed(instance, token, media_id)
        return media_id

    def _wait_processed(self, instance: str, token: str, media_id: str) -> None:
        """Poll until the instance has processed the upload (200; 206 while not)."""
        deadline = time.monotonic() + MEDIA_PROCESSING_SECONDS
        pause = MEDIA_POLL_SECONDS
        while True:
            answer = self._call(
                "GET", instance, f"/api/v1/media/{media_id}", token=token
            )
            if answer.status == 200:
                data = self._json(answer, "check the image")
                if data.get("url"):
                    return
            elif answer.status != 206:
                raise self._error(answer, "process the image")
            if time.monotonic() + pause > deadline:
                raise ConnectorError(
                    "Mastodon is still processing the image; trying again later.",
                    kind="transient",
                )
            time.sleep(pause)
            pause = min(pause * 2, 5.0)

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """The first part of this publication among the account's recent public
        statuses, if it is there (after an ambiguous outcome)."""
        instance, token = _credentials(request.account)
        account_id = str(getattr(request.account, "external_id", "") or "")
        if not instance or not account_id:
            return None
        query = urlencode({"limit": 40, "exclude_reblogs": "true"})
        path = f"/api/v1/accounts/{account_id}/statuses?{query}"
        # Public statuses need no token; with one, Mastodon also wants the
        # read:statuses scope, which AdLoop does not ask for.
        answer = self._call("GET", instance, path)
        if answer.status in (401, 403):
            answer = self._call("GET", instance, path, token=token)
        if answer.status != 200:
            raise self._error(answer, "list the account's posts")
        try:
            statuses = answer.json()
        except ValueError:
            statuses = None
        if not isinstance(statuses, list):
            return None
        by_id: dict[str, dict[str, Any]] = {
            str(s.get("id")): s for s in statuses if isinstance(s, dict)
        }
        earliest = (
            request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        )

        def fresh(status: dict[str, Any]) -> bool:
            created = _parse_time(status.get("created_at"))
            return not (earliest and created and created < earliest)

        parts = [plain_text(text) for text in (request.text, *request.thread)]
        for root in by_id.values():
            if root.get("in_reply_to_id") or not fresh(root):
                continue
            if plain_text(str(root.get("content") or "")) != parts[0]:
                continue
            # A thread counts as made only when every part is there; otherwise
            # re-sending (same keys: Mastodon answers the parts it has) is right.
            previous = str(root.get("id"))
            for text in parts[1:]:
                reply = next(
                    (
                        s
                        for s in by_id.values()
                        if str(s.get("in_reply_to_id") or "") == previous
                        and plain_text(str(s.get("content") or "")) == text
                    ),
                    None,
                )
                if reply is None:
                    return None
                previous = str(reply.get("id"))
            return PublishResult(
                external_id=str(root.get("id")),
                url=str(root.get("url") or root.get("uri") or "")[:1000],
                http_status=200,
            )
        return None

    def check(self, account: Any) -> AccountCheck:
        instance, token = _credentials(account)
        if not instance or not token:
            raise ConnectorError(
                "The Mastodon account is not connected; connect it again.",
                kind="permanent",
                reconnect=True,
            )
        answer = self._call(
            "GET", instance, "/api/v1/accounts/verify_credentials", token=token
        )
        data = self._json(answer, "confirm the account")
        acct = str(data.get("acct") or data.get("username") or "")
        host = urlsplit(instance).hostname or ""
        limits = self.limits(account)
        return AccountCheck(
            external_id=str(data.get("id") or ""),
            name=str(data.get("display_name") or data.get("username") or ""),
            handle=f"@{acct}" if "@" in acct else f"@{acct}@{host}",
            avatar_url=str(data.get("avatar") or ""),
            detail={
                "max_characters": limits.max_characters,
                "max_media_attachments": limits.max_media_attachments,
                # What the account stores as its own (`ChannelAccount.limits`).
                "limits": account_limits(limits),
            },
        )


def account_limits(limits: InstanceLimits) -> dict[str, int]:
    """An instance's limits as an account stores them (`ChannelAccount.limits`,
    read by `content.copy_limits` before anything is sent)."""
    out = {
        "max_length": limits.max_characters,
        "max_images": limits.max_media_attachments,
    }
    if limits.image_size_limit:
        out["max_image_bytes"] = limits.image_size_limit
    return out


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
