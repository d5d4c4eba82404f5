"""The Mastodon connector: the protocol (`validate`, `publish` with its
image uploads, `lookup`, `check`) on top of `MastodonClient`."""

from __future__ import annotations

import html
import json
import re
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode, urlsplit

from networks import apicall
from networks.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    ConnectorStore,
    MediaItem,
    PublishRequest,
    PublishResult,
)
from networks.mastodon.client import (
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_MAX_MEDIA,
    MastodonClient,
    account_limits,
    instance_and_token,
    status_length,
)
from networks.textrules import MENTION_RE

# Media processing: poll every MEDIA_POLL_SECONDS (doubling, at most 5 s) for
# at most MEDIA_PROCESSING_SECONDS before giving up (a transient error).
MEDIA_POLL_SECONDS = 1.0
MEDIA_PROCESSING_SECONDS = 60.0
# A status older than this before the due time is not the one we are looking for.
LOOKUP_MARGIN = timedelta(hours=1)


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


class MastodonConnector(MastodonClient):
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

    # --- the protocol -------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[str]:
        instance, token = instance_and_token(request.account)
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
        instance, token = instance_and_token(request.account)
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
        instance, token = instance_and_token(request.account)
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
        earliest = (
            request.scheduled_at - LOOKUP_MARGIN if request.scheduled_at else None
        )
        parts = [plain_text(text) for text in (request.text, *request.thread)]
        return _made_thread(statuses, parts, earliest)

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        instance, token = instance_and_token(account)
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


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _made_thread(
    statuses: list[Any], parts: list[str], earliest: datetime | None
) -> PublishResult | None:
    """The root status of the thread `parts` (plain text) among `statuses`,
    created no earlier than `earliest`; None unless every part is there."""
    by_id: dict[str, dict[str, Any]] = {
        str(s.get("id")): s for s in statuses if isinstance(s, dict)
    }

    def fresh(status: dict[str, Any]) -> bool:
        created = _parse_time(status.get("created_at"))
        return not (earliest and created and created < earliest)

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
