"""The network calls of a batch: the refusals found without calling, the call
itself (a connector's error or crash becomes an outcome, never an exception),
and the threads that make a batch's calls in parallel."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connections

from networks import ConnectorError, PublishRequest
from publishing.delivery.outcomes import CallOutcome, Job

logger = logging.getLogger("adloop.publishing")


def _refused_before_the_call(job: Job) -> CallOutcome | None:
    """Failures no call could fix, found without calling: an account without
    credentials (planning only), copy or images the connector's own check
    refuses (the last guard: the editor and the lifecycle check limits first)."""
    network = job.publication.get_network_display()
    if job.publication.account.planning_only:
        message = (
            f"{job.publication.account.name} has no credentials (planning only); "
            f"connect the {network} account to publish."
        )
        return CallOutcome(
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
        return CallOutcome(
            "permanent",
            error=ConnectorError(" ".join(problems), kind="permanent"),
            reason="invalid",
        )
    return None


def _call(connector: Any, request: PublishRequest, *, look_first: bool) -> CallOutcome:
    try:
        if look_first and connector.capabilities.lookup:
            found = connector.lookup(request)
            if found is not None:
                return CallOutcome("published", result=found)
        return CallOutcome("published", result=connector.publish(request))
    except ConnectorError as exc:
        return CallOutcome(exc.kind, error=exc)
    except Exception as exc:  # a connector bug: maybe after the request went out
        return crashed(request.publication_id, exc)


def crashed(publication_id: int, exc: BaseException | None) -> CallOutcome:
    logger.error("publication %s: connector crashed", publication_id, exc_info=exc)
    return CallOutcome(
        "ambiguous",
        error=ConnectorError(
            "Publishing stopped with an internal error.",
            kind="ambiguous",
            detail=repr(exc)[:500],
        ),
    )


_calls_lock = threading.Lock()
_calls_pool: ThreadPoolExecutor | None = None


def calls_executor() -> ThreadPoolExecutor:
    """One pool per process, made on first use (after a prefork worker forks)."""
    global _calls_pool
    with _calls_lock:
        if _calls_pool is None:
            _calls_pool = ThreadPoolExecutor(
                max_workers=max(1, settings.PUBLISH_CALL_THREADS),
                thread_name_prefix="publish-call",
            )
        return _calls_pool


def call_one(job: Job) -> None:
    """Make the job's call (or refuse it without one); set its outcome and
    how long it took."""
    start = time.monotonic()
    if job.connector is None or job.request is None:
        network = job.publication.get_network_display()
        job.outcome = CallOutcome(
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


def call_in_thread(job: Job) -> None:
    """`call_one` on a pool thread."""
    try:
        call_one(job)
    finally:
        # A connector whose store wrote to the database (a Bluesky session) did it
        # on this pool thread's own connection: do not keep it open.
        connections.close_all()
