"""A post's status, derived from its publications (one per channel account).

Each publication has its own time and fate (published now, retried, held for a
review of its copy), so the post says what its publications say together:

- any publication at work (queued, publishing, retrying after a transient
  error, or sent now by a person: published now, retried, released after a
  review), or one due now while another already went out or failed →
  `publishing` (one only due now, held back by a rate limit before anything was
  sent, has not started the post);
- else any outcome unknown → `unconfirmed` (a person checks first);
- else some published: all of them → `published`; some not (failed, canceled,
  waiting for their own later time, copy in review) → `partly_published`;
- else any failed → `failed`;
- else all waiting for their time → `scheduled`;
- else (all canceled, or only copy in review) → the post keeps its status.

`publishing.delivery.moves._posts_sync` applies it through the lifecycle's system
moves; only posts in `PHASE` follow (a post sent back to review or canceled
while a publication was in flight is left alone).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from campaigns.models import PostStatus as S
from publishing.models import PublicationStatus as PS

# The post statuses its publications decide.
PHASE = frozenset(
    {
        S.SCHEDULED,
        S.PUBLISHING,
        S.PUBLISHED,
        S.PARTLY_PUBLISHED,
        S.FAILED,
        S.UNCONFIRMED,
    }
)
# A `scheduled` publication retrying after one of these is still at work.
RETRYING_KINDS = frozenset({"transient", "ambiguous"})

# The lifecycle's system move to each derived status.
MOVE_TO: dict[str, str] = {
    S.PUBLISHING: "start_publishing",
    S.PUBLISHED: "mark_published",
    S.PARTLY_PUBLISHED: "mark_partly_published",
    S.FAILED: "mark_failed",
    S.UNCONFIRMED: "mark_unconfirmed",
}


@dataclass(frozen=True)
class Row:
    """What the derivation reads of one publication."""

    status: str
    due_at: datetime
    error_kind: str = ""
    own_time: bool = False  # `Publication.due_override`


def _at_work(row: Row, now: datetime) -> bool:
    if row.status in (PS.QUEUED, PS.PUBLISHING):
        return True
    return row.status == PS.SCHEDULED and (
        row.error_kind in RETRYING_KINDS or (row.own_time and row.due_at <= now)
    )


def _due(row: Row, now: datetime) -> bool:
    return row.status == PS.SCHEDULED and row.due_at <= now


def derive(rows: Iterable[Row], now: datetime) -> str | None:
    """The post status these publications make (None: keep the post's)."""
    rows = list(rows)
    statuses = {row.status for row in rows}
    started = bool(statuses & {PS.PUBLISHED, PS.FAILED, PS.UNCONFIRMED})
    if any(_at_work(row, now) for row in rows) or (
        started and any(_due(row, now) for row in rows)
    ):
        return S.PUBLISHING
    if PS.UNCONFIRMED in statuses:
        return S.UNCONFIRMED
    if PS.PUBLISHED in statuses:
        return S.PUBLISHED if statuses == {PS.PUBLISHED} else S.PARTLY_PUBLISHED
    if PS.FAILED in statuses:
        return S.FAILED
    if PS.SCHEDULED in statuses:
        return S.SCHEDULED
    return None
