"""A Mastodon account keeps its instance's own limits ("Test connection" reads
them from /api/v2/instance), and copy is then checked against them before
anything is sent: a variant within the default 500 but over the instance's
limit cannot be chosen."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from connections.accounts import account_check
from content import services
from content.models import Variant
from tests.factories import ChannelAccountFactory, PostFactory

pytestmark = pytest.mark.django_db


def _account(tenant, server):
    return ChannelAccountFactory(
        workspace=tenant.workspace,
        network="mastodon",
        name="Roastery",
        credentials={"instance_url": server.url, "access_token": server.token},
    )


def test_test_connection_stores_the_instance_limits(tenant, mastodon_server):
    mastodon_server.max_characters = 300
    mastodon_server.max_media_attachments = 6
    account = _account(tenant, mastodon_server)
    outcome = account_check(account, by=tenant.owner)
    assert outcome.ok, outcome.message
    account.refresh_from_db()
    assert account.limits == {
        "max_length": 300,
        "max_images": 6,
        "max_image_bytes": 16777216,
    }

    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[account])
    variant = Variant.objects.create(
        workspace=tenant.workspace,
        post=post,
        network="mastodon",
        label="A",
        text="a" * 450,  # fits Mastodon's default 500, not this instance's 300
    )
    with pytest.raises(ValidationError) as caught:
        services.variant_choose(variant=variant, by=tenant.editor)
    assert caught.value.messages == [
        "Too long for Mastodon (Roastery): 450 of 300 graphemes (150 over)."
    ]


def test_a_failed_check_keeps_the_limits_it_had(tenant, mastodon_server):
    account = _account(tenant, mastodon_server)
    account.limits = {"max_length": 1000}
    account.credentials = {"instance_url": mastodon_server.url, "access_token": "no"}
    account.save()
    outcome = account_check(account, by=tenant.owner)
    assert not outcome.ok
    account.refresh_from_db()
    assert account.limits == {"max_length": 1000}


def test_the_api_shows_an_accounts_limits_and_which_are_its_own(
    tenant, other_tenant, user_client
):
    own = ChannelAccountFactory(
        workspace=tenant.workspace,
        network="mastodon",
        limits={"max_length": 1000, "max_images": 4},
    )
    plain = ChannelAccountFactory(workspace=tenant.workspace, network="bluesky")
    client = user_client(tenant.editor)
    body = client.get(f"/api/v1/channels/{own.pk}/").json()
    assert body["limits"] == {
        "max_length": 1000,
        "unit": "graphemes",
        "max_images": 4,
        "max_image_bytes": 16 * 1024 * 1024,
        "own": ["max_length"],  # 4 images is Mastodon's default anyway
    }
    body = client.get(f"/api/v1/channels/{plain.pk}/").json()
    assert body["limits"]["max_length"] == 300 and body["limits"]["own"] == []
    assert (
        user_client(other_tenant.owner).get(f"/api/v1/channels/{own.pk}/").status_code
        == 404
    )


def test_the_channels_page_shows_an_instances_own_limit(tenant, web):
    from django.urls import reverse

    own = ChannelAccountFactory(
        workspace=tenant.workspace,
        network="mastodon",
        limits={"max_length": 1000, "max_images": 4},
    )
    ChannelAccountFactory(workspace=tenant.workspace, network="bluesky")
    page = web(tenant.owner).get(reverse("channels")).content.decode()
    row = page[page.index(f'id="account-{own.pk}"') :]
    assert (
        "Its own limit (read at the last test): 1000 characters, 4 images per post."
        in row[: row.index("</tr>")]
    )
    assert page.count("data-own-limits") == 1
