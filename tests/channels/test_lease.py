"""Recovery in seconds: a publishing claim's lease (a dead worker's rows come
back once it runs out, a slow worker's renewals keep them), and queued rows
whose broker message is gone sent again after a short grace instead of the
five-minute timeout."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from celery import current_app
from django.db import connections
from django.utils import timezone

import networks as connectors
from connections.models import Network
from networks import Capabilities, PublishResult
from publishing import broker, delivery, dispatcher
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS
from publishing.tasks import publish_batch
from tests import testenv
from tests.channels.test_publications import queue, scheduled_post
from tests.integration import outbox
from tests.realservices import free_port

HERE = "tests.channels.test_lease"


class WorkerKilled(BaseException):
    """Stands for SIGKILL mid-call: nothing after the claim runs."""


class Dies:
    key = "webhook"
    capabilities = Capabilities(text_limit=None, dedupes=True, lookup=False)

    def validate(self, request):
        return []

    def publish(self, request):
        raise WorkerKilled


class DiesNoDedupe(Dies):
    key = "mastodon"
    capabilities = Capabilities(text_limit=500, dedupes=False, lookup=False)


class Slow(Dies):
    """Blocks until the test releases it."""

    release = threading.Event()
    entered = threading.Event()

    def publish(self, request):
        type(self).entered.set()
        assert type(self).release.wait(20)
        return PublishResult(f"ext-{request.publication_id}", url="https://w.test/1")


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(connectors.REGISTRY, "webhook", f"{HERE}.Dies")
    monkeypatch.setitem(connectors.REGISTRY, "mastodon", f"{HERE}.DiesNoDedupe")
    connectors.get_connector.cache_clear()
    yield
    connectors.get_connector.cache_clear()


def _claimed_then_killed(network: str) -> Publication:
    _, [pub] = scheduled_post(network)
    queue(pub)
    with pytest.raises(WorkerKilled):
        delivery.publication_publish_many([pub.pk], task_id="t-dead")
    return Publication.objects.get(pk=pub.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("network", "after"),
    [(Network.WEBHOOK, PS.QUEUED), (Network.MASTODON, PS.UNCONFIRMED)],
)
def test_a_dead_workers_rows_come_back_once_the_lease_runs_out(
    fake, settings, monkeypatch, network, after
) -> None:
    settings.PUBLISH_LEASE_SECONDS = 30
    settings.PUBLISH_PUBLISHING_TIMEOUT_SECONDS = 900
    monkeypatch.setattr(broker, "publish_backlog", lambda **kw: 0)
    sent: list[list[int]] = []
    monkeypatch.setattr(dispatcher, "enqueue", lambda ids: sent.append(list(ids)))
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        pub = _claimed_then_killed(network)
    assert pub.status == PS.PUBLISHING
    assert pub.lease_until == start + timedelta(seconds=30)

    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert dispatcher.sweep() == {"requeued": 0, "resent": 0, "unconfirmed": 0}
    assert Publication.objects.get(pk=pub.pk).status == PS.PUBLISHING

    with time_machine.travel(start + timedelta(seconds=31), tick=False):
        counts = dispatcher.sweep()
    pub.refresh_from_db()
    assert pub.status == after
    assert pub.error_kind == "ambiguous"
    assert PublishAttempt.objects.get(publication=pub).outcome == "swept"
    if after == PS.QUEUED:  # same key again where the network deduplicates
        assert counts["resent"] == 1
        assert pub.attempts == 1 and pub.idempotency_key
    else:
        assert counts["unconfirmed"] == 1


@pytest.mark.django_db
def test_a_row_without_a_lease_still_has_the_hard_timeout(
    fake, settings, monkeypatch
) -> None:
    """Claimed before the lease existed (or never renewed nor expiring)."""
    settings.PUBLISH_PUBLISHING_TIMEOUT_SECONDS = 900
    monkeypatch.setattr(dispatcher, "enqueue", lambda ids: None)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        pub = _claimed_then_killed(Network.WEBHOOK)
    Publication.objects.filter(pk=pub.pk).update(lease_until=None)
    with time_machine.travel(start + timedelta(seconds=899), tick=False):
        assert dispatcher.sweep()["resent"] == 0
    with time_machine.travel(start + timedelta(seconds=901), tick=False):
        assert dispatcher.sweep()["resent"] == 1


@pytest.mark.parametrize(("renew_every", "stolen"), [(0.2, False), (60, True)])
def test_renewing_the_lease_keeps_a_slow_calls_row_from_being_stolen(
    transactional_db, settings, monkeypatch, renew_every, stolen
) -> None:
    """A call slower than the lease: renewed every 0.2 s it stays with its
    worker; without renewals (60 s) the sweep takes it for dead."""
    monkeypatch.setitem(connectors.REGISTRY, "webhook", f"{HERE}.Slow")
    connectors.get_connector.cache_clear()
    monkeypatch.setattr(dispatcher, "enqueue", lambda ids: None)
    settings.PUBLISH_LEASE_SECONDS = 2
    settings.PUBLISH_LEASE_RENEW_SECONDS = renew_every
    Slow.release.clear()
    Slow.entered.clear()
    _, [pub] = scheduled_post(Network.WEBHOOK)
    queue(pub)
    outcome: dict[int, str] = {}

    def worker() -> None:
        try:
            outcome.update(delivery.publication_publish_many([pub.pk]))
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    try:
        assert Slow.entered.wait(10)
        time.sleep(4.0)  # twice the lease
        counts = dispatcher.sweep()
    finally:
        Slow.release.set()
        thread.join(20)
        connectors.get_connector.cache_clear()
    pub.refresh_from_db()
    if stolen:
        assert counts["resent"] == 1
        assert pub.status == PS.QUEUED  # taken away: its answer came too late
    else:
        assert counts == {"requeued": 0, "resent": 0, "unconfirmed": 0}
        assert outcome == {pub.pk: "published"}
        assert pub.status == PS.PUBLISHED and pub.attempts == 1
        assert PublishAttempt.objects.get(publication=pub).outcome == "published"


# --- Queued rows whose message the broker no longer holds ----------------------


@pytest.fixture
def private_broker(settings, tmp_path) -> Iterator[str]:
    """A redis-server of the test's own as the broker the sweep asks (the
    suite's shared broker has other tests' messages in it)."""
    if not shutil.which("redis-server"):
        if testenv.CI:
            pytest.fail("CI=true: redis-server is needed")
        pytest.skip("needs redis-server (the broker's queue is asked for real)")
    port = free_port()
    proc = outbox.start_redis(port, tmp_path / "redis")
    url = f"redis://127.0.0.1:{port}/0"
    import redis

    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert time.monotonic() < deadline, proc.log()
            time.sleep(0.05)
    settings.CELERY_BROKER_URL = url
    try:
        yield url
    finally:
        proc.kill()


def _send(url: str, ids: list[int]) -> None:
    with current_app.connection_for_write(url) as conn:
        publish_batch.apply_async(args=[ids], connection=conn)


def _queued_rows(count: int, *, age: float) -> list[int]:
    ids = []
    for _ in range(count):
        _, [pub] = scheduled_post(Network.WEBHOOK)
        ids.append(pub.pk)
    delivery.publication_move(
        ids,
        to=PS.QUEUED,
        sources=[PS.SCHEDULED],
        queued_at=timezone.now() - timedelta(seconds=age),
    )
    return ids


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch, settings) -> list[int]:
    settings.PUBLISH_QUEUED_GRACE_SECONDS = 15
    settings.PUBLISH_QUEUED_TIMEOUT_SECONDS = 300
    settings.PUBLISH_TASK_BATCH = 20
    ids: list[int] = []
    monkeypatch.setattr(dispatcher, "enqueue", lambda moved: ids.extend(moved))
    return ids


@pytest.mark.django_db
def test_queued_rows_the_broker_lost_are_sent_again_after_the_grace(
    private_broker, sent, django_capture_on_commit_callbacks
) -> None:
    lost = _queued_rows(3, age=20)
    fresh = _queued_rows(2, age=5)  # still within the grace: left alone
    with django_capture_on_commit_callbacks(execute=True):
        counts = dispatcher.sweep()
    assert counts["requeued"] == 3
    assert sorted(sent) == sorted(lost)
    again = Publication.objects.filter(pk__in=lost)
    assert all(
        p.status == PS.QUEUED and timezone.now() - p.queued_at < timedelta(seconds=5)
        for p in again
    )
    assert not set(sent) & set(fresh)


@pytest.mark.django_db
def test_queued_rows_whose_messages_are_still_in_the_queue_are_left_alone(
    private_broker, sent, django_capture_on_commit_callbacks
) -> None:
    """One message can carry at most PUBLISH_TASK_BATCH (20) rows: of 25 queued
    rows and one message, the 5 oldest have none."""
    ids = [pk for age in range(60, 35, -1) for pk in _queued_rows(1, age=age)]
    _send(private_broker, ids[-20:])
    assert broker.publish_backlog(recent_seconds=15) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatcher.sweep()["requeued"] == 5
    assert sorted(sent) == sorted(ids[:5])


@pytest.mark.django_db
def test_a_message_a_worker_took_counts_until_it_is_older_than_the_grace(
    private_broker, sent, django_capture_on_commit_callbacks
) -> None:
    """Taken and not acknowledged (acks_late): a live worker claims its rows at
    once; one still unacknowledged after the grace belongs to a dead worker."""
    start = timezone.now()
    # The "worker": its connection stays open (a clean close would give the
    # message back); a dead one never closes it.
    with current_app.connection_for_write(private_broker) as conn:
        with time_machine.travel(start, tick=False):
            ids = _queued_rows(2, age=20)
            _send(private_broker, ids)
            channel = conn.channel()
            assert channel.basic_get(broker.publish_queue_name(), no_ack=False)
            assert broker.publish_backlog(recent_seconds=15) == 1
            with django_capture_on_commit_callbacks(execute=True):
                assert dispatcher.sweep()["requeued"] == 0
        with time_machine.travel(start + timedelta(seconds=16), tick=False):
            assert broker.publish_backlog(recent_seconds=15) == 0
            with django_capture_on_commit_callbacks(execute=True):
                assert dispatcher.sweep()["requeued"] == 2
    assert sorted(sent) == sorted(ids)


@pytest.mark.django_db
def test_a_broker_that_does_not_answer_leaves_only_the_hard_timeout(
    sent, settings, django_capture_on_commit_callbacks
) -> None:
    settings.CELERY_BROKER_URL = f"redis://127.0.0.1:{free_port()}/0"  # nobody
    young = _queued_rows(1, age=20)
    old = _queued_rows(1, age=301)
    assert broker.publish_backlog(recent_seconds=15) is None
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatcher.sweep()["requeued"] == 1
    assert sent == old and young[0] not in sent


@pytest.mark.django_db
def test_the_hard_timeout_requeues_even_with_a_grace_longer_than_it(
    sent, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """The old design (no queue check: a grace longer than the timeout) still
    has its timeout."""
    settings.PUBLISH_QUEUED_GRACE_SECONDS = 100_000
    monkeypatch.setattr(broker, "publish_backlog", lambda **kw: 0)
    old = _queued_rows(1, age=301)
    with django_capture_on_commit_callbacks(execute=True):
        assert dispatcher.sweep()["requeued"] == 1
    assert sent == old
