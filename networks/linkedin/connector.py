"""LinkedIn: posts through the versioned Posts API
(https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api).

Credentials (`account.credentials`, written by `connections.oauth`): `access_token`
(scope `w_member_social`, or `w_organization_social` for a page), and
optionally `author`: the URN posts are made as, `urn:li:organization:<id>` for
a company page or `urn:li:person:<id>`. Without it the author is
`urn:li:person:<account.external_id>` (the member's OpenID `sub`).

- Every `/rest/` call sends `LinkedIn-Version: <LINKEDIN_API_VERSION>` (YYYYMM)
  and `X-Restli-Protocol-Version: 2.0.0`. LinkedIn retires a version about a
  year after its release and then answers 426: the message says to move the
  setting to a recent month.
- Posting: `POST /rest/posts` (`commentary`, `visibility: PUBLIC`, the main
  feed, `lifecycleState: PUBLISHED`). The post's URN comes back in the
  `x-restli-id` header. The commentary is "little text": LinkedIn treats
  `|{}@[]()<>\\*_~` as markup, so they are escaped with a backslash (an
  unescaped "(" can cut the post short). The link is added to the text when
  the copy does not carry it.
- Images: `POST /rest/images?action=initializeUpload` (owner: the author), a
  `PUT` of the bytes to the returned `uploadUrl`, then the post references the
  `urn:li:image:…`: one as `content.media`, 2-20 as `content.multiImage`.
- Errors: 401 → reconnect (unless the token merely expired); 403 → no
  permission to post as this author; 426 → the version setting; 422 and 400 →
  LinkedIn's reason (a duplicate, too long); 429 → transient (after
  `Retry-After` when sent; the daily quotas reset at 00:00 UTC); 5xx →
  transient; no answer after sending → ambiguous. LinkedIn has no idempotency
  key and no search of one's own posts the connector could rely on, so an
  ambiguous post is left `unconfirmed` for a person (`dedupes=False`,
  `lookup=False`).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from django.conf import settings

from core.retry_after import retry_after_seconds
from networks import apicall
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

NETWORK = "LinkedIn"
MAX_IMAGES = 20
MAX_IMAGE_BYTES = 8 * 1024 * 1024
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif"})
_LITTLE_TEXT = re.compile(r"([\\|{}@\[\]()<>*_~])")
_AUTHOR = re.compile(r"urn:li:(person|organization):[A-Za-z0-9_-]+")


def escape_little_text(text: str) -> str:
    """The commentary as LinkedIn's "little text" format needs it."""
    return _LITTLE_TEXT.sub(r"\\\1", text)


def _credentials(account: Any) -> tuple[str, str]:
    """(access token, author URN)."""
    token = apicall.access_token(account, network=NETWORK)
    credentials = credentials_of(account)
    author = str(credentials.get("author") or "")
    external_id = getattr(account, "external_id", "")
    if not author and external_id:
        author = f"urn:li:person:{external_id}"
    if not _AUTHOR.fullmatch(author):
        raise ConnectorError(
            "This LinkedIn account has no valid author (a person or an "
            "organization): connect it again.",
            kind="permanent",
        )
    return token, author


def _headers(token: str, **extra: str) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "LinkedIn-Version": str(settings.LINKEDIN_API_VERSION),
        "X-Restli-Protocol-Version": "2.0.0",
        **extra,
    }


def _base() -> str:
    return settings.LINKEDIN_API_BASE_URL


class LinkedInConnector:
    key = "linkedin"
    capabilities = Capabilities(
        text_limit=3000,
        max_images=MAX_IMAGES,
        max_image_bytes=MAX_IMAGE_BYTES,
        threads=False,
        link_cards=True,
        dedupes=False,
        lookup=False,
    )

    def validate(self, request: PublishRequest) -> list[str]:
        problems: list[str] = []
        text = apicall.with_link(request.text, request.link)
        if not text and not request.media:
            problems.append("The post is empty.")
        m = measure("linkedin", text)
        if m.over_by:
            problems.append(
                f"Too long for LinkedIn: {m.length:,} of 3,000 characters "
                f"({m.over_by:,} over)."
            )
        if len(request.media) > MAX_IMAGES:
            problems.append(
                f"LinkedIn takes at most {MAX_IMAGES} images; this post has "
                f"{len(request.media)}."
            )
        for item in request.media:
            if item.content_type not in IMAGE_TYPES:
                problems.append(
                    f"LinkedIn takes JPEG, PNG or GIF images, not {item.content_type}."
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

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        token, author = _credentials(request.account)
        images = [
            (self._upload(item, token, author, request.account), item.alt_text)
            for item in request.media
        ]
        body: dict[str, Any] = {
            "author": author,
            "commentary": escape_little_text(
                apicall.with_link(request.text, request.link)
            ),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        if len(images) == 1:
            urn, alt = images[0]
            body["content"] = {"media": {"id": urn, "altText": alt}}
        elif images:
            body["content"] = {
                "multiImage": {"images": [{"id": u, "altText": a} for u, a in images]}
            }
        answer = apicall.call(
            "POST",
            f"{_base()}/rest/posts",
            network=NETWORK,
            content=json.dumps(body).encode(),
            headers=_headers(token, **{"Content-Type": "application/json"}),
            secrets_=(token,),
            creates_post=True,
        )
        if answer.status == 201:
            urn = answer.headers.get("x-restli-id") or ""
            if not urn:
                raise ConnectorError(
                    "LinkedIn accepted the post but sent no id; check the page.",
                    kind="ambiguous",
                    http_status=answer.status,
                )
            return PublishResult(
                external_id=urn,
                url=f"https://www.linkedin.com/feed/update/{urn}/",
                http_status=answer.status,
            )
        raise self._error(answer, request.account, token)

    def _upload(self, item: MediaItem, token: str, author: str, account: Any) -> str:
        answer = apicall.call(
            "POST",
            f"{_base()}/rest/images?action=initializeUpload",
            network=NETWORK,
            content=json.dumps({"initializeUploadRequest": {"owner": author}}).encode(),
            headers=_headers(token, **{"Content-Type": "application/json"}),
            secrets_=(token,),
        )
        value = apicall.json_of(answer).get("value") or {}
        if answer.status != 200:
            raise self._error(answer, account, token, what="the image")
        upload_url, urn = value.get("uploadUrl"), value.get("image")
        if not upload_url or not urn:
            raise ConnectorError(
                "LinkedIn did not give an image upload address; trying again.",
                kind="transient",
                http_status=answer.status,
            )
        answer = apicall.call(
            "PUT",
            str(upload_url),
            network=NETWORK,
            content=item.read(),
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/octet-stream",
            },
            secrets_=(token, str(upload_url)),
        )
        if answer.status not in (200, 201):
            raise self._error(answer, account, token, what="the image")
        return str(urn)

    def _error(
        self, answer: Any, account: Any, token: str, *, what: str = "the post"
    ) -> ConnectorError:
        status = answer.status
        data = apicall.json_of(answer)
        reason = str(data.get("message") or "")[:300]
        detail = apicall.snippet(answer, (token,))
        if status == 401:
            return apicall.auth_refused(
                account, network=NETWORK, status=status, detail=detail
            )
        if status == 429 or status >= 500:
            return ConnectorError(
                (
                    "LinkedIn's rate limit for this account or app is reached; "
                    "trying again later."
                    if status == 429
                    else f"LinkedIn is having trouble (HTTP {status}); trying again."
                ),
                kind="transient",
                retry_after=retry_after_seconds(answer.headers.get("retry-after")),
                http_status=status,
                detail=detail,
            )
        if status == 426:
            message = (
                f"LinkedIn no longer supports API version "
                f"{settings.LINKEDIN_API_VERSION}: an administrator must set "
                "LINKEDIN_API_VERSION to a recent month (YYYYMM) and retry."
            )
        elif status == 403:
            message = (
                "LinkedIn refused: this account may not post as its author "
                f"(missing permission). {reason}".strip()
            )
        else:
            message = (
                f"LinkedIn rejected {what} (HTTP {status}): {reason or 'no reason'}."
            )
        return ConnectorError(
            message, kind="permanent", http_status=status, detail=detail
        )

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        token = apicall.access_token(account, network=NETWORK)
        answer = apicall.call(
            "GET",
            f"{_base()}/v2/userinfo",
            network=NETWORK,
            headers={"Authorization": f"Bearer {token}"},
            secrets_=(token,),
        )
        if answer.status != 200:
            raise self._error(answer, account, token, what="the check")
        data = apicall.json_of(answer)
        return AccountCheck(
            external_id=str(data.get("sub") or ""),
            name=str(data.get("name") or ""),
            avatar_url=str(data.get("picture") or ""),
        )
