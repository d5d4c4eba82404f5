"""/api/v1/channels/: connecting, testing, renaming, disabling and disconnecting
channel accounts; write-only credentials; permissions and tenancy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

import networks as connectors
from campaigns.models import PostStatus
from connections import oauth
from connections.models import AccountStatus, ChannelAccount, MastodonApp, Network
from core.outbound_urls import HTTPS_ONLY
from networks import Capabilities, ConnectorError
from networks.base import AccountCheck
from networks.mastodon.oauth import OAUTH as MASTODON_OAUTH
from publishing import delivery
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.factories import ChannelAccountFactory, PostFactory
from workspaces.models import ApiKeyScope

pytestmark = pytest.mark.django_db

URL = "/api/v1/channels/"
SECRET = "s3cret-signing-key-never-shown"
PASSWORD = "app-pass-word-never-shown"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _no_secret(response) -> None:
    body = response.content.decode()
    assert SECRET not in body and PASSWORD not in body


class CheckingConnector:
    """A connector whose `check()` answers what the test sets in `answer`."""

    key = "linkedin"
    capabilities = Capabilities(text_limit=3000, max_images=9)
    answer: object = None
    checked: list[int] = []

    def validate(self, request):
        return []

    def publish(self, request):
        raise AssertionError("not called")

    def check(self, account, *, store=None):
        type(self).checked.append(account.pk)
        assert account.credentials  # decrypted for the connector
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class NoCheckConnector(CheckingConnector):
    check = None  # type: ignore[assignment]


@pytest.fixture
def checking(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[CheckingConnector]]:
    here = "tests.channels.test_api_channels"
    monkeypatch.setitem(connectors.REGISTRY, "linkedin", f"{here}.CheckingConnector")
    monkeypatch.setitem(connectors.REGISTRY, "facebook", f"{here}.NoCheckConnector")
    monkeypatch.delitem(connectors.REGISTRY, "instagram", raising=False)
    connectors.get_connector.cache_clear()
    CheckingConnector.answer, CheckingConnector.checked = None, []
    yield CheckingConnector
    connectors.get_connector.cache_clear()


def _webhook(tenant, **extra):
    return {
        "workspace": tenant.workspace.pk,
        "network": "webhook",
        "name": "Zapier",
        "url": "https://hooks.example.com/adloop",
        "secret": SECRET,
        **extra,
    }


# --- connecting ------------------------------------------------------------------


def test_connect_a_webhook_stores_the_secret_encrypted_and_never_shows_it(
    tenant, user_client
):
    response = user_client(tenant.admin).post(URL, _webhook(tenant))
    assert response.status_code == 201, response.content
    _no_secret(response)
    body = response.json()
    assert body["network"] == "webhook"
    assert body["name"] == "Zapier"
    assert body["handle"] == "hooks.example.com"
    assert body["status"] == "connected"
    assert body["connected"] is True
    assert "credentials" not in body and "secret" not in body
    assert body["capabilities"]["max_images"] >= 0
    account = ChannelAccount.objects.get(pk=body["id"])
    assert account.credentials == {"secret": SECRET}
    assert account.external_id == "https://hooks.example.com/adloop"
    # Encrypted at rest: the column holds no plain secret.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT credentials::text FROM channels_channelaccount WHERE id = %s",
            [account.pk],
        )
        assert SECRET not in cursor.fetchone()[0]
    for page in (URL, f"{URL}{account.pk}/"):
        _no_secret(user_client(tenant.admin).get(page))


def test_connect_bluesky_email_and_wordpress_store_their_settings(tenant, key_client):
    client = key_client(tenant.workspace)
    base = {"workspace": tenant.workspace.pk}
    bluesky = client.post(
        URL,
        {
            **base,
            "network": "bluesky",
            "handle": "@roastery.test",
            "app_password": PASSWORD,
        },
    )
    assert bluesky.status_code == 201, bluesky.content
    assert bluesky.json()["handle"] == "@roastery.test"
    email = client.post(
        URL,
        {
            **base,
            "network": "email",
            "name": "Beans Weekly",
            "host": "smtp.example",
            "port": 587,
            "username": "news",
            "password": PASSWORD,
            "from_email": "news@beans.example",
            "from_name": "Beans",
        },
    )
    assert email.status_code == 201, email.content
    wordpress = client.post(
        URL,
        {
            **base,
            "network": "wordpress",
            "site_url": "https://blog.example/",
            "username": "editor",
            "app_password": PASSWORD,
        },
    )
    assert wordpress.status_code == 201, wordpress.content
    for response in (bluesky, email, wordpress):
        _no_secret(response)
    stored = {
        a.network: a.credentials
        for a in ChannelAccount.objects.filter(workspace=tenant.workspace)
    }
    assert stored["bluesky"] == {
        "handle": "roastery.test",
        "app_password": PASSWORD,
        "service": "https://bsky.social",
    }
    assert stored["email"]["security"] == "starttls"
    assert stored["email"]["password"] == PASSWORD
    assert stored["wordpress"]["site_url"] == "https://blog.example"


def test_bad_input_names_each_field_and_never_echoes_the_secret(tenant, user_client):
    client = user_client(tenant.admin)
    error = _error(
        client.post(URL, {"workspace": tenant.workspace.pk, "network": "webhook"}),
        400,
    )
    assert set(error["fields"]) == {"url", "secret"}
    short = client.post(URL, _webhook(tenant, secret="short"))
    assert "short" not in short.content.decode()
    assert "secret" in _error(short, 400)["fields"]
    mixed = _error(client.post(URL, _webhook(tenant, app_password=PASSWORD)), 400)
    assert mixed["fields"]["app_password"] == ["Not used when connecting Webhook."]
    insecure = client.post(URL, _webhook(tenant, url="http://hooks.example.com/x"))
    assert _error(insecure, 400)["fields"]["url"] == [HTTPS_ONLY]
    typo = _error(client.post(URL, _webhook(tenant, secrett=SECRET)), 400)
    assert typo["fields"] == {"secrett": ["Unknown field."]}
    client.post(URL, _webhook(tenant))
    duplicate = client.post(URL, _webhook(tenant))
    _no_secret(duplicate)
    assert "name" in _error(duplicate, 400)["fields"]
    assert ChannelAccount.objects.filter(workspace=tenant.workspace).count() == 1


def test_oauth_networks_answer_the_authorization_url(tenant, user_client, settings):
    settings.X_CLIENT_ID = "x-client"
    client = user_client(tenant.admin)
    response = client.post(URL, {"workspace": tenant.workspace.pk, "network": "x"})
    assert response.status_code == 200, response.content
    url = response.json()["authorize_url"]
    assert url.startswith("https://x.com/i/oauth2/authorize?")
    assert "code_challenge=" in url and "state=" in url
    MastodonApp.objects.create(
        instance_url="https://social.example",
        redirect_uri=oauth.redirect_uri(),
        scopes=" ".join(MASTODON_OAUTH.scopes),
        client={"client_id": "m-client", "client_secret": "m-secret"},
    )
    mastodon = client.post(
        URL,
        {
            "workspace": tenant.workspace.pk,
            "network": "mastodon",
            "instance_url": "social.example",
        },
    )
    assert mastodon.status_code == 200, mastodon.content
    assert mastodon.json()["authorize_url"].startswith(
        "https://social.example/oauth/authorize?"
    )
    assert "m-secret" not in mastodon.content.decode()
    no_instance = client.post(
        URL, {"workspace": tenant.workspace.pk, "network": "mastodon"}
    )
    assert "instance_url" in _error(no_instance, 400)["fields"]
    settings.LINKEDIN_CLIENT_ID = ""
    unset = client.post(URL, {"workspace": tenant.workspace.pk, "network": "linkedin"})
    assert _error(unset, 409)["code"] == "oauth_unavailable"


def test_an_api_key_cannot_start_an_oauth_connect(tenant, key_client, settings):
    settings.X_CLIENT_ID = "x-client"
    response = key_client(tenant.workspace).post(
        URL, {"workspace": tenant.workspace.pk, "network": "x"}
    )
    assert "person" in _error(response, 403)["message"]


# --- permissions and tenancy -----------------------------------------------------


@pytest.mark.parametrize("role", ["editor", "reviewer", "client"])
def test_only_channel_managers_connect_and_change(tenant, user_client, role):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    client = user_client(tenant.person(role))
    assert client.get(f"{URL}{account.pk}/").status_code == 200
    _error(client.post(URL, _webhook(tenant)), 403)
    _error(client.patch(f"{URL}{account.pk}/", {"name": "New"}), 403)
    _error(client.delete(f"{URL}{account.pk}/"), 403)
    _error(client.post(f"{URL}{account.pk}/test/"), 403)
    assert not ChannelAccount.objects.filter(network="webhook").exists()


def test_a_read_key_reads_but_cannot_connect(tenant, key_client):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    client = key_client(tenant.workspace, ApiKeyScope.READ)
    assert [a["id"] for a in client.get(URL).json()["results"]] == [account.pk]
    _error(client.post(URL, _webhook(tenant)), 403)
    _error(client.patch(f"{URL}{account.pk}/", {"enabled": False}), 403)


def test_another_workspace_is_not_found(tenant, other_tenant, user_client):
    theirs = ChannelAccountFactory(workspace=other_tenant.workspace)
    client = user_client(tenant.owner)
    assert client.get(URL).json()["count"] == 0
    for response in (
        client.get(f"{URL}{theirs.pk}/"),
        client.patch(f"{URL}{theirs.pk}/", {"name": "Mine now"}),
        client.delete(f"{URL}{theirs.pk}/"),
        client.post(f"{URL}{theirs.pk}/test/"),
        client.post(f"{URL}{theirs.pk}/reconnect/", {}),
    ):
        _error(response, 404)
    foreign = client.post(URL, _webhook(other_tenant))
    assert "workspace" in _error(foreign, 400)["fields"]
    theirs.refresh_from_db()
    assert theirs.name != "Mine now" and theirs.status == AccountStatus.CONNECTED


# --- changing, disconnecting, reconnecting ------------------------------------------


def test_rename_disable_and_enable(tenant, user_client):
    account = ChannelAccountFactory(workspace=tenant.workspace, network="webhook")
    ChannelAccountFactory(workspace=tenant.workspace, network="webhook", name="Taken")
    client = user_client(tenant.admin)
    url = f"{URL}{account.pk}/"
    assert client.patch(url, {"name": "Slack relay"}).json()["name"] == "Slack relay"
    assert client.patch(url, {"enabled": False}).json()["status"] == "disabled"
    assert client.patch(url, {"enabled": True}).json()["status"] == "connected"
    assert "name" in _error(client.patch(url, {"name": "Taken"}), 400)["fields"]
    assert "enabled" in _error(client.patch(url, {"enabled": "maybe"}), 400)["fields"]


def test_disconnect_cancels_scheduled_publications_with_a_reason(tenant, user_client):
    account = ChannelAccountFactory(
        workspace=tenant.workspace, network="webhook", credentials={"secret": SECRET}
    )
    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[account])
    post.scheduled_at = timezone.now() + timedelta(hours=2)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    response = user_client(tenant.admin).delete(f"{URL}{account.pk}/")
    assert response.status_code == 204, response.content
    publication.refresh_from_db()
    assert publication.status == PS.CANCELED
    assert publication.error == "The channel account was disconnected."
    account.refresh_from_db()
    assert account.credentials is None
    assert account.status == AccountStatus.DISABLED
    body = user_client(tenant.admin).get(f"{URL}{account.pk}/").json()
    assert body["connected"] is False and body["status"] == "disabled"
    refused = user_client(tenant.admin).patch(f"{URL}{account.pk}/", {"enabled": True})
    # A webhook made without the connect flow has no connected_at: it may be
    # enabled; one that was connected and then disconnected must reconnect.
    assert refused.status_code == 200
    ChannelAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.DISABLED, connected_at=timezone.now()
    )
    again = user_client(tenant.admin).patch(f"{URL}{account.pk}/", {"enabled": True})
    assert _error(again, 409)["code"] == "needs_reconnect"


def test_reconnect_replaces_the_credentials(tenant, user_client):
    client = user_client(tenant.admin)
    created = client.post(URL, _webhook(tenant)).json()
    account = ChannelAccount.objects.get(pk=created["id"])
    ChannelAccount.objects.filter(pk=account.pk).update(
        status=AccountStatus.NEEDS_RECONNECT, last_error="Revoked."
    )
    new_secret = SECRET + "-rotated"
    response = client.post(
        f"{URL}{account.pk}/reconnect/",
        {"url": "https://hooks.example.com/v2", "secret": new_secret},
    )
    assert response.status_code == 200, response.content
    assert new_secret not in response.content.decode()
    assert response.json()["status"] == "connected"
    assert response.json()["last_error"] == ""
    account.refresh_from_db()
    assert account.credentials == {"secret": new_secret}
    assert account.external_id == "https://hooks.example.com/v2"
    wrong = client.post(f"{URL}{account.pk}/reconnect/", {"network": "bluesky"})
    assert _error(wrong, 400)["fields"] == {"network": ["Unknown field."]}


# --- testing the connection ---------------------------------------------------------


def test_test_connection_records_success_and_the_profile(tenant, user_client, checking):
    account = ChannelAccountFactory(
        workspace=tenant.workspace,
        network=Network.LINKEDIN,
        credentials={"access_token": SECRET},
        status=AccountStatus.NEEDS_RECONNECT,
        last_error="Old problem.",
    )
    checking.answer = AccountCheck(
        external_id="urn:li:person:1",
        handle="roastery",
        avatar_url="https://media.example/a.png",
    )
    response = user_client(tenant.admin).post(f"{URL}{account.pk}/test/")
    assert response.status_code == 200, response.content
    _no_secret(response)
    body = response.json()
    assert body["ok"] is True
    assert body["account"]["status"] == "connected"
    assert body["account"]["last_error"] == ""
    assert body["account"]["handle"] == "roastery"
    assert body["account"]["last_checked_at"] is not None
    assert body["account"]["capabilities"]["text_limit"] == 3000
    assert checking.checked == [account.pk]


def test_refused_credentials_mark_the_account_needs_reconnect(
    tenant, user_client, checking
):
    account = ChannelAccountFactory(
        workspace=tenant.workspace,
        network=Network.LINKEDIN,
        credentials={"access_token": SECRET},
    )
    # A permanent problem that is not about the credentials leaves it connected.
    checking.answer = ConnectorError("LinkedIn answered too much.", kind="permanent")
    body = user_client(tenant.admin).post(f"{URL}{account.pk}/test/").json()
    assert (body["ok"], body["account"]["status"]) == (False, "connected")
    checking.answer = ConnectorError(
        "LinkedIn refused the access token: reconnect the account.",
        kind="permanent",
        reconnect=True,  # as the connectors say it (apicall.auth_refused)
    )
    body = user_client(tenant.admin).post(f"{URL}{account.pk}/test/").json()
    assert body["ok"] is False
    assert body["message"].startswith("LinkedIn refused")
    assert body["account"]["status"] == "needs_reconnect"
    assert body["account"]["last_error"].startswith("LinkedIn refused")
    checking.answer = ConnectorError("LinkedIn answered 503.", kind="transient")
    ChannelAccount.objects.filter(pk=account.pk).update(status="connected")
    body = user_client(tenant.admin).post(f"{URL}{account.pk}/test/").json()
    assert body["ok"] is False and body["account"]["status"] == "connected"


def test_test_connection_without_a_connector_or_check_is_a_clear_409(
    tenant, user_client, checking
):
    client = user_client(tenant.admin)
    missing = ChannelAccountFactory(
        workspace=tenant.workspace, network="instagram", credentials={"t": "x"}
    )
    error = _error(client.post(f"{URL}{missing.pk}/test/"), 409)
    assert error["code"] == "connector_unavailable"
    assert "Instagram" in error["message"]
    no_check = ChannelAccountFactory(
        workspace=tenant.workspace, network="facebook", credentials={"t": "x"}
    )
    assert _error(client.post(f"{URL}{no_check.pk}/test/"), 409)["code"] == (
        "check_unavailable"
    )
    planning = ChannelAccountFactory(workspace=tenant.workspace, network="linkedin")
    assert _error(client.post(f"{URL}{planning.pk}/test/"), 409)["code"] == (
        "not_connected"
    )
    assert checking.checked == []


def test_capabilities_are_null_without_a_connector(tenant, user_client, checking):
    account = ChannelAccountFactory(workspace=tenant.workspace, network="instagram")
    body = user_client(tenant.admin).get(f"{URL}{account.pk}/").json()
    assert body["capabilities"] is None


def test_the_schema_marks_credentials_write_only_and_holds_no_secret(
    client, tenant, user_client
):
    user_client(tenant.admin).post(URL, _webhook(tenant))
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    assert SECRET not in json.dumps(schema)
    components = schema["components"]["schemas"]
    create = components["ChannelCreateRequest"]["properties"]
    for name in ("secret", "app_password", "password"):
        assert create[name]["writeOnly"] is True
    shown = components["Channel"]["properties"]
    assert not {"secret", "app_password", "password", "credentials"} & set(shown)
    assert "/api/v1/channels/{id}/test/" in schema["paths"]
    assert "/api/v1/channel-accounts/" in schema["paths"]  # the older list stays
    assert Publication.objects.count() == 0


def test_channel_accounts_is_a_deprecated_read_only_alias_of_channels(
    tenant, other_tenant, user_client
):
    mine = ChannelAccountFactory(workspace=tenant.workspace, network="webhook")
    ChannelAccountFactory(workspace=other_tenant.workspace)
    client = user_client(tenant.owner)
    alias = client.get("/api/v1/channel-accounts/", {"network": "webhook"})
    full = client.get(URL, {"network": "webhook"}).json()
    assert [a["id"] for a in alias.json()["results"]] == [
        a["id"] for a in full["results"]
    ]
    assert alias.json()["results"] == [
        {
            key: a[key]
            for key in ("id", "workspace", "network", "name", "handle", "status")
        }
        for a in full["results"]
    ]
    assert alias["Deprecation"] == "@1796601600"  # RFC 9745: @ and a Unix time
    assert alias["Link"] == '</api/v1/channels/>; rel="successor-version"'
    detail = client.get(f"/api/v1/channel-accounts/{mine.pk}/")
    assert detail.json()["id"] == mine.pk
    assert detail["Link"] == f'</api/v1/channels/{mine.pk}/>; rel="successor-version"'
    missing = client.get("/api/v1/channel-accounts/999999/")
    assert missing.status_code == 404 and missing["Deprecation"] == "@1796601600"
    assert missing["Link"] == '</api/v1/channels/>; rel="successor-version"'
    for method in ("post", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/channel-accounts/{mine.pk}/")
        assert response.status_code == 405
    assert client.post("/api/v1/channel-accounts/", {}).status_code == 405
