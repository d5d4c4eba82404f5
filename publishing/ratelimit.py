"""Rate limits before a connector is called: token buckets shared by every worker.

Why here and not in the connectors: a network's limit is per account (and some
per app), while the calls come from any number of worker processes. A worker
that learned about the limit from a 429 has already spent a request, and a
worker that sleeps until the bucket refills holds a slot other accounts could
use. So the publish task asks `acquire()` first; when a bucket is empty the
publication is deferred (back to `scheduled` with `next_attempt_at` at the time
the tokens will be there, no attempt counted) and the worker moves on.

Each publication costs one token per post it creates (1 + its thread parts),
taken from the account's bucket and the network's (app-wide) bucket at once:
either both are charged or neither is.

Limits, per network (`DEFAULT_LIMITS`: each network package's `profile.py`
declares its own, from ../shared/CHANNELS.md; the figures are the networks'
documented quotas, "official" where CHANNELS.md says so):

| network | per account | per network (app) | source |
| --- | --- | --- | --- |
| x | 100 / 15 min | 10,000 / 24 h | `POST /2/tweets` limits — official |
| mastodon | 300 / 5 min | — | requests per account — official |
| bluesky | 1,666 / h | — | 5,000 write points/h, a create costs 3 — official |
| instagram | 50 / 24 h | — | Meta's default `content_publishing_limit` quota |
| linkedin, facebook, others | — | — | no fixed figure: a 429's `retry_after` |

LinkedIn's quotas are per app in the developer portal, Facebook's are reported
in `X-Business-Use-Case-Usage`, webhooks, email and WordPress are the
receiver's: their connectors turn a 429 into a transient error.

`settings.PUBLISH_RATE_LIMITS` overrides or adds entries, in the same shape:
`{"webhook": {"account": (60, 60)}}` (60 posts per 60 s per account);
`{"x": {"network": None}}` removes one.

Where the buckets live: Redis when `REDIS_URL` is set (one Lua script: atomic
across any number of processes and hosts, clocked by the Redis server), else
files under `VAR_DIR/ratelimits` with `fcntl` locks (the embedded defaults run
every process on one machine; a conditional UPDATE in the database would need a
table, and the default cache is per process).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from networks import registry
from networks.profile import Limit

# Each network's own declaration (its package's profile), by network key.
DEFAULT_LIMITS: dict[str, dict[str, Limit | None]] = registry.rate_limits()


def limits_for(network: str) -> dict[str, Limit]:
    """The limits that apply to `network`: defaults, then the settings' overrides."""
    merged: dict[str, Limit | None] = dict(DEFAULT_LIMITS.get(network, {}))
    overrides: Mapping[str, Any] = getattr(settings, "PUBLISH_RATE_LIMITS", {}) or {}
    for scope, value in (overrides.get(network) or {}).items():
        if value is None or isinstance(value, Limit):
            merged[scope] = value
        else:
            capacity, per_seconds = value
            merged[scope] = Limit(int(capacity), float(per_seconds))
    return {scope: limit for scope, limit in merged.items() if limit is not None}


@dataclass(frozen=True)
class Bucket:
    key: str
    limit: Limit


def buckets_for(network: str, account_id: int) -> list[Bucket]:
    limits = limits_for(network)
    buckets = []
    if "account" in limits:
        buckets.append(Bucket(f"acct:{network}:{account_id}", limits["account"]))
    if "network" in limits:
        buckets.append(Bucket(f"net:{network}", limits["network"]))
    return buckets


def acquire(network: str, account_id: int, cost: int = 1) -> float:
    """Take `cost` tokens from the account's and the network's buckets.

    Returns 0.0 when granted, else the seconds until they would be (and nothing
    is taken). A network without limits is always granted without a round trip.
    """
    buckets = buckets_for(network, account_id)
    if not buckets:
        return 0.0
    return store().take(buckets, max(1, cost))


def reset(network: str, account_id: int) -> None:
    """Forget the buckets of one account and its network (tests, a person's reset)."""
    store().reset(buckets_for(network, account_id))


# --- Stores -------------------------------------------------------------------

PREFIX = "adloop:ratelimit:"

# KEYS: the buckets; ARGV: cost, then capacity and rate per bucket. Returns the
# wait in seconds as a string (a Lua number would be truncated to an integer).
_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost = tonumber(ARGV[1])
local wait = 0
local levels = {}
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  local need = math.min(cost, cap)
  local s = redis.call('HMGET', key, 'tokens', 'ts')
  local tokens = tonumber(s[1]) or cap
  local ts = tonumber(s[2]) or now
  tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
  levels[i] = tokens
  if tokens < need then
    wait = math.max(wait, (need - tokens) / rate)
  end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  local cap = tonumber(ARGV[2 * i])
  local rate = tonumber(ARGV[2 * i + 1])
  redis.call('HSET', key, 'tokens', tostring(levels[i] - math.min(cost, cap)),
    'ts', tostring(now))
  redis.call('EXPIRE', key, math.ceil(cap / rate) + 60)
end
return '0'
"""


class RedisStore:
    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.script = self.client.register_script(_LUA)

    def take(self, buckets: Sequence[Bucket], cost: int) -> float:
        args: list[Any] = [cost]
        for bucket in buckets:
            args += [bucket.limit.capacity, repr(bucket.limit.rate)]
        keys = [PREFIX + b.key for b in buckets]
        return float(self.script(keys=keys, args=args))

    def reset(self, buckets: Sequence[Bucket]) -> None:
        if buckets:
            self.client.delete(*[PREFIX + b.key for b in buckets])


class FileStore:
    """One small JSON file per bucket, locked with `flock` in key order (no two
    processes can deadlock) for the read-compute-write."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.folder / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".json")

    def take(self, buckets: Sequence[Bucket], cost: int) -> float:
        ordered = sorted(buckets, key=lambda b: b.key)
        handles = []
        try:
            for bucket in ordered:
                handle = open(self._path(bucket.key), "a+")  # noqa: SIM115
                fcntl.flock(handle, fcntl.LOCK_EX)
                handles.append(handle)
            now = time.time()
            levels = []
            wait = 0.0
            for bucket, handle in zip(ordered, handles, strict=True):
                handle.seek(0)
                try:
                    state = json.loads(handle.read() or "{}")
                except ValueError:
                    state = {}
                cap, rate = bucket.limit.capacity, bucket.limit.rate
                tokens = float(state.get("tokens", cap))
                since = max(0.0, now - float(state.get("ts", now)))
                tokens = min(cap, tokens + since * rate)
                levels.append(tokens)
                need = min(cost, cap)
                if tokens < need:
                    wait = max(wait, (need - tokens) / rate)
            if wait > 0:
                return wait
            for bucket, handle, tokens in zip(ordered, handles, levels, strict=True):
                handle.seek(0)
                handle.truncate()
                left = tokens - min(cost, bucket.limit.capacity)
                handle.write(json.dumps({"tokens": left, "ts": now}))
                handle.flush()
            return 0.0
        finally:
            for handle in reversed(handles):
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()

    def reset(self, buckets: Sequence[Bucket]) -> None:
        for bucket in buckets:
            self._path(bucket.key).unlink(missing_ok=True)


_stores: dict[tuple[int, str], RedisStore | FileStore] = {}


def store() -> RedisStore | FileStore:
    """The store for this process (a Redis client is not shared across a fork)."""
    url = getattr(settings, "REDIS_URL", "") or ""
    where = url or str(Path(settings.VAR_DIR) / "ratelimits")
    key = (os.getpid(), where)
    found = _stores.get(key)
    if found is None:
        found = RedisStore(url) if url else FileStore(Path(where))
        _stores[key] = found
    return found
