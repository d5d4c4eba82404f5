"""What an approval card shows going out, per channel account of a post: the
copy as sent, the images, the terms, and the fingerprint of all of it.

`workflow.review` adds the checks and approves against the
fingerprint; this module only reads.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from campaigns.models import Post
from connections.models import ChannelAccount
from content.models import PostImage, Variant, VariantStatus
from content.renditions.choice import rendition_for

if TYPE_CHECKING:
    from publishing.preview import ChannelOut


@dataclass(frozen=True)
class PartMeasure:
    """One part's length against the account's limit ("212 / 280 weighted chars")."""

    text: str
    over: bool = False


@dataclass(frozen=True)
class Checks:
    """What the checks found on one account's copy: `findings` are the limits
    it breaks and the brand-safety gate's reasons (`content.services.
    copy_checks.post_copy_findings`: each has `message`, `kind` "limit" or
    "gate", `blocking`); an accepted gate failure is not a finding but is said."""

    findings: tuple[Any, ...] = ()
    gate_overridden: bool = False
    gate_reasons: tuple[str, ...] = ()
    measures: tuple[PartMeasure, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class ChannelCard:
    """One channel account of a post and what goes out there."""

    account: ChannelAccount
    out: ChannelOut
    variant: Variant | None
    checks: Checks
    # Edits of this copy since the post was last approved (`VariantEdit`s).
    edits: tuple[Any, ...] = ()

    @property
    def parts(self) -> list[tuple[str, PartMeasure | None]]:
        """(text, its measure against the account's limit) per part sent."""
        measures: list[PartMeasure | None] = list(self.checks.measures)
        measures += [None] * (len(self.out.parts) - len(measures))
        return list(zip(self.out.parts, measures, strict=False))

    @property
    def planning_only(self) -> bool:
        """No credentials: the account gets no publication (`publishing`)."""
        return self.account.planning_only

    @property
    def source(self) -> str:
        if self.variant is None:
            return "The post's draft text (no variant chosen for this network)"
        return f"Variant {self.variant.label}"


def _chosen(post: Post) -> list[Variant]:
    found = getattr(post, "chosen_variants", None)
    if found is None:
        found = list(Variant.objects.filter(post=post, status=VariantStatus.CHOSEN))
    return sorted(found, key=lambda v: (v.network, v.label, v.pk))


def _images(post: Post) -> list[PostImage]:
    found = getattr(post, "chosen_images", None)
    if found is None:
        found = list(
            PostImage.objects.filter(post=post, chosen=True)
            .select_related("asset")
            .prefetch_related("asset__renditions")
            .order_by("position", "pk")
        )
    return found


def variant_for(chosen: Sequence[Variant], account: ChannelAccount) -> Variant | None:
    """The copy `publishing` sends to `account`: the chosen variant written for
    that account, else the chosen one of its network (`_chosen_variant_id`)."""
    mine = [v for v in chosen if v.network == account.network]
    return next((v for v in mine if v.account_id == account.pk), None) or (
        mine[0] if mine else None
    )


def _image_outs(post: Post, network: str, variant: Variant | None) -> list[Any]:
    """The post's chosen images as the reviewer opens them: the thumbnail, and
    the file `network` gets (served through the media library's views, which
    check the workspace)."""
    from django.urls import reverse

    from publishing.preview import ImageOut

    outs = []
    for usage in _images(post):
        asset = usage.asset
        rendition = rendition_for(asset.renditions.all(), network)
        full = (
            reverse("rendition-file", args=[rendition.pk])
            if rendition is not None
            else reverse("asset-file", args=[asset.pk, "original"])
        )
        outs.append(
            ImageOut(
                asset_id=asset.pk,
                thumb_url=reverse("asset-file", args=[asset.pk, "thumbnail"]),
                full_url=full,
                alt_text=asset.alt_text or (variant.alt_text if variant else ""),
                width=(rendition or asset).width or 0,
                height=(rendition or asset).height or 0,
            )
        )
    return outs


def fingerprint(post: Post, channels: Sequence[ChannelCard]) -> str:
    """A hash of everything that goes out: per account, the variant, the parts
    as sent, the title, the link and how it goes, the images; and the time."""
    payload = {
        "post": post.pk,
        "at": post.scheduled_at.isoformat() if post.scheduled_at else None,
        "channels": [
            {
                "account": c.account.pk,
                "sent": not c.planning_only,
                "network": c.account.network,
                "variant": c.variant.pk if c.variant else None,
                "parts": list(c.out.parts),
                "title": c.out.title,
                "link": [c.out.link.url, c.out.link.mode] if c.out.link else None,
                "images": [[i.asset_id, i.alt_text] for i in c.out.images],
                "terms": [list(c.out.tags), list(c.out.categories)],
            }
            for c in channels
        ],
    }
    raw = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def outgoing(post: Post) -> list[ChannelCard]:
    """What goes out per account, without the checks (for the fingerprint)."""
    from campaigns.terms import terms_for
    from publishing.delivery import split_thread
    from publishing.preview import channel_out

    chosen = _chosen(post)
    accounts = sorted(post.accounts.all(), key=lambda a: (a.network, a.name, a.pk))
    channels = []
    for account in accounts:
        variant = variant_for(chosen, account)
        text = variant.text if variant is not None else (post.body or post.topic)
        out = channel_out(
            network=account.network,
            text=text,
            link=post.link,
            title=post.topic,
            images=_image_outs(post, account.network, variant),
            # what build_request hands a blog: terms of the text as sent
            terms=terms_for(post, "\n\n".join(split_thread(text))),
        )
        channels.append(ChannelCard(account, out, variant, Checks()))
    return channels
