"""The newsletter audience as the workspace sees it: counts, the addresses
(managers only), add through double opt-in, unsubscribe; API and UI alike,
against the real SMTP server of the email connector's tests."""

from __future__ import annotations

import pytest

from connections.models import AccountStatus, Network
from publishing.models import Subscriber, SubscriberStatus
from tests.channels import test_connector_email as mail
from tests.channels.test_connector_email import Smtp, newsletter_account, subscriber
from tests.factories import ChannelAccountFactory
from workspaces.models import ApiKeyScope

pytestmark = pytest.mark.django_db

# The email tests' real SMTP server (STARTTLS, auth), shared as fixtures.
smtp = mail.smtp
server = mail.server


def audience(server: Smtp, workspace):
    account = newsletter_account(server.port)
    account.workspace = workspace
    account.save(update_fields=["workspace"])
    subscriber(account, "one@readers.test")
    subscriber(account, "two@readers.test")
    subscriber(account, "waiting@readers.test", status=SubscriberStatus.PENDING)
    subscriber(account, "gone@readers.test", status=SubscriberStatus.UNSUBSCRIBED)
    return account


def test_api_lists_counts_and_filters(server, tenant, user_client) -> None:
    account = audience(server, tenant.workspace)
    api = user_client(tenant.admin)
    channel = api.get(f"/api/v1/channels/{account.pk}/").json()
    assert channel["audience"] == {
        "pending": 1,
        "confirmed": 2,
        "unsubscribed": 1,
        "bounced": 0,
    }
    listed = api.get(f"/api/v1/channels/{account.pk}/subscribers/").json()
    assert listed["count"] == 4
    assert {r["email"] for r in listed["results"]} >= {"one@readers.test"}
    assert "unsubscribe_token" not in listed["results"][0]
    assert "confirm_token_hash" not in listed["results"][0]
    pending = api.get(
        f"/api/v1/channels/{account.pk}/subscribers/", {"status": "pending"}
    ).json()
    assert [r["email"] for r in pending["results"]] == ["waiting@readers.test"]
    found = api.get(
        f"/api/v1/channels/{account.pk}/subscribers/", {"search": "TWO@"}
    ).json()
    assert [r["email"] for r in found["results"]] == ["two@readers.test"]
    bad = api.get(f"/api/v1/channels/{account.pk}/subscribers/", {"status": "x"})
    assert bad.status_code == 400 and "status" in bad.json()["error"]["fields"]


def test_api_add_sends_a_confirmation_and_never_confirms(
    server, tenant, key_client, django_capture_on_commit_callbacks
) -> None:
    account = audience(server, tenant.workspace)
    api = key_client(tenant.workspace, ApiKeyScope.WRITE)
    url = f"/api/v1/channels/{account.pk}/subscribers/"
    with django_capture_on_commit_callbacks(execute=True):
        added = api.post(url, {"email": "Fresh@Readers.test"}, format="json")
    assert added.status_code == 201, added.content
    assert added.json()["status"] == SubscriberStatus.PENDING
    [mail] = server.mailbox.to("Fresh@Readers.test")
    assert "Confirm your subscription" in mail.message["Subject"]
    # A confirmed address: nothing changes, nothing is sent.
    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(url, {"email": "ONE@readers.test"}, format="json")
    assert again.status_code == 200
    assert again.json()["status"] == SubscriberStatus.CONFIRMED
    assert not server.mailbox.to("ONE@readers.test")
    # Someone who left comes back only through the link again.
    with django_capture_on_commit_callbacks(execute=True):
        back = api.post(url, {"email": "gone@readers.test"}, format="json")
    assert back.status_code == 201
    assert back.json()["status"] == SubscriberStatus.PENDING


def test_api_bad_input(server, tenant, user_client) -> None:
    account = audience(server, tenant.workspace)
    api = user_client(tenant.owner)
    url = f"/api/v1/channels/{account.pk}/subscribers/"
    for body in ({}, {"email": "not an address"}, {"email": "a@b.test", "x": 1}):
        answer = api.post(url, body, format="json")
        assert answer.status_code == 400, body
    assert Subscriber.objects.filter(account=account).count() == 4
    webhook = ChannelAccountFactory(workspace=tenant.workspace, network="webhook")
    answer = api.get(f"/api/v1/channels/{webhook.pk}/subscribers/")
    assert answer.status_code == 400
    assert "not a newsletter" in str(answer.json())
    account.status = AccountStatus.DISABLED
    account.save(update_fields=["status"])
    answer = api.post(url, {"email": "late@readers.test"}, format="json")
    assert answer.status_code == 400 and "Connect this newsletter" in str(answer.json())


def test_api_unsubscribe_keeps_the_row(server, tenant, user_client) -> None:
    account = audience(server, tenant.workspace)
    one = Subscriber.objects.get(email="one@readers.test")
    api = user_client(tenant.admin)
    url = f"/api/v1/channels/{account.pk}/subscribers/{one.pk}/"
    for _ in range(2):  # idempotent
        answer = api.delete(url)
        assert answer.status_code == 200
        assert answer.json()["status"] == SubscriberStatus.UNSUBSCRIBED
    one.refresh_from_db()
    assert one.status == SubscriberStatus.UNSUBSCRIBED and one.unsubscribed_at
    assert (
        api.delete(f"/api/v1/channels/{account.pk}/subscribers/99999/").status_code
        == 404
    )


def test_addresses_are_for_managers_only(
    server, tenant, user_client, key_client
) -> None:
    account = audience(server, tenant.workspace)
    url = f"/api/v1/channels/{account.pk}/subscribers/"
    one = Subscriber.objects.get(email="one@readers.test")
    for who in (tenant.editor, tenant.reviewer, tenant.client):
        api = user_client(who)
        assert api.get(f"/api/v1/channels/{account.pk}/").json()["audience"]
        assert api.get(url).status_code == 403
        assert api.post(url, {"email": "x@y.test"}, format="json").status_code == 403
        assert api.delete(f"{url}{one.pk}/").status_code == 403
    read = key_client(tenant.workspace, ApiKeyScope.READ)
    assert read.get(url).status_code == 403
    one.refresh_from_db()
    assert one.status == SubscriberStatus.CONFIRMED
    assert Subscriber.objects.filter(account=account).count() == 4


def test_another_workspace_sees_nothing(
    server, tenant, other_tenant, user_client
) -> None:
    account = audience(server, tenant.workspace)
    one = Subscriber.objects.get(email="one@readers.test")
    api = user_client(other_tenant.owner)
    url = f"/api/v1/channels/{account.pk}/subscribers/"
    assert api.get(url).status_code == 404
    assert api.post(url, {"email": "x@y.test"}, format="json").status_code == 404
    assert api.delete(f"{url}{one.pk}/").status_code == 404
    page = f"/channels/{account.pk}/audience/"
    from django.test import Client

    browser = Client()
    browser.force_login(other_tenant.owner)
    assert browser.get(page).status_code == 404
    answer = browser.post(f"{page}{one.pk}/remove/")
    assert answer.status_code == 404
    one.refresh_from_db()
    assert one.status == SubscriberStatus.CONFIRMED


def test_audience_page_lists_adds_and_unsubscribes(
    server, tenant, web, django_capture_on_commit_callbacks
) -> None:
    account = audience(server, tenant.workspace)
    browser = web(tenant.admin, tenant.workspace)
    channels = browser.get("/channels/").content.decode()
    assert "2 confirmed subscribers, 1 pending" in channels
    assert f"/channels/{account.pk}/audience/" in channels

    page = browser.get(f"/channels/{account.pk}/audience/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "one@readers.test" in html and "waiting@readers.test" in html
    assert f"/newsletter/{account.pk}/subscribe/" in html
    filtered = browser.get(
        f"/channels/{account.pk}/audience/", {"status": "pending"}
    ).content.decode()
    assert "waiting@readers.test" in filtered and "one@readers.test" not in filtered

    bad = browser.post(f"/channels/{account.pk}/audience/", {"email": "nope"})
    assert bad.status_code == 400 and "valid email" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        added = browser.post(
            f"/channels/{account.pk}/audience/", {"email": "new@readers.test"}
        )
    assert added.status_code == 302
    assert Subscriber.objects.get(email="new@readers.test").status == "pending"
    assert server.mailbox.to("new@readers.test")

    one = Subscriber.objects.get(email="one@readers.test")
    gone = browser.post(f"/channels/{account.pk}/audience/{one.pk}/remove/")
    assert gone.status_code == 302
    one.refresh_from_db()
    assert one.status == SubscriberStatus.UNSUBSCRIBED


def test_audience_page_is_for_managers(server, tenant, web) -> None:
    account = audience(server, tenant.workspace)
    one = Subscriber.objects.get(email="one@readers.test")
    browser = web(tenant.editor, tenant.workspace)
    channels = browser.get("/channels/").content.decode()
    assert "2 confirmed subscribers" in channels  # counts are for everyone
    assert f"/channels/{account.pk}/audience/" not in channels
    assert browser.get(f"/channels/{account.pk}/audience/").status_code == 403
    answer = browser.post(f"/channels/{account.pk}/audience/{one.pk}/remove/")
    assert answer.status_code == 403
    one.refresh_from_db()
    assert one.status == SubscriberStatus.CONFIRMED


def test_a_held_account_shows_what_waits_for_it(tenant, web) -> None:
    from tests.channels.test_publications import scheduled_post

    _, [pub] = scheduled_post(Network.WEBHOOK)
    account = pub.account
    account.workspace = tenant.workspace
    account.status = AccountStatus.DISABLED
    account.save(update_fields=["workspace", "status"])
    html = web(tenant.owner, tenant.workspace).get("/channels/").content.decode()
    assert "1 publication waits for this account to be connected again" in html
