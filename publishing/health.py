"""`GET /healthz`: can this deployment do its work right now?

Answers 200 while the database and the broker both answer, 503 when either is
down, so a load balancer or an orchestrator takes the instance out of rotation.
A stale or missing scheduler heartbeat makes the status "degraded" without a
503: the web process can still serve, but scheduled posts are not being
dispatched, which a person must hear about (monitoring reads `status`).

The body names no host, user or password: it is public (no authentication), so
it says only what is up, how fast, and the class of error when something is not.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from publishing.models import SchedulerHeartbeat

# How long the broker check may take; a probe that hangs is worse than a "down".
BROKER_TIMEOUT_SECONDS = 2.0


def _elapsed_ms(start: float) -> float:
    return round((time.monotonic() - start) * 1000, 1)


def check_database() -> dict[str, Any]:
    """One round trip on the default connection."""
    start = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the class says which
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor, "latency_ms": _elapsed_ms(start)}


def _filesystem_folders() -> list[Path]:
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    keys = ("data_folder_in", "data_folder_out", "processed_folder", "control_folder")
    return sorted({Path(options[k]) for k in keys if options.get(k)})


def _check_filesystem_broker() -> dict[str, Any]:
    """kombu's filesystem transport is a set of folders: they must take a file."""
    start = time.monotonic()
    folders = _filesystem_folders()
    if not folders:
        return {"ok": False, "transport": "filesystem", "error": "NotConfigured"}
    for folder in folders:
        probe = folder / f".healthz-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            return {
                "ok": False,
                "transport": "filesystem",
                "error": type(exc).__name__,
            }
    return {
        "ok": True,
        "transport": "filesystem",
        "latency_ms": _elapsed_ms(start),
    }


def check_broker() -> dict[str, Any]:
    """Connect to the Celery broker once, bounded by BROKER_TIMEOUT_SECONDS."""
    from kombu import Connection

    url = settings.CELERY_BROKER_URL
    transport = url.split("://", 1)[0] or "unknown"
    if transport == "filesystem":
        return _check_filesystem_broker()
    start = time.monotonic()
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    try:
        with Connection(  # type: ignore[no-untyped-call]  # kombu ships no types
            url,
            transport_options=options,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
        ) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS
            )
    except Exception as exc:  # unreachable, refused, auth failed: all "down"
        return {"ok": False, "transport": transport, "error": type(exc).__name__}
    return {"ok": True, "transport": transport, "latency_ms": _elapsed_ms(start)}


def check_scheduler() -> dict[str, Any]:
    """The newest heartbeat of any scheduler process, and whether it is too old."""
    stale_after = settings.SCHEDULER_STALE_AFTER_SECONDS
    try:
        beat = SchedulerHeartbeat.objects.order_by("-last_tick_at").first()
    except Exception as exc:  # the database check reports the outage itself
        return {
            "last_tick_at": None,
            "age_seconds": None,
            "stale": True,
            "error": type(exc).__name__,
        }
    if beat is None:
        return {"last_tick_at": None, "age_seconds": None, "stale": True}
    age = max(0.0, (timezone.now() - beat.last_tick_at).total_seconds())
    return {
        "last_tick_at": beat.last_tick_at.isoformat(),
        "age_seconds": round(age, 1),
        "stale": age > stale_after,
        "stale_after_seconds": stale_after,
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database, broker and scheduler; see the module docstring."""
    checks = {
        "database": check_database(),
        "broker": check_broker(),
        "scheduler": check_scheduler(),
    }
    if not (checks["database"]["ok"] and checks["broker"]["ok"]):
        status, code = "down", 503
    elif checks["scheduler"]["stale"]:
        status, code = "degraded", 200
    else:
        status, code = "ok", 200
    return JsonResponse({"status": status, "checks": checks}, status=code)
