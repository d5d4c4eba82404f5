"""The move table: every named transition, from which states, to which, and who
may make it; which moves a person may make now (`allowed_actions`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from campaigns.models import Post
from campaigns.models import PostStatus as S
from core.errors import ConflictError
from workspaces.models import User
from workspaces.permissions import Action, can

if TYPE_CHECKING:
    from workspaces.permissions import Principal


@dataclass(frozen=True)
class Move:
    """One named transition: from which states, to which, and who may make it."""

    action: str
    sources: frozenset[str]
    target: str
    # None: a system move (dispatcher, edit rules), never a person's or a key's.
    permission: Action | None
    label: str
    needs_reason: bool = False


def _m(
    action: str,
    sources: set[str],
    target: str,
    permission: Action | None,
    label: str,
    needs_reason: bool = False,
) -> Move:
    return Move(action, frozenset(sources), target, permission, label, needs_reason)


_EDIT, _APPROVE = Action.EDIT_CONTENT, Action.APPROVE
MOVES: dict[str, Move] = {
    m.action: m
    for m in [
        _m("submit", {S.DRAFT, S.REJECTED}, S.IN_REVIEW, _EDIT, "Submit for review"),
        _m("approve", {S.IN_REVIEW}, S.APPROVED, _APPROVE, "Approve"),
        _m("reject", {S.IN_REVIEW, S.APPROVED}, S.REJECTED, _APPROVE, "Reject", True),
        # Sources widen to draft when the workspace does not require approval.
        _m("schedule", {S.APPROVED}, S.SCHEDULED, _EDIT, "Schedule"),
        _m("unschedule", {S.SCHEDULED}, S.APPROVED, _EDIT, "Unschedule"),
        _m("reopen", {S.REJECTED}, S.DRAFT, _EDIT, "Back to draft"),
        _m(
            "cancel",
            {
                S.DRAFT,
                S.IN_REVIEW,
                S.APPROVED,
                S.REJECTED,
                S.SCHEDULED,
                S.FAILED,
                S.UNCONFIRMED,
            },
            S.CANCELED,
            _EDIT,
            "Cancel",
        ),
        _m("restore", {S.CANCELED}, S.DRAFT, _EDIT, "Restore as draft"),
        _m("retry", {S.FAILED}, S.SCHEDULED, _EDIT, "Retry"),
        _m(
            "return_to_review",
            {S.APPROVED, S.SCHEDULED},
            S.IN_REVIEW,
            None,
            "Back to review",
        ),
        # The post follows its publications (`publishing.post_status`): one of
        # them retried, published now or released after a review sets a
        # finished post publishing again.
        _m(
            "start_publishing",
            {S.SCHEDULED, S.PARTLY_PUBLISHED, S.FAILED, S.UNCONFIRMED},
            S.PUBLISHING,
            None,
            "Publishing",
        ),
        _m(
            "mark_published",
            {S.PUBLISHING, S.UNCONFIRMED, S.PARTLY_PUBLISHED},
            S.PUBLISHED,
            None,
            "Published",
        ),
        _m(
            "mark_partly_published",
            {S.PUBLISHING, S.UNCONFIRMED, S.FAILED},
            S.PARTLY_PUBLISHED,
            None,
            "Partly published",
        ),
        _m("mark_failed", {S.PUBLISHING, S.UNCONFIRMED}, S.FAILED, None, "Failed"),
        _m("mark_unconfirmed", {S.PUBLISHING}, S.UNCONFIRMED, None, "Unconfirmed"),
    ]
}
# After publishing started, an edit of the copy sends only the publications
# that have not gone out back to review (`register_edit_listener`), not the post.
PUBLICATION_REVIEW_STATES = frozenset({S.PARTLY_PUBLISHED, S.FAILED})
PERSON_ACTIONS = [a for a, m in MOVES.items() if m.permission is not None]

# Content edits are refused once a post reached the network or its outcome is
# unknown, and while it is canceled (restore it first).
LOCKED_STATES = frozenset({S.PUBLISHING, S.PUBLISHED, S.UNCONFIRMED, S.CANCELED})


class TransitionNotAllowed(ConflictError):
    """The move does not start from the post's state (409, with the allowed ones)."""

    def __init__(self, post: Post, action: str, allowed: list[str]) -> None:
        label = S(post.status).label.lower()
        message = f"A post that is {label} cannot be moved with '{action}'."
        if allowed:
            message += f" Allowed now: {', '.join(allowed)}."
        super().__init__(
            message,
            code="transition_not_allowed",
            status=post.status,
            allowed=allowed,
        )


def sources_of(move: Move, post: Post) -> frozenset[str]:
    """The states `move` starts from for this post (its workspace's policy)."""
    if move.action == "schedule" and not post.workspace.approval_required:
        return move.sources | {S.DRAFT}
    return move.sources


def allowed_actions(post: Post, principal: Principal | None) -> list[str]:
    """The moves this caller may make on this post now, in display order."""
    return [
        action
        for action in PERSON_ACTIONS
        if post.status in sources_of(MOVES[action], post)
        and principal is not None
        and (permission := MOVES[action].permission) is not None  # always, here
        and can(principal, permission, post.workspace)
        and not own_approval(MOVES[action], post, principal)
        and not (action == "retry" and retry_blocked(post))
    ]


# `check(post) -> reason`: why retrying a failed post cannot help (the channels
# app: every failed publication needs its copy edited or its account
# reconnected); empty when it can. "Retry" is then neither offered nor made.
RetryCheck = Callable[[Post], str]
_retry_checks: list[RetryCheck] = []


def register_retry_check(check: RetryCheck) -> None:
    """Add `check`; registering the same one twice is a no-op."""
    if all(existing is not check for existing in _retry_checks):
        _retry_checks.append(check)


def retry_blocked(post: Post) -> str:
    """The first registered retry check's reason (empty: a retry may help)."""
    for check in _retry_checks:
        reason = check(post)
        if reason:
            return reason
    return ""


def own_approval(move: Move, post: Post, principal: Principal) -> bool:
    """Four eyes: whoever submitted a post for review does not approve it."""
    return (
        move.action == "approve"
        and isinstance(principal, User)
        and post.submitted_by_id is not None
        and post.submitted_by_id == principal.pk
    )


def ensure_editable(post: Post) -> None:
    """Raise `ConflictError` when the post's content may not change now."""
    if post.status in LOCKED_STATES:
        label = S(post.status).label.lower()
        hint = " Restore it first." if post.status == S.CANCELED else ""
        raise ConflictError(
            f"A post that is {label} cannot be edited.{hint}", code="not_editable"
        )
