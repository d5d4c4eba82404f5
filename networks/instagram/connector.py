"""Instagram: content publishing through the Graph API, container → publish
(https://developers.facebook.com/docs/instagram-platform/content-publishing).

Credentials (`account.credentials`): `access_token` (with
`instagram_content_publish`; a `page_access_token` is preferred when present)
and `ig_user_id` (else `account.external_id`), the Instagram professional
account's id.

- Instagram fetches every image itself from a public URL: the rendition's
  path under MEDIA_ROOT is published as `SITE_URL` + `MEDIA_URL` + that path
  (or `MEDIA_URL` alone when it is absolute, e.g. a CDN). Production must
  therefore serve media publicly over https; a file outside MEDIA_ROOT cannot
  be posted.
- One image: `POST /{ig-user-id}/media` (`image_url`, `caption`). A carousel
  (2-10): a child container per image (`is_carousel_item=true`), then a
  `media_type=CAROUSEL` container with `children` and the caption.
- The container id is stored on the publication through the request's
  `ConnectorStore` (`external_id` = `ig-container:<id>`, while the row is
  `publishing`) BEFORE publishing, then
  `GET /{container-id}?fields=status_code` is polled until `FINISHED`
  (`INSTAGRAM_CONTAINER_POLL_SECONDS`, at most `INSTAGRAM_CONTAINER_WAIT_SECONDS`;
  still in progress after that → transient), then `POST
  /{ig-user-id}/media_publish` with `creation_id`. On success the external id
  becomes the media id and the URL its permalink.
- A retry reuses the stored container while it is unpublished and unexpired,
  and a container can be published only once, so an ambiguous outcome never
  makes a second post. `lookup` reads the stored container's status:
  `PUBLISHED` → the media (found among the account's recent media by caption;
  the container id if it cannot be found), anything else → not posted.
- Rules checked by `validate` as Instagram checks them: at least one image, at
  most 10; JPEG only; at most 8 MB; aspect ratio between 4:5 and 1.91:1;
  caption at most 2,200 characters, 30 hashtags and 20 mentions. The post's
  link is not added (captions do not link).
- Errors: see `networks.graph`; a container in `ERROR` → permanent
  with Instagram's status text; 9004 and 2207xxx → permanent with the reason.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings

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

NETWORK = "Instagram"
MAX_IMAGES = 10
MAX_IMAGE_BYTES = 8 * 1024 * 1024
MIN_ASPECT, MAX_ASPECT = 4 / 5, 1.91
CONTAINER_PREFIX = "ig-container:"


def _account(account: Any) -> tuple[str, str]:
    """(Instagram user id, access token)."""
    credentials = credentials_of(account)
    token = graph.page_token(credentials)
    ig_user = str(credentials.get("ig_user_id") or getattr(account, "external_id", ""))
    if not token or not ig_user:
        raise ConnectorError(
            "This Instagram account has no access token or id: connect it again.",
            kind="permanent",
            reconnect=not token,
        )
    return ig_user, token


def public_url(item: MediaItem) -> str:
    """Where Instagram fetches the image (see the module docstring); "" when
    the file is not in the media storage."""
    try:
        relative = (
            Path(item.path).resolve().relative_to(Path(settings.MEDIA_ROOT).resolve())
        )
    except ValueError:
        return ""
    media_url = str(settings.MEDIA_URL)
    if not media_url.startswith(("http://", "https://")):
        media_url = f"{settings.SITE_URL}/{media_url.strip('/')}"
    return f"{media_url.rstrip('/')}/{quote(relative.as_posix())}"


def _dimensions(item: MediaItem) -> tuple[int, int]:
    if item.width and item.height:
        return item.width, item.height
    from PIL import Image

    with Image.open(item.path) as image:
        return image.size


# --- the container id, kept on the publication (through the request's store) ---


def _remember(request: PublishRequest, container_id: str) -> None:
    request.store.remember_external_id(
        request.publication_id, f"{CONTAINER_PREFIX}{container_id}"
    )


def _remembered(request: PublishRequest) -> str:
    value = request.store.remembered_external_id(request.publication_id)
    return value[len(CONTAINER_PREFIX) :] if value.startswith(CONTAINER_PREFIX) else ""


class InstagramConnector:
    key = "instagram"
    capabilities = Capabilities(
        text_limit=2200,
        max_images=MAX_IMAGES,
        max_image_bytes=MAX_IMAGE_BYTES,
        threads=False,
        link_cards=False,
        dedupes=False,
        lookup=True,
    )

    # --- validate --------------------------------------------------------------

    def validate(self, request: PublishRequest) -> list[str]:
        problems: list[str] = []
        m = measure("instagram", request.text)
        if m.over_by:
            problems.append(
                f"Too long for Instagram: {m.length:,} of 2,200 characters."
            )
        if m.hashtags > 30:
            problems.append(f"Instagram allows 30 hashtags; this has {m.hashtags}.")
        if m.mentions > 20:
            problems.append(f"Instagram allows 20 mentions; this has {m.mentions}.")
        if not request.media:
            problems.append("An Instagram post needs at least one image.")
        if len(request.media) > MAX_IMAGES:
            problems.append(
                f"An Instagram carousel takes at most {MAX_IMAGES} images; this "
                f"post has {len(request.media)}."
            )
        for item in request.media:
            problems.extend(self._image_problems(item))
        return problems

    def _image_problems(self, item: MediaItem) -> list[str]:
        if item.content_type != "image/jpeg":
            return [f"Instagram takes JPEG images only, not {item.content_type}."]
        try:
            size = os.path.getsize(item.path)
            width, height = _dimensions(item)
        except OSError:
            return ["An image of this post is missing from the media storage."]
        problems = []
        if size > MAX_IMAGE_BYTES:
            problems.append(
                f"An image is {size / 1_048_576:.1f} MB; Instagram takes 8 MB at most."
            )
        ratio = width / height if height else 0
        if not MIN_ASPECT - 0.005 <= ratio <= MAX_ASPECT + 0.005:
            problems.append(
                f"An image is {width}x{height}; Instagram takes aspect ratios "
                "from 4:5 (portrait) to 1.91:1 (landscape)."
            )
        if not public_url(item):
            problems.append(
                "An image is not in the media storage, so Instagram cannot fetch it."
            )
        return problems

    # --- publish -----------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        problems = self.validate(request)
        if problems:
            raise ConnectorError(" ".join(problems), kind="permanent")
        ig_user, token = _account(request.account)
        container = _remembered(request)
        if container:
            status = self._status(container, token, request.account)
            if status == "PUBLISHED":
                return self._published_media(request, ig_user, token, container)
            if status not in ("FINISHED", "IN_PROGRESS"):
                container = ""  # expired or failed: start again
        if not container:
            container = self._create(request, ig_user, token)
            _remember(request, container)
        self._wait(container, token, request.account)
        answer = graph.call(
            "POST",
            f"{ig_user}/media_publish",
            network=NETWORK,
            token=token,
            form={"creation_id": container},
            creates_post=True,
        )
        data = apicall.json_of(answer)
        if answer.status != 200 or not data.get("id"):
            error = graph.error_of(
                answer, account=request.account, network=NETWORK, token=token
            )
            # Published meanwhile (an earlier try whose answer was lost)?
            if (
                error.kind == "permanent"
                and answer.status != 200
                and self._status(container, token, request.account) == "PUBLISHED"
            ):
                return self._published_media(request, ig_user, token, container)
            raise error
        media_id = str(data["id"])
        return PublishResult(
            external_id=media_id,
            url=self._permalink(media_id, token),
            http_status=200,
        )

    def _create(self, request: PublishRequest, ig_user: str, token: str) -> str:
        caption = request.text.strip()
        if len(request.media) == 1:
            return self._container(
                ig_user,
                token,
                request.account,
                {"image_url": public_url(request.media[0]), "caption": caption},
            )
        children = [
            self._container(
                ig_user,
                token,
                request.account,
                {"image_url": public_url(item), "is_carousel_item": "true"},
            )
            for item in request.media
        ]
        return self._container(
            ig_user,
            token,
            request.account,
            {
                "media_type": "CAROUSEL",
                "children": ",".join(children),
                "caption": caption,
            },
        )

    def _container(
        self, ig_user: str, token: str, account: Any, form: dict[str, str]
    ) -> str:
        answer = graph.call(
            "POST", f"{ig_user}/media", network=NETWORK, token=token, form=form
        )
        data = apicall.json_of(answer)
        if answer.status != 200 or not data.get("id"):
            raise graph.error_of(
                answer, account=account, network=NETWORK, token=token, what="the image"
            )
        return str(data["id"])

    def _status(self, container: str, token: str, account: Any) -> str:
        status, _ = self._read_status(container, token, account)
        return status

    def _read_status(self, container: str, token: str, account: Any) -> tuple[str, str]:
        answer = graph.call(
            "GET",
            container,
            network=NETWORK,
            token=token,
            query={"fields": "status_code,status"},
        )
        data = apicall.json_of(answer)
        if answer.status != 200:
            raise graph.error_of(
                answer, account=account, network=NETWORK, token=token, what="the image"
            )
        return str(data.get("status_code") or ""), str(data.get("status") or "")

    def _wait(self, container: str, token: str, account: Any) -> None:
        """Poll until the container is FINISHED (see the module docstring)."""
        interval = float(settings.INSTAGRAM_CONTAINER_POLL_SECONDS)
        deadline = time.monotonic() + float(settings.INSTAGRAM_CONTAINER_WAIT_SECONDS)
        while True:
            status, text = self._read_status(container, token, account)
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                raise ConnectorError(
                    f"Instagram could not prepare the post ({status.lower()}): "
                    f"{text or 'no reason given'}.",
                    kind="permanent",
                    detail=f"container {container}: {status} {text}"[:500],
                )
            if status == "PUBLISHED":
                return  # media_publish answers for it; lookup handles the rest
            if time.monotonic() + interval > deadline:
                raise ConnectorError(
                    "Instagram is still preparing the post; trying again (the "
                    "same container is reused).",
                    kind="transient",
                    retry_after=max(interval, 30.0),
                )
            time.sleep(interval)

    def _permalink(self, media_id: str, token: str) -> str:
        try:
            answer = graph.call(
                "GET",
                media_id,
                network=NETWORK,
                token=token,
                query={"fields": "permalink"},
            )
        except ConnectorError:
            return ""  # published all the same; the URL is a nicety
        return str(apicall.json_of(answer).get("permalink") or "")[:1000]

    def _published_media(
        self, request: PublishRequest, ig_user: str, token: str, container: str
    ) -> PublishResult:
        """The media a PUBLISHED container became: matched by caption among the
        account's recent media; the container id when it cannot be found."""
        answer = graph.call(
            "GET",
            f"{ig_user}/media",
            network=NETWORK,
            token=token,
            query={"fields": "id,caption,permalink,timestamp", "limit": 25},
        )
        wanted = apicall.fingerprint(request.text)
        if answer.status == 200:
            for item in apicall.json_of(answer).get("data") or []:
                if isinstance(item, dict) and (
                    apicall.fingerprint(str(item.get("caption") or "")) == wanted
                ):
                    return PublishResult(
                        external_id=str(item.get("id")),
                        url=str(item.get("permalink") or "")[:1000],
                        http_status=200,
                    )
        return PublishResult(external_id=f"{CONTAINER_PREFIX}{container}")

    # --- lookup and check ----------------------------------------------------------

    def lookup(self, request: PublishRequest) -> PublishResult | None:
        container = _remembered(request)
        if not container:
            return None  # no container, so nothing was published
        ig_user, token = _account(request.account)
        if self._status(container, token, request.account) != "PUBLISHED":
            return None  # publish() reuses the container
        return self._published_media(request, ig_user, token, container)

    def check(
        self, account: Any, *, store: ConnectorStore | None = None
    ) -> AccountCheck:
        ig_user, token = _account(account)
        answer = graph.call(
            "GET",
            ig_user,
            network=NETWORK,
            token=token,
            query={"fields": "id,username,name,profile_picture_url"},
        )
        data = apicall.json_of(answer)
        if answer.status != 200:
            raise graph.error_of(
                answer, account=account, network=NETWORK, token=token, what="the check"
            )
        username = str(data.get("username") or "")
        return AccountCheck(
            external_id=str(data.get("id") or ""),
            name=str(data.get("name") or username),
            handle=f"@{username}" if username else "",
            avatar_url=str(data.get("profile_picture_url") or ""),
        )
