"""Facebook Page: posts through the Graph API
(https://developers.facebook.com/docs/pages-api/posts,
https://developers.facebook.com/docs/graph-api/reference/page/photos).

Credentials (`account.credentials`): `page_access_token` (a Page access token
with `pages_manage_posts`; `access_token` is used when there is no separate
page token) and `page_id` (else `account.external_id`).

- Text (and a link): `POST /{page-id}/feed` with `message` and `link` (Facebook
  draws the link card) → `{"id": "<page>_<post>"}`.
- One image: `POST /{page-id}/photos` (multipart, the file as `source`, the
  text as `message`) → the photo and its `post_id`.
- Several images: each `POST /{page-id}/photos` with `published=false`, then
  `POST /{page-id}/feed` with the text and `attached_media[i]={"media_fbid"}`.
  With images the link goes into the text (a photo post has no link card).
- Only the request that creates the post can leave an ambiguous outcome;
  Facebook has no idempotency key and the connector no lookup, so a lost answer
  is `unconfirmed` for a person.
- Errors: see `networks.graph` (190 reconnect, 4/17/32/613 rate
  limits with the usage headers' wait, 368/506 permanent, 1/2 transient).
"""

from __future__ import annotations

import os
from typing import Any

from networks import apicall, graph
from networks.base import (
    AccountCheck,
    Capabilities,
    ConnectorError,
    ConnectorStore,
    MediaItem,
    PublishRequest,
    PublishResult,
    credentials_of,
)
from networks.textrules import measure

NETWORK = "Facebook"
MAX_IMAGES = 10
MAX_IMAGE_BYTES = 8 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


def _page(account: Any) -> tuple[str, str]:
    """(page id, page access token)."""
    credentials = credentials_of(account)
    token = graph.page_token(credentials)
    page_id = str(credentials.get("page_id") or getattr(account, "external_id", ""))
    if not token or not page_id:
        raise ConnectorError(
            "This Facebook Page has no page token or id: connect it again.",
            kind="permanent",
            reconnect=not token,
        )
    return page_id, token


class FacebookConnector:
    key = "facebook"
    capabilities = Capabilities(
        text_limit=63206,
        max_images=MAX_IMAGES,
        max_image_bytes=MAX_IMAGE_BYTES,
        threads=False,
        link_cards=True,
        dedupes=False,
        lookup=False,
    )

    def validate(self, request: PublishRequest) -> list[str]:
        problems: list[str] = []
        text = self._message(request)
        if not text and not request.media and not request.link:
            problems.append("The post is empty.")
        m = measure("facebook", text)
        if m.over_by:
            problems.append(
                f"Too long for Facebook: {m.length:,} of 63,206 characters."
            )
        if len(request.media) > MAX_IMAGES:
            problems.append(
                f"AdLoop posts at most {MAX_IMAGES} images to a Page; this post "
                f"has {len(request.media)}."
            )
        for item in request.media:
            if item.content_type not in IMAGE_TYPES:
                problems.append(
                    f"Facebook takes JPEG, PNG, GIF or WebP images, not "
                    f"{item.content_type}."
                )
            try:
                size = os.path.getsize(item.path)
            except OSError:
                problems.append("An image of this post is missing from the storage.")
                continue
            if size > MAX_IMAGE_BYTES:
                problems.append(
                    f"An image is {size / 1_048_576:.1f} MB; at most 8 MB here."
                )
        return problems

    @staticmethod
    def _message(request: PublishRequest) -> str:
        if request.media:
            return apicall.with_link(request.text, request.link)
        return request.text.strip()

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        page_id, token = _page(request.account)
        message = self._message(request)
        account = request.account
        if len(request.media) == 1:
            data = self._photo(
                page_id, token, account, request.media[0], message, publish=True
            )
            post_id = str(data.get("post_id") or f"{page_id}_{data.get('id')}")
            return PublishResult(external_id=post_id, url=_url(post_id))
        form: dict[str, Any] = {"message": message}
        if request.media:
            for index, item in enumerate(request.media):
                photo = self._photo(page_id, token, account, item, "", publish=False)
                form[f"attached_media[{index}]"] = {"media_fbid": str(photo["id"])}
        elif request.link:
            form["link"] = request.link
        answer = graph.call(
            "POST",
            f"{page_id}/feed",
            network=NETWORK,
            token=token,
            form=form,
            creates_post=True,
        )
        data = apicall.json_of(answer)
        if answer.status != 200 or not data.get("id"):
            raise self._error(answer, account, token)
        post_id = str(data["id"])
        return PublishResult(external_id=post_id, url=_url(post_id), http_status=200)

    def _photo(
        self,
        page_id: str,
        token: str,
        account: Any,
        item: MediaItem,
        message: str,
        *,
        publish: bool,
    ) -> dict[str, Any]:
        fields = {"published": "true" if publish else "false"}
        if message:
            fields["message"] = message
        if item.alt_text:
            fields["alt_text_custom"] = item.alt_text
        body, content_type = apicall.multipart(
            fields,
            [apicall.media_file("source", item)],
        )
        answer = graph.call(
            "POST",
            f"{page_id}/photos",
            network=NETWORK,
            token=token,
            content=body,
            content_type=content_type,
            creates_post=publish,
        )
        data = apicall.json_of(answer)
        if answer.status != 200 or not data.get("id"):
            raise self._error(answer, account, token, what="the image")
        return data

    def _error(
        self, answer: Any, account: Any, token: str, *, what: str = "the post"
    ) -> ConnectorError:
        if answer.status == 200:  # 200 without an id: unusual, not a refusal
            return ConnectorError(
                "Facebook answered without the post's id; check the Page.",
                kind="ambiguous",
                http_status=200,
                detail=apicall.snippet(answer, (token,)),
            )
        return graph.error_of(
            answer, account=account, network=NETWORK, token=token, what=what
        )

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        page_id, token = _page(account)
        answer = graph.call(
            "GET",
            page_id,
            network=NETWORK,
            token=token,
            query={"fields": "id,name,username,picture"},
        )
        data = apicall.json_of(answer)
        if answer.status != 200:
            raise self._error(answer, account, token, what="the check")
        picture = ((data.get("picture") or {}).get("data") or {}).get("url", "")
        return AccountCheck(
            external_id=str(data.get("id") or ""),
            name=str(data.get("name") or ""),
            handle=str(data.get("username") or ""),
            avatar_url=str(picture),
        )


def _url(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"
