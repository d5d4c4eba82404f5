"""The base of the X, LinkedIn and Graph API fakes: a real HTTP server
(stdlib `ThreadingHTTPServer` on 127.0.0.1, a free port) that records every
request and answers through the subclass's `handle`.

Tests script what the network does next:
- `fail(method, path, status, body, headers)`: the next matching request gets
  this answer and changes nothing (an error the network returns).
- `lose_answer(method, path)`: the next matching request is carried out (the
  post exists) but the answer never comes: the server waits until the client
  gave up. This is the "timeout after sending" a connector must treat as
  ambiguous.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, str]:
        """A urlencoded or multipart body's fields (files as their bytes' length)."""
        kind = self.headers.get("content-type", "")
        if kind.startswith("multipart/form-data"):
            return {k: v for k, v in self.multipart().items() if isinstance(v, str)}
        return {k: v[-1] for k, v in parse_qs(self.body.decode()).items()}

    def multipart(self) -> dict[str, str | bytes]:
        """Fields of a multipart body: text as str, files as bytes."""
        head = f"Content-Type: {self.headers['content-type']}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + self.body)
        out: dict[str, str | bytes] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if part.get_filename():
                out[str(name)] = payload
            else:
                out[str(name)] = payload.decode()
        return out


@dataclass
class Reply:
    status: int
    body: Any = None  # dict/list → JSON; bytes as they are
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Script:
    method: str
    path: re.Pattern[str]
    reply: Reply | None  # None: carry it out, then lose the answer
    skip: int = 0  # let this many matching requests through first


class FakeServer:
    """Subclasses implement `handle(request) -> Reply`."""

    name = "fake-api"

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.base_url = ""
        self._scripts: list[_Script] = []
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.hang_seconds = 10.0

    # -- scripting ---------------------------------------------------------
    def fail(
        self,
        method: str,
        path: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        *,
        times: int = 1,
        skip: int = 0,
    ) -> None:
        """The next `times` requests whose path matches the regex `path`, after
        letting `skip` of them through."""
        with self._lock:
            for _ in range(times):
                reply = Reply(status, body, headers or {})
                self._scripts.append(_Script(method, re.compile(path), reply, skip))

    def lose_answer(self, method: str, path: str, *, skip: int = 0) -> None:
        with self._lock:
            self._scripts.append(_Script(method, re.compile(path), None, skip))

    def calls(
        self, method: str | None = None, path: str | None = None
    ) -> list[Recorded]:
        """Recorded requests, filtered by method and a regex on the path."""
        with self._lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method)
                and (path is None or re.search(path, r.path))
            ]

    def handle(self, request: Recorded) -> Reply:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- plumbing ----------------------------------------------------------
    def _dispatch(self, request: Recorded) -> tuple[Reply, bool]:
        # `handle` runs outside the lock: it may call this server back (the
        # Graph fake fetches an image from itself, as Instagram would).
        lose = False
        with self._lock:
            self.requests.append(request)
            for script in self._scripts:
                if script.method == request.method and script.path.search(request.path):
                    if script.skip:
                        script.skip -= 1
                        break
                    self._scripts.remove(script)
                    if script.reply is not None:
                        return script.reply, False
                    lose = True
                    break
        return self.handle(request), lose

    def start(self) -> FakeServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Recorded(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                )
                reply, lose = server._dispatch(request)
                if lose:
                    server._stopping.wait(server.hang_seconds)
                    self.close_connection = True
                    return
                payload = reply.body
                if isinstance(payload, (dict, list)):
                    data = json.dumps(payload).encode()
                    content_type = "application/json"
                else:
                    data = payload or b""
                    content_type = "application/octet-stream"
                self.send_response(reply.status)
                headers = {"Content-Type": content_type, **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.name}-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def bearer(request: Recorded) -> str:
    """The token of an `Authorization: Bearer` header ("" without one)."""
    value = request.headers.get("authorization", "")
    return value[7:] if value.lower().startswith("bearer ") else ""
