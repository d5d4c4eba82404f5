"""A webhook receiver for load tests and the publishing benchmark.

It keeps the webhook contract AdLoop relies on (`WebhookConnector.dedupes`): a
POST whose `Idempotency-Key` it has seen before is acknowledged with the first
answer's id and not counted again. Everything it was sent is counted, so a test
can tell a same-key resend (allowed, deduplicated) from a second post (never
allowed): `stats()` gives requests per key and the keys per post id.

asyncio rather than a thread per connection: the benchmark keeps a few hundred
requests waiting on `delay` at once, at a few thousand per second, and a slow
answer must not hold a thread. Run it in a thread of the test process
(`SinkServer().start()`) or as its own process (`python -m tests.fakes.sink
--port P --delay 0.05`, which prints "listening <port>"; `GET /_stats` answers
the counts as JSON).

`delay`: seconds before every answer. `slow_fraction`/`slow_delay`: that share of
first deliveries (chosen at random) waits `slow_delay` instead, long enough for
the client to give up: the post is kept, the answer lost (an ambiguous outcome).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class SinkState:
    delay: float = 0.0
    slow_fraction: float = 0.0
    slow_delay: float = 0.0
    requests: Counter[str] = field(default_factory=Counter)
    ids: dict[str, str] = field(default_factory=dict)
    posts: dict[str, set[str]] = field(default_factory=dict)
    first_seen: dict[str, float] = field(default_factory=dict)

    def receive(self, key: str, body: bytes) -> tuple[str, float]:
        """Record one delivery; the id to answer and how long to wait first."""
        self.requests[key] += 1
        known = self.ids.get(key)
        if known is not None:
            return known, self.delay
        external_id = f"sink-{len(self.ids) + 1}"
        self.ids[key] = external_id
        self.first_seen[key] = time.time()
        try:
            post_id = str(json.loads(body or b"{}").get("post_id"))
        except ValueError:
            post_id = "?"
        self.posts.setdefault(post_id, set()).add(key)
        slow = self.slow_fraction and random.random() < self.slow_fraction
        return external_id, self.slow_delay if slow else self.delay

    def stats(self) -> dict[str, Any]:
        return {
            "requests": sum(self.requests.values()),
            "distinct": len(self.ids),
            "resent": {k: n for k, n in self.requests.items() if n > 1},
            "posts_with_several_keys": {
                p: sorted(keys) for p, keys in self.posts.items() if len(keys) > 1
            },
            "keys": sorted(self.ids),
        }

    def reset(self) -> None:
        self.requests.clear()
        self.ids.clear()
        self.posts.clear()
        self.first_seen.clear()


async def _handle(
    state: SinkState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    name, value = line.split(":", 1)
                    headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length") or 0)
            body = await reader.readexactly(length) if length else b""
            if method == "GET" and path.startswith("/_stats"):
                status, answer = 200, json.dumps(state.stats()).encode()
            elif method == "POST":
                key = headers.get("idempotency-key", "")
                external_id, wait = state.receive(key, body)
                if wait:
                    await asyncio.sleep(wait)
                status, answer = 200, json.dumps({"id": external_id}).encode()
            else:
                status, answer = 405, b"{}"
            writer.write(
                f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(answer)}\r\n\r\n".encode()
                + answer
            )
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


class SinkServer:
    """The sink in a background thread of this process, on 127.0.0.1."""

    def __init__(self, *, delay: float = 0.0, port: int = 0) -> None:
        self.state = SinkState(delay=delay)
        self.port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> SinkServer:
        self._thread.start()

        async def serve() -> asyncio.Server:
            return await asyncio.start_server(
                lambda r, w: _handle(self.state, r, w),
                "127.0.0.1",
                self.port,
                backlog=1024,
            )

        self._server = asyncio.run_coroutine_threadsafe(serve(), self._loop).result()
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            server = self._server

            async def close() -> None:
                server.close()

            asyncio.run_coroutine_threadsafe(close(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


def main() -> None:
    parser = argparse.ArgumentParser(description="A deduplicating webhook sink.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    state = SinkState(delay=args.delay)

    async def run() -> None:
        server = await asyncio.start_server(
            lambda r, w: _handle(state, r, w), "127.0.0.1", args.port, backlog=4096
        )
        print("listening", server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()

    asyncio.run(run())


if __name__ == "__main__":
    main()
