"""How many provider calls may be in flight at once, per provider, across every
process: a counting semaphore made of N cache keys.

A slot is taken with `cache.add` (atomic in Redis and in the local-memory cache)
and expires on its own, so a killed process frees its slots after `SLOT_TTL`.
Within one process the thread pool already bounds the calls; the semaphore is
what bounds several workers sharing one provider's rate limit.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache

from networks.copy_types import LLMError

SLOT_TTL = 600  # seconds; longer than any one call with its retries
WAIT = 300.0  # seconds a call waits for a slot before giving up


def concurrency() -> int:
    return max(1, int(getattr(settings, "LLM_CONCURRENCY", 8)))


@contextmanager
def provider_slot(provider: str, *, wait: float = WAIT) -> Iterator[int]:
    """Hold one of the provider's `LLM_CONCURRENCY` slots while the block runs."""
    limit = concurrency()
    token = uuid.uuid4().hex
    deadline = time.monotonic() + wait
    delay = 0.005
    while True:
        for index in range(limit):
            key = f"adloop:llm-slot:{provider}:{index}"
            if cache.add(key, token, SLOT_TTL):
                try:
                    yield index
                finally:
                    # Only free the slot if it is still ours (it may have expired).
                    if cache.get(key) == token:
                        cache.delete(key)
                return
        if time.monotonic() >= deadline:
            raise LLMError(
                f"The {provider} provider is busy ({limit} calls in flight); "
                "try again in a moment.",
                permanent=False,
                code="busy",
            )
        time.sleep(delay)
        delay = min(delay * 2, 0.2)
