"""A batch of publications through one publish task: each row keeps its own
outcome, fence, attempt row and post, while the batch shares its statements and
calls the networks in parallel threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

import networks as connectors
from campaigns.models import Post, PostStatus, PostStatusChange
from connections.models import AccountStatus, ChannelAccount, Network
from networks import Capabilities, ConnectorError, PublishResult
from publishing import delivery, dispatcher
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS
from tests.channels.test_publications import queue, scheduled_post

pytestmark = pytest.mark.django_db


class ByTextConnector:
    """Answers by the post's text, so the order of parallel calls does not
    matter; records the threads it was called on."""

    key = "mastodon"
    capabilities = Capabilities(text_limit=500, dedupes=False, lookup=False)
    threads: set[str] = set()

    def validate(self, request):
        return []

    def publish(self, request):
        type(self).threads.add(threading.current_thread().name)
        if "transient" in request.text:
            raise ConnectorError("Busy.", kind="transient", retry_after=60)
        if "refused" in request.text:
            raise ConnectorError("Token revoked.", kind="permanent", reconnect=True)
        if "crash" in request.text:
            raise RuntimeError("bug")
        return PublishResult(f"ext-{request.publication_id}", url="https://m.test/1")


@pytest.fixture
def by_text(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[ByTextConnector]]:
    here = "tests.channels.test_publish_batch"
    monkeypatch.setitem(connectors.REGISTRY, "mastodon", f"{here}.ByTextConnector")
    connectors.get_connector.cache_clear()
    ByTextConnector.threads = set()
    yield ByTextConnector
    connectors.get_connector.cache_clear()


def queued(text: str) -> Publication:
    post, [pub] = scheduled_post(Network.MASTODON)
    Post.objects.filter(pk=post.pk).update(body=text)
    queue(pub)
    return pub


def _one_of_each_outcome() -> tuple[
    list[Publication], Publication, Publication, Publication, Publication, Publication
]:
    """Queued rows whose text (see ByTextConnector) or state leads each to a
    different outcome, so one batch shows every branch."""
    ok = [queued(f"Fine {i}") for i in range(3)]
    busy = queued("A transient one")
    revoked = queued("A refused one")
    crashed = queued("A crash")
    held = queued("Held back")
    ChannelAccount.objects.filter(pk=held.account_id).update(
        status=AccountStatus.DISABLED
    )
    taken = queued("Someone else has it")
    delivery.publication_move([taken.pk], to=PS.CANCELED, sources=[PS.QUEUED])
    return ok, busy, revoked, crashed, held, taken


def test_each_row_gets_its_own_outcome(by_text, settings) -> None:
    settings.PUBLISH_CALL_THREADS = 4
    ok, busy, revoked, crashed, held, taken = _one_of_each_outcome()
    ids = [p.pk for p in [*ok, busy, revoked, crashed, held, taken]] + [999999]

    outcomes = delivery.publication_publish_many(ids, task_id="batch-1")

    assert outcomes == {
        **{p.pk: "published" for p in ok},
        busy.pk: "retry",
        revoked.pk: "failed",
        crashed.pk: "unconfirmed",  # no dedupe, no lookup: a person decides
        held.pk: "held",
        taken.pk: "skipped",
        999999: "skipped",
    }
    rows = {p.pk: p for p in Publication.objects.filter(pk__in=ids)}
    for pub in ok:
        row = rows[pub.pk]
        assert (row.status, row.external_id, row.attempts) == (
            PS.PUBLISHED,
            f"ext-{pub.pk}",
            1,
        )
        assert row.post.status == PostStatus.PUBLISHED
    assert rows[busy.pk].status == PS.SCHEDULED and rows[busy.pk].error == "Busy."
    assert rows[busy.pk].post.status == PostStatus.PUBLISHING
    assert rows[revoked.pk].status == PS.FAILED
    assert rows[revoked.pk].post.status == PostStatus.FAILED
    assert (
        ChannelAccount.objects.get(pk=revoked.account_id).status
        == AccountStatus.NEEDS_RECONNECT
    )
    assert rows[crashed.pk].status == PS.UNCONFIRMED
    assert rows[held.pk].status == PS.SCHEDULED and rows[held.pk].attempts == 0
    assert rows[taken.pk].status == PS.CANCELED
    attempts = PublishAttempt.objects.filter(task_id="batch-1")
    assert attempts.count() == 6  # the claimed ones, one row each
    assert {a.outcome for a in attempts} == {
        "published",
        "transient",
        "permanent",
        "ambiguous",
    }
    assert all(a.duration_ms is not None for a in attempts)
    # The calls ran on the pool's threads, not the task's.
    assert by_text.threads and all(
        name.startswith("publish-call") for name in by_text.threads
    )
    # Every post's history names the dispatcher for each move.
    moves = PostStatusChange.objects.filter(post_id=ok[0].post_id).values_list(
        "to_status", "actor_label"
    )
    assert list(moves)[-2:] == [
        (PostStatus.PUBLISHING, "dispatcher"),
        (PostStatus.PUBLISHED, "dispatcher"),
    ]


def test_a_batch_shares_its_statements(by_text, settings) -> None:
    """The reason for batches: 20 publications cost a few statements more than
    one, not twenty times as many."""
    settings.PUBLISH_CALL_THREADS = 8

    def statements(count: int) -> int:
        pubs = [queued(f"Fine {i}") for i in range(count)]
        with CaptureQueriesContext(connection) as ctx:
            delivery.publication_publish_many([p.pk for p in pubs])
        assert (
            Publication.objects.filter(
                pk__in=[p.pk for p in pubs], status=PS.PUBLISHED
            ).count()
            == count
        )
        return len(ctx.captured_queries)

    one, twenty = statements(1), statements(20)
    assert twenty <= one + 5, (one, twenty)


def test_the_dispatcher_sends_batches(settings, monkeypatch) -> None:
    settings.PUBLISH_TASK_BATCH = 3
    sent: list[list[int]] = []
    from publishing import tasks

    monkeypatch.setattr(
        tasks.publish_batch, "apply_async", lambda args: sent.append(args[0])
    )
    dispatcher.enqueue(list(range(1, 8)))
    assert sent == [[1, 2, 3], [4, 5, 6], [7]]


class SlowAndFastConnector(ByTextConnector):
    """The slow publication's call waits until it sees the fast one stored (on
    its own database connection: the pool thread's), or gives up after 5 s."""

    saw_fast_published: bool | None = None

    def publish(self, request):
        if "slow" in request.text:
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                fast = Publication.objects.filter(
                    post__body__contains="fast", status=PS.PUBLISHED
                ).exists()
                if fast:
                    type(self).saw_fast_published = True
                    break
                time.sleep(0.05)
            else:
                type(self).saw_fast_published = False
        return super().publish(request)


@pytest.mark.django_db(transaction=True)
def test_a_slow_call_does_not_hold_back_the_others_outcome(
    monkeypatch, settings
) -> None:
    """An external id is stored when it is known, not when the batch's slowest
    network answers."""
    settings.PUBLISH_CALL_THREADS = 4
    here = "tests.channels.test_publish_batch"
    monkeypatch.setitem(connectors.REGISTRY, "mastodon", f"{here}.SlowAndFastConnector")
    connectors.get_connector.cache_clear()
    try:
        fast, slow = queued("A fast one"), queued("A slow one")
        outcomes = delivery.publication_publish_many([fast.pk, slow.pk])
    finally:
        connectors.get_connector.cache_clear()
    assert outcomes == {fast.pk: "published", slow.pk: "published"}
    assert SlowAndFastConnector.saw_fast_published is True
