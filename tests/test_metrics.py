"""GET /metrics: hidden without a token, refused with a wrong one, and with the
right one the operators' numbers, counted from the database as it stands."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, values
from prometheus_client.parser import text_string_to_metric_families

from content.models import Generation
from publishing.models import Publication, PublishAttempt, SchedulerHeartbeat
from tests.factories import ChannelAccountFactory, PostFactory

TOKEN = "metrics-token-for-tests-0123456789"


def _samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _publication(tenant: Any, n: int, **fields: Any) -> Publication:
    account = ChannelAccountFactory(
        workspace=tenant.workspace, network=fields.get("network", "mastodon")
    )
    now = timezone.now()
    values = {
        "network": "mastodon",
        "status": "scheduled",
        "due_at": now,
        "next_attempt_at": now,
        **fields,
    }
    return Publication.objects.create(
        workspace=tenant.workspace,
        post=PostFactory(campaign__workspace=tenant.workspace),
        account=account,
        idempotency_key=f"metrics-{n}",
        **values,
    )


def test_metrics_answer_404_while_no_token_is_configured(
    db, static_files, settings
) -> None:
    settings.METRICS_TOKEN = ""
    assert Client().get("/metrics").status_code == 404
    answer = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer anything")
    assert answer.status_code == 404


@pytest.mark.parametrize(
    "header", ["", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_metrics_refuse_a_missing_or_wrong_token(db, settings, header: str) -> None:
    settings.METRICS_TOKEN = TOKEN
    answer = Client().get("/metrics", HTTP_AUTHORIZATION=header)
    assert answer.status_code == 401
    assert b"adloop_" not in answer.content


def _outbox(tenant: Any) -> None:
    """One row for each state the outbox gauges tell apart (due and waiting,
    published, failed recently and long ago) and a scheduler 30 s quiet."""
    now = timezone.now()
    _publication(tenant, 1, next_attempt_at=now - timedelta(seconds=90))
    _publication(tenant, 2, next_attempt_at=now + timedelta(hours=1))
    _publication(tenant, 3, network="webhook", status="published", finished_at=now)
    failed = _publication(
        tenant,
        4,
        status="failed",
        error_kind="auth",
        finished_at=now - timedelta(minutes=5),
    )
    _publication(  # failed long ago: not "recent"
        tenant,
        5,
        status="failed",
        error_kind="auth",
        finished_at=now - timedelta(days=2),
    )
    PublishAttempt.objects.create(
        publication=failed, number=1, started_at=now, outcome="permanent"
    )
    SchedulerHeartbeat.objects.create(
        name="s1", started_at=now, last_tick_at=now - timedelta(seconds=30)
    )


def _llm_use(tenant: Any) -> None:
    """Two generations, so the LLM counters must add up (tokens, spend)."""
    post = PostFactory(campaign__workspace=tenant.workspace)
    for cost in ("0.25", "0.50"):
        Generation.objects.create(
            workspace=tenant.workspace,
            post=post,
            provider="openai",
            model="gpt-4o-mini",
            status="succeeded",
            prompt_template="post",
            prompt_version="1",
            inputs_hash="x" * 64,
            tokens_in=100,
            tokens_out=40,
            cost=Decimal(cost),
        )


def test_metrics_report_the_outbox_llm_use_and_latency(
    db, tenant, settings, static_files
) -> None:
    settings.METRICS_TOKEN = TOKEN
    _outbox(tenant)
    _llm_use(tenant)
    Client().get("/login/")  # one observed request at least

    answer = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert answer.status_code == 200
    assert answer["Content-Type"].startswith("text/plain")
    got = _samples(answer.content.decode())

    def value(name: str, **labels: str) -> float:
        return got[(name, tuple(sorted(labels.items())))]

    assert value("adloop_publications", network="mastodon", status="scheduled") == 2
    assert value("adloop_publications", network="webhook", status="published") == 1
    assert value("adloop_publications", network="mastodon", status="failed") == 2
    assert value("adloop_publications_due_unclaimed") == 1
    assert 89 <= value("adloop_publications_due_unclaimed_lag_seconds") < 150
    failures = "adloop_publication_failures_recent"
    assert value(failures, network="mastodon", kind="auth") == 1
    attempts = "adloop_publish_attempts_recent"
    assert value(attempts, network="mastodon", outcome="permanent") == 1
    assert 29 <= got[("adloop_scheduler_heartbeat_age_seconds", ())] < 90
    llm = (("model", "gpt-4o-mini"), ("provider", "openai"))
    assert got[("adloop_llm_generations_total", (*llm, ("status", "succeeded")))] == 2
    assert got[("adloop_llm_tokens_total", (("direction", "in"), *llm))] == 200
    assert got[("adloop_llm_tokens_total", (("direction", "out"), *llm))] == 80
    assert got[("adloop_llm_spend_usd_total", llm)] == pytest.approx(0.75)
    assert got[("adloop_llm_spend_month_usd", ())] == pytest.approx(0.75)
    assert got[("adloop_broker_up", ())] == 1
    assert ("adloop_broker_queue_depth", (("queue", "celery"),)) in got
    assert any(
        name == "adloop_http_request_duration_seconds_count"
        and dict(labels).get("route") == "login/"
        for name, labels in got
    )


def test_metrics_with_no_due_work_report_zero_lag(db, settings) -> None:
    settings.METRICS_TOKEN = TOKEN
    answer = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    got = _samples(answer.content.decode())
    assert got[("adloop_publications_due_unclaimed_lag_seconds", ())] == 0
    assert ("adloop_scheduler_heartbeat_age_seconds", ()) not in got


def test_multiprocess_mode_sums_worker_files_and_keeps_database_metrics(
    db, settings, tmp_path, monkeypatch
) -> None:
    """With PROMETHEUS_MULTIPROC_DIR (gunicorn with several workers) the scrape
    reads the workers' sample files instead of this process's registry; the
    database-backed metrics are there either way."""
    settings.METRICS_TOKEN = TOKEN
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    # What a gunicorn worker does: write its samples into the shared folder.
    monkeypatch.setattr(values, "ValueClass", values.MultiProcessValue(lambda: 4242))
    Counter(
        "adloop_worker_test", "A worker's sample.", registry=CollectorRegistry()
    ).inc(3)

    answer = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    got = _samples(answer.content.decode())
    assert got[("adloop_worker_test_total", ())] == 3
    assert ("adloop_publications_due_unclaimed", ()) in got
    assert not any(name.startswith("process_") for name, _ in got)
