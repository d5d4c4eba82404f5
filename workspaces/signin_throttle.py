"""Failed sign-ins and bad API keys slow the guesser down, never the owner.

Failures are counted in the shared cache (Redis in production; settings refuse a
per-process cache with several processes) under keys that are keyed hashes
(HMAC with SECRET_KEY) of the account and of the source address: neither the
email nor the raw address is stored.

- Per (account, source address): `SIGNIN_FREE_FAILURES` free failures, then each
  further try waits twice as long as the last (`SIGNIN_BACKOFF_BASE_SECONDS`,
  doubling, at most `SIGNIN_BACKOFF_MAX_SECONDS`). An attacker elsewhere slows
  only their own address: the owner signing in from theirs is unaffected.
- Per source address across accounts: the same back-off after the looser
  `SIGNIN_ADDRESS_FREE_FAILURES`, so one address cannot try one password on
  every account.
- API keys: per source address after `API_KEY_FREE_FAILURES` bad keys.

A sign-in attempt is reserved (counted as a failure) before the password is
checked and released on success, so a burst of parallel guesses cannot all slip
through between one check and the next record. A success clears its
(account, address) count; it never clears the address's count (a guesser with
one valid account of their own must not reset their budget).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from core.client_address import address_digest, client_address

PREFIX = "throttle"


@dataclass(frozen=True)
class _Counter:
    """One failure count and the time of its last failure, in the cache."""

    key: str
    free: int

    def read(self) -> tuple[int, float]:
        found = cache.get_many([self.key, self.key + ":last"])
        return int(found.get(self.key, 0)), float(found.get(self.key + ":last", 0.0))

    def wait(self, now: float, *, failures: int | None = None) -> int:
        """Seconds until the next try is allowed; 0: allowed now."""
        count, last = self.read()
        if failures is not None:
            count = failures
        delay = backoff_seconds(count, self.free)
        return max(0, math.ceil(last + delay - now)) if delay else 0

    def add(self, now: float, *, stamp: bool) -> int:
        window = settings.SIGNIN_FAILURE_WINDOW_SECONDS
        cache.add(self.key, 0, window)
        try:
            count = cache.incr(self.key)
        except ValueError:  # expired between add and incr
            cache.set(self.key, 1, window)
            count = 1
        cache.touch(self.key, window)
        if stamp:
            cache.set(self.key + ":last", now, window)
        return int(count)

    def release(self) -> None:
        """Undo one reservation (the attempt succeeded)."""
        try:
            if cache.decr(self.key) < 0:
                cache.set(self.key, 0, settings.SIGNIN_FAILURE_WINDOW_SECONDS)
        except ValueError:
            pass

    def clear(self) -> None:
        cache.delete_many([self.key, self.key + ":last"])


def backoff_seconds(failures: int, free: int) -> int:
    """How long to wait after `failures` failures: 0 while free, then doubling."""
    if failures < free:
        return 0
    base = settings.SIGNIN_BACKOFF_BASE_SECONDS
    cap = settings.SIGNIN_BACKOFF_MAX_SECONDS
    exponent = min(failures - free, 32)  # 2**32 s is past any cap
    return int(min(cap, base * 2**exponent))


def _account(account: str) -> str:
    return (account or "").strip().lower()


def _pair(request: HttpRequest, account: str) -> _Counter:
    digest = address_digest(
        f"{_account(account)}\x00{client_address(request)}", "signin-pair"
    )
    return _Counter(f"{PREFIX}:signin:pair:{digest}", settings.SIGNIN_FREE_FAILURES)


def _address(request: HttpRequest) -> _Counter:
    digest = address_digest(client_address(request), "signin-address")
    return _Counter(
        f"{PREFIX}:signin:addr:{digest}", settings.SIGNIN_ADDRESS_FREE_FAILURES
    )


def _api(request: HttpRequest) -> _Counter:
    digest = address_digest(client_address(request), "api-key")
    return _Counter(f"{PREFIX}:apikey:addr:{digest}", settings.API_KEY_FREE_FAILURES)


class SignInThrottled(Exception):
    """Too many failures: `retry_after` seconds until the next try."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(wait_message(retry_after))
        self.retry_after = retry_after


def begin_signin(request: HttpRequest, account: str) -> None:
    """Reserve one attempt for (account, address); raise SignInThrottled if none.

    Call before checking the password; then `signin_failed` or
    `signin_succeeded` exactly once.
    """
    now = time.time()
    counters = (_pair(request, account), _address(request))
    reserved = [c.add(now, stamp=False) for c in counters]
    wait = max(
        c.wait(now, failures=count - 1)
        for c, count in zip(counters, reserved, strict=True)
    )
    if wait:
        for counter in counters:
            counter.release()  # a refused try is no guess: it does not count
        raise SignInThrottled(wait)


def signin_failed(request: HttpRequest, account: str) -> None:
    """Keep the reservation as a failure and start its back-off from now."""
    now = time.time()
    for counter in (_pair(request, account), _address(request)):
        cache.set(counter.key + ":last", now, settings.SIGNIN_FAILURE_WINDOW_SECONDS)


def signin_succeeded(request: HttpRequest, account: str) -> None:
    """The owner is in: forget this pair's failures, release the address's try."""
    _pair(request, account).clear()
    _address(request).release()


def signin_reset(request: HttpRequest, account: str) -> None:
    """The person proved they own the mailbox (a password reset): forget the
    failures of their account from this address, so the new password works now."""
    _pair(request, account).clear()


def api_key_wait(request: HttpRequest) -> int:
    """Seconds this address must wait before its next API key is looked at."""
    return _api(request).wait(time.time())


def api_key_failed(request: HttpRequest) -> None:
    _api(request).add(time.time(), stamp=True)


def password_reset_wait(request: HttpRequest, email: str) -> int:
    """Count one reset request; seconds to wait when over the hourly limits.

    A reset mails whoever owns the address, so without a limit the form floods
    a person's inbox (and the sender's reputation). Counted per email (whether
    or not an account has it, so the answer reveals nothing) and per source
    address, in fixed one-hour windows.
    """
    now = time.time()
    address = client_address(request)
    limits = (
        (
            f"{PREFIX}:reset:acct:{address_digest(_account(email), 'reset-account')}",
            settings.PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR,
        ),
        (
            f"{PREFIX}:reset:addr:{address_digest(address, 'reset-address')}",
            settings.PASSWORD_RESETS_PER_ADDRESS_PER_HOUR,
        ),
    )
    wait = 0
    for key, limit in limits:
        cache.add(key + ":start", now, 3600)
        cache.add(key, 0, 3600)
        try:
            count = cache.incr(key)
        except ValueError:  # the window ended between add and incr
            continue
        if count > limit:
            start = float(cache.get(key + ":start", now))
            wait = max(wait, math.ceil(start + 3600 - now), 1)
    return wait


def wait_message(seconds: int) -> str:
    """The sentence people read: a rounded, friendly wait."""
    return (
        "Too many failed sign-ins from here for this account. "
        f"Try again in {_when(seconds)}."
    )


def _when(seconds: int) -> str:
    if seconds < 60:
        when = "1 second" if seconds <= 1 else f"{seconds} seconds"
    else:
        minutes = math.ceil(seconds / 60)
        when = "1 minute" if minutes == 1 else f"{minutes} minutes"
    return when


def api_wait_message(seconds: int) -> str:
    return (
        f"Too many invalid API keys from this address. Try again in {_when(seconds)}."
    )


def reset_wait_message(seconds: int) -> str:
    return f"Too many password reset requests. Try again in {_when(seconds)}."
