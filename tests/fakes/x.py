"""A local X API v2 server: the subset the X connector uses, answered as the
documentation describes (https://docs.x.com/x-api).

- `POST /2/tweets` (201 `{"data": {"id", "text"}}`): `text` of at most 280
  weighted characters (counted here independently of the connector: URLs 23,
  code points outside the light ranges 2), `media.media_ids` of uploaded
  media, `reply.in_reply_to_tweet_id` of an existing post. The same text twice
  from one user → 403 "duplicate content". X stores the text with each URL
  shortened to `https://t.co/…`, a t.co link per attached media at the end,
  and `&`, `<`, `>` as HTML entities; reads return that.
- `POST /2/media/upload` (JSON body, base64 `media`): image types only, at most
  5 MB → `{"data": {"id", "media_key", "size"}}`; `POST /2/media/metadata`
  stores alt text.
- `GET /2/users/me`, `GET /2/users/:id/tweets` (newest first, `start_time`,
  `max_results`, `tweet.fields=created_at,referenced_tweets`).
- A missing or unknown bearer token → 401 problem+json.

Errors in the problem+json shape X uses: `{"title", "detail", "type", "status"}`.
Rate limits are scripted by tests with `fail(...)` and the
`x-rate-limit-*` headers.
"""

from __future__ import annotations

import base64
import binascii
import html
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tests.fakes.recording import FakeServer, Recorded, Reply, bearer

_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"https?://\S+")
IMAGE_TYPES = {"image/jpeg", "image/png", "image/gif", "image/webp"}
MAX_IMAGE = 5 * 1024 * 1024


def weighted_length(text: str) -> int:
    """X's count, simplified: URLs 23, light code points 1, others 2 (no emoji
    sequences: tests that need them go through the connector's own count)."""
    text = unicodedata.normalize("NFC", text)
    total = 0
    for piece in _URL.split(text):
        total += sum(
            1 if any(lo <= ord(c) <= hi for lo, hi in _LIGHT) else 2 for c in piece
        )
    return total + 23 * len(_URL.findall(text))


def problem(status: int, title: str, detail: str) -> Reply:
    return Reply(
        status,
        {"title": title, "detail": detail, "type": "about:blank", "status": status},
    )


@dataclass
class Tweet:
    id: str
    author_id: str
    text: str  # as X stores it (t.co links, entities)
    original: str
    created_at: datetime
    media_ids: list[str] = field(default_factory=list)
    in_reply_to: str = ""


class FakeX(FakeServer):
    name = "fake-x"

    def __init__(self) -> None:
        super().__init__()
        self.user = {"id": "2244994945", "name": "Bean Shop", "username": "beanshop"}
        self.tokens = {"x-token-1"}
        self.tweets: list[Tweet] = []
        self.media: dict[str, dict[str, object]] = {}
        self._ids = itertools.count(1_850_000_000_000_000_001)

    def _id(self) -> str:
        return str(next(self._ids))

    def handle(self, request: Recorded) -> Reply:
        if bearer(request) not in self.tokens:
            return problem(401, "Unauthorized", "Unauthorized")
        path = request.path
        if request.method == "POST" and path == "/2/tweets":
            return self._create(request)
        if request.method == "POST" and path == "/2/media/upload":
            return self._upload(request)
        if request.method == "POST" and path == "/2/media/metadata":
            body = request.json()
            if body.get("id") not in self.media:
                return problem(400, "Invalid Request", "Unknown media id.")
            self.media[body["id"]]["alt"] = body["metadata"]["alt_text"]["text"]
            return Reply(200, {"data": {"associated_metadata": True}})
        if request.method == "GET" and path == "/2/users/me":
            return Reply(
                200,
                {
                    "data": {
                        **self.user,
                        "profile_image_url": "https://pbs.example/a.jpg",
                    }
                },
            )
        match = re.fullmatch(r"/2/users/(\d+)/tweets", path)
        if request.method == "GET" and match:
            return self._timeline(match.group(1), request)
        return problem(404, "Not Found Error", f"No route {path}.")

    def _create(self, request: Recorded) -> Reply:
        body = request.json() or {}
        text = str(body.get("text") or "")
        media_ids = list((body.get("media") or {}).get("media_ids") or [])
        reply_to = str((body.get("reply") or {}).get("in_reply_to_tweet_id") or "")
        if not text and not media_ids:
            return problem(400, "Invalid Request", "Tweet text or media is required.")
        if weighted_length(text) > 280:
            return problem(
                400, "Invalid Request", "Tweet text is too long (over 280 characters)."
            )
        if len(media_ids) > 4 or any(m not in self.media for m in media_ids):
            return problem(400, "Invalid Request", "Invalid media ids.")
        if reply_to and not any(t.id == reply_to for t in self.tweets):
            return problem(400, "Invalid Request", "The replied-to Tweet was deleted.")
        if any(
            t.original == text and t.author_id == self.user["id"] for t in self.tweets
        ):
            return problem(
                403,
                "Forbidden",
                "You are not allowed to create a Tweet with duplicate content.",
            )
        stored = html.escape(
            _URL.sub(lambda m: "https://t.co/" + m.group(0)[-6:].strip("/"), text),
            quote=False,
        )
        for media_id in media_ids:
            stored += f" https://t.co/m{media_id[-5:]}"
        tweet = Tweet(
            id=self._id(),
            author_id=self.user["id"],
            text=stored,
            original=text,
            created_at=datetime.now(UTC),
            media_ids=media_ids,
            in_reply_to=reply_to,
        )
        self.tweets.append(tweet)
        return Reply(201, {"data": {"id": tweet.id, "text": tweet.text}})

    def _upload(self, request: Recorded) -> Reply:
        body = request.json() or {}
        try:
            data = base64.b64decode(body.get("media") or "", validate=True)
        except (binascii.Error, ValueError):
            return problem(400, "Invalid Request", "media is not base64.")
        if body.get("media_type") not in IMAGE_TYPES:
            return problem(400, "Invalid Request", "Unsupported media type.")
        if len(data) > MAX_IMAGE:
            return problem(400, "Invalid Request", "File size exceeds 5242880 bytes.")
        media_id = self._id()
        self.media[media_id] = {
            "bytes": data,
            "type": body.get("media_type"),
            "category": body.get("media_category"),
        }
        return Reply(
            200,
            {
                "data": {
                    "id": media_id,
                    "media_key": f"3_{media_id}",
                    "size": len(data),
                    "expires_after_secs": 86400,
                }
            },
        )

    def _timeline(self, user_id: str, request: Recorded) -> Reply:
        start = (request.query.get("start_time") or [""])[0]
        since = datetime.fromisoformat(start.replace("Z", "+00:00")) if start else None
        limit = int((request.query.get("max_results") or ["10"])[0])
        found = [
            t
            for t in reversed(self.tweets)
            if t.author_id == user_id and (since is None or t.created_at >= since)
        ][:limit]
        data = []
        for t in found:
            item: dict[str, object] = {
                "id": t.id,
                "text": t.text,
                "created_at": t.created_at.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "edit_history_tweet_ids": [t.id],
            }
            if t.in_reply_to:
                item["referenced_tweets"] = [
                    {"type": "replied_to", "id": t.in_reply_to}
                ]
            data.append(item)
        meta = {"result_count": len(data)}
        return Reply(200, {"data": data, "meta": meta} if data else {"meta": meta})
