"""A local Graph API server for Facebook Pages and Instagram content publishing:
the subset the two connectors use, with Graph's error objects.

Facebook (https://developers.facebook.com/docs/pages-api/posts):
- `POST /{v}/{page}/feed` (`message`, `link`, `attached_media[i]`) →
  `{"id": "<page>_<n>"}`; the same message twice in a row → error 506.
  Messages over 63,206 characters → error 100.
- `POST /{v}/{page}/photos` (multipart: `source`, `message`, `published`) →
  `{"id"}` (+ `post_id` when published).
- `GET /{v}/{page}?fields=...`.

Instagram (https://developers.facebook.com/docs/instagram-platform/content-publishing):
- `POST /{v}/{ig}/media` (`image_url`, `caption`; `is_carousel_item`;
  `media_type=CAROUSEL` + `children`) → `{"id": container}`. The server
  FETCHES `image_url` as Instagram does: unreachable → 9004/2207052; not a
  JPEG → 9004/2207026 (format); aspect ratio outside 4:5..1.91:1 →
  36003/2207009; a caption over 2,200 characters → 100.
- `GET /{v}/{container}?fields=status_code,status`: `IN_PROGRESS` for the
  first `polls_until_finished` reads, then `FINISHED`; `PUBLISHED` once published.
- `POST /{v}/{ig}/media_publish` (`creation_id`) → `{"id": media}`; a container
  not finished → 9007/2207027; one already published → 9007/2207008.
- `GET /{v}/{ig}/media`, `GET /{v}/{media}?fields=permalink`, `GET /{v}/{ig}`.

Every call needs a known bearer token, else 400 with error 190 (OAuthException).
The server also serves `GET /media/<path>` from `media_root`, so tests can
point SITE_URL at it and Instagram's fetch is real.
"""

from __future__ import annotations

import io
import itertools
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.fakes.recording import FakeServer, Recorded, Reply, bearer


def graph_error(
    code: int,
    message: str,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    status: int = 400,
    user_msg: str = "",
    headers: dict[str, str] | None = None,
) -> Reply:
    error: dict[str, object] = {
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": "AbCdEf123",
    }
    if subcode is not None:
        error["error_subcode"] = subcode
    if user_msg:
        error["error_user_msg"] = user_msg
    return Reply(status, {"error": error}, headers or {})


@dataclass
class FbPost:
    id: str
    message: str
    link: str = ""
    photos: list[str] = field(default_factory=list)


@dataclass
class Container:
    id: str
    image_urls: list[str]
    caption: str
    children: list[str] = field(default_factory=list)
    carousel_item: bool = False
    reads: int = 0
    status: str = "IN_PROGRESS"
    media_id: str = ""


@dataclass
class IgMedia:
    id: str
    caption: str
    container: str
    permalink: str


class FakeGraph(FakeServer):
    name = "fake-graph"

    def __init__(self, media_root: Path | None = None) -> None:
        super().__init__()
        self.media_root = media_root
        self.page_id = "104857600000001"
        self.ig_user_id = "17841400000000001"
        self.tokens = {"page-token-1"}
        self.polls_until_finished = 1
        self.fb_posts: list[FbPost] = []
        self.photos: dict[str, dict[str, object]] = {}
        self.containers: dict[str, Container] = {}
        self.ig_media: list[IgMedia] = []
        self._ids = itertools.count(178_000_000_000_001)

    def _id(self) -> str:
        return str(next(self._ids))

    def handle(self, request: Recorded) -> Reply:
        path = request.path
        if request.method == "GET" and path.startswith("/media/"):
            return self._serve_media(path[len("/media/") :])
        match = re.fullmatch(r"/(v\d+\.\d+)/(.+)", path)
        if not match:
            return graph_error(2500, "Unknown path components", status=400)
        if bearer(request) not in self.tokens:
            return graph_error(
                190,
                "Error validating access token: The user has not authorized "
                "application.",
                subcode=458,
                status=400,
            )
        target = match.group(2)
        if request.method == "POST":
            form = request.form()
            if target == f"{self.page_id}/feed":
                return self._feed(form)
            if target == f"{self.page_id}/photos":
                return self._photo(request)
            if target == f"{self.ig_user_id}/media":
                return self._container(form)
            if target == f"{self.ig_user_id}/media_publish":
                return self._publish(form.get("creation_id", ""))
        if request.method == "GET":
            return self._read(target)
        return graph_error(
            100, f"Unsupported request {target}.", kind="GraphMethodException"
        )

    # -- Facebook ------------------------------------------------------------------
    def _feed(self, form: dict[str, str]) -> Reply:
        message = form.get("message", "")
        if len(message.encode("utf-16-le")) // 2 > 63206:
            return graph_error(
                100, "(#100) The message is too long.", kind="OAuthException"
            )
        if self.fb_posts and self.fb_posts[-1].message == message and message:
            return graph_error(506, "(#506) Duplicate status message")
        photos = []
        for name, value in form.items():
            if name.startswith("attached_media["):
                fbid = json.loads(value)["media_fbid"]
                if fbid not in self.photos:
                    return graph_error(100, "(#100) Invalid media_fbid.")
                photos.append(fbid)
        post = FbPost(
            f"{self.page_id}_{self._id()}", message, form.get("link", ""), photos
        )
        self.fb_posts.append(post)
        return Reply(200, {"id": post.id})

    def _photo(self, request: Recorded) -> Reply:
        fields = request.multipart()
        source = fields.get("source")
        if not isinstance(source, bytes) or not source:
            return graph_error(324, "(#324) Requires upload file")
        photo_id = self._id()
        published = fields.get("published", "true") == "true"
        self.photos[photo_id] = {
            "bytes": source,
            "published": published,
            "alt": fields.get("alt_text_custom", ""),
        }
        if not published:
            return Reply(200, {"id": photo_id})
        post = FbPost(
            f"{self.page_id}_{self._id()}",
            str(fields.get("message", "")),
            "",
            [photo_id],
        )
        self.fb_posts.append(post)
        return Reply(200, {"id": photo_id, "post_id": post.id})

    # -- Instagram -----------------------------------------------------------------
    def _container(self, form: dict[str, str]) -> Reply:
        caption = form.get("caption", "")
        if len(caption) > 2200:
            return graph_error(100, "The caption is too long.", subcode=2207040)
        if form.get("media_type") == "CAROUSEL":
            children = [c for c in form.get("children", "").split(",") if c]
            if not 2 <= len(children) <= 10 or any(
                c not in self.containers or not self.containers[c].carousel_item
                for c in children
            ):
                return graph_error(
                    100, "Invalid children for a carousel.", subcode=2207033
                )
            container = Container(self._id(), [], caption, children=children)
        else:
            image_url = form.get("image_url", "")
            problem = self._fetch_problem(image_url)
            if problem is not None:
                return problem
            container = Container(
                self._id(),
                [image_url],
                caption,
                carousel_item=form.get("is_carousel_item") == "true",
            )
        self.containers[container.id] = container
        return Reply(200, {"id": container.id})

    def _fetch_problem(self, image_url: str) -> Reply | None:
        """Instagram downloads the image; so does this server."""
        from PIL import Image

        try:
            with urllib.request.urlopen(image_url, timeout=5) as answer:  # noqa: S310
                data = answer.read()
        except (urllib.error.URLError, ValueError, OSError):
            return graph_error(
                9004,
                "Only photo or video can be accepted as media type.",
                subcode=2207052,
                user_msg="The media could not be fetched from this URI.",
            )
        try:
            image = Image.open(io.BytesIO(data))
            kind, (width, height) = image.format, image.size
        except OSError:
            kind, width, height = "", 0, 0
        if kind != "JPEG":
            return graph_error(
                9004,
                "Only photo or video can be accepted as media type.",
                subcode=2207026,
                user_msg="The image format is not supported. Use JPEG.",
            )
        if len(data) > 8 * 1024 * 1024:
            return graph_error(36001, "Image too large", subcode=2207004)
        ratio = width / height
        if not 0.8 - 0.005 <= ratio <= 1.91 + 0.005:
            return graph_error(
                36003,
                f"The aspect ratio ({ratio:.2f}) is not supported.",
                subcode=2207009,
                user_msg="The submitted image with aspect ratio cannot be published. "
                "Please submit an image with a valid aspect ratio.",
            )
        return None

    def _publish(self, creation_id: str) -> Reply:
        container = self.containers.get(creation_id)
        if container is None or container.carousel_item:
            return graph_error(100, "Invalid creation_id.", subcode=2207006)
        if container.status == "PUBLISHED":
            return graph_error(
                9007, "The media has already been published.", subcode=2207008
            )
        if container.status != "FINISHED":
            return graph_error(9007, "Media ID is not available", subcode=2207027)
        media = IgMedia(
            self._id(),
            container.caption,
            container.id,
            f"https://www.instagram.com/p/C{container.id[-6:]}/",
        )
        self.ig_media.append(media)
        container.status, container.media_id = "PUBLISHED", media.id
        return Reply(200, {"id": media.id})

    # -- reads -------------------------------------------------------------------
    def _read(self, target: str) -> Reply:
        if target == self.page_id:
            return Reply(
                200,
                {
                    "id": self.page_id,
                    "name": "Bean Shop",
                    "username": "beanshop",
                    "picture": {"data": {"url": "https://scontent.example/p.jpg"}},
                },
            )
        if target == self.ig_user_id:
            return Reply(
                200,
                {
                    "id": self.ig_user_id,
                    "username": "beanshop.ig",
                    "name": "Bean Shop",
                    "profile_picture_url": "https://scontent.example/ig.jpg",
                },
            )
        if target == f"{self.ig_user_id}/media":
            data = [
                {
                    "id": m.id,
                    "caption": m.caption,
                    "permalink": m.permalink,
                    "timestamp": "2026-01-01T00:00:00+0000",
                }
                for m in reversed(self.ig_media)
            ]
            return Reply(200, {"data": data})
        if target in self.containers:
            container = self.containers[target]
            if container.status == "IN_PROGRESS":
                container.reads += 1
                if container.reads > self.polls_until_finished:
                    container.status = "FINISHED"
            return Reply(
                200,
                {
                    "id": container.id,
                    "status_code": container.status,
                    "status": container.status.title(),
                },
            )
        for media in self.ig_media:
            if media.id == target:
                return Reply(200, {"id": media.id, "permalink": media.permalink})
        return graph_error(
            100,
            f"Unsupported get request. Object with ID '{target}' does not exist.",
            subcode=33,
            kind="GraphMethodException",
        )

    def _serve_media(self, relative: str) -> Reply:
        if self.media_root is None:
            return Reply(404, b"")
        path = (self.media_root / relative).resolve()
        if not path.is_file() or self.media_root.resolve() not in path.parents:
            return Reply(404, b"")
        return Reply(200, path.read_bytes(), {"Content-Type": "image/jpeg"})
