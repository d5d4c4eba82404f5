"""The post lifecycle: the only code that changes `Post.status`.

    draft ──submit──> in_review ──approve──> approved ──schedule──> scheduled
      ^                  │  ^                    │                     │
      │               reject└──── (edited) ──────┘ (edited)            │ (dispatcher)
      │                  v                                             v
      └───reopen──── rejected                                      publishing
                                        published / partly_published <─┤
                                                                       v
                                 failed ──retry──> scheduled    unconfirmed / failed

Without required approval a draft may be scheduled directly (and unscheduling
it makes it a draft again: only a review approves). `cancel` works from
every state that has not reached the network; `restore` brings a canceled post
back as a draft. The dispatcher's moves (`start_publishing`, `mark_published`,
`mark_partly_published`, `mark_failed`, `mark_unconfirmed`: the post follows its
publications, see `channels.post_status`) and `return_to_review` are the
system's: no person or key may make them.

Every move is one conditional UPDATE (so two concurrent moves cannot both win),
one `PostStatusChange` row (who, when, from, to, why), and, after the commit, one
`post_status_changed` signal: analytics, webhooks and the calendar's live
updates listen there and nowhere else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.errors import ConflictError
from campaigns.models import ApiKey, Post, PostStatusChange, Role, User
from campaigns.models import PostStatus as S
from campaigns.permissions import KEY_CANNOT_APPROVE, Action, can, role_in_workspace
from campaigns.signals import post_status_changed
from campaigns.token_models import used_token

if TYPE_CHECKING:
    from campaigns.permissions import Principal

logger = logging.getLogger(__name__)


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
        # The post follows its publications (`channels.post_status`): one of
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
        and can(principal, MOVES[action].permission, post.workspace)  # type: ignore[arg-type]
        and not _own_approval(MOVES[action], post, principal)
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


def _own_approval(move: Move, post: Post, principal: Principal) -> bool:
    """Four eyes: whoever submitted a post for review does not approve it."""
    return (
        move.action == "approve"
        and isinstance(principal, User)
        and post.submitted_by_id is not None
        and post.submitted_by_id == principal.pk
    )


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


def _check_moves(action: str, post: Post) -> None:
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


def _may_override(principal: Principal, post: Post) -> bool:
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
    if not _may_override(by, post):
        raise PermissionDenied(
            "Only an owner or admin may approve this copy: " + "; ".join(problems) + "."
        )
    for _, on_override in _approval_checks:
        if on_override is not None:
            on_override(post, by)
    return "Approved despite: " + "; ".join(problems)


def _check_ready(move: Move, post: Post) -> None:
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


def _target(move: Move, post: Post) -> str:
    if move.action == "unschedule" and not approved_by_review(post):
        return S.DRAFT
    return move.target


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
    a precondition (time, accounts, reason) is missing.
    """
    move = check_permission(post, action, by=by, system=system)
    if post.status not in sources_of(move, post):
        raise TransitionNotAllowed(post, action, allowed_actions(post, by))
    if action == "retry" and (why := retry_blocked(post)):
        raise ConflictError(why, code="not_retryable", status=post.status)
    if by is not None and _own_approval(move, post, by):
        raise PermissionDenied(
            "You submitted this post; someone else has to approve it."
        )
    reason = reason.strip()
    if move.needs_reason and not reason:
        raise ConflictError("Say why (a reason is required).", code="reason_required")
    _check_ready(move, post)
    _check_moves(action, post)
    problems = approval_problems(post) if action == "approve" else []
    if problems:
        if not _may_override(by, post):  # type: ignore[arg-type]
            raise PermissionDenied(
                "Only an owner or admin may approve this post: "
                + "; ".join(problems)
                + "."
            )
        despite = "Approved despite: " + "; ".join(problems)
        reason = f"{despite}. {reason}" if reason else despite

    source, now, target = post.status, timezone.now(), _target(move, post)
    fields: dict[str, object] = {"status": target, "updated_at": now}
    if action == "submit" and isinstance(by, User):
        fields["submitted_by"] = by
    with transaction.atomic():
        moved = Post.objects.filter(pk=post.pk, status=source).update(**fields)
        if not moved:  # someone else moved it first
            post.refresh_from_db(fields=["status"])
            raise TransitionNotAllowed(post, action, allowed_actions(post, by))
        if problems:
            for _, on_override in _approval_checks:
                if on_override is not None:
                    on_override(post, by)  # type: ignore[arg-type]
        actor = by if by is not None else caused_by
        change = _record(post, source, target, action, actor, reason, system, now)
    for name, value in fields.items():
        setattr(post, name, value)
    return post_changed(post, change)


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
        for post, _ in moved:
            post.status, post.updated_at = move.target, now
        _emit_after_commit(
            [
                _payload(post, change)
                for (post, _), change in zip(moved, changes, strict=True)
            ]
        )
    logger.info("%d posts: -> %s (%s)", len(moved), move.target, action)
    return [post for post, _ in moved]


def record_creation(post: Post, *, by: Principal | None, system: str = "") -> None:
    """The first history row of a new post (from nothing to its first state)."""
    change = _record(post, "", post.status, "create", by, "", system, timezone.now())
    post_changed(post, change)


def record_creations(
    posts: Sequence[Post],
    *,
    by: Principal | None = None,
    system: str = "",
    batch_size: int = 1000,
) -> list[PostStatusChange]:
    """`record_creation` for many new posts at once (the planner's and the CSV
    import's bulk inserts): the history rows in batched INSERTs, then, after the
    commit, one signal per post with the payload `post_changed` sends, and one
    log line for the batch."""
    now = timezone.now()
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
    _emit_after_commit(
        [_payload(post, change) for post, change in zip(posts, changes, strict=True)]
    )
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
    at: object,
) -> PostStatusChange:
    return PostStatusChange.objects.create(
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


def post_changed(post: Post, change: PostStatusChange) -> Post:
    """Emit the one status signal, after the commit that made the change."""
    logger.info(
        "post %s: %s -> %s (%s)",
        post.pk,
        change.from_status or "-",
        change.to_status,
        change.action,
    )
    _emit_after_commit([_payload(post, change)])
    return post


def ensure_editable(post: Post) -> None:
    if post.status in LOCKED_STATES:
        label = S(post.status).label.lower()
        hint = " Restore it first." if post.status == S.CANCELED else ""
        raise ConflictError(
            f"A post that is {label} cannot be edited.{hint}", code="not_editable"
        )


# `listener(post, by, networks)`: the copy of a post in
# `PUBLICATION_REVIEW_STATES` changed (`networks`: those whose copy did; None:
# the post's own text, every network). The channels app holds the publications
# that have not gone out (`channels.publication_review`).
EditListener = Callable[[Post, "Principal | None", "Collection[str] | None"], None]
_edit_listeners: list[EditListener] = []


def register_edit_listener(listener: EditListener) -> None:
    """Add `listener`; registering the same one twice is a no-op."""
    if all(existing is not listener for existing in _edit_listeners):
        _edit_listeners.append(listener)


# `listener(post)`: the post was moved in time (its status unchanged). The
# channels app moves the publications that follow the post's time with it.
TimeListener = Callable[[Post], None]
_time_listeners: list[TimeListener] = []


def register_time_listener(listener: TimeListener) -> None:
    """Add `listener`; registering the same one twice is a no-op."""
    if all(existing is not listener for existing in _time_listeners):
        _time_listeners.append(listener)


def after_time_change(post: Post) -> None:
    """A person moved `post` in time (the editor, the calendar): tell the
    listeners, inside the caller's transaction."""
    for listener in _time_listeners:
        listener(post)


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
        for listener in _edit_listeners:
            listener(post, by, networks)
        return post
    if post.status == S.SCHEDULED and not post.workspace.approval_required:
        # No review will see it again: the change must keep it fitting (raised
        # inside the editing transaction, so nothing changes).
        problems = move_problems(post)
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
