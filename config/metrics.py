"""`GET /metrics`: what an operator alerts on, in the Prometheus text format.

Two kinds of numbers:

- Counted at scrape time from the database (`AdLoopCollector`): publications by
  status and network, how late the oldest due-but-unclaimed publication is,
  attempts and failures of the last hour by network and kind, the scheduler's
  heartbeat age, broker queue depth, LLM calls, tokens and spend. The database
  is the truth (the outbox), so every web process answers the same, and a
  restart loses nothing.
- Measured in this process (`REQUEST_LATENCY`, by `RequestLatencyMiddleware`):
  request latency. Under gunicorn with several workers set
  PROMETHEUS_MULTIPROC_DIR so every worker's samples are summed (README,
  "Operating AdLoop").

The endpoint answers 404 unless METRICS_TOKEN is set (not discoverable), then
only to `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time).
Labels never carry a workspace, a person or any text a user wrote.
"""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# How far back "recent" attempts and failures count.
RECENT = timedelta(hours=1)
# Broker look-ups must not hold a scrape (Prometheus times out at 10 s).
BROKER_TIMEOUT_SECONDS = 2.0

REQUEST_LATENCY = Histogram(
    "adloop_http_request_duration_seconds",
    "Time to answer an HTTP request, by route pattern, method and status class.",
    ["route", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)


def _gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=labels)


def _publication_metrics(now: Any) -> Iterator[GaugeMetricFamily]:
    yield from _publications_by_state()
    yield from _due_unclaimed(now)
    yield from _recent_attempts(now)
    yield from _recent_failures(now)


def _publications_by_state() -> Iterator[GaugeMetricFamily]:
    from publishing.models import Publication

    by_state = _gauge(
        "adloop_publications",
        "Publications by status and network (every row, any age).",
        ["status", "network"],
    )
    rows = Publication.objects.values_list("status", "network").annotate(n=Count("pk"))
    for status, network, n in rows.order_by():
        by_state.add_metric([status, network], n)
    yield by_state


def _due_unclaimed(now: Any) -> Iterator[GaugeMetricFamily]:
    from publishing.models import Publication, PublicationStatus

    due = Publication.objects.filter(
        status=PublicationStatus.SCHEDULED, next_attempt_at__lte=now
    ).aggregate(n=Count("pk"), oldest=Min("next_attempt_at"))
    lag = _gauge(
        "adloop_publications_due_unclaimed_lag_seconds",
        "How long the oldest due publication has waited for the dispatcher "
        "(0 when none is waiting).",
        [],
    )
    oldest = due["oldest"]
    lag.add_metric([], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    yield lag
    waiting = _gauge(
        "adloop_publications_due_unclaimed",
        "Publications due now and not yet claimed by the dispatcher.",
        [],
    )
    waiting.add_metric([], due["n"])
    yield waiting


def _recent_attempts(now: Any) -> Iterator[GaugeMetricFamily]:
    from publishing.models import PublishAttempt

    attempts = _gauge(
        "adloop_publish_attempts_recent",
        "Publish attempts started in the last hour, by network and outcome "
        "(published, transient, permanent, ambiguous, swept; empty: running).",
        ["network", "outcome"],
    )
    outcomes = (
        PublishAttempt.objects.filter(started_at__gte=now - RECENT)
        .values_list("publication__network", "outcome")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for network, outcome, n in outcomes:
        attempts.add_metric([network, outcome or "running"], n)
    yield attempts


def _recent_failures(now: Any) -> Iterator[GaugeMetricFamily]:
    from publishing.models import Publication, PublicationStatus

    failures = _gauge(
        "adloop_publication_failures_recent",
        "Publications that failed or ended with an unknown outcome in the last "
        "hour, by network and error kind.",
        ["network", "kind"],
    )
    rows = (
        Publication.objects.filter(
            status__in=[PublicationStatus.FAILED, PublicationStatus.UNCONFIRMED],
            finished_at__gte=now - RECENT,
        )
        .values_list("network", "error_kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for network, kind, n in rows:
        failures.add_metric([network, kind or "unknown"], n)
    yield failures


def _llm_metrics(now: Any) -> Iterator[Any]:
    from content.models import Generation

    calls = CounterMetricFamily(
        "adloop_llm_generations",
        "Copy generation jobs (LLM calls) by provider, model and status.",
        labels=["provider", "model", "status"],
    )
    tokens = CounterMetricFamily(
        "adloop_llm_tokens",
        "Tokens used by copy generation, by provider, model and direction.",
        labels=["provider", "model", "direction"],
    )
    spend = CounterMetricFamily(
        "adloop_llm_spend_usd",
        "Spend on copy generation in USD (LLM_PRICES), by provider and model.",
        labels=["provider", "model"],
    )
    rows = (
        Generation.objects.values_list("provider", "model", "status")
        .annotate(
            n=Count("pk"),
            tin=Sum("tokens_in"),
            tout=Sum("tokens_out"),
            cost=Sum("cost"),
        )
        .order_by()
    )
    totals: dict[tuple[str, str], list[float]] = {}
    for provider, model, status, n, tin, tout, cost in rows:
        calls.add_metric([provider, model, status], n)
        acc = totals.setdefault((provider, model), [0, 0, 0.0])
        acc[0] += tin or 0
        acc[1] += tout or 0
        acc[2] += float(cost or 0)
    for (provider, model), (tin, tout, cost) in totals.items():
        tokens.add_metric([provider, model, "in"], tin)
        tokens.add_metric([provider, model, "out"], tout)
        spend.add_metric([provider, model], cost)
    yield calls
    yield tokens
    yield spend

    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    month = _gauge(
        "adloop_llm_spend_month_usd",
        "Spend on copy generation since the start of this month (UTC), in USD.",
        [],
    )
    total = Generation.objects.filter(created_at__gte=month_start).aggregate(
        s=Sum("cost")
    )["s"]
    month.add_metric([], float(total or 0))
    yield month


def _scheduler_metrics(now: Any) -> Iterator[GaugeMetricFamily]:
    from publishing.models import SchedulerHeartbeat

    age = _gauge(
        "adloop_scheduler_heartbeat_age_seconds",
        "Seconds since the newest scheduler heartbeat (absent: none ever ran).",
        [],
    )
    last = SchedulerHeartbeat.objects.order_by("-last_tick_at").first()
    if last is not None:
        age.add_metric([], max(0.0, (now - last.last_tick_at).total_seconds()))
    yield age


def _queue_names() -> list[str]:
    routes = getattr(settings, "CELERY_TASK_ROUTES", None) or {}
    named = {r["queue"] for r in routes.values() if "queue" in r}
    return sorted({getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), *named})


def _queue_metrics() -> Iterator[GaugeMetricFamily]:
    """Messages waiting in each broker queue, asked with a passive declare
    (kombu: Redis LLEN, AMQP's message count, the filesystem's file count)."""
    from kombu import Connection
    from kombu.exceptions import ChannelError

    depth = _gauge(
        "adloop_broker_queue_depth",
        "Messages waiting in each Celery queue (absent: the broker did not answer).",
        ["queue"],
    )
    up = _gauge("adloop_broker_up", "1 when the broker answered this scrape.", [])
    options = dict(getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {})
    try:
        with Connection(
            settings.CELERY_BROKER_URL,
            transport_options=options,
            connect_timeout=BROKER_TIMEOUT_SECONDS,
        ) as conn:
            conn.ensure_connection(
                max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT_SECONDS
            )
            channel = conn.default_channel
            for name in _queue_names():
                try:
                    count = channel.queue_declare(queue=name, passive=True)[1]
                except ChannelError:  # never declared (Redis: empty): nothing waits
                    count = 0
                depth.add_metric([name], count)
    except Exception as exc:  # unreachable: say so, keep the other metrics
        logger.warning("metrics: broker unavailable (%s)", type(exc).__name__)
        up.add_metric([], 0)
    else:
        up.add_metric([], 1)
    yield depth
    yield up


class AdLoopCollector(Collector):
    """Aggregates read from the database (and the broker) at each scrape.

    A handful of grouped COUNT/SUM queries over indexed columns; the attempt
    and failure counts look one hour back, the others at every row.
    """

    def collect(self) -> Iterator[Any]:
        now = timezone.now()
        yield from _publication_metrics(now)
        yield from _scheduler_metrics(now)
        yield from _llm_metrics(now)
        yield from _queue_metrics()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Every gunicorn worker writes its samples to files there; sum them.
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ProcessRegistry())
    registry.register(AdLoopCollector())
    return registry


class _ProcessRegistry(Collector):
    """This process's own metrics (the latency histogram, the client's process
    and platform collectors) inside the per-scrape registry."""

    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def _authorized(request: HttpRequest) -> bool | None:
    """None: metrics are off (no token). Else whether the bearer token matches."""
    token = getattr(settings, "METRICS_TOKEN", "") or ""
    if not token:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus scrape target; see the module docstring for access."""
    allowed = _authorized(request)
    if allowed is None:
        raise Http404
    if not allowed:
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)
