"""The Channels page (connect, test, disconnect with confirmation), a post's
publications with their actions, and the calendar's status poll."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from campaigns.models import PostStatus
from connections.models import AccountStatus, ChannelAccount, Network
from publishing import delivery
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.factories import ChannelAccountFactory, PostFactory

pytestmark = pytest.mark.django_db

SECRET = "view-secret-never-rendered-1"


def _scheduled(workspace, network=Network.WEBHOOK):
    account = ChannelAccountFactory(
        workspace=workspace, network=network, credentials={"secret": SECRET}
    )
    post = PostFactory(campaign__workspace=workspace, accounts=[account])
    post.scheduled_at = timezone.now() + timedelta(hours=3)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(post)
    return post, publication


def test_admin_connects_a_webhook_and_the_secret_is_never_rendered(tenant, web):
    client = web(tenant.admin, tenant.workspace)
    page = client.get(reverse("channels")).content.decode()
    assert 'id="connect-webhook"' in page and "Connect Bluesky" in page
    bad = client.post(
        reverse("channel-connect", args=["webhook"]),
        {"webhook-url": "https://hooks.example.com/x", "webhook-secret": "short-1"},
    )
    assert bad.status_code == 400
    assert "short-1" not in bad.content.decode()
    assert "Ensure this value has at least 16 characters" in bad.content.decode()
    response = client.post(
        reverse("channel-connect", args=["webhook"]),
        {
            "webhook-name": "Zapier",
            "webhook-url": "https://hooks.example.com/adloop",
            "webhook-secret": SECRET,
        },
        follow=True,
    )
    body = response.content.decode()
    assert "Zapier is connected" in body
    assert SECRET not in body
    account = ChannelAccount.objects.get(workspace=tenant.workspace, name="Zapier")
    assert account.credentials == {"secret": SECRET}
    assert "Connected" in body and "Test connection" in body


def test_editors_cannot_connect(tenant, web):
    client = web(tenant.editor, tenant.workspace)
    page = client.get(reverse("channels")).content.decode()
    assert "connect-webhook" not in page
    response = client.post(
        reverse("channel-connect", args=["webhook"]),
        {"webhook-url": "https://hooks.example.com/x", "webhook-secret": SECRET},
    )
    assert response.status_code == 403
    assert not ChannelAccount.objects.exists()


def test_test_connection_without_a_check_says_so(tenant, web, monkeypatch):
    import networks as connectors

    monkeypatch.delitem(connectors.REGISTRY, "instagram", raising=False)
    connectors.get_connector.cache_clear()
    account = ChannelAccountFactory(
        workspace=tenant.workspace, network="instagram", credentials={"t": "x"}
    )
    response = web(tenant.owner, tenant.workspace).post(
        reverse("channel-test", args=[account.pk]), follow=True
    )
    assert "Publishing to Instagram is not available yet" in response.content.decode()
    connectors.get_connector.cache_clear()


def test_disconnect_asks_first_then_cancels_and_wipes(tenant, web):
    _, publication = _scheduled(tenant.workspace)
    account = publication.account
    client = web(tenant.admin, tenant.workspace)
    confirm = client.get(reverse("channel-disconnect", args=[account.pk]))
    assert confirm.status_code == 200
    assert "1 scheduled publication" in confirm.content.decode()
    publication.refresh_from_db()
    assert publication.status == PS.SCHEDULED  # nothing happens on GET
    done = client.post(reverse("channel-disconnect", args=[account.pk]), follow=True)
    assert "is disconnected" in done.content.decode()
    publication.refresh_from_db()
    account.refresh_from_db()
    assert publication.status == PS.CANCELED
    assert account.credentials is None and account.status == AccountStatus.DISABLED


def test_another_workspaces_account_is_not_found(tenant, other_tenant, web):
    theirs = ChannelAccountFactory(
        workspace=other_tenant.workspace, credentials={"secret": SECRET}
    )
    client = web(tenant.owner, tenant.workspace)
    for name in ("channel-test", "channel-disconnect", "channel-disable"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.credentials == {"secret": SECRET}


def test_post_page_shows_publications_and_their_actions(tenant, web):
    post, publication = _scheduled(tenant.workspace)
    editor = web(tenant.editor, tenant.workspace)
    page = editor.get(reverse("post-editor", args=[post.pk])).content.decode()
    assert f'id="publication-{publication.pk}"' in page
    assert "Publish now" in page and "Cancel" in page
    reviewer = web(tenant.reviewer, tenant.workspace)
    page = reviewer.get(reverse("post-editor", args=[post.pk])).content.decode()
    assert f'id="publication-{publication.pk}"' in page
    assert "Publish now" not in page
    assert (
        reviewer.post(
            reverse("publication-action", args=[publication.pk, "cancel"])
        ).status_code
        == 403
    )
    editor.post(reverse("publication-action", args=[publication.pk, "cancel"]))
    publication.refresh_from_db()
    assert publication.status == PS.CANCELED


def test_resolve_from_the_post_page(tenant, web):
    post, publication = _scheduled(tenant.workspace)
    Publication.objects.filter(pk=publication.pk).update(status=PS.UNCONFIRMED)
    client = web(tenant.editor, tenant.workspace)
    page = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    assert "It is published" in page
    client.post(
        reverse("publication-action", args=[publication.pk, "resolve"]),
        {"outcome": "published", "url": "https://hooks.example.com/p/9"},
    )
    publication.refresh_from_db()
    assert publication.status == PS.PUBLISHED
    assert publication.url == "https://hooks.example.com/p/9"


def test_calendar_poll_is_one_query_and_stays_in_the_workspace(
    tenant, other_tenant, web
):
    mine, publication = _scheduled(tenant.workspace)
    theirs, _ = _scheduled(other_tenant.workspace)
    client = web(tenant.editor, tenant.workspace)
    url = reverse("calendar-publications")
    client.get(url, {"posts": str(mine.pk)})  # warm the session and middleware
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, {"posts": f"{mine.pk},{theirs.pk},x"})
    data = response.json()["posts"]
    assert list(data) == [str(mine.pk)]
    assert data[str(mine.pk)][0]["status"] == "scheduled"
    assert data[str(mine.pk)][0]["account"] == publication.account.name
    publication_queries = [
        q for q in queries.captured_queries if "channels_publication" in q["sql"]
    ]
    assert len(publication_queries) == 1
    calendar = client.get(reverse("calendar")).content.decode()
    assert "js/publications" in calendar and "data-pub-status" in calendar
