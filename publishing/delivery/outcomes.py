"""The retry policy: where an attempt's outcome sends its publication
(published; retried with backoff until the deadline; unconfirmed when the
outcome is unknown and the network can neither deduplicate nor look up;
failed), and how long a retry waits (`retry_delay`)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from networks import ConnectorError, PublishRequest, PublishResult
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS


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
class CallOutcome:
    """What one network call (or the refusal before it) came to."""

    kind: str  # published, transient, permanent, ambiguous
    result: PublishResult | None = None
    error: ConnectorError | None = None
    # The stored error_kind when it says more than `kind` (`publishing.failures`).
    reason: str = ""


@dataclass
class Job:
    """One publication of a batch on its way through claim, call and record."""

    publication: Publication
    connector: Any
    request: PublishRequest | None
    number: int = 0
    first_attempt_at: datetime | None = None
    attempt: PublishAttempt | None = None
    outcome: CallOutcome | None = None
    duration_ms: int = 0


@dataclass
class Decision:
    """Where an outcome sends the publication: its status, the label the task
    reports, the fields stored with the move, and, when the network refused
    the credentials for good, why the account needs reconnecting."""

    to: str
    label: str
    fields: dict[str, Any] = field(default_factory=dict)
    reconnect: str = ""


def decide(job: Job, now: datetime) -> Decision:
    """Where an attempt's outcome sends the publication (the module's rules)."""
    outcome = job.outcome
    assert outcome is not None and job.first_attempt_at is not None
    if outcome.result is not None:
        return Decision(
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
    kind: str = error.kind  # may become a finer stored error_kind below
    capabilities = job.connector.capabilities if job.connector else None
    dedupes = bool(capabilities and capabilities.dedupes)
    lookup = bool(capabilities and capabilities.lookup)
    if kind == "ambiguous" and not (dedupes or lookup):
        return _unconfirmed(error, now)
    if kind in ("transient", "ambiguous"):
        retry = _retry(job, error, now)
        if retry is not None:
            return retry
        if kind == "ambiguous":
            return _unconfirmed(error, now)
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
    return Decision(
        PS.FAILED,
        "failed",
        {"finished_at": now, "error": message, "error_kind": kind},
        reconnect=message if error.reconnect else "",
    )


def _unconfirmed(error: ConnectorError, now: datetime) -> Decision:
    return Decision(
        PS.UNCONFIRMED,
        "unconfirmed",
        {
            "finished_at": now,
            "error": error.message + " Check the channel and resolve it.",
            "error_kind": "ambiguous",
        },
    )


def _retry(job: Job, error: ConnectorError, now: datetime) -> Decision | None:
    """Back to `scheduled` after the backoff, unless that is past the retry
    deadline (counted from the first attempt)."""
    assert job.first_attempt_at is not None
    deadline = job.first_attempt_at + timedelta(
        seconds=settings.PUBLISH_RETRY_DEADLINE_SECONDS
    )
    retry_at = now + timedelta(seconds=retry_delay(job.number, error.retry_after))
    if retry_at > deadline:
        return None
    return Decision(
        PS.SCHEDULED,
        "retry",
        {
            "next_attempt_at": retry_at,
            "started_at": None,
            "error": error.message,
            "error_kind": error.kind,
        },
    )
