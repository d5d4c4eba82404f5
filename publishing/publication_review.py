"""A review of one publication's copy, after its post started publishing.

Once some of a post's publications went out (the post is partly published or
failed), the post cannot go back to review as a whole: what is published
stays published. An edit of the copy then holds only the publications that
have not gone out, of the networks whose copy changed:

- the workspace requires approval: those failed or waiting (`scheduled`) move
  to `needs_review`, which the dispatcher never claims; a person who may
  approve posts (reviewer, client, admin, owner; not the editor who made the
  change: four eyes, as for posts) approves the new copy, which releases that
  publication alone (`scheduled`, at its time or now when that passed). The
  brand-safety and channel checks of post approval apply the same way.
- it does not: nothing waits for a review, but an edit-kind failure
  (`publishing.failures`) becomes retryable, since the copy that failed changed.

Registered as a `campaigns.lifecycle` edit listener in `ChannelsConfig.ready`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Post
from core.errors import ConflictError
from publishing import failures
from publishing.delivery import chosen_variant_id, publication_move
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from workspaces.models import ApiKey, User
from workspaces.permissions import KEY_CANNOT_APPROVE, Action, can

if TYPE_CHECKING:
    from workspaces.permissions import Principal

logger = logging.getLogger("adloop.publishing")

HOLDABLE = (PS.FAILED, PS.SCHEDULED)


def hold_for_review(
    post: Post, by: Principal | None, networks: Collection[str] | None = None
) -> None:
    """The edit listener: the copy of `networks` (None: all) of `post` changed;
    `by` edited it."""
    rows = Publication.objects.filter(post=post)
    if networks is not None:
        rows = rows.filter(network__in=list(networks))
    editor = by if isinstance(by, User) else None
    if not post.workspace.approval_required:
        failures.mark_edited(
            list(rows.filter(status=PS.FAILED).values_list("pk", flat=True))
        )
        return
    # Edited again while in review: the latest editor may not approve it.
    rows.filter(status=PS.NEEDS_REVIEW).update(review_requested_by=editor)
    held = publication_move(
        list(rows.filter(status__in=HOLDABLE).values_list("pk", flat=True)),
        to=PS.NEEDS_REVIEW,
        sources=HOLDABLE,
        review_requested_by=editor,
    )
    if held:
        logger.info("post %s: publications %s wait for a review", post.pk, held)


def may_approve(publication: Publication, principal: Principal | None) -> bool:
    """Whether `principal` may approve this publication's copy now."""
    return (
        publication.status == PS.NEEDS_REVIEW
        and principal is not None
        and can(principal, Action.APPROVE, publication.workspace)
        and not _own_edit(publication, principal)
    )


def _own_edit(publication: Publication, principal: Principal) -> bool:
    return (
        isinstance(principal, User)
        and publication.review_requested_by_id is not None
        and publication.review_requested_by_id == principal.pk
    )


def publication_approve(
    publication: Publication, *, by: Principal | None
) -> Publication:
    """Approve the edited copy of one publication: it goes out at its time, or
    now when that passed; the post's other publications are not touched."""
    if by is None or not can(by, Action.APPROVE, publication.workspace):
        if isinstance(by, ApiKey):
            raise PermissionDenied(KEY_CANNOT_APPROVE)
        raise PermissionDenied("Your role does not allow this.")
    if _own_edit(publication, by):
        raise PermissionDenied("You edited this copy; someone else has to approve it.")
    if publication.status != PS.NEEDS_REVIEW:
        label = PS(publication.status).label.lower()
        raise ConflictError(
            f"A publication that is {label} has no copy waiting for approval.",
            code="transition_not_allowed",
            status=publication.status,
        )
    post = Post.objects.select_related("workspace").get(pk=publication.post_id)
    now = timezone.now()
    due = max(publication.due_at, now)
    with transaction.atomic():
        note = lifecycle.approve_copy(post, by)
        moved = publication_move(
            [publication.pk],
            to=PS.SCHEDULED,
            sources=[PS.NEEDS_REVIEW],
            due_at=due,
            next_attempt_at=due,
            due_override=publication.due_override or due != publication.due_at,
            variant_id=chosen_variant_id(post, publication.account),
            first_attempt_at=None,
            finished_at=None,
            error="",
            error_kind="",
            review_requested_by=None,
        )
        if not moved:
            raise ConflictError(
                "Someone else acted on this publication first.",
                code="transition_not_allowed",
                status=Publication.objects.get(pk=publication.pk).status,
            )
    logger.info(
        "publication %s: copy approved by %s%s",
        publication.pk,
        getattr(by, "pk", by),
        f" ({note})" if note else "",
    )
    return Publication.objects.get(pk=publication.pk)
