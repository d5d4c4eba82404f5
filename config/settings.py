"""AdLoop settings: one env-driven module.

Defaults run the whole service on one machine with nothing installed but Python:
SQLite under var/, Celery on kombu's filesystem transport, media on local disk,
email to the console. Production switches each piece with one variable (README,
"Configuration"). Secrets have no production default: with DEBUG off a missing
one stops start-up with its name.
"""

from __future__ import annotations

import ipaddress
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_float, env_int, env_json, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("ADLOOP_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
# Off unless asked for: the run command turns it on for the local demo.
DEBUG = env_bool("DEBUG", False)


def _secret(name: str, *, dev_file: str, nbytes: int = 50) -> str:
    """Read a secret; in development generate it once into var/ and keep it.

    Keeping it in a file (not regenerating per start) means sessions and signed
    links survive a restart of the demo.
    """
    value = env_str(name)
    if value:
        return value
    if not DEBUG:
        raise ImproperlyConfigured(
            f"{name} must be set when DEBUG is false "
            f"(or set DEBUG=true to generate a development value in var/)"
        )
    path = VAR_DIR / dev_file
    if not path.exists():
        path.write_text(secrets.token_urlsafe(nbytes))
        path.chmod(0o600)
    return path.read_text().strip()


# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
SECRET_KEY = _secret("SECRET_KEY", dev_file="secret_key")
# Key(s) for encrypting channel credentials at rest, newest first, comma separated.
FIELD_ENCRYPTION_KEYS = [
    k.strip()
    for k in _secret("FIELD_ENCRYPTION_KEY", dev_file="field_encryption_key").split(",")
    if k.strip()
]

# https://docs.djangoproject.com/en/5.2/ref/settings/#allowed-hosts
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_URL = (env_str("SITE_URL") or "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    # Two-factor sign-in (campaigns/twofactor.py): TOTP apps and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "campaigns",
    "content",
    "channels",
    "analytics",
    "demo",
]

MIDDLEWARE = [
    # First: drops proxy headers a client sent itself, before anything reads them.
    "campaigns.client_address.TrustedProxyHeadersMiddleware",
    # Then: every later middleware's log lines carry the request id, and the
    # latency covers everything below.
    "config.middleware.RequestIdMiddleware",
    "config.middleware.RequestLatencyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages, not static files: Content-Security-Policy and Permissions-Policy.
    "config.csp.AdLoopCSPMiddleware",
    "config.middleware.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # A member of an organization that requires two-factor, not yet enrolled,
    # reaches only the enrolment page (and sign-out) until they are.
    "campaigns.twofactor_middleware.TwoFactorEnforcementMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "campaigns.middleware.CurrentWorkspaceMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "campaigns.context_processors.workspace",
                "demo.context_processors.demo_inbox",
            ],
        },
    },
]

# https://docs.djangoproject.com/en/5.2/ref/databases/
# DATABASE_URL switches to PostgreSQL (postgres://user:pass@host:5432/name).
_default_db = f"sqlite:///{VAR_DIR / 'adloop.sqlite3'}"
DATABASES = {
    "default": environ.Env.db_url_config(env_str("DATABASE_URL") or _default_db)
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Web, worker and scheduler share one file: WAL lets readers run beside the
    # writer, IMMEDIATE takes the write lock at BEGIN (no deadlocking upgrades),
    # and the timeout waits for the lock instead of failing.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The test database is a file so a real worker process can see it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(
            VAR_DIR / f"test_adloop{env_str('PYTEST_XDIST_WORKER', '')}.sqlite3"
        )
    }
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "campaigns.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"
# The name authenticator apps show next to the account (campaigns/twofactor.py).
OTP_TOTP_ISSUER = "AdLoop"
_PV = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_PV}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_PV}.MinimumLengthValidator"},
    {"NAME": f"{_PV}.CommonPasswordValidator"},
    {"NAME": f"{_PV}.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or VAR_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Serve from the finders when collectstatic has not run (demo, tests).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# https://docs.djangoproject.com/en/5.2/ref/settings/#data-upload-max-memory-size
# Bodies above this answer 413 in the API's error format.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)

# Public newsletter sign-up (channels.newsletter_limits): sign-ups per source
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

# Sign-in throttling (campaigns/signin_throttle.py; README, "Security"). Failed
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
# (campaigns/client_address.py): sign-in throttling, public form limits, click
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

# Email. https://docs.djangoproject.com/en/5.2/topics/email/
# EMAIL_HOST switches to SMTP. Without it: the console in development; in
# production start-up stops (password-reset and invitation links printed to the
# console would land in the logs) unless EMAIL_DISABLED=true says mail is off,
# and then nothing is sent or printed. A set EMAIL_HOST always sends.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_DISABLED = env_bool("EMAIL_DISABLED", False)
if not EMAIL_HOST and not EMAIL_DISABLED and not DEBUG:
    raise ImproperlyConfigured(
        "EMAIL_HOST must be set when DEBUG is false: invitations and password "
        "resets are mailed (or set EMAIL_DISABLED=true to turn mail off)"
    )
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
elif EMAIL_DISABLED:
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_HOST = EMAIL_HOST or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 15)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "AdLoop <noreply@adloop.local>")

# Celery. https://docs.celeryq.dev/en/stable/userguide/configuration.html
# The embedded default is kombu's filesystem transport: a real `celery worker`
# process consumes it with nothing else installed. The database, not the broker,
# is the source of truth (the outbox), so an embedded transport dropping an
# in-flight message on a killed worker loses no work.
CELERY_DATA_DIR = VAR_DIR / "celery"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or "filesystem://"
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or (
    f"file://{CELERY_DATA_DIR / 'results'}"
    if CELERY_BROKER_URL == "filesystem://"
    else None
)
if CELERY_BROKER_URL == "filesystem://":
    for sub in ("queue", "processed", "results", "control"):
        (CELERY_DATA_DIR / sub).mkdir(parents=True, exist_ok=True)
    # Every folder the transport uses, named: its defaults are relative to the
    # working directory (a `control/` folder appeared in the checkout).
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
        "polling_interval": 0.1,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 300)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 360)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # Redis gives a message taken by a worker that died (acks_late: never
    # acknowledged) to another worker after this long; kombu's default is an
    # hour. Past the hard time limit, so a live task is never handed out twice.
    # Publishing does not wait for it: the sweep asks the queue and the leases.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": max(900, CELERY_TASK_TIME_LIMIT + 60)
    }
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fixup would close the database connection around every task
# (a new PostgreSQL backend per publication); config/celery.py closes only stale
# or broken ones instead, and the fixup force-recycles after twice this many.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000)
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

# Scheduler (manage.py run_scheduler).
SCHEDULER_HEARTBEAT_SECONDS = env_int("SCHEDULER_HEARTBEAT_SECONDS", 5)
# /healthz reports the scheduler stale after this long without a tick.
SCHEDULER_STALE_AFTER_SECONDS = env_int("SCHEDULER_STALE_AFTER_SECONDS", 60)
# How often the scheduler refreshes OAuth tokens that expire within
# OAUTH_REFRESH_MARGIN_SECONDS (channels/oauth.py).
TOKEN_REFRESH_INTERVAL_SECONDS = env_int("TOKEN_REFRESH_INTERVAL_SECONDS", 300)

# Publishing: the outbox (channels/dispatcher.py, channels/publishing.py;
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
# Per-network rate limits over channels.ratelimit.DEFAULT_LIMITS (see there):
# {"webhook": {"account": (60, 60)}} = 60 posts a minute per webhook account.
PUBLISH_RATE_LIMITS: dict[str, dict[str, tuple[int, float] | None]] = {}
# How often the sweep re-drives lost work (expired leases, queued rows whose
# broker messages are gone).
PUBLISH_SWEEP_INTERVAL_SECONDS = env_int("PUBLISH_SWEEP_INTERVAL_SECONDS", 10)
# A worker's claim holds its rows this long and is renewed every
# PUBLISH_LEASE_RENEW_SECONDS while its calls are in flight (channels/lease.py);
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
# Outbound HTTP (channels/http.py). Private, loopback and link-local targets are
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
# (channels/oauth.py). Settings so tests can point them at local servers.
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

# LLM: copy and plan angles (content/llm.py; README, "Copywriting providers").
# "offline" (default) writes rule-based drafts with no network and no key;
# "openai" talks to any OpenAI-compatible server (OpenAI, Azure OpenAI, Ollama,
# vLLM, llama.cpp server, LM Studio) through the official client.
# https://platform.openai.com/docs/api-reference/chat
LLM_PROVIDER = env_str("LLM_PROVIDER", "offline") or "offline"
if LLM_PROVIDER not in {"offline", "openai"}:
    raise ImproperlyConfigured(
        f"LLM_PROVIDER must be 'offline' or 'openai', got {LLM_PROVIDER!r}"
    )
# The model (Azure: the deployment name). Required once the provider is "openai".
LLM_MODEL = env_str("LLM_MODEL", "") or ""
if LLM_PROVIDER == "openai" and not LLM_MODEL:
    raise ImproperlyConfigured(
        "LLM_MODEL must be set when LLM_PROVIDER is 'openai' "
        "(e.g. gpt-4o-mini, llama3.1, or the Azure deployment name)"
    )
# Unset: the client's default, https://api.openai.com/v1.
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
# One HTTP attempt's limit; the retries of transient errors (429, 5xx, timeouts)
# stop after LLM_MAX_ATTEMPTS attempts or LLM_RETRY_DEADLINE_SECONDS in all.
LLM_TIMEOUT_SECONDS = env_float("LLM_TIMEOUT_SECONDS", 60.0)
LLM_RETRY_DEADLINE_SECONDS = env_float("LLM_RETRY_DEADLINE_SECONDS", 180.0)
LLM_MAX_ATTEMPTS = env_int("LLM_MAX_ATTEMPTS", 4)
# First backoff; doubled per attempt, full jitter, capped at 30 s. A Retry-After
# header from the server takes precedence.
LLM_BACKOFF_SECONDS = env_float("LLM_BACKOFF_SECONDS", 1.0)
# Calls in flight at once per provider (the generation service's limit).
LLM_CONCURRENCY = env_int("LLM_CONCURRENCY", 8)
# The most tokens one answer may have; sent as `max_tokens` and used by the
# budget's estimate before a job is accepted.
LLM_MAX_OUTPUT_TOKENS = env_int("LLM_MAX_OUTPUT_TOKENS", 1200)
# USD per 1M tokens per model, JSON: {"gpt-4o-mini": {"in": 0.15, "out": 0.6}}.
# A model not listed costs 0 (local servers). https://openai.com/api/pricing/
LLM_PRICES = env_json("LLM_PRICES", {})
if not isinstance(LLM_PRICES, dict) or not all(
    isinstance(p, dict) and {"in", "out"} <= p.keys() for p in LLM_PRICES.values()
):
    raise ImproperlyConfigured(
        'LLM_PRICES must be a JSON object: {"<model>": {"in": 0.15, "out": 0.6}}'
    )
# "auto": json_schema, falling back to json_object (+ our own validation) when the
# server rejects it; "json_schema" never falls back; "json_object" never tries it.
# https://platform.openai.com/docs/guides/structured-outputs
LLM_STRUCTURED = env_str("LLM_STRUCTURED", "auto") or "auto"
if LLM_STRUCTURED not in {"auto", "json_schema", "json_object"}:
    raise ImproperlyConfigured(
        "LLM_STRUCTURED must be auto, json_schema or json_object, "
        f"got {LLM_STRUCTURED!r}"
    )
# Ask the provider's /moderations endpoint in the brand-safety gate.
# https://platform.openai.com/docs/api-reference/moderations
LLM_MODERATION = env_bool("LLM_MODERATION", False)
LLM_MODERATION_MODEL = env_str("LLM_MODERATION_MODEL", "omni-moderation-latest")

# Images (content/images.py, content/image_providers/; README, "Images").
# "template" (default) draws a branded card with Pillow: no model, no network.
# "diffusers" runs a text-to-image pipeline on this machine (GPU if present);
# "openai" calls an OpenAI-compatible images API.
# https://huggingface.co/docs/diffusers/api/pipelines/auto_pipeline
IMAGE_PROVIDER = env_str("IMAGE_PROVIDER", "template") or "template"
if IMAGE_PROVIDER not in {"template", "diffusers", "openai"}:
    raise ImproperlyConfigured(
        f"IMAGE_PROVIDER must be 'template', 'diffusers' or 'openai', "
        f"got {IMAGE_PROVIDER!r}"
    )
# A hub id (stabilityai/sd-turbo, stabilityai/sdxl-turbo,
# stable-diffusion-v1-5/stable-diffusion-v1-5, black-forest-labs/FLUX.1-schnell)
# or a folder written by save_pretrained. With HF_HUB_OFFLINE=1 (or a folder)
# nothing is downloaded. https://huggingface.co/docs/huggingface_hub/package_reference/environment_variables
IMAGE_MODEL = env_str("IMAGE_MODEL", "") or ""
if IMAGE_PROVIDER == "diffusers" and not IMAGE_MODEL:
    raise ImproperlyConfigured(
        "IMAGE_MODEL must be set when IMAGE_PROVIDER is 'diffusers' "
        "(a hub id such as stabilityai/sd-turbo, or a local folder)"
    )
# "fp16" for a folder or repository that has only *.fp16.* weight files; empty:
# detected for folders.
IMAGE_VARIANT = env_str("IMAGE_VARIANT", "") or ""
# "auto": cuda (float16; FLUX bfloat16), else mps (float16), else cpu (float32).
IMAGE_DEVICE = env_str("IMAGE_DEVICE", "auto") or "auto"
IMAGE_DTYPE = env_str("IMAGE_DTYPE", "auto") or "auto"
if IMAGE_DTYPE not in {"auto", "float16", "bfloat16", "float32"}:
    raise ImproperlyConfigured(
        f"IMAGE_DTYPE must be auto, float16, bfloat16 or float32, got {IMAGE_DTYPE!r}"
    )
# Steps and guidance for every image; 0 / empty: the model family's defaults
# (Turbo: 1 step, guidance 0; SD 1.5: 25, 7.5; SDXL: 30, 5; FLUX-schnell: 4, 0).
IMAGE_STEPS = env_int("IMAGE_STEPS", 0)
IMAGE_GUIDANCE = env_float("IMAGE_GUIDANCE", 0.0) if env_str("IMAGE_GUIDANCE") else None
# "tiny" decodes with a tiny autoencoder (TAESD family, AutoencoderTiny): much
# faster on CPU, slightly softer; for previews. IMAGE_TINY_VAE: its hub id or
# folder (empty: madebyollin/taesd, taesdxl or taef1 by model family).
# https://huggingface.co/docs/diffusers/api/models/autoencoder_tiny
IMAGE_VAE = env_str("IMAGE_VAE", "full") or "full"
if IMAGE_VAE not in {"full", "tiny"}:
    raise ImproperlyConfigured(f"IMAGE_VAE must be 'full' or 'tiny', got {IMAGE_VAE!r}")
IMAGE_TINY_VAE = env_str("IMAGE_TINY_VAE", "") or ""
# Draw the brand's AI-disclosure label ("AI-generated") visibly on the
# renditions of generated images where its policy labels them (always, or on the
# policy's networks). Off: the label lives in the provenance note only.
IMAGE_VISIBLE_AI_LABEL = env_bool("IMAGE_VISIBLE_AI_LABEL", False)
# The remote images API (IMAGE_PROVIDER=openai); base URL and key default to the
# copy provider's. https://platform.openai.com/docs/api-reference/images/create
IMAGE_REMOTE_MODEL = env_str("IMAGE_REMOTE_MODEL", "gpt-image-1") or "gpt-image-1"
IMAGE_REMOTE_BASE_URL = env_str("IMAGE_REMOTE_BASE_URL", "") or ""
IMAGE_REMOTE_API_KEY = env_str("IMAGE_REMOTE_API_KEY", "") or ""
# Per request, and for all retries together (429/5xx/timeouts are retried within
# LLM_MAX_ATTEMPTS with LLM_BACKOFF_SECONDS, as for copy).
IMAGE_TIMEOUT_SECONDS = env_float("IMAGE_TIMEOUT_SECONDS", 120.0)
IMAGE_RETRY_DEADLINE_SECONDS = env_float("IMAGE_RETRY_DEADLINE_SECONDS", 300.0)
# Media library: the largest upload (bytes, checked by content.uploads before
# anything is kept) and the most images one generation request may ask for.
IMAGE_UPLOAD_MAX_BYTES = env_int("IMAGE_UPLOAD_MAX_BYTES", 20 * 1024 * 1024)
IMAGE_MAX_PER_REQUEST = env_int("IMAGE_MAX_PER_REQUEST", 4)
# Upload work per workspace per minute (content.upload_budget): uploads, and
# the megapixels their renditions will cost the images worker. Past either the
# upload answers 429 with Retry-After.
MEDIA_UPLOADS_PER_MINUTE = env_int("MEDIA_UPLOADS_PER_MINUTE", 30)
MEDIA_MEGAPIXELS_PER_MINUTE = env_int("MEDIA_MEGAPIXELS_PER_MINUTE", 200)
# Image generation runs on its own queue so copy and publishing never wait
# behind it: `celery -A config worker -Q images -c 1` per GPU.
# https://docs.celeryq.dev/en/stable/userguide/routing.html
# An upload's thumbnail and renditions are made there too (content.tasks.render_asset).
CELERY_TASK_ROUTES = {
    "content.tasks.generate_image*": {"queue": "images"},
    "content.tasks.render_asset": {"queue": "images"},
}

# REST API. https://www.django-rest-framework.org/api-guide/settings/
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # `adp_…` tokens act as their person; anything else is tried as a key.
        "campaigns.api.token_auth.PersonalAccessTokenAuthentication",
        "campaigns.api.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "campaigns.api.common.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_THROTTLE_CLASSES": ["campaigns.api.common.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "caller": env_str("API_THROTTLE_RATE", "1200/minute"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "campaigns.api.common.exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AdLoop API",
    "DESCRIPTION": (
        "Plan, write, illustrate, publish and measure marketing campaigns. "
        "Authenticate with `Authorization: Bearer <api key>` (a workspace key) "
        "or `Bearer <personal access token>` (acts as its person). Every error "
        "answers "
        '`{"error": {"code", "message", "fields"}}`.'
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed sidecar package: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        # 400/401/403/404/414/429 on every operation, 409/413/415 on writes.
        "campaigns.api.schema_hooks.declare_common_errors",
        # Links from each create to the new object's operations (stateful).
        "campaigns.api.schema_hooks.link_created_objects",
    ],
}

# Security. https://docs.djangoproject.com/en/5.2/howto/deployment/checklist/
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # HTMX reads the token from the cookie.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Believe a proxy's "this came over HTTPS" header only when told one sets it
# (e.g. X-Forwarded-Proto): otherwise any client could claim HTTPS. Requests
# from a peer outside TRUSTED_PROXIES (when that is set) have the header
# removed first (campaigns.client_address.TrustedProxyHeadersMiddleware).
_proxy_ssl_header = (env_str("SECURE_PROXY_SSL_HEADER") or "").strip()
if _proxy_ssl_header:
    SECURE_PROXY_SSL_HEADER = (
        "HTTP_" + _proxy_ssl_header.upper().replace("-", "_"),
        "https",
    )
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)

# Content-Security-Policy (django-csp; config/csp.py names the routes that
# differ): this origin's scripts (with the request's nonce) and styles only, no
# inline code, no plugins, no framing. https://django-csp.readthedocs.io/
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    },
}

# GET /metrics (config/metrics.py; README, "Operating AdLoop"): Prometheus
# scrapes it with `Authorization: Bearer <METRICS_TOKEN>`. Unset: 404.
METRICS_TOKEN = env_str("METRICS_TOKEN", "") or ""

# Invitations and password-reset links stay valid this long.
INVITATION_TTL_DAYS = env_int("INVITATION_TTL_DAYS", 7)
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# "json": one JSON object a line (production's default, for a log pipeline);
# "text": one readable line (development's). Either way each line carries the
# request id or Celery task id, and secrets are redacted (config/logging.py).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json") or "json"
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, got {LOG_FORMAT!r}")
# A Celery worker keeps this configuration (JSON lines with the task id)
# instead of replacing the root logger's handlers with its own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact": {"()": "config.logging.RedactSecretsFilter"},
        "context": {"()": "config.logging.ContextFilter"},
    },
    "formatters": {
        "text": {
            "()": "config.logging.TextFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "config.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["redact", "context"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}
