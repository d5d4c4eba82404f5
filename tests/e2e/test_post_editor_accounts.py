"""In a real browser: the post editor offers the campaign's channels, and the
workspace's other accounts under "Also add to this campaign"; ticking one and
saving adds it to the campaign and to the post (no dead end)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import CampaignChannel
from core.timezones import local_to_utc
from tests.factories import (
    PASSWORD,
    CampaignFactory,
    ChannelAccountFactory,
    PostFactory,
    WorkspaceFactory,
    member,
)
from workspaces.models import Role

pytestmark = pytest.mark.e2e
BERLIN = "Europe/Berlin"


def _a_post_on_main_with_sky_on_offer():
    """A campaign on Main only, the workspace's Sky not yet in it, and another
    workspace's account that must never be offered."""
    workspace = WorkspaceFactory(name="Bay Bakery", time_zone=BERLIN)
    editor = member(workspace, Role.EDITOR, email="eda@example.test")
    main = ChannelAccountFactory(workspace=workspace, network="mastodon", name="Main")
    sky = ChannelAccountFactory(workspace=workspace, network="bluesky", name="Sky")
    other = WorkspaceFactory(name="Other Co")
    ChannelAccountFactory(workspace=other, network="x", name="Not ours")
    today = timezone.localdate()
    campaign = CampaignFactory(
        workspace=workspace,
        name="Spring bakes",
        start_date=today,
        end_date=today + timedelta(days=60),
        time_zone=BERLIN,
        cadences=[(main, 3)],
    )
    post = PostFactory(
        campaign=campaign,
        topic="Sourdough Tuesday",
        scheduled_at=local_to_utc(
            datetime.combine(today + timedelta(days=9), time(10)), BERLIN
        ),
        accounts=[main],
    )
    return editor, main, sky, campaign, post


def test_choose_accounts_and_add_one_to_the_campaign(live_server, page, screenshot):
    editor, main, sky, campaign, post = _a_post_on_main_with_sky_on_offer()
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(editor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/posts/{post.pk}/")

    channels = page.locator("[data-post-accounts]")
    adding = page.locator("[data-add-to-campaign]")
    expect(channels.get_by_label("Mastodon · Main")).to_be_checked()
    expect(adding.get_by_text("Also add to this campaign")).to_be_visible()
    # Sky is offered only as "add", never as a plain choice the save refuses.
    expect(adding.get_by_label("Bluesky · Sky")).not_to_be_checked()
    expect(page.locator('input[name="accounts"]')).to_have_count(1)
    expect(page.get_by_text("Not ours")).to_have_count(0)
    expect(page.locator("#variants-panel [role=tab]")).to_have_count(1)
    adding.scroll_into_view_if_needed()
    screenshot("1-offered", full_page=False)

    adding.get_by_label("Bluesky · Sky").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#messages")).to_contain_text(
        "Added to the campaign's channels: Bluesky · Sky."
    )
    assert CampaignChannel.objects.filter(campaign=campaign, account=sky).exists()
    assert set(post.accounts.all()) == {main, sky}
    # Now a channel of the campaign: ticked among the channels, a tab of its own.
    channels = page.locator("[data-post-accounts]")
    expect(channels.get_by_label("Bluesky · Sky")).to_be_checked()
    expect(page.locator("[data-add-to-campaign]")).to_have_count(0)
    expect(
        page.locator("#variants-panel").get_by_role("tab", name=re.compile("^Bluesky"))
    ).to_be_visible()
    channels.scroll_into_view_if_needed()
    screenshot("2-added", full_page=False)

    # Unticking it removes it from the post; the campaign keeps the channel.
    channels.get_by_label("Bluesky · Sky").uncheck()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#messages")).to_contain_text("Saved.")
    assert list(post.accounts.all()) == [main]
    assert CampaignChannel.objects.filter(campaign=campaign, account=sky).exists()
