"""The total deadline of outbound calls: `deadline()` sets when every call in
this context must end, and the socket layer under the HTTP client
(`DeadlineBackend`) and the SMTP connection (`time_left`,
`shutdown_at_deadline`) keep it.

Why not httpx's own timeouts: they apply per read, so a server that sends one
byte every few seconds keeps a connection alive indefinitely. Here each
connect, read and write waits at most what is left of the deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

# The monotonic time by which every outbound call in this context must end
# (`deadline()`); None: only each call's own OUTBOUND_TOTAL_TIMEOUT_SECONDS.
_deadline: ContextVar[float | None] = ContextVar("outbound_deadline", default=None)


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every outbound call inside (HTTP and SMTP) ends within `seconds` from
    now, all of them together; nested deadlines keep the earlier end."""
    end = time.monotonic() + seconds
    current = _deadline.get()
    token = _deadline.set(end if current is None else min(current, end))
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left(default: float) -> float:
    """`default` seconds, or less when the current `deadline()` ends sooner
    (never below a millisecond: a socket timeout of 0 means non-blocking)."""
    end = _deadline.get()
    if end is None:
        return default
    return max(0.001, min(default, end - time.monotonic()))


def shutdown_at_deadline(sock: socket.socket) -> None:
    """Under `deadline()`, shut `sock` down when the deadline passes, so a
    blocking read on it returns (for clients such as smtplib whose timeout is
    per read). Nothing happens outside a deadline."""
    end = _deadline.get()
    if end is None:
        return

    def _shutdown() -> None:
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(max(0.0, end - time.monotonic()), _shutdown)
    timer.daemon = True
    timer.start()


class DeadlineStream:
    """httpcore's network stream, each read and write waiting at most what is
    left of the call's deadline (httpx's own timeouts are per read)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data: bytes = self._inner.read(max_bytes, _clamp(timeout))
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, timeout: float | None = None, **kw: Any) -> Any:
        return DeadlineStream(
            self._inner.start_tls(*args, timeout=_clamp(timeout), **kw)
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend:
    """httpcore's network backend whose connects and streams keep the deadline."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, timeout: float | None = None, **kw: Any) -> Any:
        return DeadlineStream(
            self._inner.connect_tcp(*args, timeout=_clamp(timeout), **kw)
        )

    def connect_unix_socket(self, *args: Any, **kw: Any) -> Any:
        raise OSError("unix sockets are never called")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


LATE = "no complete answer within the total deadline"


def past_deadline() -> bool:
    end = _deadline.get()
    return end is not None and time.monotonic() >= end - 0.001


def _clamp(timeout: float | None) -> float:
    return time_left(timeout if timeout is not None else float("inf"))
