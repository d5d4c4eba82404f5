"""A post's publications follow the post: made when it is scheduled, moved when
it moves in time, canceled when it leaves `scheduled`.

`publications_follow_status` is a lifecycle status listener (registered in
`ChannelsConfig.ready`): it runs inside the transaction that moves the post,
and its exception rolls the move back, so a post is never `scheduled` without
its publications, nor back in planning with publications still due.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.lifecycle import StatusMove
from campaigns.models import Post, PostStatus
from connections.models import ChannelAccount
from publishing.delivery.moves import CANCELABLE, publication_move
from publishing.models import Publication
from publishing.models import PublicationStatus as PS

# A post moved back into planning (unscheduled, canceled, sent back to review):
# its publications that no worker has claimed are canceled.
_PLANNING = frozenset(
    {
        PostStatus.DRAFT,
        PostStatus.IN_REVIEW,
        PostStatus.APPROVED,
        PostStatus.REJECTED,
        PostStatus.CANCELED,
    }
)


def chosen_variant_id(post: Post, account: ChannelAccount) -> int | None:
    """The copy chosen for the account's network (its own, else the network's)."""
    from content.models import Variant

    chosen = Variant.objects.filter(post=post, network=account.network, status="chosen")
    variant = chosen.filter(account=account).first() or chosen.first()
    return variant.pk if variant else None


def new_idempotency_key() -> str:
    return f"adloop-{uuid.uuid4().hex}"


def publications_follow_status(moves: Sequence[StatusMove]) -> None:
    """Lifecycle status listener: a post that became `scheduled` (scheduled,
    retried as a whole, or created scheduled) gets its publications; one moved
    back into planning loses those no worker has claimed. Inside the moving
    transaction; an exception propagates and undoes the move."""
    left: list[int] = []
    for move in moves:
        if move.to_status == PostStatus.SCHEDULED:
            publication_create_for_post(move.post)
        elif move.to_status in _PLANNING and move.action != "create":
            left.append(move.post.pk)  # a new post has no publications yet
    publications_cancel_for_posts(left)


def publication_create_for_post(post: Post) -> list[Publication]:
    """Make the publications of a post that was just scheduled, one per account
    that can publish (a planning-only account, without credentials, never gets
    one: scheduling a post with only those is refused by the lifecycle).

    Existing ones that have not reached the network (scheduled, failed,
    canceled) are refreshed: due at the post's time (their own time dropped: the
    post was scheduled as a whole), its chosen copy, `scheduled` again, same
    idempotency key. Those queued, publishing, published, unconfirmed or with
    their copy in review are left alone. Publications on accounts the post no
    longer targets (or that lost their credentials) are canceled.
    """
    post = Post.objects.get(pk=post.pk)
    if post.status != PostStatus.SCHEDULED or post.scheduled_at is None:
        return []
    accounts = [a for a in post.accounts.all() if not a.planning_only]
    with transaction.atomic():
        existing = {
            p.account_id: p
            for p in Publication.objects.select_for_update().filter(post=post)
        }
        result = [
            _make_or_refresh(post, account, existing.get(account.pk), post.scheduled_at)
            for account in accounts
        ]
        gone = [
            p.pk
            for account_id, p in existing.items()
            if account_id not in {a.pk for a in accounts}
        ]
        publication_move(gone, to=PS.CANCELED, sources=CANCELABLE, finished_at=None)
    return [Publication.objects.get(pk=p.pk) for p in result]


def _make_or_refresh(
    post: Post,
    account: ChannelAccount,
    publication: Publication | None,
    due: datetime,
) -> Publication:
    """One account's publication of a post being scheduled (see
    `publication_create_for_post`)."""
    variant_id = chosen_variant_id(post, account)
    if publication is None:
        return Publication.objects.create(
            workspace_id=post.workspace_id,
            post=post,
            account=account,
            variant_id=variant_id,
            network=account.network,
            due_at=due,
            next_attempt_at=due,
            idempotency_key=new_idempotency_key(),
        )
    if publication.status == PS.SCHEDULED and publication.attempts == 0:
        Publication.objects.filter(pk=publication.pk).update(
            due_at=due,
            next_attempt_at=due,
            variant_id=variant_id,
            due_override=False,
        )
    elif publication.status in (PS.SCHEDULED, PS.FAILED, PS.CANCELED):
        publication_move(
            [publication.pk],
            to=PS.SCHEDULED,
            sources=[PS.SCHEDULED, PS.FAILED, PS.CANCELED],
            due_at=due,
            next_attempt_at=due,
            due_override=False,
            variant_id=variant_id,
            error="",
            error_kind="",
            first_attempt_at=None,
            finished_at=None,
        )
    return publication


def publications_follow_post(post: Post) -> None:
    """The post was moved in time: its first tries that follow the post's time
    (not one with its own time: published now, retried, released after a
    review) are due at the new time at once, so the post page and the API say
    so (the dispatcher's `_sync_due_times` is the safety net)."""
    if post.scheduled_at is None:
        return
    Publication.objects.filter(
        post_id=post.pk, status=PS.SCHEDULED, attempts=0, due_override=False
    ).update(
        due_at=post.scheduled_at,
        next_attempt_at=post.scheduled_at,
        updated_at=timezone.now(),
    )


def publications_cancel_for_posts(post_ids: Collection[int]) -> list[int]:
    """Cancel the publications of posts that left `scheduled` (unscheduled,
    canceled, sent back to review) and have not been claimed by a worker."""
    if not post_ids:
        return []
    ids = Publication.objects.filter(post_id__in=post_ids, status__in=CANCELABLE)
    return publication_move(
        list(ids.values_list("pk", flat=True)), to=PS.CANCELED, sources=CANCELABLE
    )
