"""Addresses written as IP literals in any form (bracketed IPv6, IPv4-mapped
IPv6, link-local, unique-local, decimal, octal and hex IPv4) are refused like
every other private address: 400 with the field's message in the API, a form
error on the Channels page; never a 500 because brackets were dropped."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.urls import reverse

from connections.models import ChannelAccount, MastodonApp
from connections.oauth import OAuthError, normalize_instance
from core.outbound_urls import PRIVATE_REFUSED, is_private_host, url_problem

pytestmark = pytest.mark.django_db

REFUSED_INSTANCES = [
    "[::1]:18918",
    "[::ffff:127.0.0.1]:18918",
    "https://[::1]:18918",
    "https://[::ffff:7f00:1]",
    "[fe80::1]",
    "[fd12:3456::1]:443",
    "[::]",
    "127.0.0.1:18918",
    "2130706433",
    "0177.0.0.1",
    "0x7f.1",
    "127.1",
    "017700000001",
    "10.1",
    "localhost:18918",
]


@pytest.mark.parametrize(
    "host",
    [
        "::1",
        "[::1]",
        "::ffff:127.0.0.1",
        "fe80::1%eth0",
        "fd00::5",
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "127.1",
        "0",
        "169.254.169.254",
        "0xa9fea9fe",
    ],
)
def test_every_spelling_of_a_private_address_is_private(host: str) -> None:
    assert is_private_host(host)


@pytest.mark.parametrize(
    "host", ["8.8.8.8", "2606:4700::1111", "mastodon.social", "134744072", "1.example"]
)
def test_public_addresses_and_names_are_not(host: str) -> None:
    assert not is_private_host(host)  # 134744072 is 8.8.8.8


@pytest.mark.parametrize("instance", REFUSED_INSTANCES)
def test_a_private_instance_is_refused_before_any_call(instance: str) -> None:
    with pytest.raises(OAuthError) as refused:
        normalize_instance(instance)
    assert str(refused.value) == PRIVATE_REFUSED
    assert refused.value.kind == "config"


def test_an_ipv6_instance_keeps_its_brackets(settings: Any) -> None:
    assert (
        normalize_instance("[2606:4700::1111]:8443") == "https://[2606:4700::1111]:8443"
    )
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert normalize_instance("[::1]:18918") == "https://[::1]:18918"
    assert normalize_instance("http://[::1]:18918/") == "http://[::1]:18918"


@pytest.mark.parametrize(
    "instance", ["[::1", "https://[not-an-ip]/", "mastodon.social:99999", "host:port"]
)
def test_a_malformed_instance_says_what_to_give(instance: str) -> None:
    with pytest.raises(OAuthError) as refused:
        normalize_instance(instance)
    assert refused.value.kind == "config"
    assert "mastodon.social" in str(refused.value)


@pytest.mark.parametrize("instance", [*REFUSED_INSTANCES[:3], "2130706433"])
def test_api_answers_400_on_the_instance_field(
    tenant: Any, user_client: Any, instance: str
) -> None:
    response = user_client(tenant.admin).post(
        "/api/v1/channels/",
        {
            "workspace": tenant.workspace.pk,
            "network": "mastodon",
            "instance_url": instance,
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    fields = response.json()["error"]["fields"]
    assert fields == {"instance_url": [PRIVATE_REFUSED]}, fields
    assert not MastodonApp.objects.exists()


def test_api_malformed_instance_is_a_400(tenant: Any, user_client: Any) -> None:
    response = user_client(tenant.admin).post(
        "/api/v1/channels/",
        {
            "workspace": tenant.workspace.pk,
            "network": "mastodon",
            "instance_url": "[::1",
        },
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["instance_url"] == [
        "Give the Mastodon instance, e.g. mastodon.social."
    ]


@pytest.mark.parametrize("instance", ["[::1]:18918", "[::ffff:127.0.0.1]:18918"])
def test_channels_page_shows_the_reason_under_the_instance(
    tenant: Any, web: Any, instance: str
) -> None:
    response = web(tenant.admin, tenant.workspace).post(
        reverse("channel-oauth-start", args=["mastodon"]),
        {"mastodon-instance_url": instance},
    )
    assert response.status_code == 400
    assert PRIVATE_REFUSED in html.unescape(response.content.decode())
    assert not ChannelAccount.objects.filter(workspace=tenant.workspace).exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://[::ffff:127.0.0.1]:18918/hook",
        "https://[fe80::1]/hook",
        "https://2130706433/hook",
        "https://0177.0.0.1/hook",
        "https://0x7f.1/hook",
    ],
)
def test_channel_urls_in_any_ip_spelling_are_refused(url: str) -> None:
    assert url_problem(url) == PRIVATE_REFUSED
