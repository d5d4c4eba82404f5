"""Work counted per fixed time window in the shared cache, for abuse limits.

Why the cache and fixed windows: the limits (newsletter sign-ups per source and
per address, upload work per workspace) must hold across every web process, so
the counters live in the default cache (Redis in production, where `incr` is
atomic); a fixed window costs one `add` and one `incr` per request and says
exactly when it reopens (`Retry-After`). Identifiers that are personal data (an
IP address, an email address) are never used as keys as they are: callers
pass `core.client_address.address_digest` of them, so the cache holds no
raw address.
"""

from __future__ import annotations

import math
import time

from django.core.cache import cache


class Throttled(Exception):
    """Too much work in the current window (HTTP 429). `message` is fit to show;
    `retry_after` is the whole seconds until the window reopens."""

    def __init__(self, message: str, *, retry_after: int, code: str = "throttled"):
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, int(retry_after))
        self.code = code


def count(key: str, *, window: int, cost: int = 1) -> tuple[int, int]:
    """Add `cost` to the counter of `key` in the current `window` (seconds);
    `(total so far in this window, seconds until it reopens)`."""
    now = time.time()
    slot = int(now // window)
    name = f"abuse:{key}:{slot}"
    left = math.ceil((slot + 1) * window - now)
    cache.add(name, 0, timeout=window + 1)
    try:
        total = cache.incr(name, cost)
    except ValueError:  # expired between add and incr
        cache.add(name, cost, timeout=window + 1)
        total = cost
    return int(total), max(1, left)


def peek(key: str, *, window: int) -> tuple[int, int]:
    """The counter of `key` in the current window, without adding to it."""
    now = time.time()
    slot = int(now // window)
    left = math.ceil((slot + 1) * window - now)
    return int(cache.get(f"abuse:{key}:{slot}", 0)), max(1, left)
