"""The one function that changes `Publication.status` (`publication_move`), and
the posts following their publications (`_posts_sync`, through the lifecycle as
the system "dispatcher")."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from typing import Any

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Post, PostStatus
from publishing import post_status
from publishing.bulk import bulk_set
from publishing.models import Publication
from publishing.models import PublicationStatus as PS

logger = logging.getLogger("adloop.publishing")

SYSTEM = "dispatcher"

# `publication_status_changed(sender=Publication, publication_id, post_id,
# workspace_id, from_status, to_status)`, sent after the commit.
publication_status_changed = Signal()

CANCELABLE = frozenset({PS.SCHEDULED, PS.QUEUED, PS.NEEDS_REVIEW})

# (pk, status before, post id, workspace id) of one moved row.
_Moved = tuple[int, str, int, int]


def publication_move(
    ids: Iterable[int],
    *,
    to: str,
    sources: Collection[str],
    fence: int | None = None,
    per_row: dict[int, dict[str, Any]] | None = None,
    **fields: Any,
) -> list[int]:
    """Move the publications among `ids` that are in `sources` to `to`.

    A conditional UPDATE (and, with `fence`, only while `attempts == fence`: a
    worker finishes only the attempt it claimed). Returns the ids that moved;
    the others were moved by someone else first. On PostgreSQL the rows are
    locked first and moved in one statement; elsewhere one conditional UPDATE
    per row. `per_row` adds fields that differ between rows (an external id, an
    error), set on the moved rows in one more statement. Then the posts follow
    (`_posts_sync`) and the event hook fires after the commit.
    """
    ids = list(ids)
    if not ids:
        return []
    values = {"status": to, "updated_at": timezone.now(), **fields}
    # No savepoint when called inside a caller's transaction (the publish task's
    # claim + attempt row): two statements fewer per move; an error still rolls
    # back the whole of the caller's transaction.
    with transaction.atomic(savepoint=False):
        moved = _update(ids, sources, fence, values)
        if not moved:
            return []
        if per_row:
            _update_rows([row[0] for row in moved], per_row)
        if to != PS.QUEUED:  # queuing never moves a post; skip the post locks
            _posts_sync({row[2] for row in moved})
        payloads = [
            {
                "publication_id": pk,
                "post_id": post_id,
                "workspace_id": workspace_id,
                "from_status": source,
                "to_status": to,
            }
            for pk, source, post_id, workspace_id in moved
        ]
        transaction.on_commit(lambda: _emit(payloads))
    return [row[0] for row in moved]


def _update(
    ids: list[int],
    sources: Collection[str],
    fence: int | None,
    values: dict[str, Any],
) -> list[_Moved]:
    """The conditional UPDATE of `publication_move`; the rows it moved."""
    rows = Publication.objects.filter(pk__in=ids, status__in=list(sources))
    if fence is not None:
        rows = rows.filter(attempts=fence)
    if connection.vendor == "postgresql":
        found: list[_Moved] = list(
            rows.select_for_update(of=("self",))
            .order_by("pk")
            .values_list("pk", "status", "post_id", "workspace_id")
        )
        if found:
            Publication.objects.filter(pk__in=[r[0] for r in found]).update(**values)
        return found
    moved: list[_Moved] = []
    for row in rows.order_by("pk").values_list(
        "pk", "status", "post_id", "workspace_id"
    ):
        one = Publication.objects.filter(pk=row[0], status=row[1])
        if fence is not None:
            one = one.filter(attempts=fence)
        if one.update(**values):
            moved.append(row)
    return moved


def _emit(payloads: list[dict[str, Any]]) -> None:
    for payload in payloads:
        try:
            publication_status_changed.send(sender=Publication, **payload)
        except Exception:  # one receiver's bug must not hide the other rows
            logger.exception("publication_status_changed receiver failed: %s", payload)


def _update_rows(ids: list[int], per_row: dict[int, dict[str, Any]]) -> None:
    """Set each moved row's own fields, one UPDATE per set of field names."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for pk in ids:
        fields = per_row.get(pk)
        if fields:
            groups.setdefault(tuple(sorted(fields)), []).append({"pk": pk, **fields})
    for names, rows in groups.items():
        bulk_set(Publication, rows, names)


def _posts_sync(post_ids: Iterable[int]) -> None:
    """Move the posts to the status their publications make (`post_status`),
    a batch at a time.

    Called inside `publication_move`'s transaction; the post rows are locked (in
    id order, so two workers never deadlock) so the last of several concurrently
    finishing publications sees all the others. A scheduled post that finishes
    at once (failed at the late cutoff) goes through `publishing`, as its
    history always has.
    """
    ids = sorted(set(post_ids))
    posts = list(
        Post.objects.select_for_update()
        .filter(pk__in=ids)
        .only("pk", "status", "workspace_id")
        .order_by("pk")
    )
    if not posts:
        return
    rows: dict[int, list[post_status.Row]] = {}
    values = Publication.objects.filter(post_id__in=ids).values_list(
        "post_id", "status", "due_at", "error_kind", "due_override"
    )
    for post_id, status, due_at, error_kind, own_time in values:
        row = post_status.Row(status, due_at, error_kind, own_time)
        rows.setdefault(post_id, []).append(row)
    now = timezone.now()
    wanted: dict[str, list[Post]] = {}
    for post in posts:
        mine = rows.get(post.pk, [])
        target = post_status.derive(mine, now)
        if target is None or target == post.status or target not in post_status.MOVE_TO:
            continue
        if post.status not in post_status.PHASE:
            logger.warning(
                "post %s: stays %s (its publications say %s)",
                post.pk,
                post.status,
                target,
            )
            continue
        wanted.setdefault(target, []).append(post)
    via = [
        p
        for target, group in wanted.items()
        if target != PostStatus.PUBLISHING
        for p in group
        if p.status == PostStatus.SCHEDULED
    ]
    _posts_transition(via, "start_publishing")
    for target, group in wanted.items():
        _posts_transition(
            [p for p in group if p.status != target], post_status.MOVE_TO[target]
        )


def _posts_transition(posts: list[Post], action: str) -> None:
    if not posts:
        return
    moved = lifecycle.system_transition_many(posts, action, system=SYSTEM)
    if len(moved) < len(posts):  # canceled meanwhile, or already there
        left = sorted({p.pk for p in posts} - {p.pk for p in moved})
        logger.warning("posts %s: %s not applied (state moved on)", left, action)
