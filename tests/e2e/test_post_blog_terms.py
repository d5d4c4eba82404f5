"""In a real browser: a post for a WordPress blog shows its default tags (the
copy's hashtags) and category (its pillar) as placeholders, and saves the
names a person types; a bad name is a field error that keeps the input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.terms import MAX_NAME
from connections.models import Network
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


def test_blog_tags_and_categories_in_the_post_editor(live_server, page, screenshot):
    workspace = WorkspaceFactory(name="Bay Bakery", time_zone="Europe/Berlin")
    editor = member(workspace, Role.EDITOR, email="eda@example.test")
    blog = ChannelAccountFactory(
        workspace=workspace, name="Bakery blog", network=Network.WORDPRESS
    )
    today = timezone.localdate()
    campaign = CampaignFactory(
        workspace=workspace,
        start_date=today,
        end_date=today + timedelta(days=30),
        pillars=[("Behind the scenes", 1)],
        cadences=[(blog, 2)],
    )
    post = PostFactory(
        campaign=campaign,
        topic="Our ovens at dawn",
        body="Up at four for the first loaves. #sourdough #BakeryLife",
        pillar=campaign.pillars.get(),
        accounts=[blog],
    )
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Email address").fill(editor.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/posts/{post.pk}/")
    tags = page.get_by_label("Blog tags")
    categories = page.get_by_label("Blog categories")
    expect(tags).to_have_attribute("placeholder", "Default: sourdough, BakeryLife")
    expect(categories).to_have_attribute("placeholder", "Default: Behind the scenes")
    tags.scroll_into_view_if_needed()
    screenshot("1-defaults", full_page=False)

    tags.fill("x" * (MAX_NAME + 1))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"longer than {MAX_NAME} characters")).to_be_visible()
    page.get_by_label("Blog tags").scroll_into_view_if_needed()
    screenshot("2-too-long", full_page=False)

    page.get_by_label("Blog tags").fill("sourdough, ovens, ")
    page.get_by_label("Blog categories").fill("Bakery news")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Saved.")).to_be_visible()
    expect(page.get_by_label("Blog tags")).to_have_value("sourdough, ovens")
    post.refresh_from_db()
    assert (post.tags, post.categories) == (["sourdough", "ovens"], ["Bakery news"])
