"""The dispatcher: turns due publications into `publish` tasks, and re-drives
work whose task or worker vanished. Run by `manage.py run_scheduler` (any
number of processes at once); the database decides, the broker only carries.

- `claim_due`: rows `scheduled` with `next_attempt_at <= now` are claimed in
  batches (PostgreSQL: `SELECT … FOR UPDATE SKIP LOCKED`, so two schedulers
  never claim the same row and never wait for each other; elsewhere one
  conditional UPDATE per row), marked `queued` with `queued_at`, and their
  tasks are sent after the commit (a task never sees an uncommitted row).
- Back-pressure: no more than `DISPATCH_MAX_QUEUED` rows are `queued` at once,
  so a burst (20,000 posts due in one minute) waits in the table, in due order,
  instead of as broker messages; a message older than the queued timeout would
  otherwise be taken for lost and sent twice (harmless, thanks to the claim, but
  work for nothing).
- Held accounts: a publication whose account is disabled or needs reconnecting
  is not claimed; it waits, `scheduled`, and goes out when the account is
  connected again (or fails at the late cutoff, saying why it waited).
- Late cutoff: a first try due more than `PUBLISH_LATE_CUTOFF_SECONDS` ago (the
  scheduler was down) fails with "missed its time" instead; 0 = always publish
  late.
- `sweep` (every `PUBLISH_SWEEP_INTERVAL_SECONDS`) re-drives lost work within
  seconds, not minutes:
  - `queued` rows whose message the broker no longer holds (a restarted or
    flushed broker, a worker killed after it took the message) are sent again
    once they are `PUBLISH_QUEUED_GRACE_SECONDS` old. The broker is asked how
    many publishing messages it still holds (`publishing.broker`); each carries
    at most `PUBLISH_TASK_BATCH` rows, the newest queued rows are taken to be
    those, and the older ones have no message. Guessing wrong costs a second
    message, which the claim makes harmless (only one worker moves a row out
    of `queued`). Any `queued` row older than `PUBLISH_QUEUED_TIMEOUT_SECONDS`
    is sent again whatever the broker says (the backstop).
  - `publishing` rows whose lease ran out (`publishing.lease`: their worker
    stopped renewing it, so it died mid-call), or that started longer than
    `PUBLISH_PUBLISHING_TIMEOUT_SECONDS` ago (the backstop), are an ambiguous
    outcome: re-queued with the same idempotency key where the connector
    deduplicates or can look the post up, otherwise `unconfirmed` for a person
    to resolve.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from connections.models import AccountStatus, ChannelAccount
from networks import ConnectorNotAvailable, get_connector
from publishing import broker
from publishing.delivery import publication_move
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS

logger = logging.getLogger("adloop.dispatcher")


def enqueue(ids: Sequence[int]) -> None:
    """Send the ids in `publish_batch` tasks of PUBLISH_TASK_BATCH (call after the
    commit that queued them). A lost message loses nothing: its rows stay
    `queued` and the sweep sends them again."""
    from publishing.tasks import publish_batch

    size = max(1, settings.PUBLISH_TASK_BATCH)
    ids = list(ids)
    for start in range(0, len(ids), size):
        publish_batch.apply_async(args=[ids[start : start + size]])


def _sync_due_times(now: datetime) -> int:
    """A first try is due at its post's time: follow a post moved on the calendar
    (moving a post in time does not change its status, so no signal tells us).
    Not one with its own time (`due_override`: published now, released after a
    review): a person's choice for that publication stands.

    Drift is `due_at` against the post's time, not `next_attempt_at`: a first
    try deferred by a rate limit has a later `next_attempt_at` on purpose."""
    drifted = (
        Publication.objects.filter(status=PS.SCHEDULED, attempts=0, due_override=False)
        .filter(Q(next_attempt_at__lte=now) | Q(post__scheduled_at__lte=now))
        .exclude(post__scheduled_at=None)
        .exclude(due_at=F("post__scheduled_at"))
        .values_list("pk", "post__scheduled_at")
    )
    fixed = 0
    for pk, when in drifted[:1000]:
        fixed += Publication.objects.filter(
            pk=pk, status=PS.SCHEDULED, attempts=0, due_override=False
        ).update(due_at=when, next_attempt_at=when)
    return fixed


def fail_late(*, now: datetime | None = None, batch: int = 500) -> list[int]:
    """Fail first tries due longer ago than the late cutoff (0: never)."""
    cutoff = settings.PUBLISH_LATE_CUTOFF_SECONDS
    if cutoff <= 0:
        return []
    now = now or timezone.now()
    late = Publication.objects.filter(
        status=PS.SCHEDULED,
        attempts=0,
        next_attempt_at__lt=now - timedelta(seconds=cutoff),
    )
    held = late.exclude(account__status=AccountStatus.CONNECTED)
    moved: list[int] = []
    for rows, why in (
        (
            held,
            "its channel account was disabled or needed reconnecting when it was due",
        ),
        (
            late.filter(account__status=AccountStatus.CONNECTED),
            "publishing was not running when it was due",
        ),
    ):
        moved += publication_move(
            list(rows.values_list("pk", flat=True)[:batch]),
            to=PS.FAILED,
            sources=[PS.SCHEDULED],
            fence=0,
            finished_at=now,
            error_kind="late",
            error=(
                f"Missed its time: {why}, and it is more than {_duration(cutoff)} "
                "late. Reschedule it to publish it."
            ),
        )
    if moved:
        logger.warning("%d publications missed their time", len(moved))
    return moved


def _duration(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return f"{hours} hour{'s' if hours != 1 else ''}"
    minutes = max(1, seconds // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def claim_due(batch: int = 500, *, now: datetime | None = None) -> list[int]:
    """Claim up to `batch` due publications, mark them queued, enqueue after commit."""
    now = now or timezone.now()
    # Held accounts' rows wait. Their ids first (a handful), then an index range
    # on (status, next_attempt_at): a join with the accounts here made the
    # planner scan the whole table under the row locks, every tick.
    held = list(
        ChannelAccount.objects.exclude(status=AccountStatus.CONNECTED).values_list(
            "pk", flat=True
        )
    )
    due = (
        Publication.objects.filter(status=PS.SCHEDULED, next_attempt_at__lte=now)
        .exclude(account_id__in=held)
        .order_by("next_attempt_at", "pk")
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            locked = due.select_for_update(skip_locked=True, of=("self",))
            ids = list(locked.values_list("pk", flat=True)[:batch])
        else:
            ids = list(due.values_list("pk", flat=True)[:batch])
        moved = publication_move(
            ids, to=PS.QUEUED, sources=[PS.SCHEDULED], queued_at=now
        )
        if moved:
            transaction.on_commit(lambda: enqueue(moved))
    return moved


def dispatch(*, batch: int | None = None, max_batches: int = 100) -> int:
    """One scheduler tick: follow moved posts, fail the too-late, claim all due."""
    batch = batch or settings.DISPATCH_BATCH_SIZE
    now = timezone.now()
    _sync_due_times(now)
    fail_late(now=now, batch=batch)
    cap = settings.DISPATCH_MAX_QUEUED
    total = 0
    for _ in range(max_batches):
        size = batch
        if cap > 0:  # back-pressure: see DISPATCH_MAX_QUEUED
            room = cap - Publication.objects.filter(status=PS.QUEUED).count()
            if room <= 0:
                break
            size = min(batch, room)
        claimed = claim_due(size, now=now)
        total += len(claimed)
        if len(claimed) < size:
            break
    if total:
        logger.info("dispatched %d publications", total)
    return total


def _dedupes_or_looks_up(network: str) -> bool:
    try:
        capabilities = get_connector(network).capabilities
    except ConnectorNotAvailable:
        return False
    return capabilities.dedupes or capabilities.lookup


def sweep(*, now: datetime | None = None, batch: int = 500) -> dict[str, int]:
    """Re-drive lost work (see the module docstring). Returns counts per action."""
    now = now or timezone.now()
    counts = {"requeued": 0, "resent": 0, "unconfirmed": 0}
    counts["requeued"] = _requeue(_orphaned_queued(now, batch), now)
    resent, unconfirmed = _reclaim_publishing(now, batch)
    counts["resent"], counts["unconfirmed"] = resent, unconfirmed
    if any(counts.values()):
        logger.warning("sweep: %s", counts)
    return counts


def _reclaim_publishing(now: datetime, batch: int) -> tuple[int, int]:
    """`publishing` rows whose worker died (lease run out, or the hard
    timeout): an ambiguous outcome. In groups of one attempt number and one
    handling, so a dead worker's hundreds of rows take a few statements and go
    out again in batches, not one task each."""
    stale = (
        Publication.objects.filter(status=PS.PUBLISHING)
        .filter(
            Q(lease_until__lt=now)
            | Q(
                started_at__lt=now
                - timedelta(seconds=settings.PUBLISH_PUBLISHING_TIMEOUT_SECONDS)
            )
        )
        .order_by("pk")
        .values_list("pk", "network", "attempts")[:batch]
    )
    groups: dict[tuple[int, bool], list[int]] = {}
    capable: dict[str, bool] = {}
    for pk, network, attempts in stale:
        if network not in capable:
            capable[network] = _dedupes_or_looks_up(network)
        groups.setdefault((attempts, capable[network]), []).append(pk)
    note = "The worker stopped while publishing (no answer recorded)."
    resent = unconfirmed = 0
    for (attempts, again), ids in sorted(groups.items()):
        with transaction.atomic():
            PublishAttempt.objects.filter(
                publication_id__in=ids, number=attempts, outcome=""
            ).update(outcome="swept", error=note)
            if again:  # same key: the network deduplicates or we look it up first
                moved = publication_move(
                    ids,
                    to=PS.QUEUED,
                    sources=[PS.PUBLISHING],
                    fence=attempts,
                    queued_at=now,
                    started_at=None,
                    lease_until=None,
                    error_kind="ambiguous",
                    error=note,
                )
                if moved:
                    transaction.on_commit(partial(enqueue, moved))
                resent += len(moved)
            else:
                unconfirmed += len(
                    publication_move(
                        ids,
                        to=PS.UNCONFIRMED,
                        sources=[PS.PUBLISHING],
                        fence=attempts,
                        finished_at=now,
                        lease_until=None,
                        error_kind="ambiguous",
                        error=note + " Check the channel and resolve it.",
                    )
                )
    return resent, unconfirmed


def _orphaned_queued(now: datetime, batch: int) -> list[int]:
    """`queued` rows with no message left in the broker (see the module
    docstring), and any older than the hard timeout."""
    grace = float(settings.PUBLISH_QUEUED_GRACE_SECONDS)
    timeout = now - timedelta(seconds=settings.PUBLISH_QUEUED_TIMEOUT_SECONDS)
    queued = Publication.objects.filter(status=PS.QUEUED)
    found = list(
        queued.filter(queued_at__lt=timeout).values_list("pk", flat=True)[:batch]
    )
    cutoff = now - timedelta(seconds=grace)
    if len(found) >= batch or not queued.filter(queued_at__lt=cutoff).exists():
        return found
    backlog = broker.publish_backlog(recent_seconds=grace)
    if backlog is None:
        return found
    # The newest rows are those the messages still held may carry.
    covered = backlog * max(1, settings.PUBLISH_TASK_BATCH)
    newest_first = queued.order_by("-queued_at", "-pk").values_list("pk", "queued_at")
    for pk, queued_at in newest_first[covered : covered + batch]:
        if queued_at is not None and queued_at < cutoff and pk not in found:
            found.append(pk)
    return found[:batch]


def _requeue(ids: list[int], now: datetime) -> int:
    """Send the rows again. Locked first and checked again (on PostgreSQL, rows
    another scheduler's sweep holds are skipped), so two sweeps at once do not
    both send the same row: the first one's new `queued_at` takes it out of the
    second one's reach."""
    if not ids:
        return 0
    older = min(
        float(settings.PUBLISH_QUEUED_GRACE_SECONDS),
        float(settings.PUBLISH_QUEUED_TIMEOUT_SECONDS),
    )
    cutoff = now - timedelta(seconds=older)
    with transaction.atomic():
        rows = Publication.objects.filter(
            pk__in=ids, status=PS.QUEUED, queued_at__lt=cutoff
        )
        if connection.vendor == "postgresql":
            rows = rows.select_for_update(skip_locked=True)
        moved = publication_move(
            list(rows.values_list("pk", flat=True)),
            to=PS.QUEUED,
            sources=[PS.QUEUED],
            queued_at=now,
        )
        if moved:
            transaction.on_commit(lambda: enqueue(moved))
    return len(moved)
