"""The audit log's rows for post moves: one per `PostStatusChange` that names
a person or a key, written beside it in the same transaction
(`events.services`), so the workspace's audit log and the post's history never
disagree.

The log answers "who did what": a person's or a key's act, and a system move a
person's act caused (an edit sending a post back to review). What the system
does alone (the dispatcher publishing a due post, a post failing) stays in the
post's history and its publications: written twice it would cost the
publishing outbox a fifth of its throughput (BENCHMARKS.md, "Layout") and bury
the acts a reader looks for."""

from __future__ import annotations

from collections.abc import Sequence

from campaigns.models import Post, PostStatusChange
from events import services as events
from events.actions import post_action
from events.models import AuditEvent


def record_moves(moves: Sequence[tuple[Post, PostStatusChange]]) -> None:
    """One audit row per (post, history row) that names a person or a key, in
    one INSERT for the lot."""
    acts = [(p, c) for p, c in moves if c.actor_id or c.actor_key_id]
    if acts:
        events.record_all([_event(post, change) for post, change in acts])


def _event(post: Post, change: PostStatusChange) -> AuditEvent:
    # The history row holds the actor as the move saw it (person, key, token,
    # or the system's name); its foreign objects are the ones it was made with.
    token = change.actor_token
    person, key = change.actor, change.actor_key
    label = change.actor_label or (person.email if person else key.name if key else "")
    workspace = post.workspace if Post.workspace.is_cached(post) else post.workspace_id
    return events.build(
        workspace=workspace,
        action=post_action(change.action),
        actor=events.Actor(
            user=person,
            key=key,
            token_name=token.name if token is not None else "",
            label=label,
        ),
        target=post,
        target_repr=post.topic,
        data={
            "from": change.from_status,
            "to": change.to_status,
            "reason": change.reason,
            "history_id": change.pk,
        },
        at=change.at,
    )
