"""The X connector: the protocol (`validate`, `publish` of a post or a
thread, `lookup` that completes a half-posted thread, `check`)."""

from __future__ import annotations

import json
from typing import Any

from networks import apicall
from networks.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    ConnectorStore,
    PublishRequest,
    PublishResult,
)
from networks.textrules import measure
from networks.x.api import (
    NETWORK,
    api_base,
    error_for,
    parts_of,
    post_url,
    reason_of,
)
from networks.x.lookup import age_order, recent_posts
from networks.x.media import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES,
    image_problems,
    upload,
)


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
            problems.extend(image_problems(item))
        return problems

    # --- publish --------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        token = apicall.access_token(request.account, network=NETWORK)
        media_ids = [upload(item, token, request.account) for item in request.media]
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
            f"{api_base()}/2/tweets",
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
                url=post_url(request.account, tweet_id),
                http_status=answer.status,
            )
        error = error_for(answer, data, request.account, token)
        if answer.status == 403 and "duplicate" in reason_of(data).lower():
            raise _Duplicate(error)
        raise error

    # --- lookup and check -------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        """Our post among the user's recent ones (see the module docstring)."""
        account = request.account
        token = apicall.access_token(account, network=NETWORK)
        user_id = str(getattr(account, "external_id", "") or "")
        if not user_id:
            user_id = self.check(account).external_id
        tweets = recent_posts(user_id, token, account, since=request.scheduled_at)
        parts = parts_of(request)
        wanted = [apicall.fingerprint(p) for p in parts]
        # Oldest first: a thread's parts follow its head.
        tweets.sort(key=age_order)
        head = next(
            (t for t in tweets if apicall.fingerprint(t.text) == wanted[0]), None
        )
        if head is None:
            return None
        result = PublishResult(
            external_id=head.id, url=post_url(account, head.id), http_status=200
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

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        token = apicall.access_token(account, network=NETWORK)
        answer = apicall.call(
            "GET",
            f"{api_base()}/2/users/me?user.fields=profile_image_url",
            network=NETWORK,
            headers={"Authorization": f"Bearer {token}"},
            secrets_=(token,),
        )
        data = apicall.json_of(answer)
        if answer.status != 200:
            raise error_for(answer, data, account, token, what="the check")
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
