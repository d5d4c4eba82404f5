"""The one outbound HTTP client: every request AdLoop makes to a network or a
customer's URL goes through `request()`, so security has one choke point.

- Only http and https. The host is resolved once and every address it resolves
  to is checked: loopback, private, link-local, multicast, reserved and
  unspecified targets are refused (`OutboundRefused`) unless
  `settings.OUTBOUND_ALLOW_PRIVATE` (development and tests), or the URL is
  exactly the demo inbox's receiver while it is on (`demo_inbox_target`: the
  one exception, so the demo never needs private targets allowed in general).
  The connection then
  goes to the address that was checked (the URL's host stays in the Host header
  and the TLS server name), so a DNS answer that changes between the check and
  the connection cannot point the request at the internal network.
- Timeouts on the name lookup, connect, write and read
  (`OUTBOUND_*_TIMEOUT_SECONDS`), and a total deadline for the whole call
  (`OUTBOUND_TOTAL_TIMEOUT_SECONDS`, or a shorter one from `deadline()`, e.g.
  "Test connection"): the lookup and every connect, write and read wait at
  most what is left of it, so neither a slow DNS server nor a server that
  dribbles one byte at a time can hold a thread longer than the deadline.
- The answer's body is streamed and refused beyond `OUTBOUND_MAX_RESPONSE_BYTES`
  (`ResponseTooLarge`, before reading it all when Content-Length says so).
- No redirects to another host: a 307/308 to the same scheme, host and port is
  followed (twice at most); any other redirect is returned to the caller.
- Errors say whether the request could have reached the server: `sent=False`
  (nothing left this machine: safe to retry), `sent=True` (an answer is missing
  after the request went out: the outcome is unknown).
- Logs name the method, the URL without its query or credentials, the status
  and the duration (never a header); every string in `secrets` is replaced by
  "[redacted]".
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

from core.outbound_deadline import (
    LATE,
    DeadlineBackend,
    deadline,
    past_deadline,
    shutdown_at_deadline,
    time_left,
)

__all__ = ["deadline", "shutdown_at_deadline", "time_left"]  # for the connectors

logger = logging.getLogger("adloop.outbound")

REDACTED = "[redacted]"
MAX_REDIRECTS = 2


class OutboundRefused(Exception):
    """The target is not allowed (scheme, private network, unresolvable host)."""


class OutboundError(Exception):
    """No HTTP answer. `sent`: whether the request may have reached the server."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


class DeadlineExceeded(OutboundError):
    """The total deadline passed before the whole answer arrived; `seconds`:
    the time the call had (set by `request()`)."""

    seconds: float = 0.0


class ResponseTooLarge(OutboundError):
    """The answer's body is larger than `OUTBOUND_MAX_RESPONSE_BYTES` (a
    subclass of `OutboundError`, so a caller that only knows that one still
    treats it as "no usable answer"; connectors say it plainly)."""


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str]
    body: bytes
    url: str
    elapsed_ms: int

    def json(self) -> object:
        import json

        return json.loads(self.body or b"null")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every non-empty secret replaced."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def safe_url(url: str) -> str:
    """The URL as it may be logged: no credentials, no query, no fragment."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = parts.port
    except ValueError:  # not a number: logged without it
        port = None
    if port:
        host = f"{host}:{port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def demo_inbox_target(url: str) -> bool:
    """Whether `url` is exactly the demo inbox's own receiver on this site.

    The one exception to the private-address rule, so that the demo publishes
    to its local inbox without allowing every private target: only while
    `settings.DEMO_INBOX` is on, only SITE_URL's scheme, host and port, and
    only a path that Django routes to the inbox receiver (no query, no
    credentials). Any other loopback or private URL stays refused.
    """
    if not getattr(settings, "DEMO_INBOX", False):
        return False
    from django.urls import Resolver404
    from django.urls import resolve as resolve_path

    target = urlsplit(url)
    if target.query or target.fragment or target.username or target.password:
        return False
    if not same_origin(settings.SITE_URL, url) or not target.path:
        return False
    try:
        match = resolve_path(target.path)
    except Resolver404:
        return False
    return match.view_name == "demo:inbox-hook"


def resolve(host: str, port: int, *, allow_private: bool = False) -> list[str]:
    """Every address `host` resolves to, refused if any of them is not public
    (unless `allow_private`: OUTBOUND_ALLOW_PRIVATE or the demo inbox)."""
    try:
        infos = _lookup(host, port)
    except socket.gaierror as exc:
        raise OutboundRefused(f"cannot resolve {host!r}: {exc.strerror}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not (allow_private or getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False)):
        for address in addresses:
            if not _is_public(ipaddress.ip_address(address.split("%", 1)[0])):
                raise OutboundRefused(
                    f"{host!r} resolves to a private or reserved address"
                )
    if not addresses:
        raise OutboundRefused(f"cannot resolve {host!r}")
    return addresses


# getaddrinfo has no timeout of its own: lookups run on these threads and the
# caller waits at most what is left of its deadline. A lookup that hangs keeps
# its thread until the system resolver gives up; the pool's size bounds them.
_RESOLVERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="adloop-dns")


def _lookup(host: str, port: int) -> list[Any]:
    """`socket.getaddrinfo`, kept within the call's deadline (connect timeout
    at most): a slow DNS server cannot hold the thread past it."""
    pending = _RESOLVERS.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        return pending.result(
            timeout=time_left(settings.OUTBOUND_CONNECT_TIMEOUT_SECONDS)
        )
    except FutureTimeout:
        pending.cancel()
        if past_deadline():
            raise DeadlineExceeded(LATE, sent=False) from None
        raise OutboundError(f"looking up {host!r} took too long", sent=False) from None


@cache
def _client() -> httpx.Client:
    # One pooled client per process (created lazily: after a worker's fork).
    # Keep-alive for as many connections as a worker's publishing threads use
    # at once (httpx keeps 20 by default: the others reconnected every call).
    keep = max(20, settings.PUBLISH_CALL_THREADS)
    limits = httpx.Limits(
        max_connections=max(100, 2 * keep), max_keepalive_connections=keep
    )
    transport = httpx.HTTPTransport(trust_env=False, limits=limits)
    # httpx has no public hook for the socket layer: wrap its pool's network
    # backend so every connect, read and write keeps the call's total deadline
    # (tests/channels/test_outbound_deadline.py fails if this stops working).
    # Any: the pool's private backend is replaced by one of another class.
    pool: Any = transport._pool
    assert hasattr(pool, "_network_backend"), "httpx's pool changed: see _client()"
    pool._network_backend = DeadlineBackend(pool._network_backend)
    return httpx.Client(
        follow_redirects=False, trust_env=False, limits=limits, transport=transport
    )


def _timeout(read: float | None) -> httpx.Timeout:
    # Each clamped again, per connect, read and write, by _DeadlineStream.
    connect = time_left(settings.OUTBOUND_CONNECT_TIMEOUT_SECONDS)
    return httpx.Timeout(
        connect=connect,
        read=read if read is not None else settings.OUTBOUND_READ_TIMEOUT_SECONDS,
        write=settings.OUTBOUND_READ_TIMEOUT_SECONDS,
        pool=connect,
    )


def _read_body(answer: httpx.Response, max_bytes: int) -> bytes:
    """The body, refused beyond `max_bytes` (decoded size) without reading on;
    the deadline is checked after every chunk."""
    declared = answer.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise ResponseTooLarge(
            f"the answer is {int(declared)} bytes, more than the {max_bytes} "
            "allowed (OUTBOUND_MAX_RESPONSE_BYTES)",
            sent=True,
        )
    body = bytearray()
    for chunk in answer.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            raise ResponseTooLarge(
                f"the answer is more than the {max_bytes} bytes allowed "
                "(OUTBOUND_MAX_RESPONSE_BYTES)",
                sent=True,
            )
        if past_deadline():
            raise DeadlineExceeded(LATE, sent=True)
    return bytes(body)


def _send_once(
    method: str,
    url: str,
    *,
    content: bytes | None,
    headers: Mapping[str, str],
    timeout: float | None,
    max_bytes: int,
) -> tuple[httpx.Response, bytes]:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise OutboundRefused("only http and https URLs may be called")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a port that is not a number or out of range
        raise OutboundRefused("the URL's port is not valid") from exc
    address = resolve(parts.hostname, port, allow_private=demo_inbox_target(url))[0]
    pinned_host = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(
        (parts.scheme, f"{pinned_host}:{port}", parts.path or "/", parts.query, "")
    )
    name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    host_header = name if parts.port is None else f"{name}:{port}"
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    if past_deadline():
        raise DeadlineExceeded(LATE, sent=False)
    client = _client()
    try:
        outgoing = client.build_request(
            method,
            pinned,
            content=content,
            headers={**headers, "Host": host_header},
            timeout=_timeout(timeout),
            extensions=extensions,
        )
        answer = client.send(outgoing, stream=True)
        try:
            return answer, _read_body(answer, max_bytes)
        finally:
            answer.close()
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        if past_deadline():
            raise DeadlineExceeded(LATE, sent=False) from exc
        raise OutboundError(
            f"could not connect ({type(exc).__name__})", sent=False
        ) from exc
    except httpx.TimeoutException as exc:
        if past_deadline():
            raise DeadlineExceeded(LATE, sent=True) from exc
        raise OutboundError(
            f"no answer in time ({type(exc).__name__})", sent=True
        ) from exc
    except httpx.TransportError as exc:
        raise OutboundError(
            f"connection broke ({type(exc).__name__})", sent=True
        ) from exc


def _same_origin_redirect(answer: httpx.Response, current: str) -> str | None:
    """Where a 307/308 to the same scheme, host and port goes; None otherwise
    (another host: the caller sees the redirect, we do not go)."""
    location = answer.headers.get("location")
    if answer.status_code not in (307, 308) or not location:
        return None
    target = urljoin(current, location)
    return target if same_origin(current, target) else None


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port (False for a port that is
    not a number): the one test for the demo inbox and for redirects."""
    first, second = urlsplit(a), urlsplit(b)
    try:
        return (first.scheme, first.hostname, first.port) == (
            second.scheme,
            second.hostname,
            second.port,
        )
    except ValueError:
        return False


def request(
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    secrets: Iterable[str] = (),
    max_bytes: int | None = None,
) -> Response:
    """Make one request (see the module docstring). Raises `OutboundRefused`
    before anything is sent, `OutboundError` when no answer came back
    (`DeadlineExceeded` past the total deadline, `ResponseTooLarge` for a body
    over `max_bytes`, by default OUTBOUND_MAX_RESPONSE_BYTES)."""
    headers = dict(headers or {})
    secrets = tuple(secrets)
    limit = max_bytes if max_bytes is not None else settings.OUTBOUND_MAX_RESPONSE_BYTES
    start = time.monotonic()
    budget = time_left(settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS)
    current = url
    status: int | str = "-"
    try:
        with deadline(settings.OUTBOUND_TOTAL_TIMEOUT_SECONDS):
            for _ in range(MAX_REDIRECTS + 1):
                answer, body = _send_once(
                    method,
                    current,
                    content=content,
                    headers=headers,
                    timeout=timeout,
                    max_bytes=limit,
                )
                status = answer.status_code
                target = _same_origin_redirect(answer, current)
                if target is None:
                    break
                current = target
        elapsed = int((time.monotonic() - start) * 1000)
        return Response(
            status=answer.status_code,
            headers=dict(answer.headers),
            body=body,
            url=current,
            elapsed_ms=elapsed,
        )
    except (OutboundError, OutboundRefused) as exc:
        status = type(exc).__name__
        if isinstance(exc, DeadlineExceeded):
            exc.seconds = round(budget, 1)
        raise
    finally:
        logger.info(
            "outbound %s %s -> %s in %d ms",
            method,
            redact(safe_url(current), secrets),
            status,
            int((time.monotonic() - start) * 1000),
        )
