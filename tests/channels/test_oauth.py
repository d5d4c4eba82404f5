"""OAuth connect flows and token refresh (channels/oauth.py) against a local
authorization server that speaks the networks' documented endpoints
(tests/fakes/oauth.py): the browser's trip to the network is a real HTTP GET of
the authorize URL, whose 302 carries the code back to AdLoop's callback view."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Role, User, Workspace
from channels import oauth
from channels.models import (
    AccountStatus,
    ChannelAccount,
    MastodonApp,
    Network,
    OAuthState,
)
from tests.factories import member
from tests.fakes.oauth import FakeOAuth, s256

CLIENTS = {"x-client": "x-secret", "li-client": "li-secret", "fb-app": "fb-secret"}
CALLBACK = "/channels/oauth/callback/"


@pytest.fixture
def idp(settings) -> Iterator[FakeOAuth]:  # type: ignore[no-untyped-def]
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
def instances(settings) -> Iterator[tuple[FakeOAuth, FakeOAuth]]:  # type: ignore[no-untyped-def]
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


# --- refresh ---------------------------------------------------------------------


def due(account: ChannelAccount) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(
        token_expires_at=timezone.now() + timedelta(minutes=5)
    )


@pytest.fixture
def x_account(idp: FakeOAuth, tenant: Any) -> ChannelAccount:
    return connect(browser(tenant.owner, tenant.workspace), Network.X)


def test_refresh_due_tokens_rotates_the_tokens_before_expiry(
    idp: FakeOAuth, x_account: ChannelAccount, tenant: Any
) -> None:
    assert oauth.refresh_due_tokens() == {}  # two hours left: not due
    old = dict(x_account.credentials)
    due(x_account)
    assert oauth.refresh_due_tokens() == {"refreshed": 1}
    x_account.refresh_from_db()
    new = x_account.credentials
    assert new["access_token"] != old["access_token"]
    assert new["refresh_token"] != old["refresh_token"]
    assert (
        old["refresh_token"] in idp.used_refresh and new["refresh_token"] in idp.refresh
    )
    assert x_account.token_expires_at > timezone.now() + timedelta(hours=1)
    assert x_account.refresh_lease_until is None
    [call] = idp.token_calls("refresh_token")
    assert call.form()["refresh_token"] == old["refresh_token"]
    assert oauth.refresh_due_tokens() == {}


def test_facebook_refresh_exchanges_the_long_lived_token(
    idp: FakeOAuth, tenant: Any
) -> None:
    account = connect(browser(tenant.owner, tenant.workspace), Network.FACEBOOK)
    old = account.credentials["access_token"]
    due(account)
    assert oauth.refresh_due_tokens() == {"refreshed": 1}
    account.refresh_from_db()
    assert account.credentials["access_token"] != old
    [call] = idp.token_calls("fb_exchange_token")
    assert call.form()["fb_exchange_token"] == old
    idp.revoke_all()
    due(account)
    assert oauth.refresh_due_tokens() == {"revoked": 1}  # Graph error 190
    account.refresh_from_db()
    assert account.status == AccountStatus.NEEDS_RECONNECT


def test_invalid_grant_marks_needs_reconnect_and_emails_owners_and_admins(
    idp: FakeOAuth,
    x_account: ChannelAccount,
    tenant: Any,
    other_tenant: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: Any,
) -> None:
    from channels import tasks

    sent: list[int] = []

    def delay(account_id: int) -> None:  # the worker's part, run here
        sent.append(account_id)
        tasks.notify_account_needs_reconnect.apply(args=[account_id]).get()

    monkeypatch.setattr(tasks.notify_account_needs_reconnect, "delay", delay)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="adloop")
    silent = member(tenant.workspace, Role.ADMIN, email="")
    assert silent.email == ""
    idp.revoke_all()
    due(x_account)
    with django_capture_on_commit_callbacks(execute=True):
        assert oauth.refresh_due_tokens() == {"revoked": 1}
    x_account.refresh_from_db()
    assert x_account.status == AccountStatus.NEEDS_RECONNECT
    assert "invalid_grant" in x_account.last_error
    assert "reconnect" in x_account.last_error
    assert x_account.refresh_lease_until is None
    assert sent == [x_account.pk]
    [message] = mail.outbox
    assert sorted(message.to) == sorted([tenant.owner.email, tenant.admin.email])
    assert x_account.name in message.subject
    assert "/channels/" in message.body
    for secret in x_account.credentials.values():
        assert secret not in message.body and secret not in caplog.text
    # Not connected any more: the job leaves it alone, and no second email.
    assert oauth.refresh_due_tokens() == {}
    assert len(mail.outbox) == 1
    assert oauth.account_reconnect_notice_send(account_id=x_account.pk) == 2


@pytest.mark.parametrize("failure", ["503", "429", "timeout", "down"])
def test_a_transient_refresh_failure_keeps_the_account_and_retries_later(
    idp: FakeOAuth,
    x_account: ChannelAccount,
    settings: Any,
    failure: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    old = dict(x_account.credentials)
    due(x_account)
    if failure == "503":
        idp.fail("POST", "/2/oauth2/token", 503, {"title": "Service Unavailable"})
    elif failure == "429":
        idp.fail("POST", "/2/oauth2/token", 429, {}, {"x-rate-limit-reset": "1"})
    elif failure == "timeout":
        settings.OUTBOUND_READ_TIMEOUT_SECONDS = 0.5
        idp.hang_seconds = 2.0
        idp.lose_answer("POST", "/2/oauth2/token")
    else:
        settings.X_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens there
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert oauth.refresh_due_tokens() == {"transient": 1}
    assert callbacks == [] and mail.outbox == []
    x_account.refresh_from_db()
    assert x_account.status == AccountStatus.CONNECTED
    assert x_account.refresh_lease_until is None
    assert x_account.last_error.startswith("Could not get a token from")
    assert old["refresh_token"] not in x_account.last_error
    if failure == "timeout":
        # The lost answer may have rotated the token at the network: the next
        # run then meets invalid_grant, which is definite. Nothing to retry.
        return
    assert x_account.credentials == old

    # The next run (the network is back) refreshes with the same refresh token.
    settings.X_API_BASE_URL = idp.base_url
    assert oauth.refresh_due_tokens() == {"refreshed": 1}
    x_account.refresh_from_db()
    assert x_account.credentials["refresh_token"] != old["refresh_token"]
    assert x_account.last_error == "" and x_account.status == AccountStatus.CONNECTED


def test_two_refreshes_at_once_use_the_refresh_token_once(
    transactional_db: None, idp: FakeOAuth, tenant: Any
) -> None:
    """The second refresh starts while the first one's token request is at the
    network (inside the fake's handler), from another thread and connection."""
    account = connect(browser(tenant.owner, tenant.workspace), Network.X)
    old = account.credentials["refresh_token"]
    due(account)
    racing: list[str] = []
    handle = idp.handle

    def handle_while_racing(request: Any) -> Any:
        if request.path == "/2/oauth2/token" and not racing:
            worker = threading.Thread(target=race)
            worker.start()
            worker.join()
        return handle(request)

    def race() -> None:
        from django.db import connections

        try:
            racing.append(oauth.refresh_account(account.pk, force=True))
            racing.append(str(oauth.refresh_due_tokens()))
        finally:
            connections.close_all()

    idp.handle = handle_while_racing  # type: ignore[method-assign]
    assert oauth.refresh_account(account.pk) == "refreshed"
    assert racing == ["skipped", "Counter({'skipped': 1})"]
    assert [c.form()["refresh_token"] for c in idp.token_calls("refresh_token")] == [
        old
    ]
    account.refresh_from_db()
    assert account.status == AccountStatus.CONNECTED
    assert account.credentials["refresh_token"] in idp.refresh
    # Once done, a later refresh runs (not due: skipped; forced: refreshed).
    assert oauth.refresh_account(account.pk) == "skipped"
    assert oauth.refresh_account(account.pk, force=True) == "refreshed"


@pytest.mark.parametrize("meanwhile", ["disconnect", "reconnect"])
def test_tokens_of_a_refresh_overtaken_by_a_disconnect_or_reconnect_are_dropped(
    idp: FakeOAuth,
    x_account: ChannelAccount,
    tenant: Any,
    monkeypatch: pytest.MonkeyPatch,
    meanwhile: str,
) -> None:
    """While the refresh request is at the network, a person disconnects the
    account (its credentials wiped) or reconnects it (a new grant)."""
    from channels import accounts

    client = browser(tenant.owner, tenant.workspace)
    due(x_account)
    token_request = oauth._token_request
    after: dict[str, Any] = {}

    def overtaken(provider: Any, form: dict[str, str]) -> dict[str, Any]:
        if form["grant_type"] != "refresh_token":  # the reconnect's own exchange
            return token_request(provider, form)
        if meanwhile == "disconnect":
            accounts.account_disconnect(x_account, by=tenant.owner)
        else:
            after.update(connect(client, Network.X).credentials)
        return token_request(provider, form)

    monkeypatch.setattr(oauth, "_token_request", overtaken)
    assert oauth.refresh_account(x_account.pk) == "skipped"
    x_account.refresh_from_db()
    if meanwhile == "disconnect":
        assert x_account.credentials is None
        assert x_account.status == AccountStatus.DISABLED
    else:
        assert x_account.credentials == after
        assert x_account.status == AccountStatus.CONNECTED
    assert x_account.refresh_lease_until is None


def test_a_stale_lease_of_a_dead_process_is_taken_over(
    idp: FakeOAuth, x_account: ChannelAccount
) -> None:
    due(x_account)
    ChannelAccount.objects.filter(pk=x_account.pk).update(
        refresh_lease_until=timezone.now() + timedelta(minutes=1)
    )
    assert oauth.refresh_due_tokens() == {"skipped": 1}
    ChannelAccount.objects.filter(pk=x_account.pk).update(
        refresh_lease_until=timezone.now() - timedelta(seconds=1)
    )
    assert oauth.refresh_due_tokens() == {"refreshed": 1}


# --- the scheduler ------------------------------------------------------------------


def test_the_scheduler_runs_refresh_due_tokens_periodically(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    from apscheduler.schedulers.blocking import BlockingScheduler

    from channels.management.commands import run_scheduler

    seen: dict[str, Any] = {}

    class Recorder(BlockingScheduler):
        def start(self, *args: Any, **kwargs: Any) -> None:  # do not block
            seen.update({job.id: job for job in self.get_jobs()})

    monkeypatch.setattr(run_scheduler, "BlockingScheduler", Recorder)
    monkeypatch.setattr(run_scheduler.signal, "signal", lambda *a: None)
    settings.TOKEN_REFRESH_INTERVAL_SECONDS = 120
    run_scheduler.Command().handle(name="t")
    job = seen["token-refresh"]
    assert job.args == ("token-refresh", oauth.refresh_due_tokens)
    assert job.func is run_scheduler._guarded
    assert job.trigger.interval == timedelta(seconds=120)
