"""Publishing acts on what the person chose, and only on that (issue 9): publish
now on one publication publishes that one (through the real webhook connector
to the deduplicating sink), the others and the post keep their time across
dispatcher ticks, the post's status is derived from its publications, and a
planning-only account never gets a publication."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Post, PostStatus
from connections.models import Network
from core.errors import ConflictError
from networks import ConnectorError, PublishResult
from publishing import delivery, dispatcher, post_status
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.channels.test_publications import run, scheduled_post, scripted  # noqa: F401
from tests.factories import ChannelAccountFactory, ConnectedAccountFactory, PostFactory
from tests.fakes.sink import SinkServer

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="session")
def _sink() -> Iterator[SinkServer]:
    from core import http

    server = SinkServer().start()
    yield server
    # Close the pooled keep-alive connections before the sink's loop stops.
    if http._client.cache_info().currsize:
        http._client().close()
        http._client.cache_clear()
    server.stop()


@pytest.fixture
def sink(_sink: SinkServer, settings) -> SinkServer:
    """The deduplicating webhook sink (tests/fakes/sink.py), emptied."""
    settings.OUTBOUND_ALLOW_PRIVATE = True
    settings.DISPATCH_MAX_QUEUED = 0
    _sink.state.reset()
    return _sink


def _friday_ten() -> object:
    """A Friday 10:00 UTC at least a week ahead (the issue's "Fri 18 Dec")."""
    day = timezone.now() + timedelta(days=7)
    day += timedelta(days=(4 - day.weekday()) % 7)
    return day.replace(hour=10, minute=0, second=0, microsecond=0)


def _schedule(tenant, accounts, when, capture) -> Post:
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    post = PostFactory(
        campaign__workspace=tenant.workspace,
        accounts=accounts,
        scheduled_at=when,
        body="Fresh beans today.",
    )
    with capture(execute=True):
        lifecycle.transition(post, "schedule", by=tenant.editor)
    post.refresh_from_db()
    return post


@pytest.fixture
def issue_post(tenant, sink, django_capture_on_commit_callbacks):
    """The issue's post: a webhook account, a connected Bluesky account, and a
    planning-only Bluesky account, due on a Friday at 10:00."""
    hook = ConnectedAccountFactory(
        workspace=tenant.workspace,
        network=Network.WEBHOOK,
        name="Shop webhook",
        external_id=sink.url,
        credentials={"secret": "s3cret"},
    )
    sky = ConnectedAccountFactory(
        workspace=tenant.workspace, network=Network.BLUESKY, name="Sky"
    )
    planning = ChannelAccountFactory(
        workspace=tenant.workspace, network=Network.BLUESKY, name="Sky planning"
    )
    when = _friday_ten()
    post = _schedule(
        tenant, [hook, sky, planning], when, django_capture_on_commit_callbacks
    )
    rows = {p.account_id: p for p in Publication.objects.filter(post=post)}
    return post, rows[hook.pk], rows[sky.pk], planning, when


def test_planning_only_accounts_get_no_publication(issue_post) -> None:
    post, hook, sky, planning, when = issue_post
    assert not Publication.objects.filter(account=planning).exists()
    assert {p.pk for p in Publication.objects.filter(post=post)} == {hook.pk, sky.pk}
    assert hook.due_at == sky.due_at == when


def test_publish_now_publishes_that_one_only(issue_post, sink, tenant) -> None:
    post, hook, sky, _, when = issue_post
    delivery.publish_now(hook, by=tenant.editor)

    assert dispatcher.dispatch() == 1
    assert Publication.objects.get(pk=sky.pk).status == PS.SCHEDULED
    outcomes = delivery.publication_publish_many([hook.pk], task_id="t-now")
    assert outcomes == {hook.pk: "published"}
    assert dict(sink.state.requests) == {hook.idempotency_key: 1}

    post.refresh_from_db()
    sky.refresh_from_db()
    assert post.scheduled_at == when  # the post's own time did not move
    assert (sky.status, sky.due_at, sky.due_override) == (PS.SCHEDULED, when, False)
    # One out, one waiting for Friday: partly published, never "failed".
    assert post.status == PostStatus.PARTLY_PUBLISHED

    # More ticks change nothing: no re-aligning, nothing else claimed.
    for _ in range(3):
        assert dispatcher.dispatch() == 0
    sky.refresh_from_db()
    assert (sky.status, sky.due_at) == (PS.SCHEDULED, when)
    assert dict(sink.state.requests) == {hook.idempotency_key: 1}


def test_the_posts_api_says_which_publication_went_out(
    issue_post, sink, tenant, user_client
) -> None:
    post, hook, sky, _, when = issue_post
    delivery.publish_now(hook, by=tenant.editor)
    dispatcher.dispatch()
    delivery.publication_publish_many([hook.pk], task_id="t")
    body = user_client(tenant.client).get(f"/api/v1/posts/{post.pk}/").json()
    assert body["status"] == "partly_published"
    assert body["scheduled_at"] == when.isoformat().replace("+00:00", "Z")
    states = {row["id"]: row for row in body["publications"]}
    assert (states[hook.pk]["status"], states[hook.pk]["due_override"]) == (
        "published",
        True,
    )
    assert (states[sky.pk]["status"], states[sky.pk]["account_name"]) == (
        "scheduled",
        "Sky",
    )


def test_a_row_published_now_keeps_its_time_when_the_post_moves(
    issue_post, tenant
) -> None:
    """Moving the post (the calendar's drag, the editor's time) moves the
    publications that follow its time at once; one with its own time stays
    where the person put it, and the dispatcher's ticks do not undo that."""
    from campaigns.services.posts import post_reschedule

    post, hook, sky, _, when = issue_post
    mine = delivery.publish_now(hook, by=tenant.editor)
    assert mine.due_override and mine.due_at <= timezone.now()

    later = when + timedelta(days=1)
    post_reschedule(post=post, by=tenant.editor, when=later)
    hook.refresh_from_db()
    sky.refresh_from_db()
    assert hook.due_at == mine.due_at  # its own time stands
    assert (sky.due_at, sky.next_attempt_at) == (later, later)  # follows the post

    # The dispatcher's re-aligning (a move it did not hear of) leaves it too.
    Post.objects.filter(pk=post.pk).update(scheduled_at=later + timedelta(hours=1))
    dispatcher._sync_due_times(later + timedelta(hours=2))
    hook.refresh_from_db()
    sky.refresh_from_db()
    assert hook.due_at == mine.due_at
    assert sky.due_at == later + timedelta(hours=1)
    assert dispatcher.claim_due() == [hook.pk]


def test_publish_now_on_a_planning_only_account_says_why(tenant) -> None:
    _, [pub] = scheduled_post(Network.MASTODON)
    Publication.objects.filter(pk=pub.pk).update(workspace=tenant.workspace)
    type(pub.account).objects.filter(pk=pub.account_id).update(credentials=None)
    pub = Publication.objects.select_related("account", "workspace").get(pk=pub.pk)
    with pytest.raises(ConflictError, match="planning only"):
        delivery.publish_now(pub, by=tenant.editor)


# --- The post's status, derived from its publications ------------------------------


@pytest.mark.parametrize(
    "answers, expected",
    [
        (["ok", "ok"], PostStatus.PUBLISHED),
        (["ok", "no"], PostStatus.PARTLY_PUBLISHED),
        (["no", "ok"], PostStatus.PARTLY_PUBLISHED),
        (["no", "no"], PostStatus.FAILED),
    ],
)
def test_the_post_status_is_derived_from_its_publications(
    scripted,  # noqa: F811
    answers,
    expected,
) -> None:
    post, pubs = scheduled_post(
        Network.MASTODON, Network.MASTODON, when=timezone.now() - timedelta(seconds=1)
    )
    scripted.script = [
        PublishResult("1") if a == "ok" else ConnectorError("No.", kind="transient")
        for a in answers
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("django.conf.settings.PUBLISH_RETRY_DEADLINE_SECONDS", 0)
        for pub in pubs:
            run(pub)
    post.refresh_from_db()
    assert post.status == expected
    # The history names each move (scheduled → publishing → the outcome).
    assert list(post.history.values_list("to_status", flat=True))[-2:] == [
        PostStatus.PUBLISHING,
        expected,
    ]


def test_the_derivation_rule() -> None:
    now = timezone.now()
    later, past = now + timedelta(days=1), now - timedelta(minutes=1)

    def derive(*rows):
        return post_status.derive([post_status.Row(*r) for r in rows], now)

    assert derive((PS.PUBLISHED, past), (PS.PUBLISHED, past)) == PostStatus.PUBLISHED
    assert derive((PS.PUBLISHED, past), (PS.CANCELED, past)) == (
        PostStatus.PARTLY_PUBLISHED
    )
    assert derive((PS.PUBLISHED, past), (PS.SCHEDULED, later)) == (
        PostStatus.PARTLY_PUBLISHED
    )
    assert derive((PS.PUBLISHED, past), (PS.NEEDS_REVIEW, past)) == (
        PostStatus.PARTLY_PUBLISHED
    )
    assert derive((PS.PUBLISHED, past), (PS.SCHEDULED, past)) == PostStatus.PUBLISHING
    assert derive((PS.PUBLISHED, past), (PS.SCHEDULED, later, "transient")) == (
        PostStatus.PUBLISHING
    )
    assert derive((PS.FAILED, past), (PS.FAILED, past)) == PostStatus.FAILED
    assert derive((PS.UNCONFIRMED, past), (PS.PUBLISHED, past)) == (
        PostStatus.UNCONFIRMED
    )
    assert derive((PS.SCHEDULED, later)) == PostStatus.SCHEDULED
    # Due, but held back (a rate limit) before anything went out: not started.
    assert derive((PS.SCHEDULED, past)) == PostStatus.SCHEDULED
    # Sent now by a person (publish now, retry, a released review): at work.
    assert derive((PS.SCHEDULED, past, "", True)) == PostStatus.PUBLISHING
    assert derive((PS.SCHEDULED, later, "", True)) == PostStatus.SCHEDULED
    assert derive((PS.CANCELED, past)) is None
    assert derive((PS.NEEDS_REVIEW, past)) is None


def test_the_post_page_shows_each_publications_state(
    tenant, web, issue_post, sink
) -> None:
    post, hook, sky, _, _ = issue_post
    delivery.publish_now(hook, by=tenant.editor)
    dispatcher.dispatch()
    delivery.publication_publish_many([hook.pk], task_id="t")
    html = (
        web(tenant.editor).get(reverse("post-editor", args=[post.pk])).content.decode()
    )
    assert "Partly published" in html
    assert f'id="publication-{hook.pk}" data-publication-status="published"' in html
    assert f'id="publication-{sky.pk}" data-publication-status="scheduled"' in html
    assert "Sky planning is planning only (no credentials)" in html


# --- Scheduling only planning-only accounts --------------------------------------


def _planning_post(tenant):
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    account = ChannelAccountFactory(workspace=tenant.workspace, name="Plan sky")
    return PostFactory(
        campaign__workspace=tenant.workspace,
        accounts=[account],
        scheduled_at=timezone.now() + timedelta(days=2),
    )


def test_scheduling_only_planning_accounts_is_refused_saying_why(tenant) -> None:
    post = _planning_post(tenant)
    with pytest.raises(ConflictError, match="planning only") as caught:
        lifecycle.transition(post, "schedule", by=tenant.editor)
    assert caught.value.code == "planning_only"
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT
    assert not Publication.objects.filter(post=post).exists()


def test_empty_credentials_are_planning_only_too(tenant) -> None:
    """One test of "planning only" everywhere: an account whose credentials are
    an empty dict is refused at scheduling, not scheduled with nothing to send."""
    post = _planning_post(tenant)
    account = post.accounts.get()
    account.credentials = {}
    account.save()
    assert account.planning_only
    with pytest.raises(ConflictError, match="planning only"):
        lifecycle.transition(post, "schedule", by=tenant.editor)
    assert not Publication.objects.filter(post=post).exists()


def test_the_api_refuses_it_with_409(tenant, user_client) -> None:
    post = _planning_post(tenant)
    response = user_client(tenant.editor).post(f"/api/v1/posts/{post.pk}/schedule/")
    assert response.status_code == 409, response.content
    error = response.json()["error"]
    assert error["code"] == "planning_only"
    assert "Plan sky is planning only" in error["message"]
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_the_ui_refuses_it_with_the_message(tenant, web) -> None:
    post = _planning_post(tenant)
    response = web(tenant.editor).post(
        reverse("post-action", args=[post.pk, "schedule"])
    )
    assert response.status_code == 409
    assert "Plan sky is planning only" in response.content.decode()
    post.refresh_from_db()
    assert post.status == PostStatus.DRAFT


def test_an_unknown_outcome_sent_again_sets_the_post_publishing(
    scripted,  # noqa: F811
    tenant,
) -> None:
    post, [pub] = scheduled_post(Network.MASTODON)
    Publication.objects.filter(pk=pub.pk).update(workspace=tenant.workspace)
    scripted.script = [ConnectorError("No answer.", kind="ambiguous")]
    run(pub)
    post.refresh_from_db()
    assert post.status == PostStatus.UNCONFIRMED
    pub = Publication.objects.select_related("workspace").get(pk=pub.pk)
    again = delivery.publication_resolve(pub, outcome="retry", by=tenant.editor)
    post.refresh_from_db()
    assert again.due_override and again.status == PS.SCHEDULED
    assert post.status == PostStatus.PUBLISHING
