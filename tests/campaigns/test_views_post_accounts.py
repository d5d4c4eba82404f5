"""The post editor offers only the accounts it accepts: the campaign's channels,
and the workspace's other accounts under "Also add to this campaign", which a
save adds to the campaign's channels (issue 9: no dead ends in the editor)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from campaigns.models import CampaignChannel
from core.timezones import local_to_utc, to_local
from tests.factories import CampaignFactory, ChannelAccountFactory, PostFactory
from workspaces.models import Role

pytestmark = pytest.mark.usefixtures("static_files")
NOW = datetime(2025, 3, 20, 8, 0, tzinfo=UTC)
BERLIN = "Europe/Berlin"


@pytest.fixture(autouse=True)
def _now():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def accounts(tenant):
    ws = tenant.workspace
    return {
        "main": ChannelAccountFactory(workspace=ws, network="mastodon", name="Main"),
        "sky": ChannelAccountFactory(workspace=ws, network="bluesky", name="Sky"),
    }


@pytest.fixture
def campaign(tenant, accounts):
    return CampaignFactory(
        workspace=tenant.workspace,
        name="Spring",
        start_date=date(2025, 3, 24),
        end_date=date(2025, 4, 30),
        time_zone=BERLIN,
        cadences=[(accounts["main"], 3)],
    )


@pytest.fixture
def post(campaign, accounts):
    return PostFactory(
        campaign=campaign,
        topic="Espresso launch",
        scheduled_at=local_to_utc(datetime(2025, 3, 27, 9, 30), BERLIN),
        accounts=[accounts["main"]],
    )


def _url(post) -> str:
    return reverse("post-editor", args=[post.pk])


def _form(post, **changes):
    local = to_local(post.scheduled_at, BERLIN)
    data = {
        "topic": post.topic,
        "angle": post.angle,
        "body": post.body,
        "link": post.link,
        "pillar": "",
        "accounts": [a.pk for a in post.accounts.all()],
        "date": local.date().isoformat(),
        "time": f"{local:%H:%M}",
        "notes": post.notes,
    }
    data.update(changes)
    return data


def _block(body: str, marker: str) -> str:
    start = body.index(marker)
    return body[start : body.index("</fieldset>", start)]


def test_the_form_offers_channels_and_the_rest_under_also_add(
    tenant, other_tenant, web, post, accounts
):
    foreign = ChannelAccountFactory(workspace=other_tenant.workspace, name="Foreign")
    body = web(tenant.editor, tenant.workspace).get(_url(post)).content.decode()
    channels = _block(body, "data-post-accounts")
    adding = _block(body, "data-add-to-campaign")
    assert f'name="accounts" value="{accounts["main"].pk}"' in channels
    assert f'name="accounts" value="{accounts["sky"].pk}"' not in body
    assert "Also add to this campaign" in adding
    assert f'name="add_to_campaign" value="{accounts["sky"].pk}"' in adding
    assert f'name="accounts" value="{foreign.pk}"' not in body
    assert f'name="add_to_campaign" value="{foreign.pk}"' not in body
    assert "Foreign" not in body


def test_a_ticked_account_is_added_to_the_campaign_and_the_post(
    tenant, web, post, campaign, accounts
):
    client = web(tenant.editor, tenant.workspace)
    response = client.post(
        _url(post), _form(post, add_to_campaign=[accounts["sky"].pk]), follow=True
    )
    assert response.status_code == 200
    assert "channels: Bluesky · Sky." in response.content.decode()
    assert set(post.accounts.all()) == {accounts["main"], accounts["sky"]}
    row = CampaignChannel.objects.get(campaign=campaign, account=accounts["sky"])
    assert row.posts_per_week == 1
    # Now a channel: it is a plain choice, ticked, and no longer under "add".
    body = client.get(_url(post)).content.decode()
    channels = _block(body, "data-post-accounts")
    assert f'name="accounts" value="{accounts["sky"].pk}"' in channels
    assert "data-add-to-campaign" not in body


def test_a_non_channel_sent_as_a_plain_choice_is_a_form_error(
    tenant, web, post, campaign, accounts
):
    response = web(tenant.editor, tenant.workspace).post(
        _url(post), _form(post, accounts=[accounts["sky"].pk])
    )
    assert response.status_code == 400
    assert "not one of the available choices" in response.content.decode()
    assert list(post.accounts.all()) == [accounts["main"]]
    assert not campaign.cadences.filter(account=accounts["sky"]).exists()


def test_another_workspaces_account_is_never_attached_or_added(
    tenant, other_tenant, web, post, campaign
):
    foreign = ChannelAccountFactory(workspace=other_tenant.workspace)
    client = web(tenant.editor, tenant.workspace)
    for field in ("accounts", "add_to_campaign"):
        response = client.post(_url(post), _form(post, **{field: [foreign.pk]}))
        assert response.status_code == 400, field
        assert "not one of the available choices" in response.content.decode()
    assert foreign not in post.accounts.all()
    assert not CampaignChannel.objects.filter(account=foreign).exists()


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_readers_cannot_add_a_channel(tenant, web, post, campaign, accounts, role):
    client = web(tenant.person(role), tenant.workspace)
    body = client.get(_url(post)).content.decode()
    assert "add_to_campaign" not in body
    response = client.post(
        _url(post), _form(post, add_to_campaign=[accounts["sky"].pk])
    )
    assert response.status_code == 403
    assert not campaign.cadences.filter(account=accounts["sky"]).exists()


def test_a_campaign_without_channels_offers_every_account(tenant, web, accounts):
    campaign = CampaignFactory(
        workspace=tenant.workspace,
        start_date=date(2025, 3, 24),
        end_date=date(2025, 4, 30),
        time_zone=BERLIN,
    )
    campaign.cadences.all().delete()
    post = PostFactory(
        campaign=campaign,
        scheduled_at=local_to_utc(datetime(2025, 3, 27, 9, 30), BERLIN),
        accounts=[],
    )
    client = web(tenant.editor, tenant.workspace)
    body = client.get(_url(post)).content.decode()
    for account in accounts.values():
        assert f'name="accounts" value="{account.pk}"' in body
    assert "data-add-to-campaign" not in body
    response = client.post(_url(post), _form(post, accounts=[accounts["sky"].pk]))
    assert response.status_code == 302
    assert list(post.accounts.all()) == [accounts["sky"]]


def test_an_account_that_left_the_campaign_shows_ticked_under_also_add(
    tenant, web, post, campaign, accounts
):
    post.accounts.add(accounts["sky"])  # e.g. the channel was removed later
    client = web(tenant.editor, tenant.workspace)
    body = client.get(_url(post)).content.decode()
    adding = _block(body, "data-add-to-campaign")
    assert f'value="{accounts["sky"].pk}"' in adding
    tick = adding[adding.index(f'value="{accounts["sky"].pk}"') :][:120]
    assert "checked" in tick
    # Saving as shown keeps it, by making it a channel again.
    data = _form(
        post, accounts=[accounts["main"].pk], add_to_campaign=[accounts["sky"].pk]
    )
    assert client.post(_url(post), data).status_code == 302
    assert set(post.accounts.all()) == {accounts["main"], accounts["sky"]}
    assert campaign.cadences.filter(account=accounts["sky"]).exists()
