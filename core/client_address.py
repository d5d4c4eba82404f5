"""The caller's address, in one place: `TRUSTED_PROXIES` decides whom to believe.

`REMOTE_ADDR` is the direct peer. Behind a reverse proxy that is the proxy, and the
caller is in `X-Forwarded-For`; but any client can send that header, so it is
believed only when the direct peer is one of `TRUSTED_PROXIES`, and then only up
to the right-most hop that is not a trusted proxy (each proxy appends the address
it saw; everything left of the first untrusted hop is the client's own words).

Sign-in throttling, click hashing, the audit log and the public forms' limits all
read the address here, so a spoofed header cannot move one of them and not the
others. Nothing stores the raw address: `address_digest` gives a keyed hash
(HMAC with SECRET_KEY) for counters and records.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# What a request without a usable peer address counts as (a test client, a unix
# socket): one shared bucket, never "no limit".
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def trusted_networks(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    """Parse `TRUSTED_PROXIES` entries (addresses or CIDR ranges).

    Settings validate the same way at start-up, so a bad entry never gets here
    in a running service; a ValueError names it otherwise.
    """
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v)


def _parse(value: str) -> IPAddress | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[::1]:443" from some proxies
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.5:4711"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(address in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address the request came from, as far as it can be believed.

    Without trusted proxies this is `REMOTE_ADDR`. With them, and only when the
    peer is one, `X-Forwarded-For` is read from the right, skipping trusted
    proxies; the first other hop is the client. A malformed hop stops the walk
    at the last address that was believable.
    """
    peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
    if peer is None:
        return UNKNOWN
    networks = trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    current = peer
    for hop in reversed([h for h in forwarded.split(",") if h.strip()]):
        address = _parse(hop)
        if address is None:
            break
        current = address
        if not _is_trusted(address, networks):
            break
    return str(current)


def address_digest(address: str, purpose: str) -> str:
    """A keyed hash of an address: comparable, countable, not reversible.

    The purpose is mixed in so the digest kept by one feature (click hashing)
    cannot be joined with another's (sign-in counters).
    """
    message = f"{purpose}\x00{address}".encode()
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


class TrustedProxyHeadersMiddleware:
    """Drop the proxy's HTTPS header when the peer is not a trusted proxy.

    `SECURE_PROXY_SSL_HEADER` makes Django believe e.g. `X-Forwarded-Proto:
    https`. Only the proxy should be able to say that: with `TRUSTED_PROXIES`
    set, the header is removed from a request whose direct peer is not in it, so
    a client reaching the server around the proxy cannot claim HTTPS.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
        networks = trusted_networks(tuple(getattr(settings, "TRUSTED_PROXIES", ())))
        if header and networks:
            peer = _parse(request.META.get("REMOTE_ADDR", "") or "")
            if peer is None or not _is_trusted(peer, networks):
                request.META.pop(header[0], None)
        return self.get_response(request)
