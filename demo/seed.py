"""The demo's channel that really delivers: a webhook to the local demo inbox.

`seed_demo` runs `seed_demo_inbox` after the campaign: one webhook account in
the demo workspace pointing at `/demo/inbox/hook/<id>/` with its own signing
secret, added to the campaign, and one post scheduled a few minutes after the
seed, so a newcomer sees a delivery arrive in the inbox shortly after starting;
and one post the editor has sent for review, so the Approvals page shows what a
reviewer sees (the copy per channel as it goes out) and approving it sends it.
Idempotent: what exists is kept (only the account's URL follows SITE_URL, so
another port keeps it working); nothing is scheduled twice.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns import lifecycle, services
from campaigns.models import Campaign, CampaignChannel, Post
from connections.models import AccountStatus, ChannelAccount, Network
from core.errors import ConflictError
from demo import inbox
from networks.webhook.connector import account_webhook_settings
from workspaces.models import User

if TYPE_CHECKING:
    from demo.management.commands.seed_demo import Demo

INBOX_ACCOUNT = "Demo inbox (webhook)"
INBOX_HANDLE = "local demo receiver, not a real network"
# The first delivery is due this long after the seed: long enough for the
# worker and scheduler to start, short enough to wait for.
FIRST_DELIVERY_AFTER = timedelta(minutes=3)
FIRST_TOPIC = "Huila espresso: first bags ship today"
FIRST_ANGLE = "Announce the launch with the free-shipping offer"
REVIEW_TOPIC = "Huila espresso: what's in the cup"
REVIEW_ANGLE = "Tasting notes, in the roaster's words"
# The post waiting for review goes out the next day at this local hour.
REVIEW_HOUR = 11


def first_body(brand_name: str, cta: str, hashtags: list[str]) -> str:
    """The copy of the first delivered post, written from the brand's facts."""
    lines = [
        f"Our new single-origin espresso from Huila, Colombia is roasted and "
        f"ready. {brand_name} roasts it in small batches in Berlin; the first "
        "bag ships free.",
        cta,
        " ".join(hashtags),
    ]
    return "\n\n".join(line for line in lines if line)


def _inbox_account(demo: Demo, out: Callable[[str], None]) -> ChannelAccount:
    ws = demo.workspaces["demo"]
    account = ChannelAccount.objects.filter(
        workspace=ws, network=Network.WEBHOOK, name=INBOX_ACCOUNT
    ).first()
    if account is None:
        account = ChannelAccount.objects.create(
            workspace=ws,
            network=Network.WEBHOOK,
            name=INBOX_ACCOUNT,
            handle=INBOX_HANDLE,
            status=AccountStatus.CONNECTED,
            credentials={"secret": secrets.token_urlsafe(32)},
            connected_at=timezone.now(),
        )
        out(f"created channel account {account} -> the demo inbox")
    url, secret = account_webhook_settings(account)
    wanted = inbox.hook_url(account.pk)
    if url != wanted or not secret:
        account.external_id = wanted
        if not secret:
            account.credentials = {"secret": secrets.token_urlsafe(32)}
        account.save(update_fields=["external_id", "credentials"])
    return account


def seed_demo_inbox(demo: Demo, out: Callable[[str], None]) -> None:
    """The webhook channel to the demo inbox and its first post (see above)."""
    if not inbox.enabled():
        out("demo inbox is off (DEBUG and DEMO_INBOX unset): no delivering channel")
        return
    account = _inbox_account(demo, out)
    campaign: Campaign | None = demo.campaign
    if campaign is None:
        return
    CampaignChannel.objects.get_or_create(
        campaign=campaign, account=account, defaults={"posts_per_week": 1}
    )
    editor = demo.users.get("editor@adloop.local", demo.owner)
    _seed_first_delivery(campaign, account, editor, demo.owner, out)
    _seed_review(campaign, account, editor, out)


def _seed_first_delivery(
    campaign: Campaign,
    account: ChannelAccount,
    editor: User,
    owner: User,
    out: Callable[[str], None],
) -> None:
    """The post due a few minutes after the seed, approved and scheduled."""
    if Post.objects.filter(campaign=campaign, topic=FIRST_TOPIC).exists():
        return
    brand = campaign.brand
    when = (timezone.now() + FIRST_DELIVERY_AFTER).replace(second=0, microsecond=0)
    try:
        post = services.posts.post_create(
            campaign=campaign,
            by=editor,
            data={
                "topic": FIRST_TOPIC,
                "angle": FIRST_ANGLE,
                "body": first_body(
                    brand.name, brand.default_cta, list(brand.required_hashtags)
                ),
                "scheduled_at": when,
                "accounts": [account],
            },
        )
        if campaign.workspace.approval_required:
            lifecycle.transition(post, "submit", by=editor)
            lifecycle.transition(post, "approve", by=owner)
        lifecycle.transition(post, "schedule", by=owner)
    except (ValidationError, ConflictError) as error:
        # An old demo campaign that has ended: keep the data, say why.
        out(f"demo inbox: no post scheduled ({error})")
        return
    out(f"scheduled '{post.topic}' to the demo inbox at {when:%H:%M} UTC")


def _seed_review(
    campaign: Campaign,
    inbox_account: ChannelAccount,
    editor: User,
    out: Callable[[str], None],
) -> None:
    """A post the editor sent for review: to the inbox and a planning-only
    account, so the approval card shows both what goes out and what does not."""
    if Post.objects.filter(campaign=campaign, topic=REVIEW_TOPIC).exists():
        return
    if not campaign.workspace.approval_required:
        return
    others = list(
        campaign.channels.filter(network=Network.BLUESKY).exclude(pk=inbox_account.pk)
    )
    local = timezone.localtime(timezone.now(), ZoneInfo(campaign.time_zone))
    when = (local + timedelta(days=1)).replace(
        hour=REVIEW_HOUR, minute=0, second=0, microsecond=0
    )
    brand = campaign.brand
    body = (
        "Chocolate, red apple and a long caramel finish: our Huila espresso, "
        f"roasted in small batches by {brand.name}. "
        + " ".join(brand.required_hashtags)
    ).strip()
    try:
        post = services.posts.post_create(
            campaign=campaign,
            by=editor,
            data={
                "topic": REVIEW_TOPIC,
                "angle": REVIEW_ANGLE,
                "body": body,
                "scheduled_at": when,
                "accounts": [inbox_account, *others],
            },
        )
        lifecycle.transition(post, "submit", by=editor)
    except (ValidationError, ConflictError) as error:
        out(f"demo: no post waiting for review ({error})")
        return
    out(f"sent '{post.topic}' for review")
