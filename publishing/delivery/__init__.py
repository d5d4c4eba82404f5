"""Publications: the outbox services (see ARCHITECTURE.md, "Publishing: the outbox").

Publication status (`PublicationStatus`), changed only by `publication_move`:

    scheduled ──claim_due──> queued ──publish task──> publishing ──> published
        ^  │                   │  ^                      │    │  └──> failed
        │  └── late cutoff ────┼──┼──> failed            │    └───> unconfirmed
        │                      │  └── sweep (dedupes) ───┤              │
        ├──── transient error: back to scheduled with ───┘   resolve ───┘
        │     next_attempt_at = backoff (same idempotency key)
        └──── rate limit empty (before the claim, from queued): back to
              scheduled at the refill time, no attempt counted (`ratelimit`)
    scheduled/queued/needs_review ──cancel──> canceled ──(post scheduled)──> scheduled
    failed ──retry (when a retry can fix it, `publishing.failures`)──> scheduled
    failed/scheduled ──copy edited after publishing started──> needs_review
    needs_review ──a reviewer approves the copy──> scheduled
    (`publishing.publication_review`; the dispatcher never claims needs_review)

Each publication has its own time: `due_at` follows the post's time for a
first try (`due_override` false: the dispatcher re-aligns it when the post
moves), unless a person gave it one (publish now, retry, release after review:
`due_override` true), which moving the post leaves alone. A person's action on
one publication acts on that one only.

Post status, derived from its publications (`publishing.post_status`) and moved
through `campaigns.lifecycle` as the system "dispatcher" (`moves._posts_sync`, under a
row lock on the post so two workers finishing two publications of one post
cannot both miss the last one): publishing while any is at work, then
published, partly published (some published, others failed, canceled or not
yet out), failed or unconfirmed. A post outside `post_status.PHASE` (canceled
or sent back to review while a publication was in flight) is left alone and
logged.

Every move emits `publication_status_changed` after the commit, one callback per
batch: the calendar's live updates and the workspace's outgoing events listen
there.

The modules: `moves` (the one move, the posts following), `creating` (a post's
publications following the post, inside the lifecycle's transaction), `actions`
(a person's, on one publication), `request` (what goes out), `outcomes` (the
retry policy), `calls` (the network calls and their threads), `batch` (the
publish task's body: claim, call, record).
"""

from networks import PublishResult

# Re-exported for preview and review: the thread rule the sending side uses too.
from networks.textrules import THREAD_SEPARATOR, split_thread
from publishing.delivery.actions import (
    Outcome,
    publication_cancel,
    publication_resolve,
    publication_retry,
    publish_now,
)
from publishing.delivery.batch import publication_publish, publication_publish_many
from publishing.delivery.creating import (
    chosen_variant_id,
    new_idempotency_key,
    publication_create_for_post,
    publications_cancel_for_posts,
    publications_follow_post,
    publications_follow_status,
)
from publishing.delivery.moves import (
    CANCELABLE,
    SYSTEM,
    publication_move,
    publication_status_changed,
)
from publishing.delivery.outcomes import retry_delay
from publishing.delivery.request import (
    build_request,
    media_for,
    preload,
)

__all__ = [
    "CANCELABLE",
    "SYSTEM",
    "THREAD_SEPARATOR",
    "Outcome",
    "PublishResult",
    "build_request",
    "chosen_variant_id",
    "media_for",
    "new_idempotency_key",
    "preload",
    "publication_cancel",
    "publication_create_for_post",
    "publication_move",
    "publication_publish",
    "publication_publish_many",
    "publication_resolve",
    "publication_retry",
    "publication_status_changed",
    "publications_cancel_for_posts",
    "publications_follow_post",
    "publications_follow_status",
    "publish_now",
    "retry_delay",
    "split_thread",
]
