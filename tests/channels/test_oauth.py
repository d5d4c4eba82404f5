"""OAuth connect flows (connections/oauth/flow.py) against a local authorization
server that speaks the networks' documented endpoints (tests/fakes/oauth.py):
the browser's trip to the network is a real HTTP GET of the authorize URL, whose
302 carries the code back to AdLoop's callback view. Refresh: test_oauth_refresh.py."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from connections import oauth
from connections.models import (
    AccountStatus,
    ChannelAccount,
    MastodonApp,
    Network,
    OAuthState,
)
from tests.channels import oauth_support
from tests.channels.oauth_support import (
    CALLBACK,
    browser,
    callback,
    connect,
    due,
    raw_credentials,
    sign_in,
    start,
)
from tests.fakes.oauth import FakeOAuth, s256
from workspaces.models import Role

# Fixtures shared with the other test_oauth*.py file.
idp = oauth_support.idp
instances = oauth_support.instances


# --- start --------------------------------------------------------------------


def test_start_sends_the_person_to_the_network_with_state_and_s256(
    idp: FakeOAuth, tenant: Any
) -> None:
    url = start(browser(tenant.admin, tenant.workspace), Network.X)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        f"{idp.base_url}/i/oauth2/authorize"
    )
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == "x-client"
    assert query["redirect_uri"] == f"http://testserver{CALLBACK}"
    assert set(query["scope"].split(" ")) >= {"tweet.write", "offline.access"}
    assert query["code_challenge_method"] == "S256"
    [row] = OAuthState.objects.all()
    assert (row.workspace, row.user, row.network) == (
        tenant.workspace,
        tenant.admin,
        Network.X,
    )
    verifier = row.pkce["verifier"]
    assert 43 <= len(verifier) <= 128
    assert query["code_challenge"] == s256(verifier)
    assert verifier not in url and row.nonce not in query["state"]


def test_start_for_linkedin_and_facebook_uses_their_habits(
    idp: FakeOAuth, tenant: Any
) -> None:
    client = browser(tenant.owner, tenant.workspace)
    linkedin = parse_qs(urlsplit(start(client, Network.LINKEDIN)).query)
    assert linkedin["scope"] == ["openid profile w_member_social"]
    assert "code_challenge" not in linkedin  # LinkedIn's web flow: client secret
    facebook = urlsplit(start(client, Network.FACEBOOK))
    assert facebook.path == "/v21.0/dialog/oauth"
    assert parse_qs(facebook.query)["scope"] == [
        "pages_show_list,pages_manage_posts,pages_read_engagement"
    ]


def test_editors_cannot_start_and_unset_client_id_is_a_clear_conflict(
    idp: FakeOAuth, tenant: Any, settings: Any, user_client: Any, web: Any
) -> None:
    answer = web(tenant.editor, tenant.workspace).post(
        reverse("channel-oauth-start", args=[Network.X])
    )
    assert answer.status_code in (302, 403) and not OAuthState.objects.exists()
    if answer.status_code == 302:
        assert not answer["Location"].startswith(idp.base_url)
    settings.X_CLIENT_ID = ""
    api = user_client(tenant.owner)
    refused = api.post(
        "/api/v1/channels/",
        {"workspace": tenant.workspace.pk, "network": "x"},
        format="json",
    )
    assert refused.status_code == 409
    assert "X_CLIENT_ID" in str(refused.json())
    assert not OAuthState.objects.exists()


# --- callback ------------------------------------------------------------------


def test_x_connect_exchanges_the_code_with_the_verifier_and_stores_tokens_encrypted(
    idp: FakeOAuth, tenant: Any, web: Any, caplog: Any
) -> None:
    # AdLoop's own loggers at DEBUG; httpcore's DEBUG traces would show the
    # test browser's redirect (the code in a Location header), not AdLoop's.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="adloop")
    client = web(tenant.admin, tenant.workspace)
    before = timezone.now()
    answer, said = callback(client, sign_in(start(client, Network.X)))
    after = timezone.now()
    account = ChannelAccount.objects.get(workspace=tenant.workspace)
    assert said == [f"{account.name} is connected."]
    assert (account.network, account.status) == (Network.X, AccountStatus.CONNECTED)
    assert (account.external_id, account.name, account.handle) == (
        "1001",
        "Bean Shop",
        "@beanshop",
    )
    assert account.avatar_url == "https://cdn.example/beanshop.png"
    assert before + timedelta(seconds=7200) <= account.token_expires_at
    assert account.token_expires_at <= after + timedelta(seconds=7200)

    # The token request: Basic client auth, the code, and a verifier whose S256
    # is the challenge the browser carried to the authorize page.
    [authorize] = idp.calls("GET", "/i/oauth2/authorize")
    [exchange] = idp.token_calls("authorization_code")
    form = exchange.form()
    assert exchange.headers["authorization"].startswith("Basic ")
    assert s256(form["code_verifier"]) == authorize.query["code_challenge"][-1]
    assert form["redirect_uri"] == f"http://testserver{CALLBACK}"
    assert not OAuthState.objects.exists()  # consumed

    access = account.credentials["access_token"]
    refresh = account.credentials["refresh_token"]
    assert idp.access[access].user["id"] == "1001" and refresh in idp.refresh
    stored = raw_credentials(account)
    assert access not in stored and refresh not in stored
    page = client.get(answer["Location"])
    api = client.get(f"/api/v1/channels/{account.pk}/")
    for text in (page.content.decode(), api.content.decode(), caplog.text):
        assert access not in text and refresh not in text
        assert form["code"] not in text and form["code_verifier"] not in text
    assert "Bean Shop" in page.content.decode()


@pytest.mark.parametrize(
    ("network", "handle", "refresh"),
    [
        (Network.LINKEDIN, "", False),
        (Network.FACEBOOK, "", False),
        (Network.INSTAGRAM, "", False),
    ],
)
def test_linkedin_and_facebook_connects_read_their_profiles(
    idp: FakeOAuth, tenant: Any, network: str, handle: str, refresh: bool
) -> None:
    idp.user = {
        "id": "urn-77",
        "name": "Ana Roast",
        "username": "ana",
        "avatar": "https://cdn.example/ana.jpg",
    }
    account = connect(browser(tenant.owner, tenant.workspace), network)
    assert (account.network, account.external_id, account.name) == (
        network,
        "urn-77",
        "Ana Roast",
    )
    assert account.avatar_url == "https://cdn.example/ana.jpg"
    assert ("refresh_token" in account.credentials) is refresh
    [exchange] = idp.token_calls("authorization_code")
    assert exchange.form()["client_secret"] in ("li-secret", "fb-secret")
    assert account.token_expires_at is not None


def test_a_wrong_code_verifier_is_refused_by_the_network_and_creates_nothing(
    idp: FakeOAuth, tenant: Any
) -> None:
    client = browser(tenant.admin, tenant.workspace)
    query = sign_in(start(client, Network.X))
    row = OAuthState.objects.get()
    row.pkce = {"verifier": "x" * 64}  # not the one the challenge was made from
    row.save()
    _, said = callback(client, query)
    assert "invalid_grant" in said[-1]
    assert not ChannelAccount.objects.exists()
    [exchange] = idp.token_calls("authorization_code")
    assert exchange.form()["code_verifier"] == "x" * 64


def test_the_network_refusing_access_creates_nothing(
    idp: FakeOAuth, tenant: Any
) -> None:
    client = browser(tenant.admin, tenant.workspace)
    query = sign_in(start(client, Network.X))
    _, said = callback(client, {"state": query["state"], "error": "access_denied"})
    assert said == ["X did not grant access (access_denied)."]
    assert not ChannelAccount.objects.exists() and not idp.token_calls()


@pytest.mark.parametrize("case", ["altered", "expired", "reused", "missing"])
def test_a_bad_state_is_refused_with_a_clear_message_and_creates_nothing(
    idp: FakeOAuth, tenant: Any, case: str
) -> None:
    client = browser(tenant.admin, tenant.workspace)
    query = sign_in(start(client, Network.X))
    expected = {
        "altered": "it was altered.",
        "expired": "it expired. Start connecting again.",
        "reused": "it was already used, or it expired.",
        "missing": "it was altered.",
    }[case]
    if case == "altered":
        query["state"] = query["state"][:-2] + (
            "AA" if query["state"][-2:] != "AA" else "BB"
        )
    elif case == "expired":
        OAuthState.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    elif case == "reused":
        _, said = callback(client, query)
        assert "is connected" in said[-1]
        ChannelAccount.objects.all().delete()
        idp.requests.clear()
    else:
        del query["state"]
    _, said = callback(client, query)
    assert said[-1] == f"This connection link is not valid: {expected}"
    assert not ChannelAccount.objects.exists()
    assert not idp.token_calls()  # the code was never even exchanged


def test_another_workspaces_state_cannot_be_used(
    idp: FakeOAuth, tenant: Any, other_tenant: Any
) -> None:
    query = sign_in(start(browser(tenant.owner, tenant.workspace), Network.X))
    intruder = browser(other_tenant.owner, other_tenant.workspace)
    _, said = callback(intruder, query)
    assert said == [
        "This connection link is not valid: it was started by someone else."
    ]
    assert not ChannelAccount.objects.exists() and not idp.token_calls()
    # Still usable by the person who started it: the intruder consumed nothing.
    account = ChannelAccount.objects.none()
    _, said = callback(browser(tenant.owner, tenant.workspace), query)
    assert "is connected" in said[-1]
    account = ChannelAccount.objects.get()
    assert account.workspace == tenant.workspace

    # Nor can they start a reconnect of an account that is not theirs.
    answer = intruder.post(
        reverse("channel-oauth-start", args=[Network.X]), {"account": account.pk}
    )
    assert answer.status_code == 404
    assert OAuthState.objects.count() == 0


def test_a_person_who_lost_the_right_to_manage_channels_is_refused(
    idp: FakeOAuth, tenant: Any
) -> None:
    client = browser(tenant.admin, tenant.workspace)
    query = sign_in(start(client, Network.X))
    tenant.admin.memberships.update(role=Role.REVIEWER)
    _, said = callback(client, query)
    assert said == [
        "This connection link is not valid: you may no longer manage this "
        "workspace's channels."
    ]
    assert not ChannelAccount.objects.exists() and not idp.token_calls()


def test_connecting_the_same_account_again_updates_it(
    idp: FakeOAuth, tenant: Any
) -> None:
    client = browser(tenant.owner, tenant.workspace)
    first = connect(client, Network.X)
    old_access = first.credentials["access_token"]
    idp.user = {**idp.user, "name": "Bean Shop HQ", "avatar": "https://cdn.example/2"}
    again = connect(client, Network.X)
    assert again.pk == first.pk and ChannelAccount.objects.count() == 1
    assert again.credentials["access_token"] != old_access
    assert again.avatar_url == "https://cdn.example/2"

    # A reconnect of an account that needs it, from its own button.
    ChannelAccount.objects.filter(pk=first.pk).update(
        status=AccountStatus.NEEDS_RECONNECT, last_error="revoked"
    )
    back = connect(client, Network.X, account=first.pk)
    assert back.pk == first.pk and back.status == AccountStatus.CONNECTED
    assert back.last_error == ""

    # Signing in as someone else while reconnecting it is refused.
    idp.user = {**idp.user, "id": "999", "username": "other"}
    _, said = callback(client, sign_in(start(client, Network.X, account=first.pk)))
    assert "another account than the one being reconnected" in said[-1]
    first.refresh_from_db()
    assert first.external_id == "1001" and ChannelAccount.objects.count() == 1


# --- Mastodon ----------------------------------------------------------------------


def test_mastodon_registers_the_app_once_per_instance_and_reuses_it(
    instances: tuple[FakeOAuth, FakeOAuth], tenant: Any, other_tenant: Any
) -> None:
    one, two = instances
    client = browser(tenant.owner, tenant.workspace)
    first = connect(client, Network.MASTODON, **{"mastodon-instance_url": one.base_url})
    [app] = one.apps
    assert app["redirect_uri"] == f"http://testserver{CALLBACK}"
    assert app["scopes"] == ["read:accounts", "write:statuses", "write:media"]
    assert first.handle == "@beanshop@127.0.0.1"
    assert first.credentials["instance_url"] == one.base_url
    stored = MastodonApp.objects.get(instance_url=one.base_url)
    assert stored.client["client_id"] == app["client_id"]

    # Another workspace on the same instance: the same registration.
    other = browser(other_tenant.owner, other_tenant.workspace)
    connect(other, Network.MASTODON, **{"mastodon-instance_url": one.base_url})
    assert len(one.apps) == 1
    # A second instance gets its own.
    two.user = {**two.user, "id": "1001", "username": "beans"}
    second = connect(
        client, Network.MASTODON, **{"mastodon-instance_url": two.base_url}
    )
    assert len(two.apps) == 1 and MastodonApp.objects.count() == 2
    assert second.pk != first.pk  # same numeric id, another instance
    assert ChannelAccount.objects.filter(workspace=tenant.workspace).count() == 2
    [exchange] = two.token_calls("authorization_code")
    assert (
        s256(exchange.form()["code_verifier"])
        == (two.calls("GET", "/oauth/authorize")[0].query["code_challenge"][-1])
    )


def test_mastodon_refresh_uses_the_app_that_issued_the_tokens(
    instances: tuple[FakeOAuth, FakeOAuth], tenant: Any, settings: Any
) -> None:
    one, _ = instances
    client = browser(tenant.owner, tenant.workspace)
    account = connect(
        client, Network.MASTODON, **{"mastodon-instance_url": one.base_url}
    )
    assert account.credentials["client"]["client_id"] == one.apps[0]["client_id"]
    old = account.credentials["refresh_token"]
    # AdLoop moved to another address: the next connect registers a new app.
    settings.SITE_URL = "https://adloop.example"
    start(client, Network.MASTODON, **{"mastodon-instance_url": one.base_url})
    assert len(one.apps) == 2
    assert MastodonApp.objects.get().client["client_id"] == one.apps[1]["client_id"]
    due(account)
    assert oauth.refresh_due_tokens() == {"refreshed": 1}
    [call] = one.token_calls("refresh_token")
    assert call.form()["client_id"] == one.apps[0]["client_id"]
    assert call.form()["refresh_token"] == old
    account.refresh_from_db()
    assert account.status == AccountStatus.CONNECTED


def test_mastodon_start_through_the_api(
    instances: tuple[FakeOAuth, FakeOAuth], tenant: Any, user_client: Any
) -> None:
    one, _ = instances
    answer = user_client(tenant.admin).post(
        "/api/v1/channels/",
        {
            "workspace": tenant.workspace.pk,
            "network": "mastodon",
            "instance_url": one.base_url,
        },
        format="json",
    )
    assert answer.status_code == 200, answer.content
    url = answer.json()["authorize_url"]
    assert url.startswith(f"{one.base_url}/oauth/authorize?")
    assert parse_qs(urlsplit(url).query)["client_id"] == [one.apps[0]["client_id"]]
