"""The OAuth tests' shared pieces (tests/channels/test_oauth*.py): a local
authorization server standing in for X, LinkedIn and Facebook (and Mastodon
instances), and a browser that goes through the connect flow against it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connections.models import ChannelAccount, Network
from tests.fakes.oauth import FakeOAuth
from workspaces.models import User, Workspace

CLIENTS = {"x-client": "x-secret", "li-client": "li-secret", "fb-app": "fb-secret"}
CALLBACK = "/channels/oauth/callback/"


@pytest.fixture
def idp(settings) -> Iterator[FakeOAuth]:
    """One local server for X, LinkedIn and Facebook's OAuth and profile
    endpoints; the provider hosts point at it through settings."""
    with FakeOAuth(clients=CLIENTS) as server:
        base = server.base_url
        settings.X_API_BASE_URL = base
        settings.X_OAUTH_AUTHORIZE_URL = f"{base}/i/oauth2/authorize"
        settings.LINKEDIN_OAUTH_BASE_URL = settings.LINKEDIN_API_BASE_URL = base
        settings.GRAPH_API_BASE_URL = settings.FACEBOOK_DIALOG_BASE_URL = base
        settings.GRAPH_API_VERSION = "v21.0"
        settings.X_CLIENT_ID, settings.X_CLIENT_SECRET = "x-client", "x-secret"
        settings.LINKEDIN_CLIENT_ID = "li-client"
        settings.LINKEDIN_CLIENT_SECRET = "li-secret"
        settings.FACEBOOK_APP_ID, settings.FACEBOOK_APP_SECRET = "fb-app", "fb-secret"
        settings.OUTBOUND_ALLOW_PRIVATE = True
        settings.SITE_URL = "http://testserver"
        yield server


@pytest.fixture
def instances(settings) -> Iterator[tuple[FakeOAuth, FakeOAuth]]:
    """Two Mastodon instances."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.SITE_URL = "http://testserver"
    with FakeOAuth() as one, FakeOAuth() as two:
        yield one, two


def browser(user: User, workspace: Workspace) -> Client:
    client = Client()
    client.force_login(user)
    session = client.session
    session["workspace_id"] = workspace.pk
    session.save()
    return client


def start(client: Client, network: str, **data: Any) -> str:
    """The Channels page's connect button: the authorize URL it redirects to."""
    answer = client.post(reverse("channel-oauth-start", args=[network]), data)
    assert answer.status_code == 302, answer.content[:500]
    return answer["Location"]


def sign_in(authorize_url: str) -> dict[str, str]:
    """The person's browser at the network: its redirect back to AdLoop."""
    answer = httpx.get(authorize_url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == f"http://testserver{CALLBACK}"
    return {k: v[-1] for k, v in parse_qs(back.query).items()}


def callback(client: Client, query: dict[str, str]) -> tuple[Any, list[str]]:
    answer = client.get(CALLBACK, query)
    assert answer.status_code == 302
    return answer, [str(m) for m in get_messages(answer.wsgi_request)]


def connect(client: Client, network: str, **data: Any) -> ChannelAccount:
    answer, said = callback(client, sign_in(start(client, network, **data)))
    assert "is connected" in said[-1], said
    return ChannelAccount.objects.get(pk=answer["Location"].rsplit("-", 1)[-1])


def raw_credentials(account: ChannelAccount) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials::text FROM channels_channelaccount WHERE id = %s",
            [account.pk],
        )
        return str(cursor.fetchone()[0])


def due(account: ChannelAccount) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=5)
    )


@pytest.fixture
def x_account(idp: FakeOAuth, tenant: Any) -> ChannelAccount:
    return connect(browser(tenant.owner, tenant.workspace), Network.X)
