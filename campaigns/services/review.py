"""The approval card: what a reviewer approves, and approving exactly that.

A card shows, per channel account the post targets, the copy as it will be
published (the chosen variant for the account's network, split and linked as
its connector sends it; see `channels.preview`), the images that go out (the
network's own rendition), a blog's tags and categories, whether the account is
planning only, the time, and what the checks found:

- per account, `content.services.copy_checks.post_copy_findings` (the limits
  the copy or images break, the brand-safety gate's reasons) and each part's
  length against the account's limit;
- for the post, `lifecycle.move_problems` (`blocked`: no one approves past a
  channel's limit) and `lifecycle.approval_problems` (`problems`: an owner or
  admin may approve despite them). New checks registered there show up here.

The card carries a fingerprint of everything that goes out. Approving with a
fingerprint re-reads the post under row locks and refuses (409
`review_stale`) when what would go out no longer matches what the reviewer
saw: an edit, a new choice of variant, other images or alt text, another
link, time, tags or accounts since the card was rendered.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Prefetch

from campaigns import lifecycle
from campaigns.errors import ConflictError
from campaigns.models import Post
from channels.models import ChannelAccount
from content.models import PostImage, Variant, VariantStatus

if TYPE_CHECKING:
    from campaigns.permissions import Principal
    from channels.preview import ChannelOut

STALE_MESSAGE = "The copy changed since you opened this; review it again."


class StaleReview(ConflictError):
    """What would go out differs from the card the reviewer approved (409)."""

    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE, code="review_stale")


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


@dataclass
class ReviewCard:
    """`blocked`: what no one may approve past (a channel's limit, the
    lifecycle's move checks); `problems`: objections an owner or admin may
    approve despite (the brand-safety gate, the lifecycle's approval checks)."""

    post: Post
    channels: list[ChannelCard]
    problems: list[str]
    fingerprint: str
    blocked: list[str] = field(default_factory=list)
    scheduled_at: datetime | None = None

    @property
    def time_passed(self) -> bool:
        """The post's time is over: it needs a new one before it is scheduled."""
        from django.utils import timezone

        return self.scheduled_at is not None and self.scheduled_at <= timezone.now()


def review_posts(posts: Iterable[Post]) -> list[Post]:
    """`posts` with what a card reads prefetched (accounts, chosen variants,
    chosen images with their assets): a constant number of queries a page."""
    posts = list(posts)
    if posts:
        from django.db.models import prefetch_related_objects

        prefetch_related_objects(
            posts,
            "accounts",
            Prefetch(
                "variants",
                queryset=Variant.objects.filter(status=VariantStatus.CHOSEN),
                to_attr="chosen_variants",
            ),
            Prefetch(
                "images",
                queryset=PostImage.objects.filter(chosen=True)
                .select_related("asset")
                .prefetch_related("asset__renditions")
                .order_by("position", "pk"),
                to_attr="chosen_images",
            ),
        )
    return posts


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


def _rendition_for(asset: Any, network: str) -> Any:
    """The rendition `publishing.media_for` sends to `network` (its own cut,
    else a generic one, in the network's preferred format order), or None."""
    from channels.publishing import DEFAULT_FORMATS, PREFERRED_FORMATS

    order = PREFERRED_FORMATS.get(network, ()) + DEFAULT_FORMATS
    renditions = list(asset.renditions.all())
    for wanted in (network, ""):
        mine = [r for r in renditions if r.network == wanted]
        mine.sort(key=lambda r: order.index(r.format) if r.format in order else 99)
        if mine:
            return mine[0]
    return None


def _image_outs(post: Post, network: str, variant: Variant | None) -> list[Any]:
    """The post's chosen images as the reviewer opens them: the thumbnail, and
    the file `network` gets (served through the media library's views, which
    check the workspace)."""
    from django.urls import reverse

    from channels.preview import ImageOut

    outs = []
    for usage in _images(post):
        asset = usage.asset
        rendition = _rendition_for(asset, network)
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


def _measures(account: ChannelAccount, out: ChannelOut) -> tuple[PartMeasure, ...]:
    from content import channel_rules
    from content.services.copy_checks import account_limits

    try:
        rules = channel_rules.rules_for(out.network)
    except ValueError:  # a network without text rules
        return ()
    limit = account_limits(account).max_length
    measures = []
    for part in out.parts:
        m = channel_rules.measure(out.network, part, max_length=limit)
        text = f"{m.length}" + (f" / {m.limit}" if m.limit else "") + f" {m.unit}"
        if rules.subject_only:
            text = f"Subject: {text}"
        if m.bytes_over_by:
            text += f", {m.bytes} of {m.byte_limit} bytes"
        measures.append(PartMeasure(text, over=not m.fits))
    return tuple(measures)


def _checks(
    account: ChannelAccount, variant: Variant | None, out: ChannelOut, found: Any
) -> Checks:
    reasons: tuple[str, ...] = ()
    if variant is not None and variant.gate_overridden_at is not None:
        reasons = tuple(
            str(r.get("message") or r.get("code") or "")
            for r in (variant.gate or {}).get("reasons", [])
            if isinstance(r, dict)
        )
    return Checks(
        findings=tuple(found.findings) if found is not None else (),
        gate_overridden=bool(variant and variant.gate_overridden_at is not None),
        gate_reasons=reasons,
        measures=_measures(account, out),
    )


def _fingerprint(post: Post, channels: Sequence[ChannelCard]) -> str:
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


def review_card(post: Post) -> ReviewCard:
    """The card of one post (prefetch with `review_posts` for a page of them)."""
    from content.services.copy_checks import post_copy_findings

    findings = {f.account.pk: f for f in post_copy_findings(post)}
    outgoing = _outgoing(post)
    edits = _edits_since_approval(post, [c.variant for c in outgoing if c.variant])
    channels = [
        replace(
            c,
            checks=_checks(c.account, c.variant, c.out, findings.get(c.account.pk)),
            edits=tuple(edits.get(c.variant.pk, ())) if c.variant else (),
        )
        for c in outgoing
    ]
    return ReviewCard(
        post=post,
        channels=channels,
        problems=lifecycle.approval_problems(post),
        blocked=lifecycle.move_problems(post),
        fingerprint=_fingerprint(post, channels),
        scheduled_at=post.scheduled_at,
    )


def _edits_since_approval(
    post: Post, variants: Sequence[Variant]
) -> dict[int, list[Any]]:
    """Per chosen variant, its text edits since the post was last approved (a
    post back in review after an edit): what the reviewer approved before and
    what changed. Empty for a post never approved."""
    from content.models import VariantEdit

    approvals = post.history.filter(action="approve").order_by("-at")
    approved_at = approvals.values_list("at", flat=True).first()
    if approved_at is None or not variants:
        return {}
    found: dict[int, list[Any]] = {}
    for edit in VariantEdit.objects.filter(
        variant__in=variants, at__gt=approved_at
    ).select_related("by", "by_key"):
        found.setdefault(edit.variant_id, []).append(edit)
    return found


def _outgoing(post: Post) -> list[ChannelCard]:
    """What goes out per account, without the checks (for the fingerprint)."""
    from campaigns.terms import terms_for
    from channels.preview import channel_out
    from channels.publishing import split_thread

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


def review_fingerprint(post: Post) -> str:
    """The fingerprint `review_card(post)` carries, without running the checks."""
    return _fingerprint(post, _outgoing(post))


def approve_reviewed(
    *,
    post: Post,
    by: Principal,
    fingerprint: str | None,
    reason: str = "",
    require_fingerprint: bool = False,
) -> Post:
    """Approve `post` as the reviewer saw it (`fingerprint`, from its card).

    With a fingerprint, the post, its chosen variants and images are locked and
    read again; a different fingerprint raises `StaleReview` and nothing moves.
    An edit waiting on those locks lands after the approval and sends the post
    back to review, as any edit of an approved post does. Without a fingerprint
    (API clients that do not send one) it is the plain lifecycle move, unless
    `require_fingerprint` (the approval card's form, which always sends one):
    then a missing one is stale. The permission rules are the lifecycle's.
    """
    if not fingerprint and not require_fingerprint:
        return lifecycle.transition(post, "approve", by=by, reason=reason)
    with transaction.atomic():
        locked = (
            Post.objects.select_for_update(of=("self",))
            .select_related("workspace", "campaign")
            .get(pk=post.pk)
        )
        list(
            Variant.objects.select_for_update().filter(
                post=locked, status=VariantStatus.CHOSEN
            )
        )
        list(PostImage.objects.select_for_update().filter(post=locked))
        # Who may not approve, or a post no longer in review, gets the
        # lifecycle's own answer (403, 409 with the allowed moves), not "stale".
        may = "approve" in lifecycle.allowed_actions(locked, by)
        if may and review_fingerprint(locked) != fingerprint:
            raise StaleReview
        return lifecycle.transition(locked, "approve", by=by, reason=reason)


def copy_reviews(workspace: Any) -> list[Any]:
    """Publications whose copy waits for a review after their post started
    publishing (`channels.publication_review`): listed on the approvals page
    so a reviewer finds them; they are approved on the post's page."""
    from channels.models import Publication, PublicationStatus

    return list(
        Publication.objects.filter(
            workspace=workspace, status=PublicationStatus.NEEDS_REVIEW
        )
        .select_related("post", "account")
        .order_by("due_at", "pk")
    )
