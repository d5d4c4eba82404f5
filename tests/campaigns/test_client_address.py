"""The caller's address comes from one place: X-Forwarded-For is believed only
from TRUSTED_PROXIES, and only up to the right-most untrusted hop."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.client_address import (
    UNKNOWN,
    TrustedProxyHeadersMiddleware,
    address_digest,
    client_address,
)

PROXY = "10.0.0.5"


def _request(peer: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_peer_is_the_caller(settings) -> None:
    settings.TRUSTED_PROXIES = []
    assert client_address(_request("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored(settings) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    request = _request("203.0.113.9", "198.51.100.1, 10.0.0.5")
    assert client_address(request) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_right_most_untrusted_hop_is_the_caller(
    settings,
) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8::/32"]
    # The client wrote "6.6.6.6" itself; the proxy appended what it saw.
    request = _request(PROXY, "6.6.6.6, 203.0.113.9, 10.1.2.3")
    assert client_address(request) == "203.0.113.9"
    assert client_address(_request("2001:db8::1", "198.51.100.4")) == "198.51.100.4"


def test_a_malformed_hop_stops_at_the_last_believable_address(settings) -> None:
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request(PROXY, "not-an-ip, 10.0.0.9")) == "10.0.0.9"
    assert client_address(_request(PROXY, "")) == PROXY


@pytest.mark.parametrize(
    ("hop", "expected"),
    [
        ("203.0.113.9:4711", "203.0.113.9"),
        ("[2001:db8:1::7]:443", "2001:db8:1::7"),
        ("::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_ports_brackets_and_mapped_addresses(settings, hop, expected) -> None:
    settings.TRUSTED_PROXIES = [PROXY]
    assert client_address(_request(PROXY, hop)) == expected


def test_no_peer_address_is_one_shared_bucket(settings) -> None:
    assert client_address(_request("")) == UNKNOWN


def test_digest_hides_the_address_and_differs_by_purpose() -> None:
    one = address_digest("203.0.113.9", "signin")
    assert "203" not in one and len(one) == 32
    assert one == address_digest("203.0.113.9", "signin")
    assert one != address_digest("203.0.113.9", "clicks")


def test_https_header_is_believed_only_from_a_trusted_proxy(settings) -> None:
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.TRUSTED_PROXIES = [PROXY]
    seen: list[bool] = []
    middleware = TrustedProxyHeadersMiddleware(
        lambda request: seen.append(request.is_secure())
    )
    for peer in ("203.0.113.9", PROXY):
        request = RequestFactory().get(
            "/", REMOTE_ADDR=peer, HTTP_X_FORWARDED_PROTO="https"
        )
        middleware(request)
    assert seen == [False, True]


def test_the_api_throttle_counts_the_caller_not_a_made_up_header(settings) -> None:
    """DRF's own get_ident believes any X-Forwarded-For: a new budget per header."""
    from django.contrib.auth.models import AnonymousUser
    from rest_framework.request import Request

    from core.api.common import CallerRateThrottle

    settings.TRUSTED_PROXIES = [PROXY]
    keys = set()
    for spoofed in ("1.1.1.1", "2.2.2.2"):
        request = Request(_request("203.0.113.9", spoofed))
        request.user = AnonymousUser()
        keys.add(CallerRateThrottle().get_cache_key(request, None))
    assert len(keys) == 1
    (key,) = keys
    assert "203.0.113.9" not in key and "1.1.1.1" not in key
