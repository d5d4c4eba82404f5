"""A local Mastodon instance for the connector's tests: the documented subset
of the REST API AdLoop uses, with Mastodon's status codes and error bodies.

No server speaking the Mastodon API installs here (see PEERS.md), so this one
follows https://docs.joinmastodon.org/methods/ : `GET /api/v2/instance`,
`GET /api/v1/accounts/verify_credentials`, `GET /api/v1/accounts/:id/statuses`,
`POST /api/v2/media` (202 while processing) and `GET /api/v1/media/:id` (206
until processed), `POST /api/v1/statuses` with `Idempotency-Key`, `media_ids`
and `in_reply_to_id`. Errors: 401 `{"error": "The access token is invalid"}`,
422 `{"error": "Validation failed: ..."}`, 404 `{"error": "Record not found"}`,
429 with `X-RateLimit-*` headers. The status length is counted independently of
the connector (grapheme clusters, URLs as `characters_reserved_per_url`, remote
mentions as local), so validate() and this server can disagree if one is wrong.

Every request is recorded (`requests`), so tests assert on what was sent.
`fail_next(path, status, body, headers)` scripts the next answers for a path;
`stall_next(path, seconds)` creates the status and then answers late (a read
timeout on the client: the ambiguous case).
"""

from __future__ import annotations

import email.parser
import email.policy
import html
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import regex

_URL = regex.compile(r"https?://[^\s<>\"]+")
_REMOTE_MENTION = regex.compile(r"@([A-Za-z0-9_]+)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class FakeMastodon:
    """State of the instance; `start()` serves it on 127.0.0.1 (a free port)."""

    token: str = "mastodon-token-abc123"
    account_id: str = "10901"
    username: str = "roastery"
    max_characters: int = 500
    max_media_attachments: int = 4
    url_characters: int = 23
    media_polls: int = 1  # GET /api/v1/media/:id answers 206 this many times
    revoked: bool = False
    requests: list[Recorded] = field(default_factory=list)
    statuses: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, dict[str, Any]] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # path -> [requests to let through first, status, body, headers]
    scripted: dict[str, list[list[Any]]] = field(default_factory=dict)
    stalls: dict[str, float] = field(default_factory=dict)
    _ids: Any = field(default_factory=lambda: itertools.count(110000))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _httpd: ThreadingHTTPServer | None = None

    # --- control ----------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> FakeMastodon:
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.statuses.clear()
            self.media.clear()
            self.idempotency.clear()
            self.scripted.clear()
            self.stalls.clear()
            self.revoked = False
            self.max_characters, self.max_media_attachments = 500, 4
            self.url_characters, self.media_polls = 23, 1

    def fail_next(
        self,
        path: str,
        status: int,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """The next `times` requests to `path` (after letting `after` through)
        get this answer and change nothing."""
        with self._lock:
            for number in range(times):
                self.scripted.setdefault(path, []).append(
                    [
                        after if number == 0 else 0,
                        status,
                        body or {"error": f"HTTP {status}"},
                        headers or {},
                    ]
                )

    def stall_next(self, path: str, seconds: float) -> None:
        self.stalls[path] = seconds

    def sent(self, method: str, path: str) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if r.method == method and urlsplit(r.path).path == path
        ]

    def length(self, text: str) -> int:
        """Mastodon's StatusLengthValidator, written here from its description."""
        text = _URL.sub("x" * self.url_characters, text)
        text = _REMOTE_MENTION.sub(lambda m: "@" + m.group(1), text)
        return len(regex.findall(r"\X", text))

    # --- model ------------------------------------------------------------------

    def account(self) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "username": self.username,
            "acct": self.username,
            "display_name": "The Roastery",
            "avatar": f"{self.url}/avatars/1.png",
            "url": f"{self.url}/@{self.username}",
        }

    def instance(self) -> dict[str, Any]:
        return {
            "domain": "127.0.0.1",
            "title": "Fake Mastodon",
            "version": "4.3.0",
            "configuration": {
                "statuses": {
                    "max_characters": self.max_characters,
                    "max_media_attachments": self.max_media_attachments,
                    "characters_reserved_per_url": self.url_characters,
                },
                "media_attachments": {"image_size_limit": 16777216},
            },
        }

    def content_html(self, text: str) -> str:
        """Text as Mastodon renders it: paragraphs, <br>, links split in spans."""

        def link(match: regex.Match[str]) -> str:
            url = match.group(0)
            scheme, _, rest = url.partition("://")
            return (
                f'<a href="{html.escape(url)}" rel="nofollow noopener" '
                f'target="_blank"><span class="invisible">{scheme}://</span>'
                f'<span class="ellipsis">{html.escape(rest[:30])}</span>'
                f'<span class="invisible">{html.escape(rest[30:])}</span></a>'
            )

        paragraphs = []
        for para in text.split("\n\n"):
            pieces, last = [], 0
            for match in _URL.finditer(para):
                pieces.append(html.escape(para[last : match.start()]))
                pieces.append(link(match))
                last = match.end()
            pieces.append(html.escape(para[last:]))
            paragraphs.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
        return "".join(paragraphs)


def _error(status: int, message: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return status, {"error": message}, {}


class _Handler(BaseHTTPRequestHandler):
    server_state: FakeMastodon
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def _handle(self, method: str) -> None:
        fake = self.server_state
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        with fake._lock:
            fake.requests.append(Recorded(method, self.path, headers, body))
            path = urlsplit(self.path).path
            queue = fake.scripted.get(path)
            scripted = None
            if queue and queue[0][0] > 0:
                queue[0][0] -= 1
            elif queue:
                scripted = queue.pop(0)[1:]
        if scripted is not None:
            self._answer(*scripted)
            return
        status, data, extra = self._route(method, path, headers, body)
        stall = fake.stalls.pop(path, 0.0)
        if stall:
            time.sleep(stall)
        self._answer(status, data, extra)

    def _answer(self, status: int, data: Any, extra: dict[str, str]) -> None:
        payload = json.dumps(data).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the stall tests)

    def _authorized(
        self, headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        fake = self.server_state
        if headers.get("authorization") != f"Bearer {fake.token}":
            return _error(401, "The access token is invalid")
        if fake.revoked:
            return _error(401, "The access token was revoked")
        return None

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.server_state
        if method == "GET" and path == "/api/v2/instance":
            return 200, fake.instance(), {}
        if method == "GET" and path == f"/api/v1/accounts/{fake.account_id}/statuses":
            query = parse_qs(urlsplit(self.path).query)
            limit = int((query.get("limit") or ["20"])[0])
            newest = sorted(fake.statuses, key=lambda s: int(s["id"]), reverse=True)
            return 200, newest[:limit], {}
        denied = self._authorized(headers)
        if denied:
            return denied
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return 200, fake.account(), {}
        if method == "POST" and path == "/api/v2/media":
            return self._upload(headers, body)
        if method == "GET" and path.startswith("/api/v1/media/"):
            item = fake.media.get(path.rsplit("/", 1)[-1])
            if item is None:
                return _error(404, "Record not found")
            if item["polls_left"] > 0:
                item["polls_left"] -= 1
                return 206, item["json"] | {"url": None}, {}
            return 200, item["json"], {}
        if method == "POST" and path == "/api/v1/statuses":
            return self._status(headers, body)
        return _error(404, "Record not found")

    def _upload(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.server_state
        raw = f"Content-Type: {headers.get('content-type', '')}\r\n\r\n".encode() + body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields[name] = (part.get_content_type(), part.get_payload(decode=True))
        if "file" not in fields:
            return _error(422, "Validation failed: File can't be blank")
        kind, data = fields["file"]
        if not kind.startswith("image/"):
            return _error(422, "Validation failed: File content type is invalid")
        media_id = str(next(fake._ids))
        description = fields.get("description", ("", b""))[1].decode()
        item = {
            "id": media_id,
            "type": "image",
            "url": f"{fake.url}/media/{media_id}.jpg",
            "description": description or None,
            "size": len(data),
        }
        fake.media[media_id] = {"json": item, "polls_left": fake.media_polls}
        if fake.media_polls:
            return 202, item | {"url": None}, {}
        return 200, item, {}

    def _status(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.server_state
        key = headers.get("idempotency-key")
        if key and (fake.token, key) in fake.idempotency:
            return 200, fake.idempotency[(fake.token, key)], {}
        try:
            data = json.loads(body)
        except ValueError:
            return _error(422, "Validation failed: Text can't be blank")
        text = str(data.get("status") or "")
        media_ids = [str(i) for i in data.get("media_ids") or []]
        if not text and not media_ids:
            return _error(422, "Validation failed: Text can't be blank")
        if fake.length(text) > fake.max_characters:
            return _error(
                422,
                "Validation failed: Text character limit of "
                f"{fake.max_characters} exceeded",
            )
        if len(media_ids) > fake.max_media_attachments:
            return _error(
                422, f"Cannot attach more than {fake.max_media_attachments} files"
            )
        attachments = []
        for media_id in media_ids:
            item = fake.media.get(media_id)
            if item is None:
                return _error(404, "Record not found")
            if item["polls_left"] > 0:
                return _error(
                    422,
                    "Cannot attach files that have not finished processing. "
                    "Try again in a moment!",
                )
            attachments.append(item["json"])
        reply_to = data.get("in_reply_to_id")
        if reply_to and not any(s["id"] == str(reply_to) for s in fake.statuses):
            return _error(404, "Record not found")
        status_id = str(next(fake._ids))
        status = {
            "id": status_id,
            "created_at": datetime.now(UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "in_reply_to_id": str(reply_to) if reply_to else None,
            "visibility": data.get("visibility", "public"),
            "url": f"{fake.url}/@{fake.username}/{status_id}",
            "uri": f"{fake.url}/users/{fake.username}/statuses/{status_id}",
            "content": fake.content_html(text),
            "media_attachments": attachments,
            "account": fake.account(),
        }
        fake.statuses.append(status)
        if key:
            fake.idempotency[(fake.token, key)] = status
        return 200, status, {}


def rate_limited_headers(seconds: int = 30) -> dict[str, str]:
    """Mastodon's rate-limit headers for an exhausted bucket."""
    reset = datetime.now(UTC) + timedelta(seconds=seconds)
    return {
        "X-RateLimit-Limit": "300",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        ),
    }
