"""What a move must pass before it is made: who may make it, whether the post
is ready to be scheduled, and the checks other apps register (the content
app's brand-safety objections and channel limits). Campaigns never imports
those apps: they register here from their `ready()`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils import timezone

from campaigns.lifecycle.moves import MOVES, Move
from campaigns.models import Post
from campaigns.models import PostStatus as S
from core.errors import ConflictError
from workspaces.models import ApiKey, Role, User
from workspaces.permissions import KEY_CANNOT_APPROVE, Action, can, role_in_workspace

if TYPE_CHECKING:
    from workspaces.permissions import Principal


# --- Approval checks -----------------------------------------------------------------
# Other apps may object to an approval (the content app: chosen copy failing the
# brand-safety gate). With objections only an owner or admin may approve, and
# the history row says "Approved despite: ...".

ApprovalCheck = Callable[[Post], list[str]]
ApprovalOverride = Callable[[Post, "Principal"], None]
_approval_checks: list[tuple[ApprovalCheck, ApprovalOverride | None]] = []


def register_approval_check(
    check: ApprovalCheck, *, on_override: ApprovalOverride | None = None
) -> None:
    """Add `check(post) -> problems`; `on_override(post, by)` runs inside the
    approving transaction when an owner or admin approves despite them.
    Registering the same check twice is a no-op (apps' ready() may run twice)."""
    if all(existing is not check for existing, _ in _approval_checks):
        _approval_checks.append((check, on_override))


def approval_problems(post: Post) -> list[str]:
    """Every registered check's objections to approving `post` now."""
    return [problem for check, _ in _approval_checks for problem in check(post)]


def run_overrides(post: Post, by: Principal) -> None:
    """`by` approves despite the objections: tell the checks that asked to know
    (inside the approving transaction)."""
    for _, on_override in _approval_checks:
        if on_override is not None:
            on_override(post, by)


# --- Move checks ---------------------------------------------------------------------
# Problems no one may approve past (the content app: copy or images over a
# channel's limit, which the network would refuse): they stop every move toward
# publishing with a 409 that lists them, for every role.

MoveCheck = Callable[[Post], list[str]]
CHECKED_MOVES = {
    "submit": "submitted for review",
    "approve": "approved",
    "schedule": "scheduled",
    "retry": "retried",
}
_move_checks: list[MoveCheck] = []


def register_move_check(check: MoveCheck) -> None:
    """Add `check(post) -> problems` to the moves in `CHECKED_MOVES`.
    Registering the same check twice is a no-op."""
    if all(existing is not check for existing in _move_checks):
        _move_checks.append(check)


def move_problems(post: Post) -> list[str]:
    """Every registered move check's problems with `post` now."""
    return [problem for check in _move_checks for problem in check(post)]


def check_moves(action: str, post: Post) -> None:
    """Raise `ConflictError` listing the move checks' problems, for the moves
    in `CHECKED_MOVES`."""
    if action not in CHECKED_MOVES:
        return
    problems = move_problems(post)
    if problems:
        raise ConflictError(
            f"This post cannot be {CHECKED_MOVES[action]} until it fits every "
            f"channel: {' '.join(problems)}",
            code="copy_over_limit",
            problems=problems,
        )


def may_override(principal: Principal | None, post: Post) -> bool:
    """May `principal` approve past the approval checks' objections?"""
    return isinstance(principal, User) and role_in_workspace(
        principal, post.workspace
    ) in (Role.OWNER, Role.ADMIN)


def approve_copy(post: Post, by: Principal) -> str:
    """The approval checks when `by` approves the copy of a post outside
    `transition` (one publication's copy after its review): the same rule, so
    with objections only an owner or admin may, and the overrides are recorded.
    Call inside the approving transaction. Returns the "Approved despite: …"
    note (empty when nothing objected)."""
    blocked = move_problems(post)
    if blocked:
        raise ConflictError(
            f"This copy cannot be approved until it fits every channel: "
            f"{' '.join(blocked)}",
            code="copy_over_limit",
            problems=blocked,
        )
    problems = approval_problems(post)
    if not problems:
        return ""
    if not may_override(by, post):
        raise PermissionDenied(
            "Only an owner or admin may approve this copy: " + "; ".join(problems) + "."
        )
    run_overrides(post, by)
    return "Approved despite: " + "; ".join(problems)


# --- Readiness and permission ----------------------------------------------------


def check_ready(move: Move, post: Post) -> None:
    """A move to `scheduled` needs a future time and an account that publishes."""
    if move.target != S.SCHEDULED:
        return
    if post.scheduled_at is None:
        raise ConflictError("Set a date and time before scheduling.", code="not_ready")
    if post.scheduled_at <= timezone.now():
        raise ConflictError(
            "The scheduled time is in the past; pick a later one.", code="not_ready"
        )
    if not post.accounts.exists():
        raise ConflictError(
            "Choose at least one channel account before scheduling.", code="not_ready"
        )
    accounts = list(post.accounts.order_by("name"))
    if all(account.planning_only for account in accounts):
        names = ", ".join(account.name for account in accounts)
        raise ConflictError(
            f"Nothing would be published: {names} "
            f"{'is' if len(accounts) == 1 else 'are'} planning only (no "
            "credentials). Connect an account on the Channels page, or choose a "
            "connected one.",
            code="planning_only",
        )


def check_permission(
    post: Post, action: str, *, by: Principal | None, system: str = ""
) -> Move:
    """Raise `PermissionDenied` unless `by` (or `system`) may make `action` on
    posts of `post`'s workspace; the move otherwise. Checked before anything
    about the post's state or the request's body, so a caller who may not
    learns nothing from a 409 or a 400."""
    move = MOVES.get(action)
    if move is None:
        raise ValueError(f"Unknown lifecycle action {action!r}")
    if move.permission is None:
        if by is not None or not system:
            raise PermissionDenied(f"'{action}' is made by the system only.")
    elif by is None or not can(by, move.permission, post.workspace):
        if isinstance(by, ApiKey) and move.permission == Action.APPROVE:
            raise PermissionDenied(KEY_CANNOT_APPROVE)
        raise PermissionDenied("Your role does not allow this.")
    return move


def approved_by_review(post: Post) -> bool:
    """Did the post's approval come from a person's review?

    Not when a workspace without required approval scheduled a draft directly:
    unscheduling that post makes it a draft again, never `approved` (a post
    that no one reviewed is never approved). The latest history row that
    approves or leaves the approved path decides; a post made in a later
    state, with no such row, was not reviewed either.
    """
    last = (
        post.history.filter(
            Q(action="approve")
            | Q(to_status__in=[S.DRAFT, S.IN_REVIEW, S.REJECTED, S.CANCELED])
            | Q(action="schedule", from_status=S.DRAFT)
        )
        .order_by("-at", "-pk")
        .first()
    )
    return last is not None and last.action == "approve"
