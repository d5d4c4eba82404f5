"""A model URL left blank reads as null, as the schema's `format: uri` needs.

`""` is not a URI: schemathesis flagged `Channel.avatar_url`, `Post.link` and
`Publication.url` answering it.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import PostStatus
from connections.models import Network
from publishing import delivery
from publishing.models import Publication
from tests.factories import ChannelAccountFactory, ConnectedAccountFactory, PostFactory


def test_a_channel_without_an_avatar_reads_null(tenant, user_client):
    bare = ChannelAccountFactory(workspace=tenant.workspace, avatar_url="")
    pictured = ChannelAccountFactory(
        workspace=tenant.workspace, avatar_url="https://media.example/a.png"
    )
    client = user_client(tenant.editor)
    assert client.get(f"/api/v1/channels/{bare.pk}/").json()["avatar_url"] is None
    assert (
        client.get(f"/api/v1/channels/{pictured.pk}/").json()["avatar_url"]
        == "https://media.example/a.png"
    )


def test_a_post_without_a_link_reads_null(tenant, key_client):
    post = PostFactory(campaign__workspace=tenant.workspace, link="")
    client = key_client(tenant.workspace)
    assert client.get(f"/api/v1/posts/{post.pk}/").json()["link"] is None
    listed = client.get("/api/v1/posts/").json()["results"]
    assert [p["link"] for p in listed] == [None]


def test_a_publication_without_a_url_reads_null(tenant, user_client):
    account = ConnectedAccountFactory(
        workspace=tenant.workspace, network=Network.MASTODON
    )
    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[account])
    post.scheduled_at = timezone.now() + timedelta(hours=2)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    (publication,) = delivery.publication_create_for_post(post)
    client = user_client(tenant.editor)
    assert client.get(f"/api/v1/publications/{publication.pk}/").json()["url"] is None
    Publication.objects.filter(pk=publication.pk).update(url="https://m.example/1")
    body = client.get(f"/api/v1/publications/{publication.pk}/").json()
    assert body["url"] == "https://m.example/1"


@pytest.mark.parametrize(
    ("component", "field"),
    [("Channel", "avatar_url"), ("Post", "link"), ("Publication", "url")],
)
def test_the_schema_declares_the_blank_urls_nullable(client, component, field):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    prop = schema["components"]["schemas"][component]["properties"][field]
    assert prop.get("format") == "uri"
    assert prop.get("nullable") is True
