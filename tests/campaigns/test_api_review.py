"""`GET /api/v1/posts/{id}/review/` (the approval card) and approve with its
`fingerprint`: what the card showed is approved, a stale one is a 409."""

from __future__ import annotations

import pytest

from campaigns.models import PostStatus
from content import services as content_services
from content.models import Variant
from tests.campaigns.review_posts import (
    LINK,
    MASTODON_TEXT,
    over_the_limit_after_review,
    post_in_review,
)
from tests.content.media import media_root
from workspaces.models import ApiKeyScope

__all__ = ["media_root"]  # fixture
pytestmark = pytest.mark.usefixtures("media_root")
URL = "/api/v1/posts/"


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


def test_the_review_lists_each_accounts_copy_images_link_and_findings(
    tenant, user_client
):
    post = post_in_review(tenant)
    response = user_client(tenant.reviewer).get(f"{URL}{post.pk}/review/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["post"] == post.pk and body["status"] == "in_review"
    assert body["scheduled_at"].startswith("2026-12-18T09:00:00")
    channels = {c["network"]: c for c in body["channels"]}
    assert set(channels) == {"x", "mastodon", "bluesky"}
    assert channels["x"]["parts"] == [
        f"Spring tune-ups are back.\n\n{LINK}",
        "Book a slot before Friday.",
    ]
    assert channels["x"]["variant"]["label"] == "A"
    assert channels["x"]["link"]["mode"] == "in_text"
    assert channels["mastodon"]["parts"] == [MASTODON_TEXT]
    assert channels["mastodon"]["link"]["mode"] == "not_sent"
    assert channels["x"]["images"][0]["alt_text"] == "A mechanic truing a wheel"
    assert channels["bluesky"]["findings"] == [
        {
            "message": "Promises a result: 'guaranteed'",
            "kind": "gate",
            "blocking": False,
        }
    ]
    assert channels["x"]["findings"] == []
    assert channels["x"]["measures"] == [
        {"text": "50 / 280 weighted chars", "over": False},
        {"text": "26 / 280 weighted chars", "over": False},
    ]
    assert any("brand-safety" in p for p in body["problems"])
    assert body["blocked"] == []
    assert len(body["fingerprint"]) == 64


def test_over_the_limit_copy_is_listed_as_blocked_and_approve_is_409(
    tenant, user_client
):
    post = post_in_review(tenant, gate_fails=False)
    over_the_limit_after_review(post)
    client = user_client(tenant.owner)
    body = client.get(f"{URL}{post.pk}/review/").json()
    bluesky = next(c for c in body["channels"] if c["network"] == "bluesky")
    assert bluesky["measures"] == [{"text": "301 / 300 graphemes", "over": True}]
    assert bluesky["findings"][0]["kind"] == "limit"
    assert bluesky["findings"][0]["blocking"] is True
    assert any("301 of 300" in p for p in body["blocked"])
    response = client.post(
        f"{URL}{post.pk}/approve/", {"fingerprint": body["fingerprint"]}
    )
    assert _error(response, 409)["code"] == "copy_over_limit"


def test_approve_with_a_fresh_fingerprint_approves(tenant, user_client):
    post = post_in_review(tenant, gate_fails=False)
    client = user_client(tenant.client)
    fingerprint = client.get(f"{URL}{post.pk}/review/").json()["fingerprint"]
    response = client.post(f"{URL}{post.pk}/approve/", {"fingerprint": fingerprint})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == PostStatus.APPROVED


def test_approve_with_a_stale_fingerprint_is_409_and_moves_nothing(tenant, user_client):
    post = post_in_review(tenant, gate_fails=False)
    client = user_client(tenant.reviewer)
    fingerprint = client.get(f"{URL}{post.pk}/review/").json()["fingerprint"]
    x = Variant.objects.get(post=post, network="x", status="chosen")
    content_services.variant_update_text(
        variant=x, by=tenant.editor, text="Something else entirely"
    )
    error = _error(
        client.post(f"{URL}{post.pk}/approve/", {"fingerprint": fingerprint}), 409
    )
    assert error["code"] == "review_stale"
    assert "review it again" in error["message"]
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_approve_without_a_fingerprint_stays_the_plain_move(tenant, user_client):
    post = post_in_review(tenant, gate_fails=False)
    response = user_client(tenant.reviewer).post(f"{URL}{post.pk}/approve/", {})
    assert response.status_code == 200, response.content


def test_a_stale_fingerprint_does_not_hide_a_permission_answer(tenant, user_client):
    post = post_in_review(tenant, gate_fails=False)
    body = {"fingerprint": "0" * 64}
    _error(user_client(tenant.editor).post(f"{URL}{post.pk}/approve/", body), 403)


def test_an_api_key_reads_the_review_but_never_approves(tenant, key_client):
    post = post_in_review(tenant, gate_fails=False)
    reader = key_client(tenant.workspace, ApiKeyScope.READ)
    fingerprint = reader.get(f"{URL}{post.pk}/review/").json()["fingerprint"]
    writer = key_client(tenant.workspace, ApiKeyScope.WRITE)
    body = {"fingerprint": fingerprint}
    _error(writer.post(f"{URL}{post.pk}/approve/", body), 403)
    post.refresh_from_db()
    assert post.status == PostStatus.IN_REVIEW


def test_an_unknown_field_on_approve_is_a_400(tenant, user_client):
    post = post_in_review(tenant, gate_fails=False)
    response = user_client(tenant.reviewer).post(
        f"{URL}{post.pk}/approve/", {"fingerprnt": "abc"}
    )
    _error(response, 400)


def test_another_workspaces_review_is_404(tenant, other_tenant, user_client):
    foreign = post_in_review(other_tenant, gate_fails=False)
    client = user_client(tenant.owner)
    _error(client.get(f"{URL}{foreign.pk}/review/"), 404)
    _error(client.post(f"{URL}{foreign.pk}/approve/", {"fingerprint": "x"}), 404)
