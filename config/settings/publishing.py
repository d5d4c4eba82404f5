"""Publishing: the outbox's dispatch, leases, retries and sweep; outbound
HTTP limits; the networks' API hosts.
"""

from __future__ import annotations

from config.env import env_bool, env_float, env_int, env_str
from config.settings.base import DEBUG

# Publishing: the outbox (publishing/dispatcher.py, publishing/delivery/;
# ARCHITECTURE.md, "Publishing: the outbox").
# How often each scheduler claims due publications, and how many per batch.
DISPATCH_INTERVAL_SECONDS = env_int("DISPATCH_INTERVAL_SECONDS", 2)
DISPATCH_BATCH_SIZE = env_int("DISPATCH_BATCH_SIZE", 500)
# At most this many publications `queued` at once (0: no cap): a backlog waits as
# `scheduled` rows, not as broker messages older than the queued timeout, which
# the sweep would take for lost and send again.
DISPATCH_MAX_QUEUED = env_int("DISPATCH_MAX_QUEUED", 2000)
# Publications per `publish` task: a batch shares its database statements and
# calls the networks in parallel threads (at most PUBLISH_CALL_THREADS per worker
# process). 1 = one task per publication.
PUBLISH_TASK_BATCH = env_int("PUBLISH_TASK_BATCH", 20)
PUBLISH_CALL_THREADS = env_int("PUBLISH_CALL_THREADS", 32)
# Per-network rate limits over publishing.ratelimit.DEFAULT_LIMITS (see there):
# {"webhook": {"account": (60, 60)}} = 60 posts a minute per webhook account.
PUBLISH_RATE_LIMITS: dict[str, dict[str, tuple[int, float] | None]] = {}
# How often the sweep re-drives lost work (expired leases, queued rows whose
# broker messages are gone).
PUBLISH_SWEEP_INTERVAL_SECONDS = env_int("PUBLISH_SWEEP_INTERVAL_SECONDS", 10)
# A worker's claim holds its rows this long and is renewed every
# PUBLISH_LEASE_RENEW_SECONDS while its calls are in flight (publishing/lease.py);
# a row whose lease ran out lost its worker: an ambiguous outcome, re-driven.
PUBLISH_LEASE_SECONDS = env_int("PUBLISH_LEASE_SECONDS", 30)
PUBLISH_LEASE_RENEW_SECONDS = env_int("PUBLISH_LEASE_RENEW_SECONDS", 10)
# A `queued` row older than this whose message the broker no longer holds (its
# queue is empty, or shorter than the queued rows need) is sent again at once.
PUBLISH_QUEUED_GRACE_SECONDS = env_int("PUBLISH_QUEUED_GRACE_SECONDS", 15)
# Backstops when the broker cannot be asked, or a lease is never renewed nor
# expires: a `queued` row older than this lost its message and is sent again...
PUBLISH_QUEUED_TIMEOUT_SECONDS = env_int("PUBLISH_QUEUED_TIMEOUT_SECONDS", 300)
# ...and a `publishing` row older than this lost its worker, whatever its lease.
# Keep it above CELERY_TASK_TIME_LIMIT so a live attempt is never taken for dead.
PUBLISH_PUBLISHING_TIMEOUT_SECONDS = env_int("PUBLISH_PUBLISHING_TIMEOUT_SECONDS", 900)
# A first try due longer ago than this when the scheduler gets to it fails as
# "missed its time"; 0 publishes late whatever the delay.
PUBLISH_LATE_CUTOFF_SECONDS = env_int("PUBLISH_LATE_CUTOFF_SECONDS", 3600)
# Transient errors retry with exponential backoff and full jitter (Retry-After
# wins when the network sends one) until this long after the first try.
PUBLISH_RETRY_BASE_SECONDS = env_int("PUBLISH_RETRY_BASE_SECONDS", 10)
PUBLISH_RETRY_MAX_DELAY_SECONDS = env_int("PUBLISH_RETRY_MAX_DELAY_SECONDS", 900)
PUBLISH_RETRY_DEADLINE_SECONDS = env_int("PUBLISH_RETRY_DEADLINE_SECONDS", 3600)
# Outbound HTTP (core/http.py). Private, loopback and link-local targets are
# refused unless allowed here (development against local servers, tests).
OUTBOUND_ALLOW_PRIVATE = env_bool("OUTBOUND_ALLOW_PRIVATE", False)
# The demo inbox (/demo/inbox/, demo/inbox.py): a local receiver for trying
# publishing, not a real network. On with DEBUG (bin/run's demo), off in
# production. While on, outbound calls may reach exactly its own receiver URL on
# SITE_URL's origin (loopback included); every other private target stays
# refused unless OUTBOUND_ALLOW_PRIVATE.
DEMO_INBOX = env_bool("DEMO_INBOX", DEBUG)
OUTBOUND_CONNECT_TIMEOUT_SECONDS = env_float("OUTBOUND_CONNECT_TIMEOUT_SECONDS", 5.0)
OUTBOUND_READ_TIMEOUT_SECONDS = env_float("OUTBOUND_READ_TIMEOUT_SECONDS", 20.0)
# A whole outbound call (connect, send, every read) ends within this many seconds,
# however slowly the server answers; the answer's body may hold at most this many
# bytes (refused unread beyond it). "Test connection" runs under a shorter total.
OUTBOUND_TOTAL_TIMEOUT_SECONDS = env_float("OUTBOUND_TOTAL_TIMEOUT_SECONDS", 60.0)
OUTBOUND_MAX_RESPONSE_BYTES = env_int("OUTBOUND_MAX_RESPONSE_BYTES", 10 * 1024 * 1024)
OUTBOUND_CHECK_TIMEOUT_SECONDS = env_float("OUTBOUND_CHECK_TIMEOUT_SECONDS", 10.0)

# Channel connectors (channels/connectors/<network>.py). API hosts are settings so
# tests (and staging) can point them at local servers; the defaults are the real
# ones. X API v2: https://docs.x.com/x-api ; LinkedIn Posts API (versioned: a
# retired LINKEDIN_API_VERSION answers 426, move it to a recent YYYYMM):
# https://learn.microsoft.com/linkedin/marketing/community-management/shares/posts-api
# Graph API (Facebook Pages, Instagram): https://developers.facebook.com/docs/graph-api
X_API_BASE_URL = (env_str("X_API_BASE_URL") or "https://api.x.com").rstrip("/")
LINKEDIN_API_BASE_URL = (
    env_str("LINKEDIN_API_BASE_URL") or "https://api.linkedin.com"
).rstrip("/")
LINKEDIN_API_VERSION = env_str("LINKEDIN_API_VERSION") or "202510"
GRAPH_API_BASE_URL = (
    env_str("GRAPH_API_BASE_URL") or "https://graph.facebook.com"
).rstrip("/")
GRAPH_API_VERSION = env_str("GRAPH_API_VERSION") or "v21.0"
# Where people sign in (the OAuth authorize pages, and LinkedIn's token endpoint);
# the token and profile endpoints of X and Facebook are on the API hosts above
# (connections/oauth.py). Settings so tests can point them at local servers.
X_OAUTH_AUTHORIZE_URL = (
    env_str("X_OAUTH_AUTHORIZE_URL") or "https://x.com/i/oauth2/authorize"
)
LINKEDIN_OAUTH_BASE_URL = (
    env_str("LINKEDIN_OAUTH_BASE_URL") or "https://www.linkedin.com"
).rstrip("/")
FACEBOOK_DIALOG_BASE_URL = (
    env_str("FACEBOOK_DIALOG_BASE_URL") or "https://www.facebook.com"
).rstrip("/")
# Instagram fetches each image from a public URL: SITE_URL + MEDIA_URL + the
# file's path under MEDIA_ROOT, so production must serve media publicly.
# How often and how long to wait for a media container to be FINISHED.
INSTAGRAM_CONTAINER_POLL_SECONDS = env_float("INSTAGRAM_CONTAINER_POLL_SECONDS", 2.0)
INSTAGRAM_CONTAINER_WAIT_SECONDS = env_float("INSTAGRAM_CONTAINER_WAIT_SECONDS", 60.0)
