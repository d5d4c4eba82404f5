"""/api/v1/posts/ follows the editor's rule for accounts: a post targets the
campaign's channels, or accounts it adds to them with `add_to_campaign`;
anything else is a 400 with a field message and is never attached."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import CampaignChannel, Post
from tests.factories import (
    CampaignFactory,
    ChannelAccountFactory,
    MembershipFactory,
    PostFactory,
    WorkspaceFactory,
    member,
)
from workspaces.models import ApiKeyScope, Role

URL = "/api/v1/posts/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def channel(tenant):
    return ChannelAccountFactory(workspace=tenant.workspace, name="Main")


@pytest.fixture
def spare(tenant):
    return ChannelAccountFactory(
        workspace=tenant.workspace, network="bluesky", name="Spare"
    )


@pytest.fixture
def campaign(tenant, channel):
    today = timezone.localdate()
    return CampaignFactory(
        workspace=tenant.workspace,
        name="Spring",
        start_date=today,
        end_date=today + timedelta(days=60),
        cadences=[(channel, 3)],
    )


def test_create_with_a_non_channel_is_400_naming_the_fix(
    tenant, campaign, spare, user_client
):
    response = user_client(tenant.editor).post(
        URL, {"campaign": campaign.pk, "topic": "T", "accounts": [spare.pk]}
    )
    message = _error(response, 400)["fields"]["accounts"][0]
    assert "Spare (Bluesky) is not a channel of the campaign “Spring”" in message
    assert "add_to_campaign" in message
    assert not Post.objects.exists()
    assert not campaign.cadences.filter(account=spare).exists()


def test_create_and_update_add_the_account_to_the_campaign(
    tenant, campaign, channel, spare, user_client
):
    client = user_client(tenant.editor)
    response = client.post(
        URL,
        {
            "campaign": campaign.pk,
            "topic": "T",
            "accounts": [channel.pk, spare.pk],
            "add_to_campaign": [spare.pk],
        },
    )
    assert response.status_code == 201, response.content
    assert sorted(response.json()["accounts"]) == sorted([channel.pk, spare.pk])
    assert (
        CampaignChannel.objects.get(campaign=campaign, account=spare).posts_per_week
        == 1
    )

    third = ChannelAccountFactory(workspace=tenant.workspace, name="Third")
    post_id = response.json()["id"]
    # add_to_campaign alone keeps the post's accounts and adds the new one.
    response = client.patch(f"{URL}{post_id}/", {"add_to_campaign": [third.pk]})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["accounts"]) == sorted(
        [channel.pk, spare.pk, third.pk]
    )
    assert campaign.cadences.filter(account=third).exists()


def test_default_accounts_plus_an_added_one_on_create(
    tenant, campaign, channel, spare, key_client
):
    response = key_client(tenant.workspace).post(
        URL, {"campaign": campaign.pk, "topic": "T", "add_to_campaign": [spare.pk]}
    )
    assert response.status_code == 201, response.content
    assert sorted(response.json()["accounts"]) == sorted([channel.pk, spare.pk])


def test_another_organizations_account_reads_as_missing_and_is_never_attached(
    tenant, other_tenant, campaign, user_client
):
    foreign = ChannelAccountFactory(workspace=other_tenant.workspace)
    post = PostFactory(campaign=campaign, accounts=[])
    client = user_client(tenant.editor)
    for field in ("accounts", "add_to_campaign"):
        response = client.patch(f"{URL}{post.pk}/", {field: [foreign.pk]})
        assert _error(response, 400)["fields"][field] == ["No such channel account."]
    assert not post.accounts.exists()
    assert not CampaignChannel.objects.filter(account=foreign).exists()


def test_an_account_of_another_workspace_the_person_sees_is_refused(
    tenant, campaign, user_client
):
    sibling = WorkspaceFactory(organization=tenant.workspace.organization)
    person = member(sibling, Role.EDITOR)
    MembershipFactory(user=person, workspace=tenant.workspace, role=Role.EDITOR)
    theirs = ChannelAccountFactory(workspace=sibling)
    post = PostFactory(campaign=campaign, accounts=[])
    response = user_client(person).patch(
        f"{URL}{post.pk}/", {"add_to_campaign": [theirs.pk]}
    )
    message = _error(response, 400)["fields"]["add_to_campaign"]
    assert message == ["No such channel account in this workspace."]
    assert not post.accounts.exists()
    assert not CampaignChannel.objects.filter(account=theirs).exists()


def test_readers_and_read_keys_cannot_add(
    tenant, campaign, spare, user_client, key_client
):
    post = PostFactory(campaign=campaign, accounts=[])
    body = {"add_to_campaign": [spare.pk]}
    _error(user_client(tenant.reviewer).patch(f"{URL}{post.pk}/", body), 403)
    read = key_client(tenant.workspace, ApiKeyScope.READ)
    _error(read.patch(f"{URL}{post.pk}/", body), 403)
    assert not campaign.cadences.filter(account=spare).exists()
