"""The one reading of an HTTP `Retry-After` header (RFC 9110 §10.2.3) for
every outbound caller: the network connectors, and the LLM and image
providers.

Why one function: the connectors and the LLM client each parsed the header
themselves, and neither copy capped a huge wait or read a zone-less date as
UTC. A wait we cannot read is None, never an exception, so the caller falls
back to its own backoff; a wait we can read is clamped to [0, `MAX_SECONDS`],
so a date in the past means "now" and a broken or hostile server cannot park a
job for a year (or forever, with `1e999`).
"""

from __future__ import annotations

import math
import time
from datetime import UTC
from email.utils import parsedate_to_datetime

__all__ = ["MAX_SECONDS", "retry_after_seconds"]

# The longest wait we honour: a day. Networks' daily quotas reset within one.
MAX_SECONDS = 24 * 3600.0


def retry_after_seconds(
    value: str | None, *, now: float | None = None, ceiling: float = MAX_SECONDS
) -> float | None:
    """Seconds to wait from a `Retry-After` value: delta seconds (fractions
    accepted: some servers send them) or an HTTP date, measured from `now`
    (Unix seconds; the clock by default). Clamped to [0, `ceiling`]; None when
    the value is absent, empty, not a number or date, or not finite."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    seconds: float | None
    try:
        seconds = float(text)
    except ValueError:
        seconds = _seconds_until_date(text, time.time() if now is None else now)
    if seconds is None or not math.isfinite(seconds):
        return None
    return min(max(0.0, seconds), ceiling)


def _seconds_until_date(text: str, now: float) -> float | None:
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": RFC 5322's "UTC, zone unknown"
        when = when.replace(tzinfo=UTC)
    return when.timestamp() - now
