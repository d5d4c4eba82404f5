"""The audit log's rows for post moves: one per `PostStatusChange`, written
beside it in the same transaction (`events.services`), so the workspace's
audit log and the post's history never disagree."""

from __future__ import annotations

from collections.abc import Sequence

from campaigns.models import Post, PostStatusChange
from events import services as events
from events.actions import post_action
from events.models import AuditEvent


def record_moves(moves: Sequence[tuple[Post, PostStatusChange]]) -> None:
    """One audit row per (post, history row), in one INSERT for the lot.

    Posts loaded with few fields (the publishing outbox's) get their topics in
    one query for the lot, not one each."""
    deferred = [p.pk for p, _ in moves if "topic" in p.get_deferred_fields()]
    topics = dict(
        Post.objects.filter(pk__in=deferred).values_list("pk", "topic")
        if deferred
        else []
    )
    events.record_all(
        [_event(post, change, topics.get(post.pk)) for post, change in moves]
    )


def _event(post: Post, change: PostStatusChange, topic: str | None) -> AuditEvent:
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
        target_repr=topic,
        data={
            "from": change.from_status,
            "to": change.to_status,
            "reason": change.reason,
            "history_id": change.pk,
        },
        at=change.at,
    )
