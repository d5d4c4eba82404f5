"""Publishing a batch of queued publications (the body of the `publish_batch`
task): read, rate-limit, claim, call, record. See `publication_publish_many`
for why a batch."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from concurrent.futures import wait
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from connections.models import AccountStatus
from connections.reconnect import account_mark_needs_reconnect
from networks import ConnectorNotAvailable, get_connector
from publishing import lease, ratelimit
from publishing.bulk import bulk_set
from publishing.delivery.calls import call_in_thread, call_one, calls_executor, crashed
from publishing.delivery.moves import publication_move
from publishing.delivery.outcomes import Decision, Job, decide
from publishing.delivery.request import Preloaded, build_request, preload
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS

logger = logging.getLogger("adloop.publishing")


def publication_publish(publication_id: int, *, task_id: str = "") -> str:
    """Claim a queued publication, call its connector, record the outcome.

    Returns what happened ("published", "retry", "failed", "unconfirmed",
    "deferred" when a rate limit sent it back to `scheduled` before any call,
    "held" when its account was disabled or lost its connection after the claim,
    or "skipped" when the row is gone or someone else has it).
    """
    outcomes = publication_publish_many([publication_id], task_id=task_id)
    return outcomes.get(publication_id, "skipped")


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
    preloaded = preload([p for p in rows.values() if p.status == PS.QUEUED])
    jobs: list[Job] = []
    for pk in ids:
        job = _sort_out(pk, rows.get(pk), preloaded)
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


def _sort_out(
    pk: int, publication: Publication | None, preloaded: Preloaded
) -> Job | str:
    """One row of a batch: a job to claim, or why there is none ("skipped",
    "held", "deferred")."""
    if publication is None:
        logger.info("publication %s: gone", pk)
        return "skipped"
    if publication.status != PS.QUEUED:
        return "skipped"
    if publication.account.status != AccountStatus.CONNECTED:
        # Back to wait with the others of its account (the dispatcher does
        # not claim them): no call, no attempt.
        held = publication_move(
            [pk],
            to=PS.SCHEDULED,
            sources=[PS.QUEUED],
            fence=publication.attempts,
            queued_at=None,
        )
        return "held" if held else "skipped"
    return _prepare(publication, preloaded)


def _prepare(publication: Publication, preloaded: Preloaded) -> Job | str:
    """The connector and the request, after the rate limit (else "deferred")."""
    try:
        connector = get_connector(publication.network)
    except ConnectorNotAvailable:
        return Job(publication, None, None)
    request = build_request(publication, connector=connector, preloaded=preloaded)
    wait = ratelimit.acquire(
        publication.network, publication.account_id, cost=1 + len(request.thread)
    )
    if wait > 0:
        return _defer(publication, wait)
    return Job(publication, connector, request)


def _claim(jobs: list[Job], task_id: str) -> list[Job]:
    """queued → publishing and one attempt row each, in one transaction (no claim
    without the row the sweep marks when the worker dies mid-call). The claim
    holds for `PUBLISH_LEASE_SECONDS` (`publishing.lease`)."""
    if not jobs:
        return []
    now = timezone.now()
    claimed: list[Job] = []
    groups: dict[tuple[int, bool], list[Job]] = {}
    for job in jobs:
        key = (job.publication.attempts, job.publication.first_attempt_at is None)
        groups.setdefault(key, []).append(job)
    with transaction.atomic():
        for (attempts, first), group in sorted(groups.items()):
            extra: dict[str, Any] = {"first_attempt_at": now} if first else {}
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


# How long finished calls of a batch wait for the slower ones before their
# outcomes are stored: an external id is stored at most this long after it is
# known, however slow another network of the batch is.
RECORD_EVERY_SECONDS = 1.0


def _call_and_record(jobs: list[Job]) -> dict[int, str]:
    """The network calls, then their outcomes stored. Inline for one (a test's
    transaction, and any connector's database use, stay on this thread); for a
    batch, in parallel threads, storing what has finished every
    `RECORD_EVERY_SECONDS` (all of it in one transaction when the calls are
    quick)."""
    if len(jobs) <= 1 or settings.PUBLISH_CALL_THREADS <= 1:
        for job in jobs:
            call_one(job)
        return _record_all(jobs)
    futures = {calls_executor().submit(call_in_thread, job): job for job in jobs}
    pending = set(futures)
    outcomes: dict[int, str] = {}
    while pending:
        done, pending = wait(pending, timeout=RECORD_EVERY_SECONDS)
        finished = []
        for future in done:
            job = futures[future]
            if future.exception() is not None:  # not a connector's: _call catches those
                job.outcome = crashed(job.publication.pk, future.exception())
            finished.append(job)
        outcomes.update(_record_all(finished))
    return outcomes


def _record_all(jobs: list[Job]) -> dict[int, str]:
    """Store every attempt's outcome and move the publications, in one
    transaction: the attempt rows in one UPDATE, then one move per target
    status and attempt number (each row fenced on the attempt it claimed)."""
    if not jobs:
        return {}
    now = timezone.now()
    decided = [(job, decide(job, now)) for job in jobs]
    attempts = []
    for job in jobs:
        assert job.attempt is not None and job.outcome is not None
        result, error = job.outcome.result, job.outcome.error
        job.attempt.duration_ms = job.duration_ms
        job.attempt.http_status = (
            result.http_status if result else error.http_status if error else None
        )
        job.attempt.outcome = job.outcome.kind
        job.attempt.error = (
            f"{error.message} {error.detail}".strip()[:2000] if error else ""
        )
        job.attempt.external_id = result.external_id if result else ""
        attempts.append(job.attempt)
    groups: dict[tuple[str, int], list[tuple[Job, Decision]]] = {}
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
                account_mark_needs_reconnect(
                    account=job.publication.account, message=decision.reconnect
                )
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
