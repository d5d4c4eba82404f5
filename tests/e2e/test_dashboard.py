"""In a real browser: after signing in, the dashboard shows the next posts due
(in the workspace's zone, named), what waits for approval and what failed or
needs reconnecting, and its links lead to the fix."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import CampaignStatus, PostStatus
from connections.models import AccountStatus, Network
from core.timezones import local_to_utc
from publishing import delivery
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.e2e.signin import sign_in
from tests.factories import (
    CampaignFactory,
    ChannelAccountFactory,
    PostFactory,
    WorkspaceFactory,
    member,
)
from workspaces.models import Role

pytestmark = pytest.mark.e2e
BERLIN = "Europe/Berlin"


def _workspace():
    """A bakery with a running campaign, posts due, one in review, one failed
    publication and a blog that needs reconnecting."""
    workspace = WorkspaceFactory(name="Bay Bakery", time_zone=BERLIN)
    admin = member(workspace, Role.ADMIN, email="ada@example.test")
    hook = _accounts(workspace)
    today = timezone.localdate()
    campaign = CampaignFactory(
        workspace=workspace,
        name="Autumn breads",
        start_date=today - timedelta(days=2),
        end_date=today + timedelta(days=45),
        time_zone=BERLIN,
        status=CampaignStatus.ACTIVE,
        cadences=[(hook, 3)],
    )
    tomorrow = today + timedelta(days=1)

    def at(day_offset: int, hour: int) -> datetime:
        return local_to_utc(
            datetime.combine(tomorrow + timedelta(days=day_offset), time(hour)),
            BERLIN,
        )

    due = [
        PostFactory(
            campaign=campaign,
            topic=topic,
            scheduled_at=at(n, 10),
            status=PostStatus.SCHEDULED,
            accounts=[hook],
        )
        for n, topic in enumerate(["Sourdough Wednesday", "Rye is back"])
    ]
    review = PostFactory(
        campaign=campaign,
        topic="Croissant class sign-up",
        scheduled_at=at(3, 9),
        status=PostStatus.IN_REVIEW,
        accounts=[hook],
    )
    failed = _failed_post(campaign, hook)
    return admin, due, review, failed


def _accounts(workspace):
    """The webhook the posts go to, and a blog that needs reconnecting (the
    dashboard's "broken" list); returns the webhook."""
    hook = ChannelAccountFactory(
        workspace=workspace,
        name="Shop webhook",
        network=Network.WEBHOOK,
        credentials={"secret": "s" * 24, "url": "https://hooks.example.com/x"},
    )
    ChannelAccountFactory(
        workspace=workspace,
        name="Bakery blog",
        network=Network.WORDPRESS,
        status=AccountStatus.NEEDS_RECONNECT,
        credentials={"site_url": "https://blog.example"},
        last_error="WordPress refused the application password.",
    )
    return hook


def _failed_post(campaign, hook):
    """A post whose only publication failed, left as the publisher leaves it."""
    failed = PostFactory(
        campaign=campaign, topic="Harvest loaf launch", accounts=[hook]
    )
    failed.scheduled_at = timezone.now() + timedelta(hours=1)
    failed.status = PostStatus.SCHEDULED
    failed.save(update_fields=["scheduled_at", "status"])
    [publication] = delivery.publication_create_for_post(failed)
    Publication.objects.filter(pk=publication.pk).update(
        status=PS.FAILED,
        error_kind="permanent",
        error="The webhook answered 422: the text is too long for the shop.",
        finished_at=timezone.now(),
    )
    # As the publisher leaves it: the post's only publication failed.
    type(failed).objects.filter(pk=failed.pk).update(status=PostStatus.FAILED)
    return failed


def test_the_dashboard_shows_what_is_due_waiting_and_broken(
    live_server, page, screenshot
):
    admin, due, review, failed = _workspace()
    sign_in(page, live_server.url, admin.email)
    expect(page.get_by_role("heading", name="Next posts due")).to_be_visible()
    screenshot("1-dashboard")

    rows = page.locator("#due [data-due-post]")
    expect(rows).to_have_count(3)  # two scheduled and the one in review
    first = page.locator(f'[data-due-post="{due[0].pk}"]')
    expect(first).to_contain_text("Sourdough Wednesday")
    # 10:00 in Berlin, the zone named (CET or CEST).
    expect(first.locator(".dash-when")).to_contain_text("10:00 CE")
    expect(page.locator("header.page-header")).to_contain_text("Times in Europe/Berlin")

    approvals = page.locator("#approvals")
    expect(approvals).to_contain_text("Croissant class sign-up")
    attention = page.locator("#attention")
    expect(attention).to_contain_text("Harvest loaf launch")
    expect(attention).to_contain_text("too long for the shop")
    expect(attention).to_contain_text("Bakery blog")
    expect(attention.get_by_role("link", name="Reconnect")).to_be_visible()
    expect(page.locator('[data-glance="attention"] .stat-value')).to_have_text("2")

    # The failure's fix opens the post editor of that post.
    attention.get_by_role("link", name="Edit the copy").click()
    page.wait_for_url(f"{live_server.url}/posts/{failed.pk}/")
    expect(page.get_by_role("heading", name="Harvest loaf launch")).to_be_visible()
    screenshot("2-followed-edit")

    page.goto(f"{live_server.url}/")
    page.locator(f'[data-approval="{review.pk}"] a').click()
    page.wait_for_url(f"{live_server.url}/approvals/#approval-{review.pk}")
    expect(page.locator(f"#approval-{review.pk}")).to_be_visible()
    screenshot("3-followed-approval", full_page=False)

    page.goto(f"{live_server.url}/")
    page.locator("#attention").get_by_role("link", name="Reconnect").click()
    expect(page.get_by_role("heading", name="Reconnect Bakery blog")).to_be_visible()
    screenshot("4-followed-reconnect", full_page=False)


def test_an_empty_workspace_on_a_phone_says_what_to_do(live_server, page, screenshot):
    workspace = WorkspaceFactory(name="New Shop", time_zone=BERLIN)
    editor = member(workspace, Role.EDITOR, email="eddie@example.test")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server.url, editor.email)
    expect(page.get_by_text("Nothing is planned from now on.")).to_be_visible()
    expect(page.get_by_role("link", name="Plan a campaign")).to_be_visible()
    expect(page.get_by_text("All clear: every channel")).to_be_visible()
    assert "arrive soon" not in page.content().lower()
    # Nothing overflows the phone's width.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot("1-empty-phone")
    page.get_by_role("link", name="Plan a campaign").click()
    page.wait_for_url(f"{live_server.url}/campaigns/new/**")
