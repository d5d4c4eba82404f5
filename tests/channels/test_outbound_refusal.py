"""A channel URL that points at a private or loopback address is refused with the
reason and the on-premises way out (OUTBOUND_ALLOW_PRIVATE), in the API and the
Channels page alike; not only "Use an https:// address."."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from connections.models import ChannelAccount, Network
from core.outbound_urls import HTTPS_ONLY, PRIVATE_REFUSED, url_problem
from networks import ConnectorError, get_connector
from networks.webhook.connector import WebhookConnector
from tests.factories import ChannelAccountFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/channels/"
SECRET = "s3cret-signing-key-never-shown"

PRIVATE = [
    "http://127.0.0.1:9000/hook",
    "https://127.0.0.1/hook",
    "https://localhost:8443/hook",
    "https://app.localhost/hook",
    "https://10.1.2.3/hook",
    "https://192.168.0.20/hook",
    "https://[::1]/hook",
    "https://[::ffff:192.168.0.20]/hook",
    "https://169.254.169.254/latest/meta-data",
]


def _api_webhook(tenant, url: str):
    return {
        "workspace": tenant.workspace.pk,
        "network": "webhook",
        "name": "Local",
        "url": url,
        "secret": SECRET,
    }


def test_the_refusal_says_why_and_how_on_premises_allows_it() -> None:
    assert "Private and loopback addresses" in PRIVATE_REFUSED
    assert "OUTBOUND_ALLOW_PRIVATE=true" in PRIVATE_REFUSED
    assert "OUTBOUND_ALLOW_PRIVATE=true" in HTTPS_ONLY


@pytest.mark.parametrize("url", PRIVATE)
def test_private_and_loopback_addresses_are_refused_by_default(url: str) -> None:
    assert url_problem(url) == PRIVATE_REFUSED


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://hooks.example.com/adloop", None),
        ("https://8.8.8.8/hook", None),
        ("http://hooks.example.com/adloop", HTTPS_ONLY),
        ("ftp://hooks.example.com/adloop", HTTPS_ONLY),
    ],
)
def test_public_addresses_need_https(url: str, problem: str | None) -> None:
    assert url_problem(url) == problem


def test_allowing_private_targets_accepts_them_and_plain_http(settings) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    assert all(url_problem(url) is None for url in PRIVATE)
    assert url_problem("http://hooks.example.com/adloop") is None
    assert url_problem("ftp://hooks.example.com/adloop") == HTTPS_ONLY


@pytest.mark.parametrize("url", ["http://127.0.0.1:9000/hook", "https://10.0.0.5/x"])
def test_api_answers_400_with_the_reason(tenant, user_client, url: str) -> None:
    response = user_client(tenant.admin).post(API, _api_webhook(tenant, url))
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["url"] == [PRIVATE_REFUSED]
    assert SECRET not in response.content.decode()
    assert not ChannelAccount.objects.filter(workspace=tenant.workspace).exists()


def test_api_plain_http_to_a_public_host_names_the_setting(tenant, user_client) -> None:
    response = user_client(tenant.admin).post(
        API, _api_webhook(tenant, "http://hooks.example.com/x")
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"]["url"] == [HTTPS_ONLY]


def test_api_accepts_a_loopback_target_where_allowed(
    tenant, user_client, settings
) -> None:
    settings.OUTBOUND_ALLOW_PRIVATE = True
    response = user_client(tenant.admin).post(
        API, _api_webhook(tenant, "http://127.0.0.1:9000/hook")
    )
    assert response.status_code == 201, response.content
    account = ChannelAccount.objects.get(workspace=tenant.workspace, name="Local")
    assert account.external_id == "http://127.0.0.1:9000/hook"


def test_channels_page_shows_the_reason_under_the_url(tenant, web) -> None:
    client = web(tenant.admin, tenant.workspace)
    response = client.post(
        reverse("channel-connect", args=["webhook"]),
        {
            "webhook-name": "Local",
            "webhook-url": "http://192.168.1.10/hook",
            "webhook-secret": SECRET,
        },
    )
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert PRIVATE_REFUSED in page
    assert "Use an https:// address." not in page
    assert SECRET not in page
    assert not ChannelAccount.objects.filter(workspace=tenant.workspace).exists()


def test_channels_page_plain_http_names_the_setting(tenant, web) -> None:
    response = web(tenant.admin, tenant.workspace).post(
        reverse("channel-connect", args=["webhook"]),
        {
            "webhook-url": "http://hooks.example.com/hook",
            "webhook-secret": SECRET,
        },
    )
    assert response.status_code == 400
    assert HTTPS_ONLY in html.unescape(response.content.decode())


def test_test_connection_to_a_private_address_says_why(tenant) -> None:
    """A name that resolves privately passes the form; the call itself is refused
    by core.http, and "Test connection" says why in the same words."""
    account = ChannelAccountFactory(
        workspace=tenant.workspace,
        network=Network.WEBHOOK,
        external_id="https://localhost.:9/hook",
        credentials={"secret": SECRET},
    )
    with pytest.raises(ConnectorError) as refused:
        WebhookConnector().check(account)
    assert PRIVATE_REFUSED in str(refused.value)
    assert refused.value.kind == "permanent"


def test_the_demo_inbox_receiver_is_the_one_loopback_url_accepted(settings) -> None:
    settings.DEMO_INBOX = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    hook = "http://127.0.0.1:8000" + reverse("demo:inbox-hook", args=[7])
    assert url_problem(hook) is None
    assert url_problem("http://127.0.0.1:8000/admin/") == PRIVATE_REFUSED
    settings.DEMO_INBOX = False
    assert url_problem(hook) == PRIVATE_REFUSED


@pytest.mark.parametrize(
    ("network", "credentials", "what"),
    [
        (
            Network.WORDPRESS,
            {"site_url": "https://localhost.:9", "username": "u", "app_password": "p"},
            "The WordPress site's address",
        ),
        (
            Network.BLUESKY,
            {
                "handle": "roastery.test",
                "app_password": "app-pass",
                "service": "https://localhost.:9",
            },
            "The Bluesky server address",
        ),
        (
            Network.MASTODON,
            {"instance_url": "https://localhost.:9", "access_token": "token-1"},
            "The Mastodon instance address",
        ),
        (
            Network.EMAIL,
            {
                "host": "localhost.",
                "port": 9,
                "security": "none",
                "from_email": "news@roastery.test",
            },
            "The SMTP server's address",
        ),
    ],
)
def test_every_customer_address_refusal_says_why(
    tenant, network: str, credentials: dict, what: str
) -> None:
    account = ChannelAccountFactory(
        workspace=tenant.workspace, network=network, credentials=credentials
    )
    with pytest.raises(ConnectorError) as refused:
        get_connector(network).check(account)
    assert str(refused.value).startswith(what), str(refused.value)
    assert PRIVATE_REFUSED in str(refused.value)
