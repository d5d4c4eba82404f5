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
    failed ──retry (when a retry can fix it, `channels.failures`)──> scheduled
    failed/scheduled ──copy edited after publishing started──> needs_review
    needs_review ──a reviewer approves the copy──> scheduled
    (`channels.publication_review`; the dispatcher never claims needs_review)

Each publication has its own time: `due_at` follows the post's time for a
first try (`due_override` false: the dispatcher re-aligns it when the post
moves), unless a person gave it one (publish now, retry, release after review:
`due_override` true), which moving the post leaves alone. A person's action on
one publication acts on that one only.

Post status, derived from its publications (`channels.post_status`) and moved
through `campaigns.lifecycle` as the system "dispatcher" (`_posts_sync`, under a
row lock on the post so two workers finishing two publications of one post
cannot both miss the last one): publishing while any is at work, then
published, partly published (some published, others failed, canceled or not
yet out), failed or unconfirmed. A post outside `post_status.PHASE` (canceled
or sent back to review while a publication was in flight) is left alone and
logged.

Every move emits `publication_status_changed` after the commit, one callback per
batch: the calendar's live updates and the workspace's outgoing events listen
there.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Collection, Iterable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, connections, transaction
from django.db.models import QuerySet
from django.dispatch import Signal
from django.utils import timezone

from campaigns import lifecycle
from campaigns.errors import ConflictError
from campaigns.models import Post, PostStatus
from campaigns.permissions import Action, can
from campaigns.terms import terms_for
from channels import failures, lease, post_status, ratelimit
from channels.bulk import bulk_set
from channels.connectors import (
    ConnectorError,
    ConnectorNotAvailable,
    PublishRequest,
    PublishResult,
    get_connector,
)
from channels.connectors.base import MediaItem
from channels.models import AccountStatus, ChannelAccount, Publication, PublishAttempt
from channels.models import PublicationStatus as PS

# A `---` line splits a thread: one rule, shared with the checks before
# sending (`content.channel_rules`); re-exported for preview and review.
from content.channel_rules import THREAD_SEPARATOR, split_thread  # noqa: F401

logger = logging.getLogger("adloop.publishing")

SYSTEM = "dispatcher"

# `publication_status_changed(sender=Publication, publication_id, post_id,
# workspace_id, from_status, to_status)`, sent after the commit.
publication_status_changed = Signal()

CANCELABLE = frozenset({PS.SCHEDULED, PS.QUEUED, PS.NEEDS_REVIEW})


# --- The one function that changes Publication.status ---------------------------


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
    now = timezone.now()
    values = {"status": to, "updated_at": now, **fields}
    moved: list[tuple[int, str, int, int]] = []
    # No savepoint when called inside a caller's transaction (the publish task's
    # claim + attempt row): two statements fewer per move; an error still rolls
    # back the whole of the caller's transaction.
    with transaction.atomic(savepoint=False):
        rows = Publication.objects.filter(pk__in=ids, status__in=list(sources))
        if fence is not None:
            rows = rows.filter(attempts=fence)
        if connection.vendor == "postgresql":
            found = list(
                rows.select_for_update(of=("self",))
                .order_by("pk")
                .values_list("pk", "status", "post_id", "workspace_id")
            )
            if found:
                Publication.objects.filter(pk__in=[r[0] for r in found]).update(
                    **values
                )
            moved = found
        else:
            for row in rows.order_by("pk").values_list(
                "pk", "status", "post_id", "workspace_id"
            ):
                one = Publication.objects.filter(pk=row[0], status=row[1])
                if fence is not None:
                    one = one.filter(attempts=fence)
                if one.update(**values):
                    moved.append(row)
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
    for post_id, *row in Publication.objects.filter(post_id__in=ids).values_list(
        "post_id", "status", "due_at", "error_kind", "due_override"
    ):
        rows.setdefault(post_id, []).append(post_status.Row(*row))
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


# --- Creating, refreshing and canceling publications ------------------------------


def chosen_variant_id(post: Post, account: ChannelAccount) -> int | None:
    from content.models import Variant

    chosen = Variant.objects.filter(post=post, network=account.network, status="chosen")
    variant = chosen.filter(account=account).first() or chosen.first()
    return variant.pk if variant else None


def new_idempotency_key() -> str:
    return f"adloop-{uuid.uuid4().hex}"


def publication_create_for_post(post: Post) -> list[Publication]:
    """Make the publications of a post that was just scheduled, one per account
    that can publish (a planning-only account, without credentials, never gets
    one: scheduling a post with only those is refused by the lifecycle).

    Existing ones that have not reached the network (scheduled, failed,
    canceled) are refreshed: due at the post's time (their own time dropped: the
    post was scheduled as a whole), its chosen copy, `scheduled` again, same
    idempotency key. Those queued, publishing, published, unconfirmed or with
    their copy in review are left alone. Publications on accounts the post no
    longer targets (or that lost their credentials) are canceled.
    """
    post = Post.objects.get(pk=post.pk)
    if post.status != PostStatus.SCHEDULED or post.scheduled_at is None:
        return []
    due = post.scheduled_at
    accounts = [a for a in post.accounts.all() if not a.planning_only]
    result = []
    with transaction.atomic():
        existing = {
            p.account_id: p
            for p in Publication.objects.select_for_update().filter(post=post)
        }
        for account in accounts:
            variant_id = chosen_variant_id(post, account)
            publication = existing.get(account.pk)
            if publication is None:
                publication = Publication.objects.create(
                    workspace_id=post.workspace_id,
                    post=post,
                    account=account,
                    variant_id=variant_id,
                    network=account.network,
                    due_at=due,
                    next_attempt_at=due,
                    idempotency_key=new_idempotency_key(),
                )
            elif publication.status == PS.SCHEDULED and publication.attempts == 0:
                Publication.objects.filter(pk=publication.pk).update(
                    due_at=due,
                    next_attempt_at=due,
                    variant_id=variant_id,
                    due_override=False,
                )
            elif publication.status in (PS.SCHEDULED, PS.FAILED, PS.CANCELED):
                publication_move(
                    [publication.pk],
                    to=PS.SCHEDULED,
                    sources=[PS.SCHEDULED, PS.FAILED, PS.CANCELED],
                    due_at=due,
                    next_attempt_at=due,
                    due_override=False,
                    variant_id=variant_id,
                    error="",
                    error_kind="",
                    first_attempt_at=None,
                    finished_at=None,
                )
            result.append(publication)
        gone = [
            p.pk
            for account_id, p in existing.items()
            if account_id not in {a.pk for a in accounts}
        ]
        publication_move(gone, to=PS.CANCELED, sources=CANCELABLE, finished_at=None)
    return [Publication.objects.get(pk=p.pk) for p in result]


def publications_follow_post(post: Post) -> int:
    """The post was moved in time: its first tries that follow the post's time
    (not one with its own time: published now, retried, released after a
    review) are due at the new time at once, so the post page and the API say
    so (the dispatcher's `_sync_due_times` is the safety net)."""
    if post.scheduled_at is None:
        return 0
    return Publication.objects.filter(
        post_id=post.pk, status=PS.SCHEDULED, attempts=0, due_override=False
    ).update(
        due_at=post.scheduled_at,
        next_attempt_at=post.scheduled_at,
        updated_at=timezone.now(),
    )


def publications_cancel_for_post(post_id: int) -> list[int]:
    """Cancel the publications of a post that left `scheduled` (unscheduled,
    canceled, sent back to review) and have not been claimed by a worker."""
    ids = Publication.objects.filter(post_id=post_id, status__in=CANCELABLE)
    return publication_move(
        list(ids.values_list("pk", flat=True)), to=PS.CANCELED, sources=CANCELABLE
    )


def on_post_status_changed(
    sender: Any, *, post_id: int, to_status: str, from_status: str, **kwargs: Any
) -> None:
    """`post_status_changed` receiver (connected in `ChannelsConfig.ready`):
    a person scheduled the post (or retried it as a whole)."""
    if to_status == PostStatus.SCHEDULED and kwargs.get("action") in (
        None,
        "schedule",
        "retry",
    ):
        post = Post.objects.filter(pk=post_id).first()
        if post is not None:
            publication_create_for_post(post)
    elif to_status in (
        PostStatus.DRAFT,
        PostStatus.IN_REVIEW,
        PostStatus.APPROVED,
        PostStatus.REJECTED,
        PostStatus.CANCELED,
    ):
        publications_cancel_for_post(post_id)


# --- A person's actions ---------------------------------------------------------


def _require(by: Any, publication: Publication) -> None:
    if by is None or not can(by, Action.EDIT_CONTENT, publication.workspace):
        raise PermissionDenied("Your role does not allow this.")


def _conflict(publication: Publication, what: str) -> ConflictError:
    label = PS(publication.status).label.lower()
    return ConflictError(
        f"A publication that is {label} cannot be {what}.",
        code="transition_not_allowed",
        status=publication.status,
    )


def publish_now(publication: Publication, *, by: Any) -> Publication:
    """Publish this one scheduled publication at the next dispatcher tick.

    Only this one: it gets its own time (`due_override`), so the post's time,
    its other publications and the dispatcher's re-aligning leave it alone.
    """
    _require(by, publication)
    if publication.account.planning_only:
        raise ConflictError(
            f"{publication.account.name} is planning only (no credentials): "
            "connect it to publish.",
            code="planning_only",
            status=publication.status,
        )
    now = timezone.now()
    updated = Publication.objects.filter(pk=publication.pk, status=PS.SCHEDULED).update(
        due_at=now, next_attempt_at=now, due_override=True, updated_at=now
    )
    if not updated:
        raise _conflict(publication, "published now")
    return Publication.objects.get(pk=publication.pk)


def publication_retry(publication: Publication, *, by: Any) -> Publication:
    """Try one failed publication again, now, with the same idempotency key and
    the copy chosen now; the post follows (`_posts_sync`), its time unchanged.

    Refused (409, saying why) when a retry cannot fix the failure
    (`channels.failures`): the copy needs editing or the account reconnecting.
    """
    _require(by, publication)
    reason = failures.not_retryable_reason(publication)
    if reason:
        raise ConflictError(
            reason,
            code="not_retryable",
            status=publication.status,
            fix=failures.fix_for(publication),
        )
    now = timezone.now()
    post = Post.objects.get(pk=publication.post_id)
    moved = publication_move(
        [publication.pk],
        to=PS.SCHEDULED,
        sources=[PS.FAILED],
        due_at=now,
        next_attempt_at=now,
        due_override=True,
        variant_id=chosen_variant_id(post, publication.account),
        first_attempt_at=None,
        finished_at=None,
        error="",
        error_kind="",
    )
    if not moved:
        raise _conflict(publication, "retried")
    return Publication.objects.get(pk=publication.pk)


def publication_cancel(publication: Publication, *, by: Any) -> Publication:
    """Cancel one publication that has not been claimed by a worker yet."""
    _require(by, publication)
    if not publication_move([publication.pk], to=PS.CANCELED, sources=CANCELABLE):
        raise _conflict(publication, "canceled")
    return Publication.objects.get(pk=publication.pk)


Outcome = Literal["published", "failed", "retry"]


def publication_resolve(
    publication: Publication,
    *,
    outcome: Outcome,
    by: Any,
    external_id: str = "",
    url: str = "",
) -> Publication:
    """A person settles an `unconfirmed` publication after checking the network:
    "published" (optionally with its id and URL), "failed" (it is not there), or
    "retry" (not there: send it again now, same idempotency key)."""
    _require(by, publication)
    now = timezone.now()
    if outcome == "published":
        moved = publication_move(
            [publication.pk],
            to=PS.PUBLISHED,
            sources=[PS.UNCONFIRMED],
            external_id=external_id[:500] or publication.external_id,
            url=url[:1000] or publication.url,
            finished_at=now,
            error="",
            error_kind="",
        )
    elif outcome == "failed":
        moved = publication_move(
            [publication.pk],
            to=PS.FAILED,
            sources=[PS.UNCONFIRMED],
            finished_at=now,
            error="Checked by a person: it did not appear on the network.",
            error_kind="resolved",
        )
    elif outcome == "retry":
        moved = publication_move(
            [publication.pk],
            to=PS.SCHEDULED,
            sources=[PS.UNCONFIRMED],
            due_at=now,
            next_attempt_at=now,
            due_override=True,  # sent now by a person, like a retry
            first_attempt_at=None,
            finished_at=None,
            error="",
            error_kind="",
        )
    else:
        raise ValueError(f"unknown outcome {outcome!r}")
    if not moved:
        raise _conflict(publication, "resolved")
    return Publication.objects.get(pk=publication.pk)


# --- Publishing one publication (the body of the `publish` task) -------------------


def build_request(
    publication: Publication,
    *,
    connector: Any = None,
    preloaded: _Preloaded | None = None,
) -> PublishRequest:
    """The connector's input: the chosen copy for the network, else the post's body.

    Threads: a text with `---` lines becomes `text` (the first part) and `thread`
    (the others) where the connector's capabilities say threads; elsewhere the
    parts are joined with a blank line so no separator reaches the network.
    `title` is the post's topic (an email's subject, a blog post's title).
    `media`: the images attached to the post, as renditions cut for the
    account's network (see `media_for`). `preloaded`: a batch's variants and
    images read at once (`preload`), instead of two reads per publication.
    """
    post = publication.post
    text = post.body or post.topic
    variant = None
    if publication.variant_id is not None:
        if preloaded is not None:
            variant = preloaded.variants.get(publication.variant_id)
        else:
            from content.models import Variant

            variant = Variant.objects.filter(pk=publication.variant_id).first()
        if variant is not None:
            text = variant.text
    parts = split_thread(text)
    threads = bool(connector is not None and connector.capabilities.threads)
    if threads:
        text, thread = parts[0], tuple(parts[1:])
    else:
        text, thread = "\n\n".join(parts), ()
    # A blog's tags and categories (names; the connector finds the term ids).
    extra = (
        terms_for(post, text)
        if connector is not None and getattr(connector.capabilities, "terms", False)
        else {}
    )
    return PublishRequest(
        publication_id=publication.pk,
        post_id=post.pk,
        account=publication.account,
        text=text,
        link=post.link,
        scheduled_at=post.scheduled_at,
        idempotency_key=publication.idempotency_key,
        media=media_for(
            publication,
            variant,
            connector=connector,
            usages=None if preloaded is None else preloaded.images.get(post.pk, []),
        ),
        thread=thread,
        title=post.topic,
        extra=extra,
    )


# Which rendition format goes out first, per network (the others are fallbacks):
# Instagram's feed favours 4:5, the link-card networks a landscape cut.
PREFERRED_FORMATS: dict[str, tuple[str, ...]] = {
    "instagram": ("portrait", "square"),
    "x": ("landscape", "square", "wide"),
    "linkedin": ("landscape", "square"),
    "facebook": ("landscape", "square"),
    "mastodon": ("landscape", "square"),
    "bluesky": ("landscape", "square"),
}
DEFAULT_FORMATS = ("square", "landscape", "portrait", "wide", "story")


@dataclass
class _Preloaded:
    variants: dict[int, Any]
    images: dict[int, list[Any]]  # post id -> its chosen PostImage rows, in order


def _chosen_images(post_ids: Collection[int]) -> QuerySet[Any]:
    from content.models import PostImage

    return (
        PostImage.objects.filter(post_id__in=post_ids, chosen=True)
        .select_related("asset")
        .prefetch_related("asset__renditions")
        .order_by("post_id", "position", "pk")
    )


def preload(publications: Collection[Publication]) -> _Preloaded:
    """What `build_request` reads for a batch, in three queries for any size."""
    from content.models import Variant

    variant_ids = {p.variant_id for p in publications if p.variant_id is not None}
    variants = {v.pk: v for v in Variant.objects.filter(pk__in=variant_ids)}
    images: dict[int, list[Any]] = {}
    for usage in _chosen_images({p.post_id for p in publications}):
        images.setdefault(usage.post_id, []).append(usage)
    return _Preloaded(variants, images)


def media_for(
    publication: Publication,
    variant: Any = None,
    *,
    connector: Any = None,
    usages: list[Any] | None = None,
) -> tuple[MediaItem, ...]:
    """The post's chosen images (`content.PostImage`, in order), each as one file:
    the asset's rendition for the account's network (already cut to its limits),
    else a generic rendition, else the original file (the connector's own
    validation then judges it). At most `capabilities.max_images` when the
    connector says. `usages`: the post's rows when the caller read them already
    (a batch's `preload`). An upload the images worker has not cut yet
    (`processing`) is cut here, in the publishing worker, as the last resort:
    the post is due and its image must fit the network.
    """
    if usages is None:
        usages = list(_chosen_images([publication.post_id]))
    if not usages:
        return ()
    network = publication.network
    order = PREFERRED_FORMATS.get(network, ()) + DEFAULT_FORMATS
    alt_default = getattr(variant, "alt_text", "") or ""
    items: list[MediaItem] = []
    for usage in usages:
        asset = usage.asset
        if asset.renditions_state == "processing":
            from content.services.asset_renditions import ensure_renditions

            asset = ensure_renditions(asset)
        renditions = list(asset.renditions.all())
        chosen = None
        for wanted_network in (network, ""):
            mine = [r for r in renditions if r.network == wanted_network]
            mine.sort(key=lambda r: order.index(r.format) if r.format in order else 99)
            if mine:
                chosen = mine[0]
                break
        try:
            if chosen is not None:
                item = MediaItem(
                    path=chosen.file.path,
                    content_type=chosen.content_type,
                    alt_text=asset.alt_text or alt_default,
                    width=chosen.width,
                    height=chosen.height,
                )
            else:
                item = MediaItem(
                    path=asset.file.path,
                    content_type=getattr(asset, "content_type", "") or "image/jpeg",
                    alt_text=asset.alt_text or alt_default,
                    width=asset.width or 0,
                    height=asset.height or 0,
                )
        except (NotImplementedError, ValueError):  # remote storage, no file
            logger.warning(
                "publication %s: asset %s has no local file", publication.pk, asset.pk
            )
            continue
        items.append(item)
    if connector is not None:
        items = items[: connector.capabilities.max_images]
    return tuple(items)


def retry_delay(attempt: int, retry_after: float | None) -> float:
    """Seconds before the next try: the network's Retry-After (plus a little
    jitter, so many rows do not come back in the same instant), else exponential
    backoff with full jitter, capped."""
    cap = float(settings.PUBLISH_RETRY_MAX_DELAY_SECONDS)
    if retry_after is not None:
        return min(cap, retry_after) + random.uniform(0, 1)  # noqa: S311
    base = float(settings.PUBLISH_RETRY_BASE_SECONDS)
    return random.uniform(base / 2, min(cap, base * 2 ** (attempt - 1)))  # noqa: S311


@dataclass
class _Outcome:
    kind: str  # published, transient, permanent, ambiguous
    result: PublishResult | None = None
    error: ConnectorError | None = None
    # The stored error_kind when it says more than `kind` (`channels.failures`).
    reason: str = ""


def _refused_before_the_call(job: _Job) -> _Outcome | None:
    """Failures no call could fix, found without calling: an account without
    credentials (planning only), copy or images the connector's own check
    refuses (the last guard: the editor and the lifecycle check limits first)."""
    network = job.publication.get_network_display()
    if job.publication.account.planning_only:
        message = (
            f"{job.publication.account.name} has no credentials (planning only); "
            f"connect the {network} account to publish."
        )
        return _Outcome(
            "permanent",
            error=ConnectorError(message, kind="permanent"),
            reason="credentials",
        )
    try:
        problems = job.connector.validate(job.request) if job.request else []
    except Exception:  # a connector bug: let the call itself report it
        logger.exception("publication %s: validate crashed", job.publication.pk)
        return None
    if problems:
        return _Outcome(
            "permanent",
            error=ConnectorError(" ".join(problems), kind="permanent"),
            reason="invalid",
        )
    return None


def _call(connector: Any, request: PublishRequest, *, look_first: bool) -> _Outcome:
    try:
        if look_first and connector.capabilities.lookup:
            found = connector.lookup(request)
            if found is not None:
                return _Outcome("published", result=found)
        return _Outcome("published", result=connector.publish(request))
    except ConnectorError as exc:
        return _Outcome(exc.kind, error=exc)
    except Exception as exc:  # a connector bug: maybe after the request went out
        return _crashed(request.publication_id, exc)


def _crashed(publication_id: int, exc: BaseException | None) -> _Outcome:
    logger.error("publication %s: connector crashed", publication_id, exc_info=exc)
    return _Outcome(
        "ambiguous",
        error=ConnectorError(
            "Publishing stopped with an internal error.",
            kind="ambiguous",
            detail=repr(exc)[:500],
        ),
    )


def publication_publish(publication_id: int, *, task_id: str = "") -> str:
    """Claim a queued publication, call its connector, record the outcome.

    Returns what happened ("published", "retry", "failed", "unconfirmed",
    "deferred" when a rate limit sent it back to `scheduled` before any call,
    "held" when its account was disabled or lost its connection after the claim,
    or "skipped" when the row is gone or someone else has it).
    """
    outcomes = publication_publish_many([publication_id], task_id=task_id)
    return outcomes.get(publication_id, "skipped")


@dataclass
class _Job:
    """One publication of a batch on its way through claim, call and record."""

    publication: Publication
    connector: Any
    request: PublishRequest | None
    number: int = 0
    first_attempt_at: datetime | None = None
    attempt: PublishAttempt | None = None
    outcome: _Outcome | None = None
    duration_ms: int = 0


def publication_publish_many(
    ids: Iterable[int], *, task_id: str = ""
) -> dict[int, str]:
    """`publication_publish` for a batch (what the dispatcher's task carries);
    the outcome per id.

    Why a batch: per publication the work is a few milliseconds of database
    statements around one network call, and one task and two transactions per
    publication made the statements, not the networks, the limit (62/s on the
    benchmark's two cores; see BENCHMARKS.md). A batch shares them: one read,
    one claim transaction (queued → publishing and the attempt rows, committed
    before any network call, so a worker killed mid-call leaves rows the sweep
    finds `publishing`), the calls in parallel threads (`PUBLISH_CALL_THREADS`),
    and one transaction recording every outcome, with the posts moved in bulk.
    Each row is still claimed and finished under its own fence (`attempts`), so
    a batch never finishes a row someone else took.
    """
    ids = list(dict.fromkeys(ids))
    outcomes: dict[int, str] = {}
    rows = {
        p.pk: p
        for p in Publication.objects.select_related(
            "account", "post", "post__pillar"
        ).filter(pk__in=ids)
    }
    jobs: list[_Job] = []
    preloaded = preload([p for p in rows.values() if p.status == PS.QUEUED])
    for pk in ids:
        publication = rows.get(pk)
        if publication is None:
            logger.info("publication %s: gone", pk)
            outcomes[pk] = "skipped"
        elif publication.status != PS.QUEUED:
            outcomes[pk] = "skipped"
        elif publication.account.status != AccountStatus.CONNECTED:
            # Back to wait with the others of its account (the dispatcher does
            # not claim them): no call, no attempt.
            held = publication_move(
                [pk],
                to=PS.SCHEDULED,
                sources=[PS.QUEUED],
                fence=publication.attempts,
                queued_at=None,
            )
            outcomes[pk] = "held" if held else "skipped"
        else:
            job = _prepare(publication, preloaded)
            if isinstance(job, str):
                outcomes[pk] = job
            else:
                jobs.append(job)
    claimed = _claim(jobs, task_id)
    taken = {job.publication.pk for job in claimed}
    outcomes.update(
        (job.publication.pk, "skipped")
        for job in jobs
        if job.publication.pk not in taken
    )
    # The claim's lease is renewed while the calls are in flight (`lease`).
    with lease.kept((job.publication.pk, job.number) for job in claimed):
        outcomes.update(_call_and_record(claimed))
    return outcomes


def _prepare(publication: Publication, preloaded: _Preloaded) -> _Job | str:
    """The connector and the request, after the rate limit (else "deferred")."""
    try:
        connector = get_connector(publication.network)
    except ConnectorNotAvailable:
        return _Job(publication, None, None)
    request = build_request(publication, connector=connector, preloaded=preloaded)
    wait = ratelimit.acquire(
        publication.network, publication.account_id, cost=1 + len(request.thread)
    )
    if wait > 0:
        return _defer(publication, wait)
    return _Job(publication, connector, request)


def _claim(jobs: list[_Job], task_id: str) -> list[_Job]:
    """queued → publishing and one attempt row each, in one transaction (no claim
    without the row the sweep marks when the worker dies mid-call). The claim
    holds for `PUBLISH_LEASE_SECONDS` (`channels.lease`)."""
    if not jobs:
        return []
    now = timezone.now()
    claimed: list[_Job] = []
    groups: dict[tuple[int, bool], list[_Job]] = {}
    for job in jobs:
        key = (job.publication.attempts, job.publication.first_attempt_at is None)
        groups.setdefault(key, []).append(job)
    with transaction.atomic():
        for (attempts, first), group in sorted(groups.items()):
            extra = {"first_attempt_at": now} if first else {}
            moved = set(
                publication_move(
                    [j.publication.pk for j in group],
                    to=PS.PUBLISHING,
                    sources=[PS.QUEUED],
                    fence=attempts,
                    attempts=attempts + 1,
                    started_at=now,
                    lease_until=lease.lease_end(now),
                    **extra,
                )
            )
            for job in group:
                if job.publication.pk in moved:
                    job.number = attempts + 1
                    job.first_attempt_at = job.publication.first_attempt_at or now
                    claimed.append(job)
        rows = PublishAttempt.objects.bulk_create(
            [
                PublishAttempt(
                    publication=job.publication,
                    number=job.number,
                    task_id=task_id[:255],
                    started_at=now,
                )
                for job in claimed
            ]
        )
        for job, row in zip(claimed, rows, strict=True):
            job.attempt = row
    return claimed


_calls_lock = threading.Lock()
_calls_pool: ThreadPoolExecutor | None = None


def _calls_executor() -> ThreadPoolExecutor:
    """One pool per process, made on first use (after a prefork worker forks)."""
    global _calls_pool
    with _calls_lock:
        if _calls_pool is None:
            _calls_pool = ThreadPoolExecutor(
                max_workers=max(1, settings.PUBLISH_CALL_THREADS),
                thread_name_prefix="publish-call",
            )
        return _calls_pool


def _call_one(job: _Job) -> None:
    start = time.monotonic()
    if job.connector is None or job.request is None:
        network = job.publication.get_network_display()
        job.outcome = _Outcome(
            "permanent",
            error=ConnectorError(
                f"Publishing to {network} is not available yet.", kind="permanent"
            ),
        )
    else:
        job.outcome = _refused_before_the_call(job) or _call(
            job.connector,
            job.request,
            look_first=job.publication.error_kind == "ambiguous",
        )
    job.duration_ms = int((time.monotonic() - start) * 1000)


def _call_in_thread(job: _Job) -> None:
    try:
        _call_one(job)
    finally:
        # A connector that touched the database (a Bluesky session saved) did it
        # on this pool thread's own connection: do not keep it open.
        connections.close_all()


# How long finished calls of a batch wait for the slower ones before their
# outcomes are stored: an external id is stored at most this long after it is
# known, however slow another network of the batch is.
RECORD_EVERY_SECONDS = 1.0


def _call_and_record(jobs: list[_Job]) -> dict[int, str]:
    """The network calls, then their outcomes stored. Inline for one (a test's
    transaction, and any connector's database use, stay on this thread); for a
    batch, in parallel threads, storing what has finished every
    `RECORD_EVERY_SECONDS` (all of it in one transaction when the calls are
    quick)."""
    if len(jobs) <= 1 or settings.PUBLISH_CALL_THREADS <= 1:
        for job in jobs:
            _call_one(job)
        return _record_all(jobs)
    futures = {_calls_executor().submit(_call_in_thread, job): job for job in jobs}
    pending = set(futures)
    outcomes: dict[int, str] = {}
    while pending:
        done, pending = wait(pending, timeout=RECORD_EVERY_SECONDS)
        finished = []
        for future in done:
            job = futures[future]
            if future.exception() is not None:  # not a connector's: _call catches those
                job.outcome = _crashed(job.publication.pk, future.exception())
            finished.append(job)
        outcomes.update(_record_all(finished))
    return outcomes


@dataclass
class _Decision:
    to: str
    label: str
    fields: dict[str, Any]
    reconnect: str = ""


def _decide(job: _Job, now: datetime) -> _Decision:
    """Where an attempt's outcome sends the publication (the rules of the module
    docstring: published; retried with backoff until the deadline; unconfirmed
    when the outcome is unknown and the network can neither deduplicate nor
    look up; failed)."""
    outcome = job.outcome
    assert outcome is not None and job.first_attempt_at is not None
    if outcome.result is not None:
        return _Decision(
            PS.PUBLISHED,
            "published",
            {
                "external_id": outcome.result.external_id[:500],
                "url": outcome.result.url[:1000],
                "finished_at": now,
                "error": "",
                "error_kind": "",
            },
        )
    error = outcome.error
    assert error is not None
    kind = error.kind
    capabilities = job.connector.capabilities if job.connector else None
    dedupes = bool(capabilities and capabilities.dedupes)
    lookup = bool(capabilities and capabilities.lookup)
    deadline = job.first_attempt_at + timedelta(
        seconds=settings.PUBLISH_RETRY_DEADLINE_SECONDS
    )
    unconfirmed = _Decision(
        PS.UNCONFIRMED,
        "unconfirmed",
        {
            "finished_at": now,
            "error": error.message + " Check the channel and resolve it.",
            "error_kind": "ambiguous",
        },
    )
    if kind == "ambiguous" and not (dedupes or lookup):
        return unconfirmed
    if kind in ("transient", "ambiguous"):
        retry_at = now + timedelta(seconds=retry_delay(job.number, error.retry_after))
        if retry_at <= deadline:
            return _Decision(
                PS.SCHEDULED,
                "retry",
                {
                    "next_attempt_at": retry_at,
                    "started_at": None,
                    "error": error.message,
                    "error_kind": kind,
                },
            )
        if kind == "ambiguous":
            return unconfirmed
        minutes = int((now - job.first_attempt_at).total_seconds() // 60)
        message = (
            f"{error.message.rstrip('.')}; gave up after trying for {minutes} minutes."
        )
    else:
        message = error.message
        if outcome.reason:
            kind = outcome.reason
        elif error.reconnect:
            kind = "auth"
    return _Decision(
        PS.FAILED,
        "failed",
        {"finished_at": now, "error": message, "error_kind": kind},
        reconnect=message if error.reconnect else "",
    )


def _record_all(jobs: list[_Job]) -> dict[int, str]:
    """Store every attempt's outcome and move the publications, in one
    transaction: the attempt rows in one UPDATE, then one move per target
    status and attempt number (each row fenced on the attempt it claimed)."""
    if not jobs:
        return {}
    now = timezone.now()
    decided = [(job, _decide(job, now)) for job in jobs]
    attempts = []
    for job in jobs:
        assert job.attempt is not None and job.outcome is not None
        result, error = job.outcome.result, job.outcome.error
        job.attempt.duration_ms = job.duration_ms
        job.attempt.http_status = (
            result.http_status if result else error and error.http_status
        )
        job.attempt.outcome = job.outcome.kind
        job.attempt.error = (
            f"{error.message} {error.detail}".strip()[:2000] if error else ""
        )
        job.attempt.external_id = result.external_id if result else ""
        attempts.append(job.attempt)
    groups: dict[tuple[str, int], list[tuple[_Job, _Decision]]] = {}
    for job, decision in decided:
        groups.setdefault((decision.to, job.number), []).append((job, decision))
    with transaction.atomic():
        names = ("duration_ms", "http_status", "outcome", "error", "external_id")
        bulk_set(
            PublishAttempt,
            [{"pk": a.pk, **{n: getattr(a, n) for n in names}} for a in attempts],
            names,
        )
        for job, decision in decided:
            if decision.reconnect:
                _account_needs_reconnect(job.publication.account, decision.reconnect)
        for (to, number), group in groups.items():
            publication_move(
                [job.publication.pk for job, _ in group],
                to=to,
                sources=[PS.PUBLISHING],
                fence=number,
                per_row={job.publication.pk: d.fields for job, d in group},
            )
    return {job.publication.pk: decision.label for job, decision in decided}


def _defer(publication: Publication, wait: float) -> str:
    """A rate limit is exhausted: back to `scheduled` for when the tokens return.

    Not an attempt (the network was not called): `attempts`, the error and the
    retry deadline are untouched. A little jitter (up to half the wait, at most
    30 s) spreads the rows that wait for the same bucket.
    """
    delay = wait + random.uniform(0, min(30.0, wait / 2))  # noqa: S311
    moved = publication_move(
        [publication.pk],
        to=PS.SCHEDULED,
        sources=[PS.QUEUED],
        fence=publication.attempts,
        next_attempt_at=timezone.now() + timedelta(seconds=delay),
        queued_at=None,
    )
    if moved:
        logger.info(
            "publication %s: rate limit of %s, deferred %.1fs",
            publication.pk,
            publication.network,
            delay,
        )
    return "deferred" if moved else "skipped"


def _account_needs_reconnect(account: ChannelAccount, message: str) -> None:
    """The network said definitely that the credentials are revoked or invalid
    (`ConnectorError.reconnect`): the account needs reconnecting, and the
    workspace's owners and admins hear of it once. Fenced on `connected_at`: an
    account reconnected while the call was in flight is left connected."""
    moved = ChannelAccount.objects.filter(
        pk=account.pk,
        status=AccountStatus.CONNECTED,
        connected_at=account.connected_at,
    ).update(
        status=AccountStatus.NEEDS_RECONNECT,
        last_error=message[:2000],
        last_checked_at=timezone.now(),
    )
    if moved:
        logger.warning("channel account %s needs reconnecting: %s", account.pk, message)
        transaction.on_commit(lambda: _notify_reconnect(account.pk))


def _notify_reconnect(account_id: int) -> None:
    from channels.oauth import account_reconnect_notice_send

    try:
        account_reconnect_notice_send(account_id=account_id)
    except Exception:  # the mail is a courtesy; the status is already recorded
        logger.exception("channel account %s: reconnect notice failed", account_id)
