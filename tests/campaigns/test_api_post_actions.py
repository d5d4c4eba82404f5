"""POST /api/v1/posts/{id}/<move>/: each lifecycle move, who may make it, and the
409 with `allowed` when the post is not in a state the move starts from."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Post, PostStatus
from tests.factories import CampaignFactory, PostFactory
from workspaces.models import ApiKeyScope, Role

URL = "/api/v1/posts/"
S = PostStatus


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.fixture
def campaign(tenant):
    today = timezone.localdate()
    return CampaignFactory(
        workspace=tenant.workspace,
        channels=1,
        start_date=today,
        end_date=today + timedelta(days=30),
    )


@pytest.fixture
def post(campaign):
    account = campaign.cadences.get().account
    account.credentials = {"token": "test-token"}  # not planning only
    account.save()
    return PostFactory(campaign=campaign, accounts=[account])


def _move(client, post: Post, action: str, **body):
    return client.post(f"{URL}{post.pk}/{action}/", body)


def test_the_whole_review_path(tenant, post, user_client):
    editor, reviewer = user_client(tenant.editor), user_client(tenant.reviewer)
    submitted = _move(editor, post, "submit")
    assert submitted.json()["status"] == S.IN_REVIEW
    assert submitted.json()["allowed_actions"] == ["cancel"]
    approved = _move(reviewer, post, "approve")
    assert approved.status_code == 200, approved.content
    assert approved.json()["allowed_actions"] == ["reject"]
    scheduled = _move(editor, post, "schedule")
    assert scheduled.json()["status"] == S.SCHEDULED
    assert _move(editor, post, "unschedule").json()["status"] == S.APPROVED
    assert _move(editor, post, "cancel").json()["status"] == S.CANCELED
    assert _move(editor, post, "restore").json()["status"] == S.DRAFT
    actions = list(post.history.values_list("action", flat=True))
    assert actions == [
        "create",
        "submit",
        "approve",
        "schedule",
        "unschedule",
        "cancel",
        "restore",
    ]


def test_reject_needs_a_reason_and_records_it(tenant, post, user_client):
    lifecycle.transition(post, "submit", by=tenant.editor)
    client = user_client(tenant.client)
    fields = _error(_move(client, post, "reject"), 400)["fields"]
    assert "reason" in fields
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW
    rejected = _move(client, post, "reject", reason="Too long.")
    assert rejected.json()["status"] == S.REJECTED
    assert post.history.last().reason == "Too long."
    reopened = _move(user_client(tenant.editor), post, "reopen")
    assert reopened.json()["status"] == S.DRAFT


def test_retry_after_a_failure(tenant, campaign, post, user_client):
    failed = PostFactory(
        campaign=campaign,
        status=S.FAILED,
        accounts=list(post.accounts.all()),  # connected (not planning only)
    )
    response = _move(user_client(tenant.editor), failed, "retry")
    assert response.json()["status"] == S.SCHEDULED


def test_editor_cannot_approve(tenant, post, user_client):
    lifecycle.transition(post, "submit", by=tenant.admin)
    _error(_move(user_client(tenant.editor), post, "approve"), 403)
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW


def test_nobody_approves_their_own_submission(tenant, post, user_client):
    lifecycle.transition(post, "submit", by=tenant.owner)
    message = _error(_move(user_client(tenant.owner), post, "approve"), 403)
    assert message["code"] == "permission_denied"


def test_client_approves_but_cannot_edit(tenant, post, user_client):
    lifecycle.transition(post, "submit", by=tenant.editor)
    client = user_client(tenant.client)
    assert _move(client, post, "approve").json()["status"] == S.APPROVED
    _error(client.patch(f"{URL}{post.pk}/", {"topic": "Mine"}), 403)
    _error(_move(client, post, "schedule"), 403)


@pytest.mark.parametrize("scope", [ApiKeyScope.WRITE, ApiKeyScope.READ])
def test_keys_cannot_approve(tenant, post, key_client, scope):
    lifecycle.transition(post, "submit", by=tenant.editor)
    _error(_move(key_client(tenant.workspace, scope), post, "approve"), 403)
    post.refresh_from_db()
    assert post.status == S.IN_REVIEW


def test_read_key_cannot_move_anything(tenant, post, key_client):
    _error(_move(key_client(tenant.workspace, ApiKeyScope.READ), post, "submit"), 403)
    post.refresh_from_db()
    assert post.status == S.DRAFT


def test_write_key_submits(tenant, post, key_client):
    response = _move(key_client(tenant.workspace), post, "submit")
    assert response.json()["status"] == S.IN_REVIEW


# Every move from a state it does not start from: 409 listing what is allowed.
WRONG_STATE = {
    "submit": S.APPROVED,
    "approve": S.DRAFT,
    "reject": S.DRAFT,
    "schedule": S.IN_REVIEW,
    "unschedule": S.DRAFT,
    "cancel": S.PUBLISHED,
    "restore": S.DRAFT,
    "reopen": S.DRAFT,
    "retry": S.DRAFT,
}


@pytest.mark.parametrize(("action", "state"), sorted(WRONG_STATE.items()))
def test_every_move_from_a_wrong_state_answers_409_with_allowed(
    tenant, campaign, user_client, action, state
):
    post = PostFactory(campaign=campaign, status=state)
    body = {"reason": "Because."} if action == "reject" else {}
    error = _error(_move(user_client(tenant.owner), post, action, **body), 409)
    assert error["code"] == "transition_not_allowed"
    assert error["status"] == state
    assert error["allowed"] == lifecycle.allowed_actions(post, tenant.owner)
    post.refresh_from_db()
    assert post.status == state


def test_schedule_without_a_time_is_not_ready(tenant, campaign, user_client):
    post = PostFactory(campaign=campaign, status=S.APPROVED, scheduled_at=None)
    error = _error(_move(user_client(tenant.editor), post, "schedule"), 409)
    assert error["code"] == "not_ready"


def test_unknown_body_fields_are_refused(tenant, post, user_client):
    response = _move(user_client(tenant.editor), post, "submit", note="x")
    assert "note" in _error(response, 400)["fields"]


@pytest.mark.parametrize("action", sorted(WRONG_STATE))
def test_another_tenants_post_is_not_found_for_every_move(
    tenant, other_tenant, user_client, action
):
    theirs = PostFactory(campaign=CampaignFactory(workspace=other_tenant.workspace))
    body = {"reason": "x"} if action == "reject" else {}
    _error(_move(user_client(tenant.owner), theirs, action, **body), 404)
    theirs.refresh_from_db()
    assert theirs.status == S.DRAFT


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.CLIENT])
def test_approvers_cannot_submit(tenant, post, user_client, role):
    _error(_move(user_client(tenant.person(role)), post, "submit"), 403)
