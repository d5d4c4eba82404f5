"""/api/v1/publications/: filters, attempts, the actions publish-now, retry,
cancel and resolve (each through the publishing services), 409 with `allowed`,
permissions and tenancy."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns.models import PostStatus
from connections.models import Network
from publishing import delivery
from publishing.models import Publication, PublishAttempt
from publishing.models import PublicationStatus as PS
from tests.factories import ConnectedAccountFactory, PostFactory
from workspaces.models import ApiKeyScope

pytestmark = pytest.mark.django_db

URL = "/api/v1/publications/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def _scheduled(workspace, *networks, hours=2):
    accounts = [
        ConnectedAccountFactory(workspace=workspace, network=n) for n in networks
    ]
    post = PostFactory(campaign__workspace=workspace, accounts=accounts)
    post.scheduled_at = (timezone.now() + timedelta(hours=hours)).replace(microsecond=0)
    post.status = PostStatus.SCHEDULED
    post.save(update_fields=["scheduled_at", "status"])
    return post, delivery.publication_create_for_post(post)


def _move(publication: Publication, to: str, **fields) -> None:
    Publication.objects.filter(pk=publication.pk).update(status=to, **fields)


def test_list_filters_by_post_account_status_and_due_range(tenant, user_client):
    post, (a, b) = _scheduled(tenant.workspace, Network.MASTODON, Network.WEBHOOK)
    _later, (c,) = _scheduled(tenant.workspace, Network.BLUESKY, hours=30)
    _move(b, PS.FAILED, error="Refused.")
    client = user_client(tenant.reviewer)

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids() == [a.pk, b.pk, c.pk]
    assert ids(post=post.pk) == [a.pk, b.pk]
    assert ids(account=c.account_id) == [c.pk]
    assert ids(status="failed") == [b.pk]
    assert ids(status=["failed", "scheduled"]) == [a.pk, b.pk, c.pk]
    cut = (timezone.now() + timedelta(hours=10)).isoformat()
    assert ids(due_before=cut) == [a.pk, b.pk]
    assert ids(due_after=cut) == [c.pk]
    error = _error(client.get(URL, {"status": "lost"}), 400)
    assert "status" in error["fields"]
    assert "due_after" in _error(client.get(URL, {"due_after": "soon"}), 400)["fields"]


def test_retrieve_has_the_attempts(tenant, user_client):
    _, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    PublishAttempt.objects.create(
        publication=publication,
        number=1,
        task_id="t-1",
        started_at=timezone.now(),
        duration_ms=120,
        http_status=503,
        outcome="transient",
        error="The webhook answered 503.",
    )
    body = user_client(tenant.client).get(f"{URL}{publication.pk}/").json()
    assert body["status"] == "scheduled"
    assert body["account_name"] == publication.account.name
    assert body["allowed_actions"] == []  # a client reads only
    [attempt] = body["attempt_rows"]
    assert attempt["http_status"] == 503 and attempt["outcome"] == "transient"
    editor = user_client(tenant.editor).get(f"{URL}{publication.pk}/").json()
    assert editor["allowed_actions"] == ["publish-now", "cancel"]


def test_publish_now_makes_it_due_now(tenant, user_client):
    _post, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    before = timezone.now()
    response = user_client(tenant.editor).post(f"{URL}{publication.pk}/publish-now/")
    assert response.status_code == 200, response.content
    publication.refresh_from_db()
    assert before <= publication.next_attempt_at <= timezone.now()
    assert response.json()["status"] == "scheduled"


def test_cancel_then_a_second_cancel_is_409_with_allowed(tenant, user_client):
    _, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    client = user_client(tenant.editor)
    response = client.post(f"{URL}{publication.pk}/cancel/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "canceled"
    error = _error(client.post(f"{URL}{publication.pk}/cancel/"), 409)
    assert error["code"] == "transition_not_allowed"
    assert error["status"] == "canceled"
    assert error["allowed"] == []
    assert "canceled" in error["message"]


def test_retry_a_failed_publication(tenant, user_client):
    _, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    client = user_client(tenant.editor)
    error = _error(client.post(f"{URL}{publication.pk}/retry/"), 409)
    assert error["allowed"] == ["publish-now", "cancel"]
    delivery.publication_move(
        [publication.pk], to=PS.FAILED, sources=[PS.SCHEDULED], error="Refused."
    )
    response = client.post(f"{URL}{publication.pk}/retry/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "scheduled" and body["error"] == ""


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("published", "published"), ("not_published", "failed"), ("retry", "scheduled")],
)
def test_resolve_an_unconfirmed_publication(tenant, user_client, outcome, status):
    _, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    _move(publication, PS.UNCONFIRMED, error="No answer.", error_kind="ambiguous")
    client = user_client(tenant.editor)
    body = {"outcome": outcome}
    if outcome == "published":
        body["url"] = "https://hooks.example.com/p/1"
    response = client.post(f"{URL}{publication.pk}/resolve/", body)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == status
    publication.refresh_from_db()
    assert publication.status == status
    if outcome == "published":
        assert publication.url == "https://hooks.example.com/p/1"
    error = _error(client.post(f"{URL}{publication.pk}/resolve/", body), 409)
    assert "resolve" not in error["allowed"]


def test_resolve_bad_input_is_400_with_field_messages(tenant, user_client):
    _, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    _move(publication, PS.UNCONFIRMED)
    client = user_client(tenant.editor)
    url = f"{URL}{publication.pk}/resolve/"
    assert "outcome" in _error(client.post(url, {}), 400)["fields"]
    assert "outcome" in _error(client.post(url, {"outcome": "maybe"}), 400)["fields"]
    mixed = client.post(url, {"outcome": "not_published", "url": "https://x.example"})
    assert _error(mixed, 400)["fields"] == {"url": ["Only with outcome published."]}
    bad_url = client.post(url, {"outcome": "published", "url": "not a url"})
    assert "url" in _error(bad_url, 400)["fields"]
    publication.refresh_from_db()
    assert publication.status == PS.UNCONFIRMED


@pytest.mark.parametrize("role", ["reviewer", "client"])
def test_reviewers_and_clients_read_but_do_not_act(tenant, user_client, role):
    _, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    client = user_client(tenant.person(role))
    assert client.get(f"{URL}{publication.pk}/").status_code == 200
    for name in ("publish-now", "cancel", "retry"):
        _error(client.post(f"{URL}{publication.pk}/{name}/"), 403)
    publication.refresh_from_db()
    assert publication.status == PS.SCHEDULED


def test_a_read_key_reads_and_a_write_key_acts(tenant, key_client):
    _, (publication,) = _scheduled(tenant.workspace, Network.WEBHOOK)
    read = key_client(tenant.workspace, ApiKeyScope.READ)
    assert read.get(URL).json()["count"] == 1
    _error(read.post(f"{URL}{publication.pk}/cancel/"), 403)
    write = key_client(tenant.workspace)
    assert write.post(f"{URL}{publication.pk}/cancel/").status_code == 200


def test_another_workspace_is_not_found(tenant, other_tenant, user_client):
    _, (theirs,) = _scheduled(other_tenant.workspace, Network.WEBHOOK)
    client = user_client(tenant.owner)
    assert client.get(URL).json()["count"] == 0
    _error(client.get(f"{URL}{theirs.pk}/"), 404)
    for name in ("publish-now", "cancel", "retry", "resolve"):
        _error(client.post(f"{URL}{theirs.pk}/{name}/", {"outcome": "retry"}), 404)
    theirs.refresh_from_db()
    assert theirs.status == PS.SCHEDULED
