"""What other apps hear from the lifecycle inside the transaction that changes
a post, registered from their `ready()` (campaigns never imports them): the
channels app keeps a post's publications in step with it here, so that a
failure there rolls the whole change back. What may wait for the commit
(analytics, webhooks, the calendar's live updates) listens to the
`post_status_changed` signal instead (`campaigns.signals`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from campaigns.models import Post

if TYPE_CHECKING:
    from workspaces.permissions import Principal


@dataclass(frozen=True)
class StatusMove:
    """One post's status change, as its status listeners hear it. `from_status`
    is "" for a new post; `post.status` may still hold the old status."""

    post: Post
    from_status: str
    to_status: str
    action: str


# `listener(moves)`: posts changed status (one move, a system batch, or new
# posts), after the UPDATE and the history rows, inside the same transaction.
# The channels app creates a scheduled post's publications and cancels those
# of a post that left `scheduled` (`publishing.delivery.creating`). An
# exception propagates: the caller's transaction rolls back and the post keeps
# its status, so a post is never scheduled without its publications.
StatusListener = Callable[[Sequence[StatusMove]], None]
_status_listeners: list[StatusListener] = []


def register_status_listener(listener: StatusListener) -> None:
    """Add `listener`; registering the same one twice is a no-op."""
    if all(existing is not listener for existing in _status_listeners):
        _status_listeners.append(listener)


def status_changed(moves: Sequence[StatusMove]) -> None:
    """Tell the status listeners, inside the caller's transaction."""
    if not moves:
        return
    for listener in _status_listeners:
        listener(moves)


# `listener(post, by, networks)`: the copy of a post in
# `PUBLICATION_REVIEW_STATES` changed (`networks`: those whose copy did; None:
# the post's own text, every network). The channels app holds the publications
# that have not gone out (`publishing.publication_review`).
EditListener = Callable[[Post, "Principal | None", "Collection[str] | None"], None]
_edit_listeners: list[EditListener] = []


def register_edit_listener(listener: EditListener) -> None:
    """Add `listener`; registering the same one twice is a no-op."""
    if all(existing is not listener for existing in _edit_listeners):
        _edit_listeners.append(listener)


def copy_changed(
    post: Post, by: Principal | None, networks: Collection[str] | None
) -> None:
    """Tell the edit listeners, inside the caller's transaction."""
    for listener in _edit_listeners:
        listener(post, by, networks)


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
