"""A post in review on three networks, as the approval-card tests need it:
chosen copy per network (an X thread, a Mastodon post, a Bluesky post that
fails the brand-safety gate), a link, an uploaded image, a time."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any

from campaigns import lifecycle
from campaigns.models import Post
from connections.models import ChannelAccount
from content import services as content_services
from content.models import Variant
from tests.content.media import image_bytes
from tests.factories import ChannelAccountFactory, PostFactory

# Friday 18 December 2026, 09:00 UTC: 10:00 CET in Berlin, 04:00 EST in New York.
AT = datetime(2026, 12, 18, 9, 0, tzinfo=UTC)
LINK = "https://www.bikeworks.example/spring?utm_source=adloop"
X_TEXT = "Spring tune-ups are back.\n---\nBook a slot before Friday."
MASTODON_TEXT = "Spring tune-ups are back at the workshop. #bikes"
BLUESKY_TEXT = "Guaranteed the best tune-up in town."


def variant(post: Post, network: str, text: str, **fields: Any) -> Variant:
    return Variant.objects.create(
        workspace=post.workspace,
        post=post,
        network=network,
        label=fields.pop("label", "A"),
        text=text,
        status=fields.pop("status", "chosen"),
        **fields,
    )


def post_in_review(tenant: Any, *, gate_fails: bool = True) -> Post:
    """Three accounts, chosen copy for each, an image; submitted by the editor."""
    ws = tenant.workspace
    accounts = [
        ChannelAccount.objects.filter(workspace=ws, network=network, name=name).first()
        or ChannelAccountFactory(workspace=ws, network=network, name=name)
        for network, name in (
            ("x", "Bike Works X"),
            ("mastodon", "Bike Works M"),
            ("bluesky", "Bike Works B"),
        )
    ]
    post = PostFactory(
        campaign__workspace=ws,
        topic="Spring tune-ups",
        angle="Beat the rush",
        link=LINK,
        scheduled_at=AT,
        accounts=accounts,
    )
    variant(post, "x", X_TEXT)
    variant(post, "x", "An unchosen X text", label="B", status="proposed")
    variant(post, "mastodon", MASTODON_TEXT)
    failing = {
        "gate_passed": False,
        "gate": {
            "reasons": [{"code": "claim", "message": "Promises a result: 'guaranteed'"}]
        },
    }
    variant(post, "bluesky", BLUESKY_TEXT, **(failing if gate_fails else {}))
    asset, _ = content_services.asset_upload(
        workspace=ws,
        by=tenant.owner,
        file=image_bytes(size=(64, 48)),
        filename="workshop.png",
        alt_text="A mechanic truing a wheel",
    )
    content_services.asset_attach(asset=asset, post=post, by=tenant.owner)
    return lifecycle.transition(post, "submit", by=tenant.editor)


def over_the_limit_after_review(post: Post) -> str:
    """Bluesky copy of 301 graphemes, written past the checks (as data from
    before they existed would be): the card must still say so and block."""
    text = "a" * 301
    Variant.objects.filter(post=post, network="bluesky", status="chosen").update(
        text=text
    )
    return text


def text_of(page: str) -> str:
    """What a person reads: tags dropped, entities undone, spaces folded."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def card_of(page: str, post: Post) -> str:
    """The HTML of one post's card on the approvals page."""
    start = page.index(f'id="approval-{post.pk}"')
    end = page.find('<article class="card approval', start + 1)
    return page[start : end if end != -1 else len(page)]


def fingerprint_in(page: str, post: Post) -> str:
    found = re.search(r'name="fingerprint" value="([0-9a-f]+)"', card_of(page, post))
    assert found, "the card has no approve form with a fingerprint"
    return found.group(1)
