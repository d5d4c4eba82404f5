"""The approval card shows what goes out, per channel account, and approving
from it approves exactly that (a stale card is refused)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from campaigns.models import PostComment, PostStatus
from content import services as content_services
from content.models import Variant
from tests.campaigns.review_posts import (
    LINK,
    MASTODON_TEXT,
    card_of,
    fingerprint_in,
    over_the_limit_after_review,
    post_in_review,
    text_of,
)
from tests.content.media import media_root
from tests.factories import ChannelAccountFactory, PostFactory
from workflow.review import STALE_MESSAGE, review_fingerprint

__all__ = ["media_root"]  # fixture
pytestmark = pytest.mark.usefixtures("static_files", "media_root")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def berlin(tenant):
    tenant.workspace.time_zone = "Europe/Berlin"
    tenant.workspace.save(update_fields=["time_zone"])
    return tenant


def _page(web, tenant, person=None) -> str:
    client = web(person or tenant.reviewer, tenant.workspace)
    response = client.get(reverse("approvals"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_card_shows_each_channels_copy_as_it_goes_out(berlin, web):
    post = post_in_review(berlin)
    card = card_of(_page(web, berlin), post)
    shown = text_of(card)
    # One section per account, in network order, each saying whose copy it is.
    assert card.count('class="approval-channel"') == 3
    for name in ("Bike Works X", "Bike Works M", "Bike Works B"):
        assert name in shown
    # X: a thread of two parts; the link added to the first, as the connector does.
    assert "Part 1 of 2" in shown and "Part 2 of 2" in shown
    assert f"Spring tune-ups are back. {LINK}" in shown
    assert "Book a slot before Friday." in shown
    assert "An unchosen X text" not in shown
    assert "---" not in shown
    # Mastodon gets only the text: the card says the link is not sent there.
    assert MASTODON_TEXT in shown
    assert 'data-link-mode="not_sent"' in card
    # Bluesky with an image: the link is not sent either; X says it is in the text.
    assert 'data-link-mode="in_text"' in card
    assert "bikeworks.example" in shown
    # Lengths against each network's limit.
    assert "/ 280 weighted chars" in shown and "/ 300 graphemes" in shown


def test_the_card_shows_images_as_thumbnails_with_alt_text(berlin, web):
    post = post_in_review(berlin)
    card = card_of(_page(web, berlin), post)
    image = post.images.get().asset
    assert card.count('alt="A mechanic truing a wheel"') == 3  # on each network
    thumb = reverse("asset-file", args=[image.pk, "thumbnail"])
    assert card.count(f'src="{thumb}"') == 3
    # Each network's own cut opens from the thumbnail, when there is one.
    for rendition in image.renditions.filter(network__in=["x", "bluesky"]):
        assert reverse("rendition-file", args=[rendition.pk]) in card
    # The reviewer's browser can load it (the library's view checks the tenant).
    client = web(berlin.reviewer, berlin.workspace)
    assert client.get(thumb).status_code == 200


def test_the_card_shows_the_time_in_the_workspaces_zone_named(berlin, web):
    post = post_in_review(berlin)
    post.campaign.time_zone = "America/New_York"
    post.campaign.save(update_fields=["time_zone"])
    shown = text_of(card_of(_page(web, berlin), post))
    assert "Fri 18 Dec 2026, 10:00 CET (Europe/Berlin)" in shown
    # The campaign plans in another zone: that time is named too.
    assert "04:00 EST (America/New_York) in the campaign's zone" in shown
    assert "09:00" not in shown and " UTC" not in shown


def test_the_card_shows_what_the_gate_found(berlin, web):
    post = post_in_review(berlin)
    page = _page(web, berlin)
    card = card_of(page, post)
    shown = text_of(card)
    assert "The checks found 1 problem" in shown
    assert "bluesky variant A fails the brand-safety check" in shown
    assert "✗ Brand safety: Promises a result: 'guaranteed'" in shown
    assert shown.count("✓ Passes the brand-safety check and fits") == 2
    # A reviewer is told who may approve despite the problem, and cannot.
    assert "Only an owner or admin may approve it" in shown
    assert 'name="fingerprint"' not in card
    owner_card = card_of(_page(web, berlin, berlin.owner), post)
    assert "Approve anyway" in text_of(owner_card)
    assert 'name="fingerprint"' in owner_card


def test_copy_over_a_limit_blocks_the_approval_for_everyone(berlin, web):
    post = post_in_review(berlin, gate_fails=False)
    over_the_limit_after_review(post)
    card = card_of(_page(web, berlin, berlin.owner), post)
    shown = text_of(card)
    assert "Cannot be approved until it fits every channel" in shown
    assert "Too long for Bluesky: 301 of 300" in shown
    assert "Over the limit: 301 / 300 graphemes" in shown
    assert 'name="fingerprint"' not in card  # the button is disabled, said why
    assert "Not while the copy breaks a channel's limit." in shown
    response = web(berlin.owner, berlin.workspace).post(
        reverse("approval-decide", args=[post.pk, "approve"]),
        {"fingerprint": review_fingerprint(post)},
        **HTMX,
    )
    assert response.status_code == 409
    assert "until it fits every channel" in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_a_channel_without_chosen_copy_says_the_draft_text_goes_out(tenant, web):
    account = ChannelAccountFactory(workspace=tenant.workspace, network="linkedin")
    post = PostFactory(
        campaign__workspace=tenant.workspace,
        topic="Open day",
        body="Come by on Saturday.",
        link="https://bikeworks.example/open-day",
        accounts=[account],
        scheduled_at=None,
    )
    from campaigns import lifecycle

    lifecycle.transition(post, "submit", by=tenant.editor)
    shown = text_of(card_of(_page(web, tenant), post))
    assert "The post's draft text (no variant chosen for this network)" in shown
    assert "Come by on Saturday. https://bikeworks.example/open-day" in shown
    assert "not checked for brand safety (no variant chosen)" in shown
    assert "No time set yet" in shown


def test_a_blog_shows_its_title_tags_and_categories(tenant, web):
    blog = ChannelAccountFactory(workspace=tenant.workspace, network="wordpress")
    post = PostFactory(
        campaign__workspace=tenant.workspace,
        topic="Winter storage",
        body="Keep the chain oiled. #maintenance",
        accounts=[blog],
    )
    from campaigns import lifecycle

    lifecycle.transition(post, "submit", by=tenant.editor)
    before = review_fingerprint(post)
    shown = text_of(card_of(_page(web, tenant), post))
    assert "Title: Winter storage" in shown
    assert "Tags: maintenance" in shown
    post.tags = ["storage"]
    post.save(update_fields=["tags"])
    assert review_fingerprint(post) != before  # a changed tag is a changed post


def test_long_copy_is_shown_whole(tenant, web):
    post = post_in_review(tenant, gate_fails=False)
    long_text = "Ride on. " * 300
    Variant.objects.filter(post=post, network="mastodon").update(text=long_text)
    shown = text_of(card_of(_page(web, tenant), post))
    assert long_text.strip() in shown


def test_approving_from_the_card_approves_what_it_showed(berlin, web):
    post = post_in_review(berlin, gate_fails=False)
    client = web(berlin.reviewer, berlin.workspace)
    fingerprint = fingerprint_in(
        client.get(reverse("approvals")).content.decode(), post
    )
    response = client.post(
        reverse("approval-decide", args=[post.pk, "approve"]),
        {"fingerprint": fingerprint},
        **HTMX,
    )
    assert response.status_code == 200
    assert "is approved" in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


@pytest.mark.parametrize(
    "change",
    ["edit the text", "choose another variant", "add an image", "move in time"],
)
def test_approving_a_card_whose_copy_changed_is_refused(berlin, web, change):
    post = post_in_review(berlin, gate_fails=False)
    client = web(berlin.reviewer, berlin.workspace)
    fingerprint = fingerprint_in(
        client.get(reverse("approvals")).content.decode(), post
    )
    x = Variant.objects.get(post=post, network="x", status="chosen")
    if change == "edit the text":
        content_services.variant_update_text(
            variant=x, by=berlin.editor, text="Half price, today only."
        )
    elif change == "choose another variant":
        other = Variant.objects.get(post=post, network="x", label="B")
        content_services.variant_choose(variant=other, by=berlin.editor)
    elif change == "add an image":
        from tests.content.media import image_bytes

        asset, _ = content_services.asset_upload(
            workspace=berlin.workspace,
            by=berlin.editor,
            file=image_bytes(colour=(1, 2, 3)),
            filename="second.png",
        )
        content_services.asset_attach(asset=asset, post=post, by=berlin.editor)
    else:
        post.scheduled_at = datetime(2026, 12, 19, 9, 0, tzinfo=UTC)
        post.save(update_fields=["scheduled_at"])
    response = client.post(
        reverse("approval-decide", args=[post.pk, "approve"]),
        {"fingerprint": fingerprint},
        **HTMX,
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert STALE_MESSAGE.replace("'", "&#x27;") in body
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    # The refreshed card carries the new fingerprint; approving that works.
    fresh = fingerprint_in(body, post)
    assert fresh != fingerprint
    if change == "edit the text":
        assert "Half price, today only." in text_of(card_of(body, post))
    response = client.post(
        reverse("approval-decide", args=[post.pk, "approve"]), {"fingerprint": fresh}
    )
    assert response.status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_an_approve_without_the_cards_fingerprint_is_refused(tenant, web):
    post = post_in_review(tenant, gate_fails=False)
    response = web(tenant.reviewer, tenant.workspace).post(
        reverse("approval-decide", args=[post.pk, "approve"]), **HTMX
    )
    assert response.status_code == 409
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_a_comment_does_not_make_the_card_stale(tenant, web):
    post = post_in_review(tenant, gate_fails=False)
    before = review_fingerprint(post)
    PostComment.objects.create(post=post, author=tenant.client, body="Nice")
    assert review_fingerprint(post) == before


def test_a_reviewer_cannot_approve_over_the_gate_an_owner_can(tenant, web):
    post = post_in_review(tenant, gate_fails=True)
    url = reverse("approval-decide", args=[post.pk, "approve"])
    fingerprint = review_fingerprint(post)
    reviewer = web(tenant.reviewer, tenant.workspace)
    assert reviewer.post(url, {"fingerprint": fingerprint}).status_code == 403
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    owner = web(tenant.owner, tenant.workspace)
    assert owner.post(url, {"fingerprint": fingerprint}).status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED
    assert post.history.last().reason.startswith("Approved despite:")


def test_whoever_submitted_cannot_approve_from_the_card(tenant, web):
    account = ChannelAccountFactory(workspace=tenant.workspace)
    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[account])
    from campaigns import lifecycle

    lifecycle.transition(post, "submit", by=tenant.admin)
    response = web(tenant.admin, tenant.workspace).post(
        reverse("approval-decide", args=[post.pk, "approve"]),
        {"fingerprint": review_fingerprint(post)},
    )
    assert response.status_code == 403
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_another_workspaces_card_is_neither_shown_nor_approvable(
    tenant, other_tenant, web
):
    foreign = post_in_review(other_tenant, gate_fails=False)
    client = web(tenant.owner, tenant.workspace)
    page = client.get(reverse("approvals")).content.decode()
    assert "Spring tune-ups" not in page
    assert review_fingerprint(foreign) not in page
    response = client.post(
        reverse("approval-decide", args=[foreign.pk, "approve"]),
        {"fingerprint": review_fingerprint(foreign)},
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == PostStatus.IN_REVIEW


def test_more_posts_cost_only_their_approval_checks_in_queries(tenant, web):
    """Accounts, variants and images are prefetched for the page; what grows
    with the queue is the registered checks (the gate's and the limits', a few
    queries per post), never a query per channel or image."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web(tenant.reviewer, tenant.workspace)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("approvals")).status_code == 200
        return len(queries)

    post_in_review(tenant, gate_fails=False)
    count()  # warm the session
    one = count()
    for _ in range(3):
        post_in_review(tenant, gate_fails=False)
    assert count() - one <= 3 * 10


def test_copy_edited_after_publishing_started_is_listed_for_reviewers(
    tenant, other_tenant, web
):
    from publishing.models import Publication

    def waiting(t, topic):
        account = ChannelAccountFactory(workspace=t.workspace, network="x")
        post = PostFactory(campaign__workspace=t.workspace, topic=topic)
        return Publication.objects.create(
            workspace=t.workspace,
            post=post,
            account=account,
            network="x",
            status="needs_review",
            due_at=datetime(2026, 12, 18, 9, 0, tzinfo=UTC),
            next_attempt_at=datetime(2026, 12, 18, 9, 0, tzinfo=UTC),
            idempotency_key=f"k-{topic}",
        )

    mine = waiting(tenant, "Half out already")
    waiting(other_tenant, "Someone else's")
    body = _page(web, tenant)
    shown = text_of(body)
    assert "Copy edited after publishing started" in shown
    assert "Half out already" in shown and "Someone else's" not in shown
    assert f"/posts/{mine.post_id}/#publication-{mine.pk}" in body
    assert "Nothing waits for a review" not in shown
    assert 'aria-label="1 waiting">1</span>' in body


def test_a_planning_only_account_is_said_and_connecting_it_makes_the_card_stale(
    tenant, web
):
    post = post_in_review(tenant, gate_fails=False)
    x = post.accounts.get(network="x")
    before = review_fingerprint(post)
    card = card_of(_page(web, tenant), post)
    assert card.count("data-planning-only") == 3  # the factory's have none
    x.credentials = {"token": "t"}
    x.save(update_fields=["credentials"])
    assert card_of(_page(web, tenant), post).count("data-planning-only") == 2
    assert review_fingerprint(post) != before


def test_the_post_pages_approve_button_is_held_to_what_the_page_showed(tenant, web):
    import re

    post = post_in_review(tenant, gate_fails=False)
    client = web(tenant.reviewer, tenant.workspace)
    page = client.get(reverse("post-editor", args=[post.pk])).content.decode()
    found = re.search(r'name="fingerprint" value="([0-9a-f]{64})"', page)
    assert found and found.group(1) == review_fingerprint(post)
    x = Variant.objects.get(post=post, network="x", status="chosen")
    content_services.variant_update_text(variant=x, by=tenant.editor, text="New")
    url = reverse("post-action", args=[post.pk, "approve"])
    response = client.post(url, {"fingerprint": found.group(1)})
    assert response.status_code == 409
    assert "review it again" in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW
    fresh = {"fingerprint": review_fingerprint(post)}
    assert client.post(url, fresh).status_code == 302
    post.refresh_from_db()
    assert post.status == PostStatus.APPROVED


def test_deciding_inline_updates_the_sidebar_count(tenant, web):
    post_in_review(tenant, gate_fails=False)
    second = post_in_review(tenant, gate_fails=False)
    client = web(tenant.reviewer, tenant.workspace)
    assert 'aria-label="2 waiting"' in client.get(reverse("approvals")).content.decode()
    response = client.post(
        reverse("approval-decide", args=[second.pk, "approve"]),
        {"fingerprint": review_fingerprint(second)},
        **HTMX,
    )
    body = response.content.decode()
    assert 'id="approvals-waiting" class="nav-count-slot" hx-swap-oob="true"' in body
    assert 'aria-label="1 waiting"' in body


def test_a_time_that_passed_is_said(tenant, web):
    from datetime import timedelta

    from django.utils import timezone

    post = post_in_review(tenant, gate_fails=False)
    post.scheduled_at = timezone.now() + timedelta(days=1)
    post.save(update_fields=["scheduled_at"])
    shown = text_of(card_of(_page(web, tenant), post))
    assert "This time has passed" not in shown
    post.scheduled_at = timezone.now() - timedelta(minutes=5)
    post.save(update_fields=["scheduled_at"])
    shown = text_of(card_of(_page(web, tenant), post))
    assert "This time has passed: it needs a new one before it is scheduled." in shown


def test_copy_edited_after_an_approval_shows_what_changed(tenant, web):
    from campaigns import lifecycle

    post = post_in_review(tenant, gate_fails=False)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    x = Variant.objects.get(post=post, network="x", status="chosen")
    content_services.variant_update_text(
        variant=x, by=tenant.editor, text="Spring tune-ups, now half price."
    )
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW  # the edit sent it back
    card = card_of(_page(web, tenant), post)
    changes = card[card.index("data-changes") :]
    assert "Changed since it was last approved" in text_of(card)
    assert card.count("data-changes") == 1  # only X's copy changed
    assert "-Spring tune-ups are back." in text_of(changes)
    assert "+Spring tune-ups, now half price." in text_of(changes)


def test_a_post_without_accounts_says_nothing_would_go_out(tenant, web):
    from campaigns import lifecycle

    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[])
    lifecycle.transition(post, "submit", by=tenant.editor)
    shown = text_of(card_of(_page(web, tenant), post))
    assert "This post targets no channel account yet: nothing would go out." in shown
