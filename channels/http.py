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
- Timeouts on connect, write and read (`OUTBOUND_*_TIMEOUT_SECONDS`).
- No redirects to another host: a 307/308 to the same scheme, host and port is
  followed (twice at most); any other redirect is returned to the caller.
- Errors say whether the request could have reached the server: `sent=False`
  (nothing left this machine: safe to retry), `sent=True` (an answer is missing
  after the request went out: the outcome is unknown).
- Logs name the method, the URL without its query or credentials, the status
  and the duration; header values that carry secrets, and every string in
  `secrets`, are replaced by "[redacted]".
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
from django.conf import settings

logger = logging.getLogger("adloop.outbound")

REDACTED = "[redacted]"
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-adloop-signature",
        "x-api-key",
    }
)
MAX_REDIRECTS = 2


class OutboundRefused(Exception):
    """The target is not allowed (scheme, private network, unresolvable host)."""


class OutboundError(Exception):
    """No HTTP answer. `sent`: whether the request may have reached the server."""

    def __init__(self, message: str, *, sent: bool) -> None:
        super().__init__(message)
        self.sent = sent


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
    if parts.port:
        host = f"{host}:{parts.port}"
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

    site, target = urlsplit(settings.SITE_URL), urlsplit(url)
    if target.query or target.fragment or target.username or target.password:
        return False
    try:
        same_origin = (target.scheme, target.hostname, target.port) == (
            site.scheme,
            site.hostname,
            site.port,
        )
    except ValueError:  # a port that is not a number
        return False
    if not same_origin or not target.path:
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
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
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


@cache
def _client() -> httpx.Client:
    # One pooled client per process (created lazily: after a worker's fork).
    # Keep-alive for as many connections as a worker's publishing threads use
    # at once (httpx keeps 20 by default: the others reconnected every call).
    keep = max(20, settings.PUBLISH_CALL_THREADS)
    return httpx.Client(
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(
            max_connections=max(100, 2 * keep), max_keepalive_connections=keep
        ),
    )


def _timeout(read: float | None) -> httpx.Timeout:
    return httpx.Timeout(
        connect=settings.OUTBOUND_CONNECT_TIMEOUT_SECONDS,
        read=read if read is not None else settings.OUTBOUND_READ_TIMEOUT_SECONDS,
        write=settings.OUTBOUND_READ_TIMEOUT_SECONDS,
        pool=settings.OUTBOUND_CONNECT_TIMEOUT_SECONDS,
    )


def _send_once(
    method: str,
    url: str,
    *,
    content: bytes | None,
    headers: Mapping[str, str],
    timeout: float | None,
) -> httpx.Response:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise OutboundRefused("only http and https URLs may be called")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = resolve(parts.hostname, port, allow_private=demo_inbox_target(url))[0]
    pinned_host = f"[{address}]" if ":" in address else address
    pinned = urlunsplit(
        (parts.scheme, f"{pinned_host}:{port}", parts.path or "/", parts.query, "")
    )
    host_header = parts.hostname if parts.port is None else f"{parts.hostname}:{port}"
    extensions = {"sni_hostname": parts.hostname} if parts.scheme == "https" else {}
    try:
        return _client().request(
            method,
            pinned,
            content=content,
            headers={**headers, "Host": host_header},
            timeout=_timeout(timeout),
            extensions=extensions,
        )
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        raise OutboundError(
            f"could not connect ({type(exc).__name__})", sent=False
        ) from exc
    except httpx.TimeoutException as exc:
        raise OutboundError(
            f"no answer in time ({type(exc).__name__})", sent=True
        ) from exc
    except httpx.TransportError as exc:
        raise OutboundError(
            f"connection broke ({type(exc).__name__})", sent=True
        ) from exc


def request(
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float | None = None,
    secrets: Iterable[str] = (),
) -> Response:
    """Make one request (see the module docstring). Raises `OutboundRefused`
    before anything is sent, `OutboundError` when no answer came back."""
    headers = dict(headers or {})
    secrets = tuple(secrets)
    start = time.monotonic()
    current = url
    status: int | str = "-"
    try:
        for _ in range(MAX_REDIRECTS + 1):
            answer = _send_once(
                method, current, content=content, headers=headers, timeout=timeout
            )
            status = answer.status_code
            location = answer.headers.get("location")
            if answer.status_code not in (307, 308) or not location:
                break
            target = urljoin(current, location)
            old, new = urlsplit(current), urlsplit(target)
            if (old.scheme, old.hostname, old.port) != (
                new.scheme,
                new.hostname,
                new.port,
            ):
                break  # another host: the caller sees the redirect, we do not go
            current = target
        elapsed = int((time.monotonic() - start) * 1000)
        return Response(
            status=answer.status_code,
            headers=dict(answer.headers),
            body=answer.content,
            url=current,
            elapsed_ms=elapsed,
        )
    except (OutboundError, OutboundRefused) as exc:
        status = type(exc).__name__
        raise
    finally:
        logger.info(
            "outbound %s %s -> %s in %d ms",
            method,
            redact(safe_url(current), secrets),
            status,
            int((time.monotonic() - start) * 1000),
        )


def loggable_headers(
    headers: Mapping[str, str], secrets: Iterable[str] = ()
) -> dict[str, str]:
    """Headers as they may appear in a log or an attempt row."""
    return {
        name: REDACTED if name.lower() in SECRET_HEADERS else redact(value, secrets)
        for name, value in headers.items()
    }
