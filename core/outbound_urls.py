"""Which URLs a channel may point at, refused with the same words in the UI and
the API.

`core.http` is the guard at call time (it resolves the name and checks every
address). This is the early check when a marketer types a URL: it catches what
needs no DNS (a loopback or private address written as such, `localhost`, a
plain http:// address) and says why, and what an on-premises installation can
do about it, instead of only "Use an https:// address.".
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from django.conf import settings

from core import http

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


# One part of an IPv4 address as the system resolver reads it (inet_aton):
# hex (0x7f), octal (0177) or decimal.
_ATON_PART = re.compile(r"0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*")


def _inet_aton(host: str) -> ipaddress.IPv4Address | None:
    """An IPv4 address in the spellings getaddrinfo also accepts: 1 to 4 parts,
    each decimal, octal or hex, the last filling the remaining bytes
    ("2130706433", "0177.0.0.1", "0x7f.1", "127.1" are all 127.0.0.1)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4 or not all(_ATON_PART.fullmatch(p) for p in parts):
        return None
    values = [
        int(p[2:] or "0", 16)
        if p.startswith("0x")
        else int(p, 8 if p[0] == "0" else 10)
        for p in parts
    ]
    last_bytes = 5 - len(values)
    if any(v > 255 for v in values[:-1]) or values[-1] >= 256**last_bytes:
        return None
    number = 0
    for value in values[:-1]:
        number = number * 256 + value
    return ipaddress.IPv4Address(number * 256**last_bytes + values[-1])


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address `host` names by itself, however it is written (IPv6 with or
    without brackets or a zone, IPv4 in any inet_aton spelling); None for a name."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return _inet_aton(host)


def url_host(host: str) -> str:
    """`host` as written in a URL: an IPv6 address keeps (or gets) its brackets
    (`urlsplit().hostname` drops them)."""
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


def is_private_host(host: str) -> bool:
    """A host that names a non-public address by itself (no DNS asked)."""
    name = host.strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = ip_literal(name)
    if address is None:
        return False  # a name: core.http checks what it resolves to
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast


def url_problem(value: str) -> str | None:
    """Why AdLoop may not call `value`, in a marketer's words; None when it may."""
    if http.demo_inbox_target(value):  # the demo's own receiver (core.http)
        return None
    if allows_private():
        scheme = urlsplit(value).scheme
        return None if scheme in {"http", "https"} else HTTPS_ONLY
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises for a port that is not a number
    except ValueError:
        return "Enter a valid URL, e.g. https://example.com/hook."
    if host and is_private_host(host):
        return PRIVATE_REFUSED
    return None if value.startswith("https://") else HTTPS_ONLY


def refused(what: str) -> str:
    """A connector's message when core.http refused the address at call time
    (the name resolved to a private address, or did not resolve)."""
    return (
        f"{what} is not allowed: it points to a private or loopback address, or "
        f"its name does not resolve. {PRIVATE_REFUSED}"
    )
