"""The approval card: what a reviewer approves, and approving exactly that.

A card shows, per channel account the post targets, the copy as it will be
published (the chosen variant for the account's network, split and linked as
its connector sends it; see `publishing.preview`), the images that go out (the
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

What goes out and its fingerprint are computed in
`workflow.review_outgoing`; this module adds the checks and approves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Prefetch

from campaigns import lifecycle
from campaigns.models import Post
from connections.models import ChannelAccount
from content.models import PostImage, Variant, VariantStatus
from core.errors import ConflictError
from workflow.review_outgoing import (
    ChannelCard,
    Checks,
    PartMeasure,
)
from workflow.review_outgoing import fingerprint as _fingerprint
from workflow.review_outgoing import outgoing as _outgoing

if TYPE_CHECKING:
    from publishing.preview import ChannelOut
    from workspaces.permissions import Principal

STALE_MESSAGE = "The copy changed since you opened this; review it again."


class StaleReview(ConflictError):
    """What would go out differs from the card the reviewer approved (409)."""

    def __init__(self) -> None:
        super().__init__(STALE_MESSAGE, code="review_stale")


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


def _measures(account: ChannelAccount, out: ChannelOut) -> tuple[PartMeasure, ...]:
    from content.services.copy_checks import account_limits
    from networks import textrules

    try:
        rules = textrules.rules_for(out.network)
    except ValueError:  # a network without text rules
        return ()
    limit = account_limits(account).max_length
    measures = []
    for part in out.parts:
        m = textrules.measure(out.network, part, max_length=limit)
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
    publishing (`publishing.publication_review`): listed on the approvals page
    so a reviewer finds them; they are approved on the post's page."""
    from publishing.models import Publication, PublicationStatus

    return list(
        Publication.objects.filter(
            workspace=workspace, status=PublicationStatus.NEEDS_REVIEW
        )
        .select_related("post", "account")
        .order_by("due_at", "pk")
    )
