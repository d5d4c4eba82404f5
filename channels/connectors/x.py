"""X: posts through API v2 (https://docs.x.com/x-api/posts/create-post).

Credentials (`account.credentials`, written by `channels.oauth`): `access_token`
(an OAuth 2.0 user token with `tweet.read tweet.write users.read media.write`;
`refresh_token` is used by the refresh job, not here). `account.external_id` is
the user id from `GET /2/users/me`, `account.handle` "@username".

- Posting: `POST /2/tweets` with `text`, `media.media_ids` on the first part,
  and each later part of a thread as a reply to the one before
  (`reply.in_reply_to_tweet_id`). The post's link is added to the text when the
  copy does not carry it. X has no idempotency key (`dedupes=False`).
- Images: `POST /2/media/upload` (the simple upload: the file base64 in a JSON
  body with `media_category=tweet_image`), images of at most 5 MB, at most 4;
  alt text through `POST /2/media/metadata`.
- Length: 280 weighted characters as twitter-text counts them (every URL 23,
  emoji and CJK 2): `content.channel_rules.measure("x", ...)`.
- Errors: 401 → the account must be reconnected (unless its token merely
  expired: the refresh job handles that); 403 "duplicate content" → X already
  has this text: if it is our own earlier try (found by `lookup`) that post is
  the result, otherwise a permanent failure; other 403/400 → permanent with X's
  reason; 429 → transient until `x-rate-limit-reset` (epoch seconds); 5xx →
  transient; no answer after sending → ambiguous.
- `lookup`: the user's recent posts (`GET /2/users/:id/tweets`, since shortly
  before the due time) matched on a fingerprint of the text (URLs ignored: X
  shortens them). A thread found half-posted is completed from where it stops,
  so a retry never posts a part twice.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from channels.connectors import apicall
from channels.connectors.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    MediaItem,
    PublishRequest,
    PublishResult,
)
from content.channel_rules import measure
from core.retry_after import retry_after_seconds

NETWORK = "X"
MAX_IMAGES = 4
MAX_IMAGE_BYTES = 5 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
# A post created earlier than this before the due time is not ours.
LOOKUP_MARGIN = timedelta(minutes=10)
LOOKUP_PAGE = 100


def _base() -> str:
    return settings.X_API_BASE_URL


def _reason(data: dict[str, Any]) -> str:
    """X's own words: `detail` (problem+json), else the first error's message."""
    detail = data.get("detail") or data.get("title") or ""
    errors = data.get("errors")
    if not detail and isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        detail = first.get("message") or first.get("detail") or ""
    return str(detail)[:300]


def parts_of(request: PublishRequest) -> list[str]:
    """The texts posted, in order: the first part carries the link."""
    return [apicall.with_link(request.text, request.link), *request.thread]


@dataclass(frozen=True)
class _Tweet:
    id: str
    text: str
    replied_to: str
    created_at: datetime | None


class XConnector:
    key = "x"
    capabilities = Capabilities(
        text_limit=280,
        max_images=MAX_IMAGES,
        max_image_bytes=MAX_IMAGE_BYTES,
        threads=True,
        link_cards=True,
        dedupes=False,
        lookup=True,
    )

    # --- validate -------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[str]:
        problems: list[str] = []
        parts = parts_of(request)
        for number, text in enumerate(parts, start=1):
            where = f"Part {number} of the thread" if len(parts) > 1 else "The post"
            if not text.strip() and not (number == 1 and request.media):
                problems.append(f"{where} is empty.")
                continue
            m = measure("x", text)
            if m.over_by:
                problems.append(
                    f"{where} is too long for X: {m.length} of 280 characters "
                    f"(links count 23, emoji 2; {m.over_by} over)."
                )
        if len(request.media) > MAX_IMAGES:
            problems.append(
                f"X takes at most {MAX_IMAGES} images; this post has "
                f"{len(request.media)}."
            )
        for item in request.media:
            problems.extend(_image_problems(item))
        return problems

    # --- publish --------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        token = apicall.access_token(request.account, network=NETWORK)
        media_ids = [
            self._upload(item, token, request.account) for item in request.media
        ]
        parts = parts_of(request)
        try:
            head = self._create(parts[0], token, request, media_ids=media_ids)
        except _Duplicate as duplicate:
            found = self.lookup(request)
            if found is not None:
                return found
            raise duplicate.error from None
        self._post_rest(request, token, head, parts, start=1)
        return head

    def _post_rest(
        self,
        request: PublishRequest,
        token: str,
        head: PublishResult,
        parts: list[str],
        *,
        start: int,
        previous: str = "",
    ) -> None:
        """Post `parts[start:]` as replies, each to the part before it."""
        previous = previous or head.external_id
        for index in range(start, len(parts)):
            try:
                previous = self._create(
                    parts[index], token, request, reply_to=previous
                ).external_id
            except (ConnectorError, _Duplicate) as exc:
                error = exc.error if isinstance(exc, _Duplicate) else exc
                raise _partial(error, index, len(parts), head) from None

    def _create(
        self,
        text: str,
        token: str,
        request: PublishRequest,
        *,
        media_ids: list[str] | None = None,
        reply_to: str = "",
    ) -> PublishResult:
        body: dict[str, Any] = {"text": text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}
        if reply_to:
            body["reply"] = {"in_reply_to_tweet_id": reply_to}
        answer = apicall.call(
            "POST",
            f"{_base()}/2/tweets",
            network=NETWORK,
            content=json.dumps(body).encode(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
            },
            secrets_=(token,),
            creates_post=True,
        )
        data = apicall.json_of(answer)
        if answer.status in (200, 201):
            tweet_id = str((data.get("data") or {}).get("id") or "")
            if not tweet_id:
                raise ConnectorError(
                    "X answered without the post's id; check the account.",
                    kind="ambiguous",
                    http_status=answer.status,
                    detail=apicall.snippet(answer, (token,)),
                )
            return PublishResult(
                external_id=tweet_id,
                url=_post_url(request.account, tweet_id),
                http_status=answer.status,
            )
        error = self._error(answer, data, request.account, token)
        if answer.status == 403 and "duplicate" in _reason(data).lower():
            raise _Duplicate(error)
        raise error

    def _upload(self, item: MediaItem, token: str, account: Any) -> str:
        body = {
            "media": base64.b64encode(item.read()).decode(),
            "media_category": "tweet_image",
            "media_type": item.content_type,
        }
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        }
        answer = apicall.call(
            "POST",
            f"{_base()}/2/media/upload",
            network=NETWORK,
            content=json.dumps(body).encode(),
            headers=headers,
            secrets_=(token,),
        )
        data = apicall.json_of(answer)
        media_id = str((data.get("data") or {}).get("id") or "")
        if answer.status not in (200, 201) or not media_id:
            if answer.status in (200, 201):
                raise ConnectorError(
                    "X did not return an id for the uploaded image; trying again.",
                    kind="transient",
                    http_status=answer.status,
                )
            raise self._error(answer, data, account, token, what="the image")
        if item.alt_text:
            alt = {"id": media_id, "metadata": {"alt_text": {"text": item.alt_text}}}
            answer = apicall.call(
                "POST",
                f"{_base()}/2/media/metadata",
                network=NETWORK,
                content=json.dumps(alt).encode(),
                headers=headers,
                secrets_=(token,),
            )
            if answer.status >= 300:
                raise self._error(
                    answer, apicall.json_of(answer), account, token, what="alt text"
                )
        return media_id

    def _error(
        self,
        answer: Any,
        data: dict[str, Any],
        account: Any,
        token: str,
        *,
        what: str = "the post",
    ) -> ConnectorError:
        status = answer.status
        detail = apicall.snippet(answer, (token,))
        reason = _reason(data)
        if status == 401:
            return apicall.auth_refused(
                account, network=NETWORK, status=status, detail=detail
            )
        if status == 429:
            wait = apicall.until_epoch(answer.headers.get("x-rate-limit-reset"))
            if wait is None:
                wait = retry_after_seconds(answer.headers.get("retry-after"))
            return ConnectorError(
                "X's rate limit for this account is reached; trying again when "
                "it resets.",
                kind="transient",
                retry_after=wait,
                http_status=status,
                detail=detail,
            )
        if status >= 500:
            return ConnectorError(
                f"X is having trouble (HTTP {status}); trying again.",
                kind="transient",
                retry_after=retry_after_seconds(answer.headers.get("retry-after")),
                http_status=status,
                detail=detail,
            )
        if status == 403 and "duplicate" in reason.lower():
            message = (
                "X refused the post as a duplicate: the account already has a "
                "post with the same text. Change the copy to post it again."
            )
        elif status == 403:
            message = f"X refused {what}: {reason or 'forbidden'}."
        else:
            message = f"X rejected {what} (HTTP {status}): {reason or 'no reason'}."
        return ConnectorError(
            message, kind="permanent", http_status=status, detail=detail
        )

    # --- lookup and check -------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Our post among the user's recent ones (see the module docstring)."""
        account = request.account
        token = apicall.access_token(account, network=NETWORK)
        user_id = str(getattr(account, "external_id", "") or "")
        if not user_id:
            user_id = self.check(account).external_id
        tweets = self._recent(user_id, token, account, since=request.scheduled_at)
        parts = parts_of(request)
        wanted = [apicall.fingerprint(p) for p in parts]
        # Oldest first: a thread's parts follow its head.
        tweets.sort(key=_age_order)
        head = next(
            (t for t in tweets if apicall.fingerprint(t.text) == wanted[0]), None
        )
        if head is None:
            return None
        result = PublishResult(
            external_id=head.id, url=_post_url(account, head.id), http_status=200
        )
        chain = [head.id]
        for index in range(1, len(parts)):
            reply = next(
                (
                    t
                    for t in tweets
                    if t.replied_to == chain[-1]
                    and apicall.fingerprint(t.text) == wanted[index]
                ),
                None,
            )
            if reply is None:
                # Half a thread is out there: finish it rather than start over.
                self._post_rest(
                    request, token, result, parts, start=index, previous=chain[-1]
                )
                break
            chain.append(reply.id)
        return result

    def _recent(
        self, user_id: str, token: str, account: Any, *, since: datetime | None
    ) -> list[_Tweet]:
        query: dict[str, Any] = {
            "max_results": LOOKUP_PAGE,
            "tweet.fields": "created_at,referenced_tweets",
            "exclude": "retweets",
        }
        if since is not None:
            start = since - LOOKUP_MARGIN
            query["start_time"] = start.strftime("%Y-%m-%dT%H:%M:%SZ")
        answer = apicall.call(
            "GET",
            f"{_base()}/2/users/{user_id}/tweets?{urlencode(query)}",
            network=NETWORK,
            headers={"Authorization": f"Bearer {token}"},
            secrets_=(token,),
        )
        data = apicall.json_of(answer)
        if answer.status != 200:
            raise self._error(answer, data, account, token, what="the lookup")
        tweets = []
        for item in data.get("data") or []:
            if not isinstance(item, dict):
                continue
            replied_to = ""
            for ref in item.get("referenced_tweets") or []:
                if isinstance(ref, dict) and ref.get("type") == "replied_to":
                    replied_to = str(ref.get("id") or "")
            tweets.append(
                _Tweet(
                    id=str(item.get("id") or ""),
                    text=str(item.get("text") or ""),
                    replied_to=replied_to,
                    created_at=_parse_time(item.get("created_at")),
                )
            )
        return tweets

    def check(self, account: Any) -> AccountCheck:
        token = apicall.access_token(account, network=NETWORK)
        answer = apicall.call(
            "GET",
            f"{_base()}/2/users/me?user.fields=profile_image_url",
            network=NETWORK,
            headers={"Authorization": f"Bearer {token}"},
            secrets_=(token,),
        )
        data = apicall.json_of(answer)
        if answer.status != 200:
            raise self._error(answer, data, account, token, what="the check")
        user = data.get("data") or {}
        return AccountCheck(
            external_id=str(user.get("id") or ""),
            name=str(user.get("name") or ""),
            handle=f"@{user.get('username', '')}" if user.get("username") else "",
            avatar_url=str(user.get("profile_image_url") or ""),
        )


class _Duplicate(Exception):
    """X answered 403 "duplicate content" (carries the permanent error)."""

    def __init__(self, error: ConnectorError) -> None:
        super().__init__(error.message)
        self.error = error


def _partial(
    error: ConnectorError, index: int, total: int, head: PublishResult
) -> ConnectorError:
    """A thread stopped after `index` parts. The head is public, so a retry
    must go through `lookup` (which completes the thread): "ambiguous", unless
    the error can never pass."""
    done = f"X published the first {index} of {total} parts ({head.url})"
    if error.kind == "permanent":
        return ConnectorError(
            f"{done}, then refused part {index + 1}: {error.message}",
            kind="permanent",
            http_status=error.http_status,
            detail=error.detail,
            reconnect=error.reconnect,
        )
    return ConnectorError(
        f"{done}; the rest will be posted on the next try. {error.message}",
        kind="ambiguous",
        retry_after=error.retry_after,
        http_status=error.http_status,
        detail=error.detail,
    )


def _image_problems(item: MediaItem) -> list[str]:
    problems = []
    if item.content_type not in IMAGE_TYPES:
        problems.append(
            f"X takes JPEG, PNG, GIF or WebP images, not {item.content_type}."
        )
    try:
        size = os.path.getsize(item.path)
    except OSError:
        return [*problems, "An image of this post is missing from the media storage."]
    if size > MAX_IMAGE_BYTES:
        problems.append(f"An image is {size / 1_048_576:.1f} MB; X takes at most 5 MB.")
    return problems


def _post_url(account: Any, tweet_id: str) -> str:
    handle = str(getattr(account, "handle", "") or "").lstrip("@")
    if handle:
        return f"https://x.com/{handle}/status/{tweet_id}"
    return f"https://x.com/i/web/status/{tweet_id}"


def _age_order(tweet: _Tweet) -> tuple[float, int]:
    stamp = tweet.created_at.timestamp() if tweet.created_at else 0.0
    return stamp, int(tweet.id) if tweet.id.isdigit() else 0


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
