"""The post lifecycle: every move from every state, who may make it, the rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from campaigns import lifecycle
from campaigns.lifecycle import MOVES, TransitionNotAllowed
from campaigns.models import Post, PostStatus, PostStatusChange
from campaigns.signals import post_status_changed
from core.errors import ConflictError
from tests.factories import ConnectedAccountFactory, PostFactory, api_key
from workspaces.models import ApiKeyScope

NOW = datetime(2025, 5, 6, 9, 0, tzinfo=UTC)
SOON = NOW + timedelta(days=2)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def signals():
    received: list[dict] = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    post_status_changed.connect(listener)
    yield received
    post_status_changed.disconnect(listener)


def _post(tenant, status=PostStatus.DRAFT, **fields):
    account = ConnectedAccountFactory(workspace=tenant.workspace)
    fields.setdefault("scheduled_at", SOON)
    return PostFactory(
        campaign__workspace=tenant.workspace,
        status=status,
        accounts=[account],
        **fields,
    )


def _actor(tenant, move):
    """Someone allowed to make `move`, as (by, system)."""
    if move.permission is None:
        return None, "dispatcher"
    if move.permission == lifecycle.Action.APPROVE:
        return tenant.reviewer, ""
    return tenant.editor, ""


@pytest.mark.parametrize("state", PostStatus.values)
@pytest.mark.parametrize("action", sorted(MOVES))
def test_every_move_from_every_state(
    tenant, state, action, signals, django_capture_on_commit_callbacks
):
    move = MOVES[action]
    post = _post(tenant, state)
    by, system = _actor(tenant, move)
    reason = "Needs a clearer offer." if move.needs_reason else ""

    if state not in lifecycle.sources_of(move, post):
        with pytest.raises(TransitionNotAllowed) as caught:
            lifecycle.transition(post, action, by=by, system=system, reason=reason)
        assert caught.value.extra["allowed"] == lifecycle.allowed_actions(post, by)
        assert Post.objects.get(pk=post.pk).status == state
        return

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lifecycle.transition(post, action, by=by, system=system, reason=reason)
    assert signals == []  # nothing before the commit
    for callback in callbacks:
        callback()

    # Made scheduled by the factory, the post was never reviewed: unscheduling
    # makes it a draft (test_approval_policy.py has the reviewed path).
    target = PostStatus.DRAFT if action == "unschedule" else move.target
    assert Post.objects.get(pk=post.pk).status == target
    change = PostStatusChange.objects.filter(post=post).exclude(action="create").get()
    assert (change.from_status, change.to_status, change.action) == (
        state,
        target,
        action,
    )
    assert change.actor == by and change.actor_label == system
    assert change.reason == reason
    assert len(signals) == 1
    assert signals[0]["post_id"] == post.pk
    assert (signals[0]["from_status"], signals[0]["to_status"]) == (state, target)
    assert signals[0]["change_id"] == change.pk


def test_every_state_has_a_way_out_or_is_final():
    sources = {s for m in MOVES.values() for s in m.sources}
    assert set(PostStatus.values) - sources == {PostStatus.PUBLISHED}


# --- Who may ---------------------------------------------------------------------


def _in_review(tenant, submitter=None):
    post = _post(tenant)
    lifecycle.transition(post, "submit", by=submitter or tenant.editor)
    return post


def test_editor_cannot_approve(tenant):
    post = _in_review(tenant, tenant.admin)
    with pytest.raises(PermissionDenied):
        lifecycle.transition(post, "approve", by=tenant.editor)
    assert "approve" not in lifecycle.allowed_actions(post, tenant.editor)


@pytest.mark.parametrize("role", ["reviewer", "client", "admin", "owner"])
def test_reviewer_client_admin_and_owner_can_approve(tenant, role):
    post = _in_review(tenant)
    assert "approve" in lifecycle.allowed_actions(post, tenant.person(role))
    lifecycle.transition(post, "approve", by=tenant.person(role))
    assert post.status == PostStatus.APPROVED


def test_api_keys_cannot_approve(tenant):
    post = _in_review(tenant)
    _, key = api_key(tenant.workspace, ApiKeyScope.WRITE)
    assert "approve" not in lifecycle.allowed_actions(post, key)
    with pytest.raises(PermissionDenied):
        lifecycle.transition(post, "approve", by=key)


def test_the_submitter_cannot_approve_their_own_post_even_as_owner(tenant):
    post = _in_review(tenant, tenant.owner)
    assert "approve" not in lifecycle.allowed_actions(post, tenant.owner)
    with pytest.raises(PermissionDenied, match="someone else"):
        lifecycle.transition(post, "approve", by=tenant.owner)
    lifecycle.transition(post, "approve", by=tenant.admin)
    assert post.status == PostStatus.APPROVED


def test_system_moves_refuse_people_and_need_a_system_name(tenant):
    post = _post(tenant, PostStatus.SCHEDULED)
    with pytest.raises(PermissionDenied):
        lifecycle.transition(post, "start_publishing", by=tenant.owner, system="x")
    with pytest.raises(PermissionDenied):
        lifecycle.transition(post, "start_publishing", by=None)
    assert "start_publishing" not in lifecycle.allowed_actions(post, tenant.owner)


# --- Schedule ------------------------------------------------------------------------


def test_schedule_from_draft_needs_approval_off(tenant):
    post = _post(tenant)
    with pytest.raises(TransitionNotAllowed) as caught:
        lifecycle.transition(post, "schedule", by=tenant.editor)
    assert "schedule" not in caught.value.extra["allowed"]

    tenant.workspace.approval_required = False
    tenant.workspace.save()
    post = Post.objects.get(pk=post.pk)
    assert "schedule" in lifecycle.allowed_actions(post, tenant.editor)
    lifecycle.transition(post, "schedule", by=tenant.editor)
    assert Post.objects.get(pk=post.pk).status == PostStatus.SCHEDULED


@pytest.mark.parametrize(
    ("when", "accounts", "message"),
    [
        (None, True, "Set a date"),
        (NOW - timedelta(minutes=1), True, "in the past"),
        (NOW, True, "in the past"),
        (SOON, False, "channel account"),
    ],
)
def test_schedule_needs_a_future_time_and_accounts(tenant, when, accounts, message):
    post = _post(tenant, PostStatus.APPROVED, scheduled_at=when)
    if not accounts:
        post.accounts.clear()
    with pytest.raises(ConflictError, match=message) as caught:
        lifecycle.transition(post, "schedule", by=tenant.editor)
    assert caught.value.code == "not_ready"
    assert Post.objects.get(pk=post.pk).status == PostStatus.APPROVED


def test_reject_requires_a_reason(tenant):
    post = _in_review(tenant)
    with pytest.raises(ConflictError) as caught:
        lifecycle.transition(post, "reject", by=tenant.reviewer, reason="   ")
    assert caught.value.code == "reason_required"
    lifecycle.transition(post, "reject", by=tenant.reviewer, reason="Off-brand")
    assert post.history.last().reason == "Off-brand"


# --- Edits ---------------------------------------------------------------------------


def _approved(tenant):
    post = _in_review(tenant)
    lifecycle.transition(post, "approve", by=tenant.reviewer)
    return post


def test_editing_an_approved_post_returns_it_to_review(tenant):
    post = _approved(tenant)
    lifecycle.after_edit(post, by=tenant.editor, content_changed=True)
    assert Post.objects.get(pk=post.pk).status == PostStatus.IN_REVIEW
    change = post.history.last()
    assert change.action == "return_to_review"
    assert change.actor == tenant.editor and change.actor_label == "edit rule"


def test_moving_an_approved_post_in_time_keeps_its_approval(tenant):
    post = _approved(tenant)
    lifecycle.after_edit(post, by=tenant.editor, content_changed=False)
    assert Post.objects.get(pk=post.pk).status == PostStatus.APPROVED


def test_editing_an_approved_post_keeps_it_when_approval_is_not_required(tenant):
    post = _approved(tenant)
    tenant.workspace.approval_required = False
    tenant.workspace.save()
    post = Post.objects.get(pk=post.pk)
    lifecycle.after_edit(post, by=tenant.editor, content_changed=True)
    assert Post.objects.get(pk=post.pk).status == PostStatus.APPROVED


def test_editing_a_rejected_post_makes_it_a_draft_again(tenant):
    post = _in_review(tenant)
    lifecycle.transition(post, "reject", by=tenant.reviewer, reason="Too long")
    lifecycle.after_edit(post, by=tenant.editor, content_changed=True)
    assert Post.objects.get(pk=post.pk).status == PostStatus.DRAFT


# --- Concurrency ---------------------------------------------------------------------


def test_a_stale_object_loses_the_race_with_transition_not_allowed(tenant):
    post = _post(tenant)
    stale = Post.objects.get(pk=post.pk)
    lifecycle.transition(post, "submit", by=tenant.editor)
    with pytest.raises(TransitionNotAllowed) as caught:
        lifecycle.transition(stale, "cancel", by=tenant.editor)
    # The stale object read the winner's state; nothing else was recorded.
    assert stale.status == PostStatus.IN_REVIEW
    assert caught.value.extra["allowed"] == lifecycle.allowed_actions(
        stale, tenant.editor
    )
    assert list(post.history.values_list("action", flat=True)) == ["create", "submit"]
