"""Abuse limits: the cache that holds the throttling counters, sign-in and
password-reset limits, the public forms' limits, and the proxies whose
X-Forwarded-For is believed for the caller's address.
"""

from __future__ import annotations

import ipaddress

from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.settings.base import DEBUG

# Public newsletter sign-up (publishing.newsletter_limits): sign-ups per source
# address and per target address per hour (counted in the cache, hashed), and
# how long a pending address waits before it is mailed a confirmation again.
NEWSLETTER_SIGNUPS_PER_SOURCE_PER_HOUR = env_int(
    "NEWSLETTER_SIGNUPS_PER_SOURCE_PER_HOUR", 20
)
NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR = env_int(
    "NEWSLETTER_SIGNUPS_PER_ADDRESS_PER_HOUR", 5
)
NEWSLETTER_RESEND_SECONDS = env_int("NEWSLETTER_RESEND_SECONDS", 3600)

# Cache: throttling counters (API, sign-in, public forms) and the scheduler's
# heartbeat read. Redis when REDIS_URL is set (shared by every process), else a
# per-process memory cache. Counters kept per process are no limit once there
# are several processes (an attacker's guesses spread over them), so production
# refuses the memory cache unless ALLOW_LOCAL_CACHE says this is one process.
REDIS_URL = env_str("REDIS_URL")
ALLOW_LOCAL_CACHE = env_bool("ALLOW_LOCAL_CACHE", DEBUG)
if not REDIS_URL and not ALLOW_LOCAL_CACHE:
    raise ImproperlyConfigured(
        "REDIS_URL must be set when DEBUG is false: sign-in and API throttling "
        "counters need a cache shared by every process (or set "
        "ALLOW_LOCAL_CACHE=true if exactly one process serves requests)"
    )
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Sign-in throttling (workspaces/signin_throttle.py; README, "Security"). Failed
# sign-ins are counted per (account, source address): past the free ones each
# next try waits twice as long, up to the cap. One address is also limited
# across all accounts (a looser count), and the API's key check per address.
SIGNIN_FREE_FAILURES = env_int("SIGNIN_FREE_FAILURES", 5)
SIGNIN_ADDRESS_FREE_FAILURES = env_int("SIGNIN_ADDRESS_FREE_FAILURES", 50)
API_KEY_FREE_FAILURES = env_int("API_KEY_FREE_FAILURES", 10)
SIGNIN_BACKOFF_BASE_SECONDS = env_int("SIGNIN_BACKOFF_BASE_SECONDS", 2)
SIGNIN_BACKOFF_MAX_SECONDS = env_int("SIGNIN_BACKOFF_MAX_SECONDS", 900)
# Failures are forgotten this long after the last one.
SIGNIN_FAILURE_WINDOW_SECONDS = env_int("SIGNIN_FAILURE_WINDOW_SECONDS", 86_400)
# Password-reset mails per email and per source address per hour.
PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR = env_int(
    "PASSWORD_RESETS_PER_ACCOUNT_PER_HOUR", 3
)
PASSWORD_RESETS_PER_ADDRESS_PER_HOUR = env_int(
    "PASSWORD_RESETS_PER_ADDRESS_PER_HOUR", 10
)

# Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed
# (core/client_address.py): sign-in throttling, public form limits, click
# hashing and the audit log all take the caller's address from there. Empty: the
# direct peer is the caller and X-Forwarded-For is ignored.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", [])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES must list IP addresses or CIDR ranges, got {_proxy!r}"
        ) from None
