"""/api/v1/posts/: create and edit through the post service, filters, comments,
history, tenant isolation and a query count that does not grow with the page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from campaigns.models import Post, PostComment, PostStatus
from tests.factories import (
    CampaignFactory,
    ChannelAccountFactory,
    PillarFactory,
    PostFactory,
)
from workspaces.models import ApiKeyScope, User

URL = "/api/v1/posts/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def campaign(tenant):
    today = timezone.localdate()
    return CampaignFactory(
        workspace=tenant.workspace,
        channels=2,
        pillars=[("Product", 2)],
        start_date=today,
        end_date=today + timedelta(days=60),
        time_zone="Europe/Berlin",
    )


def _future(days: int = 3, hour: int = 9) -> str:
    day = timezone.localdate() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00+00:00"


def test_create_answers_with_times_and_allowed_actions(tenant, campaign, user_client):
    pillar = campaign.pillars.get()
    response = user_client(tenant.editor).post(
        URL,
        {
            "campaign": campaign.pk,
            "topic": "Why we roast light",
            "scheduled_at": "2026-01-15T09:00:00+01:00",
            "pillar": pillar.pk,
        }
        | {"scheduled_at": _future()},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft"
    assert body["origin"] == "api"
    assert body["plan_reason"] == {}
    assert body["scheduled_at"].endswith("Z")
    assert body["scheduled_local"].endswith(("+01:00", "+02:00"))
    assert body["time_zone"] == "Europe/Berlin"
    assert body["allowed_actions"] == ["submit", "cancel"]
    # Without accounts the post goes to every channel of its campaign.
    assert len(body["accounts"]) == 2
    post = Post.objects.get(pk=body["id"])
    assert post.history.get().action == "create"


def test_local_time_is_shown_in_the_campaign_zone(tenant, campaign, user_client):
    day = timezone.localdate() + timedelta(days=5)
    when = datetime(day.year, day.month, day.day, 8, 0, tzinfo=UTC)
    post = PostFactory(campaign=campaign, scheduled_at=when)
    body = user_client(tenant.client).get(f"{URL}{post.pk}/").json()
    local = datetime.fromisoformat(body["scheduled_local"])
    assert local == when and local.utcoffset() in (
        timedelta(hours=1),
        timedelta(hours=2),
    )
    assert body["allowed_actions"] == []  # a client cannot move a draft


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scheduled_at": "2026-03-02T09:00:00"}, "scheduled_at"),
        ({"scheduled_at": "next tuesday"}, "scheduled_at"),
        ({"topic": "X", "colour": "red"}, "colour"),
        ({"accounts": "all"}, "accounts"),
        ({"accounts": [99999999]}, "accounts"),
        ({"topic": ""}, "topic"),
        ({"link": "example.com"}, "link"),
    ],
)
def test_bad_input_names_the_field_and_makes_nothing(
    tenant, campaign, user_client, payload, field
):
    response = user_client(tenant.editor).post(
        URL, {"campaign": campaign.pk, "topic": "T", **payload}
    )
    fields = _error(response, 400)["fields"]
    assert field in fields, fields
    assert not Post.objects.exists()


def test_naive_time_message_asks_for_an_offset(tenant, campaign, user_client):
    response = user_client(tenant.editor).post(
        URL, {"campaign": campaign.pk, "topic": "T", "scheduled_at": "2026-03-02 9:00"}
    )
    assert "offset" in _error(response, 400)["fields"]["scheduled_at"][0]


def test_time_outside_the_campaign_is_refused(tenant, campaign, user_client):
    response = user_client(tenant.editor).post(
        URL,
        {"campaign": campaign.pk, "topic": "T", "scheduled_at": _future(days=400)},
    )
    assert "outside the campaign" in _error(response, 400)["fields"]["scheduled_at"][0]


def test_foreign_ids_in_the_body_read_as_no_such(
    tenant, other_tenant, campaign, user_client
):
    theirs = CampaignFactory(workspace=other_tenant.workspace, pillars=[("P", 1)])
    their_account = ChannelAccountFactory(workspace=other_tenant.workspace)
    client = user_client(tenant.owner)
    fields = _error(client.post(URL, {"campaign": theirs.pk, "topic": "T"}), 400)[
        "fields"
    ]
    assert fields["campaign"] == ["No such campaign."]
    response = client.post(
        URL,
        {
            "campaign": campaign.pk,
            "topic": "T",
            "accounts": [their_account.pk],
            "pillar": theirs.pillars.get().pk,
        },
    )
    fields = _error(response, 400)["fields"]
    assert fields["accounts"] == ["No such channel account."]
    assert fields["pillar"] == ["No such pillar."]
    assert not Post.objects.exists()


def test_pillar_of_another_campaign_is_refused(tenant, campaign, user_client):
    other = PillarFactory(campaign=CampaignFactory(workspace=tenant.workspace))
    response = user_client(tenant.editor).post(
        URL, {"campaign": campaign.pk, "topic": "T", "pillar": other.pk}
    )
    assert "pillar" in _error(response, 400)["fields"]


def test_another_tenants_post_is_not_found_everywhere(
    tenant, other_tenant, user_client
):
    theirs = PostFactory(campaign=CampaignFactory(workspace=other_tenant.workspace))
    PostComment.objects.create(post=theirs, body="secret")
    client = user_client(tenant.owner)
    url = f"{URL}{theirs.pk}/"
    _error(client.get(url), 404)
    _error(client.patch(url, {"topic": "Mine"}), 404)
    _error(client.delete(url), 404)
    _error(client.get(f"{url}comments/"), 404)
    _error(client.post(f"{url}comments/", {"body": "hi"}), 404)
    _error(client.get(f"{url}history/"), 404)
    assert client.get(URL).json()["count"] == 0
    assert client.get(URL, {"campaign": theirs.campaign_id}).json()["count"] == 0
    assert client.get(URL, {"workspace": theirs.workspace_id}).json()["count"] == 0
    theirs.refresh_from_db()
    assert theirs.topic != "Mine" and theirs.comments.count() == 1


def test_filters(tenant, campaign, user_client):
    a, b = (c.account for c in campaign.cadences.all())
    other = CampaignFactory(workspace=tenant.workspace)
    now = timezone.now().replace(microsecond=0)
    p1 = PostFactory(campaign=campaign, accounts=[a], scheduled_at=now + timedelta(1))
    p2 = PostFactory(
        campaign=campaign,
        accounts=[b],
        scheduled_at=now + timedelta(3),
        status=PostStatus.IN_REVIEW,
    )
    p3 = PostFactory(
        campaign=other, scheduled_at=now + timedelta(5), status=PostStatus.APPROVED
    )
    client = user_client(tenant.editor)

    def ids(**params: object) -> list[int]:
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return [p["id"] for p in response.json()["results"]]

    assert ids(campaign=campaign.pk) == [p1.pk, p2.pk]
    assert ids(status="in_review,approved") == [p2.pk, p3.pk]
    assert ids(channel=b.pk) == [p2.pk]
    after = (now + timedelta(2)).isoformat()
    before = (now + timedelta(4)).isoformat()
    assert ids(scheduled_after=after) == [p2.pk, p3.pk]
    assert ids(scheduled_after=after, scheduled_before=before) == [p2.pk]
    assert ids(workspace=tenant.workspace.slug) == [p1.pk, p2.pk, p3.pk]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"scheduled_after": "2026-03-01T00:00:00"}, "scheduled_after"),
        ({"scheduled_before": "soon"}, "scheduled_before"),
        ({"status": "draft,lost"}, "status"),
    ],
)
def test_bad_filters_answer_400(tenant, user_client, params, field):
    response = user_client(tenant.editor).get(URL, params)
    assert field in _error(response, 400)["fields"]


def test_patch_edits_and_moves(tenant, campaign, user_client):
    post = PostFactory(campaign=campaign)
    response = user_client(tenant.editor).patch(
        f"{URL}{post.pk}/", {"topic": "New", "scheduled_at": _future(days=10)}
    )
    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert post.topic == "New"
    assert post.scheduled_at.date() == date.today() + timedelta(days=10)


def test_clients_and_read_keys_cannot_edit(tenant, campaign, user_client, key_client):
    post = PostFactory(campaign=campaign, topic="Kept")
    _error(user_client(tenant.client).patch(f"{URL}{post.pk}/", {"topic": "X"}), 403)
    read = key_client(tenant.workspace, ApiKeyScope.READ)
    _error(read.patch(f"{URL}{post.pk}/", {"topic": "X"}), 403)
    _error(read.post(URL, {"campaign": campaign.pk, "topic": "X"}), 403)
    _error(read.delete(f"{URL}{post.pk}/"), 403)
    post.refresh_from_db()
    assert post.topic == "Kept" and Post.objects.count() == 1


def test_delete_only_drafts(tenant, campaign, user_client):
    client = user_client(tenant.editor)
    scheduled = PostFactory(campaign=campaign, status=PostStatus.SCHEDULED)
    assert _error(client.delete(f"{URL}{scheduled.pk}/"), 409)["code"] == (
        "not_deletable"
    )
    draft = PostFactory(campaign=campaign)
    assert client.delete(f"{URL}{draft.pk}/").status_code == 204


def test_comments_thread(tenant, campaign, user_client, key_client):
    post = PostFactory(campaign=campaign)
    url = f"{URL}{post.pk}/comments/"
    made = user_client(tenant.client).post(url, {"body": "Lead with the price?"})
    assert made.status_code == 201, made.content
    assert made.json()["author"] == tenant.client.pk
    _error(user_client(tenant.editor).post(url, {"body": ""}), 400)
    _error(key_client(tenant.workspace, ApiKeyScope.READ).post(url, {"body": "x"}), 403)
    thread = user_client(tenant.editor).get(url).json()
    assert [c["body"] for c in thread] == ["Lead with the price?"]


def test_history_lists_every_move(tenant, campaign, user_client):
    post = PostFactory(campaign=campaign)
    user_client(tenant.editor).post(f"{URL}{post.pk}/submit/")
    rows = user_client(tenant.client).get(f"{URL}{post.pk}/history/").json()
    assert [(r["from_status"], r["to_status"], r["action"]) for r in rows] == [
        ("", "draft", "create"),
        ("draft", "in_review", "submit"),
    ]
    assert rows[1]["actor"] == tenant.editor.pk


def _list_queries(client, params) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), len(response.json()["results"])


@pytest.mark.parametrize("who", ["editor", "key"])
def test_list_query_count_does_not_grow_with_posts(
    tenant, campaign, user_client, key_client, who
):
    accounts = [c.account for c in campaign.cadences.all()]
    key = key_client(tenant.workspace)

    def client():
        # A fresh User per request, as in production (roles are memoised on it).
        fresh = User.objects.get(pk=tenant.editor.pk)
        return user_client(fresh) if who == "editor" else key

    params = {"limit": 200, "workspace": tenant.workspace.pk}
    # A key's first use records last_used_at (a write); measure warm requests.
    assert key.get(URL).status_code == 200
    PostFactory.create_batch(10, campaign=campaign, accounts=accounts)
    small, n_small = _list_queries(client(), params)
    PostFactory.create_batch(190, campaign=campaign, accounts=accounts)
    large, n_large = _list_queries(client(), params)
    assert (n_small, n_large) == (10, 200)
    assert small == large
