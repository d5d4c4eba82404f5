"""Making moves: one post (`transition`), many posts as the system
(`system_transition_many`), new posts (`record_creation(s)`), and the edit
rules that move a post when its content changes (`after_edit`).

Each writes, in one transaction: the conditional UPDATE, the `PostStatusChange`
rows, and whatever the status listeners do (`listeners.status_changed`: the
channels app's publications); an exception from any of them rolls all of it
back. The `post_status_changed` signal goes out after the commit.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from campaigns.lifecycle import checks
from campaigns.lifecycle.audit import record_moves
from campaigns.lifecycle.listeners import StatusMove, copy_changed, status_changed
from campaigns.lifecycle.moves import (
    MOVES,
    PUBLICATION_REVIEW_STATES,
    Move,
    TransitionNotAllowed,
    allowed_actions,
    own_approval,
    retry_blocked,
    sources_of,
)
from campaigns.models import Post, PostStatusChange
from campaigns.models import PostStatus as S
from campaigns.signals import post_status_changed
from core.errors import ConflictError
from workspaces.models import ApiKey, User
from workspaces.token_models import used_token

if TYPE_CHECKING:
    from datetime import datetime

    from workspaces.permissions import Principal

logger = logging.getLogger("campaigns.lifecycle")


def _target(move: Move, post: Post) -> str:
    if move.action == "unschedule" and not checks.approved_by_review(post):
        return S.DRAFT
    return move.target


def _checked_reason(
    move: Move, post: Post, by: Principal | None, reason: str
) -> tuple[str, list[str]]:
    """Every check of a person's (or the system's) move that does not need the
    transaction; the history row's reason and the approval checks' objections
    an owner or admin approves past."""
    if post.status not in sources_of(move, post):
        raise TransitionNotAllowed(post, move.action, allowed_actions(post, by))
    if move.action == "retry" and (why := retry_blocked(post)):
        raise ConflictError(why, code="not_retryable", status=post.status)
    if by is not None and own_approval(move, post, by):
        raise PermissionDenied(
            "You submitted this post; someone else has to approve it."
        )
    reason = reason.strip()
    if move.needs_reason and not reason:
        raise ConflictError("Say why (a reason is required).", code="reason_required")
    checks.check_ready(move, post)
    checks.check_moves(move.action, post)
    problems = checks.approval_problems(post) if move.action == "approve" else []
    if problems:
        if not checks.may_override(by, post):
            raise PermissionDenied(
                "Only an owner or admin may approve this post: "
                + "; ".join(problems)
                + "."
            )
        despite = "Approved despite: " + "; ".join(problems)
        reason = f"{despite}. {reason}" if reason else despite
    return reason, problems


def transition(
    post: Post,
    action: str,
    *,
    by: Principal | None,
    reason: str = "",
    system: str = "",
    caused_by: Principal | None = None,
) -> Post:
    """Make `action` on `post` for `by` (a person or a key), or as `system`.

    A system move may name the person whose act caused it (`caused_by`, e.g. the
    editor whose edit sent a post back to review) so the history names them.

    Raises `PermissionDenied` when the caller may not, `TransitionNotAllowed`
    when the post is not in a state the move starts from, `ConflictError` when
    a precondition (time, accounts, reason) is missing; whatever a status
    listener raises (the post's publications could not be made) propagates,
    with nothing changed.
    """
    move = checks.check_permission(post, action, by=by, system=system)
    reason, problems = _checked_reason(move, post, by, reason)
    source, now, target = post.status, timezone.now(), _target(move, post)
    fields: dict[str, object] = {"status": target, "updated_at": now}
    if action == "submit" and isinstance(by, User):
        fields["submitted_by"] = by
    with transaction.atomic():
        moved = Post.objects.filter(pk=post.pk, status=source).update(**fields)
        if not moved:  # someone else moved it first
            post.refresh_from_db(fields=["status"])
            raise TransitionNotAllowed(post, action, allowed_actions(post, by))
        if problems and by is not None:  # problems: `by` may override, a person
            checks.run_overrides(post, by)
        actor = by if by is not None else caused_by
        change = _record(post, source, target, action, actor, reason, system, now)
        # The signal first, so its receivers hear of this move before any move
        # the listeners cause (the publications' own).
        _emit_after_commit([_payload(post, change)])
        status_changed([StatusMove(post, source, target, action)])
    for name, value in fields.items():
        setattr(post, name, value)
    _log(post, change)
    return post


def system_transition_many(
    posts: Sequence[Post], action: str, *, system: str
) -> list[Post]:
    """A system move (`MOVES[action].permission is None`) on many posts at once:
    what `transition` does for each, in a few statements (one UPDATE per source
    status, the history rows in one INSERT, one after-commit callback for the
    signals). The caller holds the posts' row locks (the publishing outbox
    moves a batch of publications together); a post not in one of the move's
    sources is left alone. Returns the posts that moved, updated in place.
    """
    move = MOVES[action]
    if move.permission is not None or not system:
        raise PermissionDenied(f"'{action}' is made by the system only.")
    ready = [p for p in posts if p.status in move.sources]
    if not ready:
        return []
    now = timezone.now()
    moved: list[tuple[Post, str]] = []
    with transaction.atomic(savepoint=False):
        for source in sorted({p.status for p in ready}):
            group = [p for p in ready if p.status == source]
            Post.objects.filter(pk__in=[p.pk for p in group], status=source).update(
                status=move.target, updated_at=now
            )
            moved += [(p, source) for p in group]
        changes = PostStatusChange.objects.bulk_create(
            [
                PostStatusChange(
                    post=post,
                    from_status=source,
                    to_status=move.target,
                    action=action,
                    actor_label=system,
                    at=now,
                )
                for post, source in moved
            ]
        )
        record_moves([(p, c) for (p, _), c in zip(moved, changes, strict=True)])
        _emit_after_commit(
            [
                _payload(post, change)
                for (post, _), change in zip(moved, changes, strict=True)
            ]
        )
        status_changed([StatusMove(p, s, move.target, action) for p, s in moved])
        for post, _ in moved:
            post.status, post.updated_at = move.target, now
    logger.info("%d posts: -> %s (%s)", len(moved), move.target, action)
    return [post for post, _ in moved]


def record_creation(post: Post, *, by: Principal | None, system: str = "") -> None:
    """The first history row of a new post (from nothing to its first state).
    Call after its accounts are set: a post created `scheduled` gets its
    publications from the status listeners, in this transaction."""
    with transaction.atomic():
        change = _record(
            post, "", post.status, "create", by, "", system, timezone.now()
        )
        _emit_after_commit([_payload(post, change)])
        status_changed([StatusMove(post, "", post.status, "create")])
    _log(post, change)


def record_creations(
    posts: Sequence[Post],
    *,
    by: Principal | None = None,
    system: str = "",
    batch_size: int = 1000,
) -> list[PostStatusChange]:
    """`record_creation` for many new posts at once (the planner's and the CSV
    import's bulk inserts): the history rows in batched INSERTs and the status
    listeners in one call, in one transaction; after the commit, one signal
    per post with the payload `record_creation` sends, and one log line for
    the batch."""
    now = timezone.now()
    with transaction.atomic():
        changes = PostStatusChange.objects.bulk_create(
            [
                PostStatusChange(
                    post=post,
                    from_status="",
                    to_status=post.status,
                    action="create",
                    actor=by if isinstance(by, User) else None,
                    actor_key=by if isinstance(by, ApiKey) else None,
                    actor_token=used_token(by),
                    actor_label=system,
                    at=now,
                )
                for post in posts
            ],
            batch_size=batch_size,
        )
        record_moves(list(zip(posts, changes, strict=True)))
        _emit_after_commit(
            [
                _payload(post, change)
                for post, change in zip(posts, changes, strict=True)
            ]
        )
        status_changed([StatusMove(p, "", p.status, "create") for p in posts])
    logger.info("%d posts created (%s)", len(changes), system or "by a person")
    return changes


def _record(
    post: Post,
    source: str,
    target: str,
    action: str,
    by: Principal | None,
    reason: str,
    system: str,
    at: datetime,
) -> PostStatusChange:
    change = PostStatusChange.objects.create(
        post=post,
        from_status=source,
        to_status=target,
        action=action,
        actor=by if isinstance(by, User) else None,
        actor_key=by if isinstance(by, ApiKey) else None,
        actor_token=used_token(by),
        actor_label=system,
        reason=reason,
        at=at,
    )
    record_moves([(post, change)])  # the audit log's row, in this transaction
    return change


def _payload(post: Post, change: PostStatusChange) -> dict[str, object]:
    """The signal's keyword arguments (documented in `campaigns.signals`)."""
    return {
        "post_id": post.pk,
        "workspace_id": post.workspace_id,
        "from_status": change.from_status,
        "to_status": change.to_status,
        "action": change.action,
        "change_id": change.pk,
    }


def _emit_after_commit(payloads: list[dict[str, object]]) -> None:
    """Send `post_status_changed` once per payload after the commit.

    One callback for the batch (10,000 imported posts are one callback, not
    10,000); a failing receiver is logged and does not keep the others from
    hearing about their posts.
    """

    def send_all() -> None:
        for payload in payloads:
            try:
                post_status_changed.send(sender=Post, **payload)
            except Exception:  # a receiver's bug must not hide the other posts
                logger.exception("post_status_changed receiver failed: %s", payload)

    transaction.on_commit(send_all)


def _log(post: Post, change: PostStatusChange) -> None:
    logger.info(
        "post %s: %s -> %s (%s)",
        post.pk,
        change.from_status or "-",
        change.to_status,
        change.action,
    )


def after_edit(
    post: Post,
    *,
    by: Principal | None,
    content_changed: bool,
    networks: Collection[str] | None = None,
) -> Post:
    """Apply the edit rules once a person changed a post.

    Changed content of an approved or scheduled post needs a new review when
    the workspace requires approval; without approval a scheduled post must
    still pass the move checks (`ConflictError` otherwise). A rejected post
    that is reworked becomes a draft again. Moving a post in time alone keeps
    its approval. Once some publications went out (partly published, failed)
    the post keeps its status and the edit listeners hold the changed
    `networks`' publications instead.
    """
    if not content_changed:
        return post
    if post.status in PUBLICATION_REVIEW_STATES:
        copy_changed(post, by, networks)
        return post
    if post.status == S.SCHEDULED and not post.workspace.approval_required:
        # No review will see it again: the change must keep it fitting (raised
        # inside the editing transaction, so nothing changes).
        problems = checks.move_problems(post)
        if problems:
            raise ConflictError(
                "This post is scheduled, so a change must keep it fitting every "
                f"channel: {' '.join(problems)}",
                code="copy_over_limit",
                problems=problems,
            )
    if post.status in (S.APPROVED, S.SCHEDULED) and post.workspace.approval_required:
        return transition(
            post,
            "return_to_review",
            by=None,
            system="edit rule",
            caused_by=by,
            reason="Edited after approval; needs a new review.",
        )
    if post.status == S.REJECTED and by is not None:
        return transition(post, "reopen", by=by, reason="Edited after rejection.")
    return post
