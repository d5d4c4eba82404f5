"""Rate limits before publishing: token buckets shared across processes (Redis and
the file store), and a publication deferred, not failed, when its bucket is empty.
"""

from __future__ import annotations

import subprocess
import textwrap
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import timezone

from connections.models import Network
from networks import Capabilities
from publishing import delivery, dispatcher, ratelimit
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS
from publishing.ratelimit import Bucket, FileStore, Limit, RedisStore
from tests import testenv
from tests.channels import test_publications
from tests.channels.test_publications import ScriptedConnector, scheduled_post
from tests.integration.procs import PYTHON, ROOT, child_env

DAY = 24 * 3600.0

scripted = test_publications.scripted  # the fixture: Mastodon answers as scripted


def redis_url() -> str:
    """The test's own Redis database (the broker's), never another helper's."""
    url = django_settings.CELERY_BROKER_URL
    if not url.startswith("redis"):
        if testenv.CI:
            pytest.fail("CI=true: the rate-limit tests need the broker on Redis")
        pytest.skip("needs CELERY_BROKER_URL on Redis")
    return url


@pytest.fixture(params=["file", "redis"])
def store_spec(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """ "file:<folder>" or "redis:<url>": the same store, reachable from children."""
    if request.param == "file":
        yield f"file:{tmp_path / 'buckets'}"
    else:
        yield f"redis:{redis_url()}"


def open_store(spec: str) -> FileStore | RedisStore:
    kind, _, where = spec.partition(":")
    return FileStore(Path(where)) if kind == "file" else RedisStore(where)


def buckets(name: str, account: int = 50, network: int = 1000) -> list[Bucket]:
    return [
        Bucket(f"acct:{name}", Limit(account, DAY)),
        Bucket(f"net:{name}", Limit(network, DAY)),
    ]


def test_a_bucket_grants_its_capacity_then_says_how_long_to_wait(
    store_spec: str,
) -> None:
    store = open_store(store_spec)
    name = uuid.uuid4().hex
    one = [Bucket(f"acct:{name}", Limit(3, 30))]  # one token every 10 s
    try:
        assert [store.take(one, 1) for _ in range(3)] == [0.0, 0.0, 0.0]
        wait = store.take(one, 1)
        assert 9.0 < wait <= 10.0
        assert 19.0 < store.take(one, 2) <= 20.0  # a two-part thread needs two
    finally:
        store.reset(one)


def test_both_buckets_are_charged_or_neither(store_spec: str) -> None:
    store = open_store(store_spec)
    name = uuid.uuid4().hex
    account_a = [
        Bucket(f"acct:a:{name}", Limit(5, DAY)),
        Bucket(f"net:{name}", Limit(2, DAY)),
    ]
    account_b = [
        Bucket(f"acct:b:{name}", Limit(5, DAY)),
        Bucket(f"net:{name}", Limit(2, DAY)),
    ]
    try:
        assert store.take(account_a, 1) == 0.0
        assert store.take(account_b, 1) == 0.0
        # The network's bucket is empty: a is refused, and its own bucket keeps
        # the token it would have spent.
        assert store.take(account_a, 1) > 0
        store.reset([account_b[1]])
        assert [store.take(account_a[1:], 1) for _ in range(2)] == [0.0, 0.0]
        store.reset([account_a[1]])
        taken = [store.take(account_a, 1) for _ in range(2)]
        assert taken == [0.0, 0.0]
        store.reset([account_a[1]])
        # 1 (first) + 2 (now) of 5 spent: two more fit, the third does not.
        assert store.take(account_a, 2) == 0.0
        assert store.take(account_a[:1], 1) > 0
    finally:
        store.reset(account_a + account_b[:1])


CHILD = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from publishing.ratelimit import Bucket, FileStore, Limit, RedisStore
    kind, _, where = sys.argv[1].partition(":")
    store = FileStore(Path(where)) if kind == "file" else RedisStore(where)
    name, go, tries = sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    buckets = [
        Bucket("acct:" + name, Limit(50, 86400.0)),
        Bucket("net:" + name, Limit(1000, 86400.0)),
    ]
    print("ready", flush=True)
    while not go.exists():
        time.sleep(0.01)
    granted = sum(1 for _ in range(tries) if store.take(buckets, 1) == 0.0)
    print("granted", granted, flush=True)
    """
)


def test_two_processes_share_one_bucket(store_spec: str, tmp_path: Path) -> None:
    """Two processes take 40 tokens each, at the same time, from one bucket of 50
    (refilling one token every half hour): exactly 50 are granted in all."""
    name = uuid.uuid4().hex
    go = tmp_path / "go"
    children = [
        subprocess.Popen(
            [PYTHON, "-c", CHILD, store_spec, name, str(go), "40"],
            cwd=ROOT,
            env=child_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for child in children:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "ready"
        go.touch()
        outputs = [child.communicate(timeout=60)[0] for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        open_store(store_spec).reset(buckets(name))
    counts = [int(out.split("granted")[-1]) for out in outputs]
    assert sum(counts) == 50, outputs
    assert all(count >= 10 for count in counts), counts  # each got some


def test_limits_come_from_the_table_and_settings_override_them(settings) -> None:
    assert ratelimit.limits_for("x") == {
        "account": Limit(100, 900),
        "network": Limit(10_000, DAY),
    }
    assert ratelimit.limits_for("webhook") == {}
    settings.PUBLISH_RATE_LIMITS = {
        "x": {"network": None},
        "webhook": {"account": (60, 60)},
    }
    assert ratelimit.limits_for("x") == {"account": Limit(100, 900)}
    assert ratelimit.limits_for("webhook") == {"account": Limit(60, 60.0)}
    assert ratelimit.acquire("linkedin", 1) == 0.0  # no limit: no store at all


# --- The publish path defers instead of calling ---------------------------------


@pytest.fixture
def one_per_hour(settings, tmp_path: Path):
    """Mastodon accounts may post once an hour, in a file store of this test."""
    settings.REDIS_URL = ""
    settings.VAR_DIR = tmp_path
    settings.PUBLISH_RATE_LIMITS = {"mastodon": {"account": (1, 3600)}}
    return settings


@pytest.mark.django_db
def test_an_empty_bucket_defers_the_publication_without_an_attempt(
    scripted: type[ScriptedConnector], one_per_hour
) -> None:
    now = timezone.now()
    post, [first] = scheduled_post(Network.MASTODON, when=now)
    other, [second] = scheduled_post(Network.MASTODON, when=now)
    other.accounts.set([first.account])
    Publication.objects.filter(pk=second.pk).update(account=first.account)
    scripted.script = [delivery.PublishResult(external_id="m-1")]

    for pub in (first, second):
        delivery.publication_move([pub.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    assert delivery.publication_publish(first.pk) == "published"
    assert delivery.publication_publish(second.pk) == "deferred"

    second.refresh_from_db()
    assert second.status == PS.SCHEDULED
    assert second.attempts == 0
    assert second.error == "" and second.error_kind == ""
    assert second.next_attempt_at > now + timedelta(minutes=59)
    assert second.due_at == post.scheduled_at or second.due_at == other.scheduled_at
    assert not PublishAttempt.objects.filter(publication=second).exists()
    assert len(scripted.calls) == 1
    other.refresh_from_db()
    assert other.status == "scheduled"  # the post did not start publishing

    # The dispatcher's next tick keeps the deferral (it does not pull the first
    # try back to the post's time) and claims nothing.
    assert dispatcher.dispatch() == 0
    second.refresh_from_db()
    assert second.status == PS.SCHEDULED
    assert second.next_attempt_at > now + timedelta(minutes=59)


class ThreadingConnector(ScriptedConnector):
    capabilities = Capabilities(threads=True)


@pytest.mark.django_db
def test_a_thread_costs_one_token_per_part(
    scripted: type[ScriptedConnector], one_per_hour, monkeypatch: pytest.MonkeyPatch
) -> None:
    import networks as connectors
    from content.models import Variant

    monkeypatch.setitem(
        connectors.REGISTRY,
        "mastodon",
        "tests.channels.test_ratelimit.ThreadingConnector",
    )
    connectors.get_connector.cache_clear()
    one_per_hour.PUBLISH_RATE_LIMITS = {"mastodon": {"account": (3, 3600)}}
    now = timezone.now()
    _, [single] = scheduled_post(Network.MASTODON, when=now)
    post, [thread] = scheduled_post(Network.MASTODON, when=now)
    Publication.objects.filter(pk=thread.pk).update(account=single.account)
    variant = Variant.objects.create(
        workspace=post.workspace,
        post=post,
        network="mastodon",
        label="A",
        text="One.\n---\nTwo.\n---\nThree.",
        status="chosen",
    )
    Publication.objects.filter(pk=thread.pk).update(variant=variant)
    scripted.script = [delivery.PublishResult(external_id="m-1")]
    for pub in (single, thread):
        delivery.publication_move([pub.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    assert delivery.publication_publish(single.pk) == "published"
    # 2 tokens left, the thread needs 3: deferred until one more is back (20 min).
    assert delivery.publication_publish(thread.pk) == "deferred"
    thread.refresh_from_db()
    assert thread.next_attempt_at >= now + timedelta(minutes=20)
    connectors.get_connector.cache_clear()


@pytest.mark.django_db
def test_each_account_has_its_own_bucket(
    scripted: type[ScriptedConnector], one_per_hour
) -> None:
    now = timezone.now()
    _, [a] = scheduled_post(Network.MASTODON, when=now)
    _, [b] = scheduled_post(Network.MASTODON, when=now)
    assert a.account_id != b.account_id
    scripted.script = [
        delivery.PublishResult(external_id="m-1"),
        delivery.PublishResult(external_id="m-2"),
    ]
    for pub in (a, b):
        delivery.publication_move([pub.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])
    assert delivery.publication_publish(a.pk) == "published"
    assert delivery.publication_publish(b.pk) == "published"
