"""Celery (broker, time limits, redelivery) and the scheduler's intervals."""

from __future__ import annotations

from datetime import timedelta

from config.env import env_bool, env_int, env_str
from config.settings.base import VAR_DIR

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
# OAUTH_REFRESH_MARGIN_SECONDS (connections/oauth.py).
TOKEN_REFRESH_INTERVAL_SECONDS = env_int("TOKEN_REFRESH_INTERVAL_SECONDS", 300)
