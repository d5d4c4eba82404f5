"""Leases on publishing claims: how the sweep tells a dead worker from a slow one.

A worker's claim (`queued → publishing`) sets `Publication.lease_until` to
now + `PUBLISH_LEASE_SECONDS`. While the batch's calls are in flight, one
thread per batch (`kept`) pushes the lease of the rows still `publishing`
forward every `PUBLISH_LEASE_RENEW_SECONDS`, in one UPDATE fenced on the
attempt each row was claimed with (a row someone else claimed since is never
extended). A worker killed with SIGKILL stops renewing; its rows' leases run
out within `PUBLISH_LEASE_SECONDS` and the dispatcher's sweep treats them as an
ambiguous outcome (same key resent, looked up, or `unconfirmed`): a dead
worker's rows come back within about a minute instead of the hard
`PUBLISH_PUBLISHING_TIMEOUT_SECONDS`, which stays as the backstop.

The renewal never waits for a row lock (`SKIP LOCKED` on PostgreSQL): a row
locked is being recorded by its own batch, which moves it out of
`publishing` anyway, and waiting there could deadlock with that recording.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

from publishing.models import Publication
from publishing.models import PublicationStatus as PS

logger = logging.getLogger("adloop.publishing")


def lease_end(now: datetime | None = None) -> datetime:
    """When a claim (or a renewal) made now runs out."""
    return (now or timezone.now()) + timedelta(
        seconds=float(settings.PUBLISH_LEASE_SECONDS)
    )


def renew(claims: Iterable[tuple[int, int]], *, now: datetime | None = None) -> int:
    """Extend the lease of each (publication id, attempt number) still
    `publishing` under that attempt; how many rows were extended."""
    by_attempt: dict[int, list[int]] = {}
    for pk, number in claims:
        by_attempt.setdefault(number, []).append(pk)
    until = lease_end(now)
    renewed = 0
    for number, ids in by_attempt.items():
        rows = Publication.objects.filter(
            pk__in=ids, status=PS.PUBLISHING, attempts=number
        )
        if connection.vendor == "postgresql":
            with transaction.atomic():
                locked = rows.select_for_update(skip_locked=True).order_by("pk")
                free = locked.values("pk")
                renewed += Publication.objects.filter(pk__in=free).update(
                    lease_until=until
                )
        else:
            renewed += rows.update(lease_until=until)
    return renewed


def _keep(claims: list[tuple[int, int]], stop: threading.Event) -> None:
    every = max(0.05, float(settings.PUBLISH_LEASE_RENEW_SECONDS))
    try:
        while not stop.wait(every):
            try:
                renew(claims)
            except Exception:  # a database blip: the next renewal may succeed
                logger.exception("lease renewal failed for %d rows", len(claims))
    finally:
        connections.close_all()  # this thread's own connection


@contextmanager
def kept(claims: Iterable[tuple[int, int]]) -> Iterator[None]:
    """Renew the claims' leases in a thread of their own while the block runs.

    Only for a committed claim: inside the caller's transaction (a test's) the
    rows are invisible and locked to any other connection, so there is nothing
    another worker could steal and nothing this thread could renew."""
    claims = list(claims)
    if not claims or connection.in_atomic_block:
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_keep, args=(claims, stop), name="publish-lease", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
