"""In a real browser: a reviewer opens the approvals page, reads each channel's
copy as it goes out (an X thread, a long Mastodon post, a Bluesky post the gate
failed), with images, link and the time in the workspace's zone; a card whose
copy changed meanwhile is refused and shown again; the fresh one approves."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from campaigns.models import PostStatus
from content import services as content_services
from content.models import Variant
from tests.campaigns.review_posts import post_in_review
from tests.content.media import image_bytes, media_root
from tests.factories import WorkspaceFactory, member
from workspaces.models import Role

__all__ = ["media_root"]  # fixture
from tests.e2e.signin import sign_in

pytestmark = pytest.mark.e2e

LONG = (
    "Spring is the season the workshop fills up, so here is everything in one "
    "place: what a tune-up covers, how long it takes and what it costs. "
) * 4 + "#bikes #spring"


class _Tenant:
    def __init__(self, workspace) -> None:
        self.workspace = workspace
        self.owner = member(workspace, Role.OWNER, email="owen@example.test")
        self.editor = member(workspace, Role.EDITOR, email="eda@example.test")
        self.reviewer = member(workspace, Role.REVIEWER, email="rea@example.test")


def _two_posts_in_review():
    """A post whose copy is ready (two images, X and Mastodon connected,
    Bluesky planning only) and one that must not pass: its Mastodon copy is
    over the limit and its Bluesky copy fails the gate."""
    workspace = WorkspaceFactory(name="Bike Works", time_zone="Europe/Berlin")
    tenant = _Tenant(workspace)
    failing = post_in_review(tenant)  # Bluesky copy fails the gate
    Variant.objects.filter(post=failing, network="mastodon").update(text=LONG)
    post = post_in_review(tenant, gate_fails=False)
    second, _ = content_services.asset_upload(
        workspace=workspace,
        by=tenant.owner,
        file=image_bytes(size=(80, 60), colour=(20, 120, 200)),
        filename="saddle.png",
        alt_text="A new saddle",
    )
    content_services.asset_attach(asset=second, post=post, by=tenant.editor)
    failing.topic = "Winter storage"
    failing.save(update_fields=["topic"])
    for account in post.accounts.exclude(network="bluesky"):  # Bluesky: planning
        account.credentials = {"token": "connected"}
        account.save(update_fields=["credentials"])
    return tenant, post, failing


def _open_the_queue(page, url: str, tenant: _Tenant, post):
    sign_in(page, url, tenant.reviewer.email)
    page.goto(f"{url}/approvals/")
    return page.locator(f"#approval-{post.pk}")


def test_a_reviewer_reads_each_channels_copy_on_the_card(
    live_server, page, screenshot, media_root: Path
):
    tenant, post, failing = _two_posts_in_review()
    card = _open_the_queue(page, live_server.url, tenant, post)
    expect(card.locator(".approval-channel")).to_have_count(3)
    x = card.locator('[data-channel="x"]')
    expect(x.get_by_text("Part 1 of 2")).to_be_visible()
    expect(x.locator("[data-copy]").first).to_contain_text("Spring tune-ups are back.")
    expect(x.locator("[data-copy]").nth(1)).to_have_text("Book a slot before Friday.")
    expect(card.locator("[data-when]")).to_contain_text(
        "Fri 18 Dec 2026, 10:00 CET (Europe/Berlin)"
    )
    thumbs = x.locator(".approval-images img")
    expect(thumbs).to_have_count(2)
    thumbs.first.scroll_into_view_if_needed()  # loaded lazily
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0",
        arg=thumbs.first.element_handle(),
    )
    # The other post: its long Mastodon copy (written before the limit checks)
    # blocks the approval for everyone, its Bluesky copy fails the gate; the
    # card says both, where, and why the Approve button is off.
    failing_card = page.locator(f"#approval-{failing.pk}")
    expect(failing_card.locator("[data-blocked]")).to_contain_text(
        "Too long for Mastodon"
    )
    expect(failing_card.locator("[data-problems]")).to_contain_text(
        "Only an owner or admin may approve it"
    )
    mastodon = failing_card.locator('[data-channel="mastodon"]')
    expect(mastodon.locator(".approval-measure.is-over")).to_contain_text(
        "Over the limit: 574 / 500 graphemes"
    )
    expect(failing_card.locator('[data-channel="bluesky"] .gate-fail')).to_be_visible()
    expect(failing_card.get_by_role("button", name="Approve")).to_be_disabled()
    expect(card.locator("[data-planning-only]")).to_have_count(1)
    expect(card.locator('[data-channel="bluesky"]')).to_contain_text("Planning only")
    screenshot("1-queue")


def test_a_stale_card_is_refused_then_approves_and_a_change_shows_its_diff(
    live_server, page, screenshot, media_root: Path
):
    tenant, post, _ = _two_posts_in_review()
    card = _open_the_queue(page, live_server.url, tenant, post)
    expect(card.locator(".approval-channel")).to_have_count(3)

    # Someone edits the X copy while the reviewer reads: approving is refused.
    chosen_x = Variant.objects.get(post=post, network="x", status="chosen")
    content_services.variant_update_text(
        variant=chosen_x, by=tenant.editor, text="Half price tune-ups, today only."
    )
    card.get_by_role("button", name="Approve for 3 channels").click()
    expect(card.locator(".approval-error")).to_contain_text(
        "The copy changed since you opened this; review it again."
    )
    expect(card.locator('[data-channel="x"] [data-copy]')).to_contain_text(
        "Half price tune-ups, today only."
    )
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    screenshot("2-stale")

    # The card now shows the new copy; approving it works.
    card.get_by_role("button", name="Approve for 3 channels").click()
    expect(page.get_by_text("is approved")).to_be_visible()
    expect(page.locator(f"#approval-{post.pk}")).to_have_count(0)
    expect(page.locator("#approvals-waiting")).to_have_text("1")  # was 2
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    screenshot("3-approved")

    # The editor changes the approved X copy: back in review, the card says what.
    chosen_x.refresh_from_db()
    content_services.variant_update_text(
        variant=chosen_x, by=tenant.editor, text="Half price tune-ups, until Sunday."
    )
    page.reload()
    card = page.locator(f"#approval-{post.pk}")
    changes = card.locator('[data-channel="x"] [data-changes]')
    changes.locator("summary").click()
    expect(changes.locator(".diff-del")).to_contain_text("today only.")
    expect(changes.locator(".diff-add")).to_contain_text("until Sunday.")
    changes.scroll_into_view_if_needed()
    screenshot("3b-changed", full_page=False)

    # On a narrow screen the channels stack and nothing overflows sideways.
    page.set_viewport_size({"width": 420, "height": 900})
    page.reload()
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - window.innerWidth"
    )
    assert overflow <= 1
    screenshot("4-narrow")
