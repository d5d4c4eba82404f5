"""Which URLs a channel may point at, refused with the same words in the UI and
the API.

`channels.http` is the guard at call time (it resolves the name and checks every
address). This is the early check when a marketer types a URL: it catches what
needs no DNS (a loopback or private address written as such, `localhost`, a
plain http:// address) and says why, and what an on-premises installation can
do about it, instead of only "Use an https:// address.".
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

from channels import http

ALLOW_SETTING = "OUTBOUND_ALLOW_PRIVATE=true"

PRIVATE_REFUSED = (
    "Private and loopback addresses (localhost, 127.0.0.1, 10.x, 192.168.x, ...) "
    "are refused: AdLoop only calls public addresses, so that a channel cannot "
    "reach into the network it runs in. On premises, an administrator can allow "
    f"them by setting {ALLOW_SETTING}."
)
HTTPS_ONLY = (
    "Use an https:// address. Plain http:// is accepted only where an "
    f"administrator allowed local servers with {ALLOW_SETTING} (on premises)."
)


def allows_private() -> bool:
    return bool(getattr(settings, "OUTBOUND_ALLOW_PRIVATE", False))


def is_private_host(host: str) -> bool:
    """A host that names a non-public address by itself (no DNS asked)."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False  # a name: channels.http checks what it resolves to
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def url_problem(value: str) -> str | None:
    """Why AdLoop may not call `value`, in a marketer's words; None when it may."""
    if http.demo_inbox_target(value):  # the demo's own receiver (channels.http)
        return None
    if allows_private():
        scheme = urlsplit(value).scheme
        return None if scheme in {"http", "https"} else HTTPS_ONLY
    try:
        host = urlsplit(value).hostname or ""
    except ValueError:
        host = ""
    if host and is_private_host(host):
        return PRIVATE_REFUSED
    return None if value.startswith("https://") else HTTPS_ONLY


def refused(what: str) -> str:
    """A connector's message when channels.http refused the address at call time
    (the name resolved to a private address, or did not resolve)."""
    return (
        f"{what} is not allowed: it points to a private or loopback address, or "
        f"its name does not resolve. {PRIVATE_REFUSED}"
    )
