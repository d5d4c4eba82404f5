"""A post's publications are made inside the transaction that schedules it, and
canceled inside the one that takes it out of `scheduled`: when that fails, the
move does not happen (no status, no history row, no publications) and the
caller hears of it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Post, PostStatus, PostStatusChange
from publishing.delivery import creating
from publishing.models import Publication
from publishing.models import PublicationStatus as PS
from tests.factories import ConnectedAccountFactory, PostFactory

pytestmark = pytest.mark.django_db


class Boom(RuntimeError):
    """The publications could not be made (a bug, the database)."""


@pytest.fixture
def no_publications(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(post: Post) -> list[Publication]:
        raise Boom("publications could not be made")

    monkeypatch.setattr(creating, "publication_create_for_post", boom)


def _post(tenant, status=PostStatus.APPROVED):
    account = ConnectedAccountFactory(workspace=tenant.workspace)
    return PostFactory(
        campaign__workspace=tenant.workspace,
        status=status,
        accounts=[account],
        scheduled_at=timezone.now() + timedelta(days=1),
    )


def _unchanged(post: Post, status: str, history: int) -> None:
    """The post kept `status`, and its history has only `history` rows (the
    factory's `create` row and the moves the test made before)."""
    post.refresh_from_db()
    assert post.status == status
    assert PostStatusChange.objects.filter(post=post).count() == history


def test_scheduling_makes_the_publications_before_the_commit(
    tenant, django_capture_on_commit_callbacks
) -> None:
    post = _post(tenant)
    with django_capture_on_commit_callbacks(execute=False):
        lifecycle.transition(post, "schedule", by=tenant.editor)
        [publication] = Publication.objects.filter(post=post)
    assert publication.status == PS.SCHEDULED
    assert publication.due_at == post.scheduled_at


def test_unscheduling_cancels_the_publications_before_the_commit(
    tenant, django_capture_on_commit_callbacks
) -> None:
    post = _post(tenant)
    lifecycle.transition(post, "schedule", by=tenant.editor)
    with django_capture_on_commit_callbacks(execute=False):
        lifecycle.transition(post, "unschedule", by=tenant.editor)
        [publication] = Publication.objects.filter(post=post)
    assert publication.status == PS.CANCELED


@pytest.mark.usefixtures("no_publications")
def test_scheduling_rolls_back_when_the_publications_cannot_be_made(
    tenant, django_capture_on_commit_callbacks
) -> None:
    post = _post(tenant)
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(Boom),
    ):
        lifecycle.transition(post, "schedule", by=tenant.editor)
    assert callbacks == []  # no post_status_changed for a move that did not happen
    _unchanged(post, PostStatus.APPROVED, history=1)
    assert not Publication.objects.filter(post=post).exists()


@pytest.mark.usefixtures("no_publications")
def test_scheduling_through_the_api_rolls_back_with_a_server_error(
    tenant, user_client
) -> None:
    post = _post(tenant)
    response = user_client(tenant.editor).post(f"/api/v1/posts/{post.pk}/schedule/")
    assert response.status_code == 500, response.content
    assert response.json()["error"]["code"] == "server_error"
    _unchanged(post, PostStatus.APPROVED, history=1)
    assert not Publication.objects.filter(post=post).exists()


def test_scheduling_through_the_api_answers_with_the_publications_made(
    tenant, user_client
) -> None:
    post = _post(tenant)
    response = user_client(tenant.editor).post(f"/api/v1/posts/{post.pk}/schedule/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PostStatus.SCHEDULED
    assert Publication.objects.get(post=post).status == PS.SCHEDULED


def test_unscheduling_rolls_back_when_the_publications_cannot_be_canceled(
    tenant, monkeypatch
) -> None:
    post = _post(tenant)
    lifecycle.transition(post, "schedule", by=tenant.editor)

    def boom(post_ids: object) -> list[int]:
        raise Boom("publications could not be canceled")

    monkeypatch.setattr(creating, "publications_cancel_for_posts", boom)
    with pytest.raises(Boom):
        lifecycle.transition(post, "unschedule", by=tenant.editor)
    _unchanged(post, PostStatus.SCHEDULED, history=2)
    assert Publication.objects.get(post=post).status == PS.SCHEDULED


def _new_scheduled_posts(tenant, count: int) -> list[Post]:
    """Scheduled posts as a bulk insert leaves them: no history, no publications."""
    account = ConnectedAccountFactory(workspace=tenant.workspace)
    posts = [
        PostFactory(
            campaign__workspace=tenant.workspace,
            status=PostStatus.SCHEDULED,
            accounts=[account],
            history=False,
        )
        for _ in range(count)
    ]
    assert not Publication.objects.filter(post__in=posts).exists()
    return posts


def test_posts_created_scheduled_get_their_publications(tenant) -> None:
    one, *batch = _new_scheduled_posts(tenant, 3)
    lifecycle.record_creation(one, by=tenant.editor)
    lifecycle.record_creations(batch, by=tenant.editor)
    for post in (one, *batch):
        assert Publication.objects.get(post=post).status == PS.SCHEDULED


@pytest.mark.usefixtures("no_publications")
def test_a_batch_of_new_scheduled_posts_rolls_back_when_publications_fail(
    tenant,
) -> None:
    posts = _new_scheduled_posts(tenant, 3)
    with pytest.raises(Boom):
        lifecycle.record_creations(posts, by=tenant.editor)
    assert not PostStatusChange.objects.filter(post__in=posts).exists()
    assert not Publication.objects.filter(post__in=posts).exists()
    with pytest.raises(Boom):
        lifecycle.record_creation(posts[0], by=tenant.editor)
    assert not PostStatusChange.objects.filter(post=posts[0]).exists()


def test_new_drafts_cost_no_publication_queries(
    tenant, django_assert_max_num_queries
) -> None:
    account = ConnectedAccountFactory(workspace=tenant.workspace)
    posts = [
        PostFactory(
            campaign__workspace=tenant.workspace, accounts=[account], history=False
        )
        for _ in range(5)
    ]
    # The history rows and their audit rows, one statement each, not one per post.
    with django_assert_max_num_queries(4) as captured:
        lifecycle.record_creations(posts, by=tenant.editor)
    assert not any("publication" in q["sql"] for q in captured.captured_queries)
    assert not Publication.objects.filter(post__in=posts).exists()
