"""Publications: created when a post is scheduled, the publish service's outcomes,
the post following its publications, and a person's actions."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

import networks as connectors
from campaigns import lifecycle
from campaigns.models import PostStatus
from connections.models import Network
from networks import Capabilities, ConnectorError, PublishResult
from publishing import delivery
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS
from tests.factories import ConnectedAccountFactory, PostFactory

pytestmark = pytest.mark.django_db


class ScriptedConnector:
    """A connector whose answers the test writes in `script` (popped in order)."""

    key = "mastodon"
    capabilities = Capabilities(text_limit=500, dedupes=False, lookup=False)
    script: list[object] = []
    calls: list[str] = []

    def validate(self, request):
        return []

    def publish(self, request):
        type(self).calls.append(request.idempotency_key)
        answer = type(self).script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


class DedupingConnector(ScriptedConnector):
    capabilities = Capabilities(dedupes=True)


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[ScriptedConnector]]:
    here = "tests.channels.test_publications"
    monkeypatch.setitem(connectors.REGISTRY, "mastodon", f"{here}.ScriptedConnector")
    monkeypatch.setitem(connectors.REGISTRY, "bluesky", f"{here}.DedupingConnector")
    connectors.get_connector.cache_clear()
    ScriptedConnector.script, ScriptedConnector.calls = [], []
    yield ScriptedConnector
    connectors.get_connector.cache_clear()


def scheduled_post(*networks: str, when=None):
    post = PostFactory(body="Fresh beans today.", link="https://example.com/b")
    accounts = [
        ConnectedAccountFactory(workspace=post.workspace, network=n) for n in networks
    ]
    post.accounts.set(accounts)
    post.scheduled_at = when or timezone.now() + timedelta(hours=1)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    return post, delivery.publication_create_for_post(post)


def queue(publication: Publication) -> None:
    delivery.publication_move([publication.pk], to=PS.QUEUED, sources=[PS.SCHEDULED])


def run(publication: Publication) -> str:
    queue(publication)
    return delivery.publication_publish(publication.pk, task_id="t-1")


def test_scheduling_a_post_creates_one_publication_per_account() -> None:
    post, pubs = scheduled_post(Network.MASTODON, Network.WEBHOOK)
    assert {p.network for p in pubs} == {"mastodon", "webhook"}
    assert all(p.status == PS.SCHEDULED and p.due_at == post.scheduled_at for p in pubs)
    assert len({p.idempotency_key for p in pubs}) == 2
    # Scheduling again refreshes instead of duplicating, keeping the key.
    post.scheduled_at += timedelta(hours=2)
    post.save(update_fields=["scheduled_at"])
    again = delivery.publication_create_for_post(post)
    assert [p.pk for p in again] == [p.pk for p in pubs]
    assert [p.idempotency_key for p in again] == [p.idempotency_key for p in pubs]
    assert all(p.due_at == post.scheduled_at for p in again)


def test_the_lifecycle_listener_creates_and_cancels_publications_in_the_move(
    tenant,
) -> None:
    """In the moving transaction, not after commit: no on-commit callback runs."""
    account = ConnectedAccountFactory(workspace=tenant.workspace)
    post = PostFactory(campaign__workspace=tenant.workspace, accounts=[account])
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    lifecycle.transition(post, "schedule", by=tenant.editor)
    publication = Publication.objects.get(post=post)
    assert publication.status == PS.SCHEDULED
    lifecycle.transition(post, "unschedule", by=tenant.editor)
    publication.refresh_from_db()
    assert publication.status == PS.CANCELED
    lifecycle.transition(post, "schedule", by=tenant.editor)
    publication.refresh_from_db()
    assert publication.status == PS.SCHEDULED


def test_published_records_the_external_id_and_moves_the_post(scripted) -> None:
    post, [pub] = scheduled_post(Network.MASTODON)
    scripted.script = [PublishResult("109", "https://m.example/@a/109", 200)]
    assert run(pub) == "published"
    pub.refresh_from_db()
    post.refresh_from_db()
    assert (pub.status, pub.external_id, pub.url) == (
        PS.PUBLISHED,
        "109",
        "https://m.example/@a/109",
    )
    assert post.status == PostStatus.PUBLISHED
    assert [h.action for h in post.history.all()][-2:] == [
        "start_publishing",
        "mark_published",
    ]
    attempt = PublishAttempt.objects.get(publication=pub)
    assert (attempt.number, attempt.task_id, attempt.http_status, attempt.outcome) == (
        1,
        "t-1",
        200,
        "published",
    )
    assert attempt.duration_ms is not None
    assert scripted.calls == [pub.idempotency_key]


def test_a_second_delivery_of_the_task_publishes_nothing(scripted) -> None:
    _, [pub] = scheduled_post(Network.MASTODON)
    scripted.script = [PublishResult("1")]
    assert run(pub) == "published"
    assert delivery.publication_publish(pub.pk) == "skipped"
    assert len(scripted.calls) == 1


def test_transient_error_goes_back_to_scheduled_with_backoff_and_same_key(
    scripted, settings
) -> None:
    post, [pub] = scheduled_post(Network.MASTODON)
    scripted.script = [
        ConnectorError("busy", kind="transient", retry_after=30, http_status=429),
        PublishResult("2"),
    ]
    before = timezone.now()
    assert run(pub) == "retry"
    pub.refresh_from_db()
    assert pub.status == PS.SCHEDULED
    assert pub.error_kind == "transient"
    assert (
        timedelta(seconds=30) <= pub.next_attempt_at - before <= timedelta(seconds=32)
    )
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING
    assert run(pub) == "published"
    pub.refresh_from_db()
    assert pub.attempts == 2
    assert scripted.calls == [pub.idempotency_key] * 2
    assert list(pub.attempt_rows.values_list("outcome", "http_status")) == [
        ("transient", 429),
        ("published", None),
    ]


def test_transient_errors_past_the_deadline_fail_with_a_readable_reason(
    scripted, settings
) -> None:
    settings.PUBLISH_RETRY_DEADLINE_SECONDS = 5
    post, [pub] = scheduled_post(Network.MASTODON)
    scripted.script = [
        ConnectorError("The server is busy.", kind="transient", retry_after=60)
    ]
    assert run(pub) == "failed"
    pub.refresh_from_db()
    post.refresh_from_db()
    assert pub.status == PS.FAILED
    assert "gave up after trying" in pub.error
    assert post.status == PostStatus.FAILED


def test_permanent_error_fails_the_publication_and_the_post(scripted) -> None:
    post, [pub] = scheduled_post(Network.MASTODON)
    scripted.script = [ConnectorError("The text is too long.", kind="permanent")]
    assert run(pub) == "failed"
    pub.refresh_from_db()
    post.refresh_from_db()
    assert (pub.status, pub.error) == (PS.FAILED, "The text is too long.")
    assert post.status == PostStatus.FAILED


def test_ambiguous_without_dedupe_or_lookup_is_unconfirmed(scripted) -> None:
    post, [pub] = scheduled_post(Network.MASTODON)
    scripted.script = [ConnectorError("No answer.", kind="ambiguous")]
    assert run(pub) == "unconfirmed"
    pub.refresh_from_db()
    post.refresh_from_db()
    assert pub.status == PS.UNCONFIRMED
    assert post.status == PostStatus.UNCONFIRMED


def test_ambiguous_on_a_deduping_network_is_resent_with_the_same_key(scripted) -> None:
    _, [pub] = scheduled_post(Network.BLUESKY)
    scripted.script = [
        ConnectorError("No answer.", kind="ambiguous"),
        PublishResult("at://x"),
    ]
    assert run(pub) == "retry"
    assert run(pub) == "published"
    assert scripted.calls == [pub.idempotency_key] * 2


def test_a_network_without_connector_fails_readably(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(connectors.REGISTRY, "linkedin", raising=False)
    connectors.get_connector.cache_clear()
    _, [pub] = scheduled_post(Network.LINKEDIN)
    assert run(pub) == "failed"
    pub.refresh_from_db()
    assert pub.error == "Publishing to LinkedIn is not available yet."


def test_post_waits_for_publications_due_now_and_a_failure_never_hides_a_success(
    scripted,
) -> None:
    post, pubs = scheduled_post(
        Network.MASTODON, Network.MASTODON, when=timezone.now() - timedelta(seconds=1)
    )
    scripted.script = [PublishResult("1"), ConnectorError("No.", kind="permanent")]
    run(pubs[0])
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHING  # the other one is due too
    run(pubs[1])
    post.refresh_from_db()
    # Not "failed": one of them is out (the bug was a single Failed).
    assert post.status == PostStatus.PARTLY_PUBLISHED


def test_a_canceled_publication_makes_the_post_partly_published(
    scripted, tenant
) -> None:
    post, pubs = scheduled_post(Network.MASTODON, Network.MASTODON)
    delivery.publication_move([pubs[1].pk], to=PS.CANCELED, sources=[PS.SCHEDULED])
    scripted.script = [PublishResult("1")]
    run(pubs[0])
    post.refresh_from_db()
    assert post.status == PostStatus.PARTLY_PUBLISHED


def test_status_changes_fire_the_event_hook(
    scripted, django_capture_on_commit_callbacks
) -> None:
    _, [pub] = scheduled_post(Network.MASTODON)
    seen: list[tuple[str, str]] = []

    def listen(sender, **kw):
        seen.append((kw["from_status"], kw["to_status"]))

    delivery.publication_status_changed.connect(listen)
    try:
        scripted.script = [PublishResult("1")]
        with django_capture_on_commit_callbacks(execute=True):
            run(pub)
    finally:
        delivery.publication_status_changed.disconnect(listen)
    assert seen == [
        ("scheduled", "queued"),
        ("queued", "publishing"),
        ("publishing", "published"),
    ]


def test_a_finished_attempt_cannot_overwrite_a_newer_one() -> None:
    _, [pub] = scheduled_post(Network.MASTODON)
    queue(pub)
    delivery.publication_move(
        [pub.pk], to=PS.PUBLISHING, sources=[PS.QUEUED], fence=0, attempts=1
    )
    # Attempt 1 was swept and re-claimed as attempt 2; attempt 1 ends late.
    delivery.publication_move([pub.pk], to=PS.QUEUED, sources=[PS.PUBLISHING], fence=1)
    delivery.publication_move(
        [pub.pk], to=PS.PUBLISHING, sources=[PS.QUEUED], fence=1, attempts=2
    )
    assert not delivery.publication_move(
        [pub.pk], to=PS.FAILED, sources=[PS.PUBLISHING], fence=1
    )
    pub.refresh_from_db()
    assert (pub.status, pub.attempts) == (PS.PUBLISHING, 2)


def test_person_resolves_an_unconfirmed_publication(scripted, tenant) -> None:
    post, [pub] = scheduled_post(Network.MASTODON)
    post.workspace = tenant.workspace
    scripted.script = [ConnectorError("No answer.", kind="ambiguous")]
    run(pub)
    Publication.objects.filter(pk=pub.pk).update(workspace=tenant.workspace)
    pub.refresh_from_db()
    with pytest.raises(Exception, match="role"):
        delivery.publication_resolve(pub, outcome="published", by=tenant.client)
    done = delivery.publication_resolve(
        pub, outcome="published", by=tenant.editor, external_id="77"
    )
    post.refresh_from_db()
    assert (done.status, done.external_id) == (PS.PUBLISHED, "77")
    assert post.status == PostStatus.PUBLISHED


def test_retry_of_a_failed_publication_reschedules_it_and_the_post(
    scripted, tenant, settings
) -> None:
    settings.PUBLISH_RETRY_DEADLINE_SECONDS = 0  # gives up at once
    post, [pub] = scheduled_post(Network.MASTODON)
    when = post.scheduled_at
    Publication.objects.filter(pk=pub.pk).update(workspace=tenant.workspace)
    type(post).objects.filter(pk=post.pk).update(workspace=tenant.workspace)
    scripted.script = [ConnectorError("Down.", kind="transient"), PublishResult("5")]
    run(pub)
    pub.refresh_from_db()
    post.refresh_from_db()
    assert (pub.status, pub.error_kind, post.status) == (
        PS.FAILED,
        "transient",
        PostStatus.FAILED,
    )
    again = delivery.publication_retry(pub, by=tenant.editor)
    post.refresh_from_db()
    assert again.status == PS.SCHEDULED and again.due_override
    # The post follows its publication (publishing again); its time is its own.
    assert post.status == PostStatus.PUBLISHING
    assert post.scheduled_at == when
    assert again.next_attempt_at <= timezone.now() + timedelta(seconds=2)
    Publication.objects.filter(pk=pub.pk).update(next_attempt_at=timezone.now())
    assert run(again) == "published"
    post.refresh_from_db()
    assert post.status == PostStatus.PUBLISHED


def test_cancel_only_before_a_worker_has_it(tenant) -> None:
    _, [pub] = scheduled_post(Network.MASTODON)
    Publication.objects.filter(pk=pub.pk).update(workspace=tenant.workspace)
    pub.refresh_from_db()
    assert delivery.publication_cancel(pub, by=tenant.editor).status == PS.CANCELED
    with pytest.raises(Exception, match="cannot be canceled"):
        delivery.publication_cancel(pub, by=tenant.editor)


def test_variant_copy_is_what_gets_published(scripted) -> None:
    from content.models import Variant

    post = PostFactory(body="Body copy.")
    account = ConnectedAccountFactory(workspace=post.workspace, network="mastodon")
    post.accounts.set([account])
    Variant.objects.create(
        workspace=post.workspace,
        post=post,
        network="mastodon",
        label="A",
        text="Variant copy.",
        status="chosen",
    )
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["status"])
    [pub] = delivery.publication_create_for_post(post)
    assert delivery.build_request(pub).text == "Variant copy."
